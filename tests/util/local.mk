UNIT_TESTS += tests/util/test_size
tests_util_test_size_SOURCES = tests/util/test_size.c
tests_util_test_size_CFLAGS = $(TEST_CFLAGS)
tests_util_test_size_LDADD = $(TEST_LIBS)
