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
tests_control_test_vm_SOURCES = tests/control/test_vm.c tests/kvm/vmboot_child.h
tests_control_test_vm_CFLAGS = $(TEST_CFLAGS)
tests_control_test_vm_LDADD = $(TEST_LIBS)

# The ticker guest is built here, with the tests/guests recipe, so this
# fragment owns everything the control test needs.
noinst_DATA += tests/guests/ticker.bin
CLEANFILES += tests/guests/ticker.bin
EXTRA_DIST += tests/guests/ticker.S
tests/guests/ticker.bin: tests/guests/ticker.S
	$(VB_GUEST_BUILD)

# test_console: the console request, the tmux command line and the attach
# relay against a pty, no KVM. fakevm: a stand-in VM with a pty console for
# test_console_cli.sh (vmboot list/console/--tmux end to end, no KVM).
UNIT_TESTS += tests/control/test_console
tests_control_test_console_SOURCES = tests/control/test_console.c
tests_control_test_console_CFLAGS = $(TEST_CFLAGS)
tests_control_test_console_LDADD = $(TEST_LIBS)
check_PROGRAMS += tests/control/fakevm
tests_control_fakevm_SOURCES = tests/control/fakevm.c
tests_control_fakevm_LDADD = $(VB_LIBS)
TESTS += tests/control/test_console_cli.sh
EXTRA_DIST += tests/control/test_console_cli.sh
# test_starting.sh: list against a socket that never answers (fakevm
# --hang) and a VM still being built (state "starting"; stop ends the
# build), no KVM.
TESTS += tests/control/test_starting.sh
EXTRA_DIST += tests/control/test_starting.sh
