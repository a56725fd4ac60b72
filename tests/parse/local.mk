include tests/parse/frontend.mk
UNIT_TESTS += tests/parse/test_schema
tests_parse_test_schema_SOURCES = tests/parse/test_schema.c
tests_parse_test_schema_CFLAGS = $(TEST_CFLAGS)
tests_parse_test_schema_LDADD = $(TEST_LIBS)
# test_merge: a file layer and a flag layer merged (parse/merge.h): later
# shadows earlier, debug merges by member, devices appended, locations kept.
UNIT_TESTS += tests/parse/test_merge
tests_parse_test_merge_SOURCES = tests/parse/test_merge.c
tests_parse_test_merge_CFLAGS = $(TEST_CFLAGS)
tests_parse_test_merge_LDADD = $(TEST_LIBS)
# test_devtype: a device type made up in the test, handed to the parse
# layer as the registry would (parse/devtype.h): keys, defaults, ranges,
# did-you-mean, its own rule, files, equality and vmboot schema.
UNIT_TESTS += tests/parse/test_devtype
tests_parse_test_devtype_SOURCES = tests/parse/test_devtype.c
tests_parse_test_devtype_CFLAGS = $(TEST_CFLAGS)
tests_parse_test_devtype_LDADD = $(TEST_LIBS)
