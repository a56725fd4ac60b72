include tests/parse/frontend.mk
UNIT_TESTS += tests/parse/test_schema
tests_parse_test_schema_SOURCES = tests/parse/test_schema.c
tests_parse_test_schema_CFLAGS = $(TEST_CFLAGS)
tests_parse_test_schema_LDADD = $(TEST_LIBS)
