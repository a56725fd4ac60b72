# tests/kvm: boot the tiny guests (tests/guests) on real KVM through the
# machine/kvm.h, ram.h and vcpu.h API. Each skips (77) without /dev/kvm;
# tests/nested/run-cmd runs them where /dev/kvm exists.
KVM_TEST_COMMON = tests/kvm/kvmtest.c tests/kvm/kvmtest.h
UNIT_TESTS += tests/kvm/test_hello tests/kvm/test_smp tests/kvm/test_bootinfo
tests_kvm_test_hello_SOURCES = tests/kvm/test_hello.c $(KVM_TEST_COMMON)
tests_kvm_test_hello_CFLAGS = $(TEST_CFLAGS)
tests_kvm_test_hello_LDADD = $(TEST_LIBS)
tests_kvm_test_smp_SOURCES = tests/kvm/test_smp.c $(KVM_TEST_COMMON)
tests_kvm_test_smp_CFLAGS = $(TEST_CFLAGS)
tests_kvm_test_smp_LDADD = $(TEST_LIBS)
tests_kvm_test_bootinfo_SOURCES = tests/kvm/test_bootinfo.c $(KVM_TEST_COMMON)
tests_kvm_test_bootinfo_CFLAGS = $(TEST_CFLAGS)
tests_kvm_test_bootinfo_LDADD = $(TEST_LIBS)

# Error paths of vb_kvm_open and PVM detection: no /dev/kvm needed.
UNIT_TESTS += tests/kvm/test_open
tests_kvm_test_open_SOURCES = tests/kvm/test_open.c
tests_kvm_test_open_CFLAGS = $(TEST_CFLAGS)
tests_kvm_test_open_LDADD = $(TEST_LIBS)

# test_console_input.sh: stdin piped into vmboot reaches the guest's UART
# (tests/guests/echo.bin echoes it back), through the whole binary.
TESTS += tests/kvm/test_console_input.sh
EXTRA_DIST += tests/kvm/test_console_input.sh
