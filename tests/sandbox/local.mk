# tests/sandbox: each thread kind's seccomp filter, in forked children.
UNIT_TESTS += tests/sandbox/test_sandbox
tests_sandbox_test_sandbox_SOURCES = tests/sandbox/test_sandbox.c
tests_sandbox_test_sandbox_CFLAGS = $(TEST_CFLAGS)
tests_sandbox_test_sandbox_LDADD = $(TEST_LIBS)

# vmboot run --seccomp on real KVM (tests/kvm/vmboot_child.h: skips
# without /dev/kvm), the tiny guests of tests/guests.
UNIT_TESTS += tests/kvm/test_seccomp
tests_kvm_test_seccomp_SOURCES = tests/kvm/test_seccomp.c tests/kvm/vmboot_child.h
tests_kvm_test_seccomp_CFLAGS = $(TEST_CFLAGS)
tests_kvm_test_seccomp_LDADD = $(TEST_LIBS)

# tests/sandbox: capabilities and the user switch (privs.h), in forked
# children; most need root and skip without it.
UNIT_TESTS += tests/sandbox/test_privs
tests_sandbox_test_privs_SOURCES = tests/sandbox/test_privs.c
tests_sandbox_test_privs_CFLAGS = $(TEST_CFLAGS)
tests_sandbox_test_privs_LDADD = $(TEST_LIBS)

# vmboot run --user nobody started as root, on real KVM (skips without
# /dev/kvm or root): nobody's threads, pty and socket, nobody's list/stop.
UNIT_TESTS += tests/kvm/test_user
tests_kvm_test_user_SOURCES = tests/kvm/test_user.c tests/kvm/vmboot_child.h
tests_kvm_test_user_CFLAGS = $(TEST_CFLAGS)
tests_kvm_test_user_LDADD = $(TEST_LIBS)

# The programs compiled when vmboot was built against libseccomp's output
# now (src/sandbox/filters.h), the run-time pid patch included.
UNIT_TESTS += tests/sandbox/test_filters
tests_sandbox_test_filters_SOURCES = tests/sandbox/test_filters.c src/sandbox/allowlist.c \
	src/sandbox/allowlist.h
tests_sandbox_test_filters_CFLAGS = $(TEST_CFLAGS)
tests_sandbox_test_filters_LDADD = $(TEST_LIBS) $(SECCOMP_LIBS)
