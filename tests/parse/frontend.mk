# Front-end tests: both syntaxes into the node tree (node.h)
UNIT_TESTS += tests/parse/test_frontends
tests_parse_test_frontends_SOURCES = tests/parse/test_frontends.c
tests_parse_test_frontends_CFLAGS = $(TEST_CFLAGS)
tests_parse_test_frontends_LDADD = $(TEST_LIBS)
EXTRA_DIST += tests/parse/fixtures
