include tests/machine/kvm.mk
UNIT_TESTS += tests/machine/test_resolve
tests_machine_test_resolve_SOURCES = tests/machine/test_resolve.c
tests_machine_test_resolve_CFLAGS = $(TEST_CFLAGS)
tests_machine_test_resolve_LDADD = $(TEST_LIBS)
EXTRA_DIST += tests/machine/golden
# test_registry: every device type the registry lists has what the
# schema, --plan, the flag table and the builder read from its descriptor.
UNIT_TESTS += tests/machine/test_registry
tests_machine_test_registry_SOURCES = tests/machine/test_registry.c
tests_machine_test_registry_CFLAGS = $(TEST_CFLAGS)
tests_machine_test_registry_LDADD = $(TEST_LIBS)

# The I/O event service (ioeventfd doorbells) with plain eventfds, and the
# virtio transports on it; reuses the in-process virtio driver.
UNIT_TESTS += tests/machine/test_ioevent
tests_machine_test_ioevent_SOURCES = tests/machine/test_ioevent.c \
	tests/virtio/driver.c tests/virtio/driver.h
tests_machine_test_ioevent_CFLAGS = $(TEST_CFLAGS)
tests_machine_test_ioevent_LDADD = $(TEST_LIBS)

# The host console's input: a reader thread only where input can come.
UNIT_TESTS += tests/machine/test_host_console
tests_machine_test_host_console_SOURCES = tests/machine/test_host_console.c
tests_machine_test_host_console_CFLAGS = $(TEST_CFLAGS)
tests_machine_test_host_console_LDADD = $(TEST_LIBS)

# test_msi: the VM's MSI routes (machine/msi.h) on a fake KVM: KVM's
# default irqchip routes first in every table, one table per change.
UNIT_TESTS += tests/machine/test_msi
tests_machine_test_msi_SOURCES = tests/machine/test_msi.c
tests_machine_test_msi_CFLAGS = $(TEST_CFLAGS)
tests_machine_test_msi_LDADD = $(TEST_LIBS)
