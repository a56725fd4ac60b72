# tests/cli: the command line end to end, the example machines, and the
# manual pages kept in step with the schema and flag tables.
UNIT_TESTS += tests/cli/test_docs
tests_cli_test_docs_SOURCES = tests/cli/test_docs.c
tests_cli_test_docs_CFLAGS = $(TEST_CFLAGS)
tests_cli_test_docs_LDADD = $(TEST_LIBS)

TESTS += tests/cli/test_machines.sh tests/cli/test_check.sh
EXTRA_DIST += tests/cli/test_machines.sh tests/cli/test_check.sh \
	tests/cli/fixtures/ok.conf tests/cli/fixtures/bad.conf \
	tests/cli/fixtures/bad.yaml tests/cli/fixtures/syntax.conf \
	tests/cli/fixtures/nokernel.yaml tests/cli/fixtures/missing-kernel.yaml \
	tests/cli/fixtures/mmio.yaml tests/cli/fixtures/dummy-kernel
