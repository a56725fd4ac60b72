# tests/control: the control protocol, socket directory and server without
# KVM; test_vm runs vmboot with tests/guests/ticker.bin on real KVM (skips
# without /dev/kvm; tests/nested/run-cmd runs it where /dev/kvm exists).
UNIT_TESTS += tests/control/test_proto tests/control/test_sockdir tests/control/test_server
tests_control_test_proto_SOURCES = tests/control/test_proto.c
tests_control_test_proto_CFLAGS = $(TEST_CFLAGS)
tests_control_test_proto_LDADD = $(TEST_LIBS)
tests_control_test_sockdir_SOURCES = tests/control/test_sockdir.c
tests_control_test_sockdir_CFLAGS = $(TEST_CFLAGS)
tests_control_test_sockdir_LDADD = $(TEST_LIBS)
tests_control_test_server_SOURCES = tests/control/test_server.c
tests_control_test_server_CFLAGS = $(TEST_CFLAGS)
tests_control_test_server_LDADD = $(TEST_LIBS)

UNIT_TESTS += tests/control/test_vm
tests_control_test_vm_SOURCES = tests/control/test_vm.c
tests_control_test_vm_CFLAGS = $(TEST_CFLAGS)
tests_control_test_vm_LDADD = $(TEST_LIBS)

# The ticker guest is built here, with the tests/guests recipe, so this
# fragment owns everything the control test needs.
noinst_DATA += tests/guests/ticker.bin
CLEANFILES += tests/guests/ticker.bin
EXTRA_DIST += tests/guests/ticker.S
tests/guests/ticker.bin: tests/guests/ticker.S
	$(VB_GUEST_BUILD)
