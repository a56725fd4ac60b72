# tests/kcheck: the config parser, the report, and finding a kernel's
# configuration in synthetic and real images.
UNIT_TESTS += tests/kcheck/test_kconfig tests/kcheck/test_extract tests/kcheck/test_unpack
tests_kcheck_test_kconfig_SOURCES = tests/kcheck/test_kconfig.c
tests_kcheck_test_kconfig_CFLAGS = $(TEST_CFLAGS)
tests_kcheck_test_kconfig_LDADD = $(TEST_LIBS)
tests_kcheck_test_extract_SOURCES = tests/kcheck/test_extract.c
tests_kcheck_test_extract_CFLAGS = $(TEST_CFLAGS)
tests_kcheck_test_extract_LDADD = $(TEST_LIBS)
tests_kcheck_test_unpack_SOURCES = tests/kcheck/test_unpack.c
tests_kcheck_test_unpack_CFLAGS = $(TEST_CFLAGS)
tests_kcheck_test_unpack_LDADD = $(TEST_LIBS)

TESTS += tests/kcheck/test_cli.sh
EXTRA_DIST += tests/kcheck/test_cli.sh \
	tests/kcheck/fixtures/stripped.config tests/kcheck/fixtures/full.config \
	tests/kcheck/fixtures/hello.txt.zst tests/kcheck/fixtures/hello.txt.lz4
