# tests/service: vmboot under service managers (contrib/, util/notify.h,
# util/log.h). test_unit.sh: the systemd unit as built and installed,
# systemd-analyze verify; test_fleet.sh: the Nomad and Kubernetes examples
# parse and describe a vmboot task; test_journal.sh: priority prefixes when
# stderr is the journal; test_notify_vm: READY=1 and STOPPING=1 on
# $NOTIFY_SOCKET around a real run of tests/guests/ticker.bin and
# hello.bin (skips without /dev/kvm).
TESTS += tests/service/test_unit.sh tests/service/test_fleet.sh tests/service/test_journal.sh
EXTRA_DIST += tests/service/test_unit.sh tests/service/test_fleet.sh tests/service/test_journal.sh
UNIT_TESTS += tests/service/test_notify_vm
tests_service_test_notify_vm_SOURCES = tests/service/test_notify_vm.c tests/kvm/vmboot_child.h
tests_service_test_notify_vm_CFLAGS = $(TEST_CFLAGS)
tests_service_test_notify_vm_LDADD = $(TEST_LIBS)
