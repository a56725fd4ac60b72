include tests/machine/kvm.mk
UNIT_TESTS += tests/machine/test_resolve
tests_machine_test_resolve_SOURCES = tests/machine/test_resolve.c
tests_machine_test_resolve_CFLAGS = $(TEST_CFLAGS)
tests_machine_test_resolve_LDADD = $(TEST_LIBS)
EXTRA_DIST += tests/machine/golden
