# KVM core tests (kvmcore helper): no /dev/kvm needed.
UNIT_TESTS += tests/machine/test_ram tests/machine/test_vcpu
tests_machine_test_ram_SOURCES = tests/machine/test_ram.c
tests_machine_test_ram_CFLAGS = $(TEST_CFLAGS)
tests_machine_test_ram_LDADD = $(TEST_LIBS)
tests_machine_test_vcpu_SOURCES = tests/machine/test_vcpu.c
tests_machine_test_vcpu_CFLAGS = $(TEST_CFLAGS)
tests_machine_test_vcpu_LDADD = $(TEST_LIBS)
