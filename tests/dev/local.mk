# tests/dev: device framework and legacy PC devices (no KVM needed)
UNIT_TESTS += tests/dev/test_bus
tests_dev_test_bus_SOURCES = tests/dev/test_bus.c
tests_dev_test_bus_CFLAGS = $(TEST_CFLAGS)
tests_dev_test_bus_LDADD = $(TEST_LIBS)

UNIT_TESTS += tests/dev/test_alloc
tests_dev_test_alloc_SOURCES = tests/dev/test_alloc.c
tests_dev_test_alloc_CFLAGS = $(TEST_CFLAGS)
tests_dev_test_alloc_LDADD = $(TEST_LIBS)

UNIT_TESTS += tests/dev/test_uart
tests_dev_test_uart_SOURCES = tests/dev/test_uart.c tests/dev/fakes.h
tests_dev_test_uart_CFLAGS = $(TEST_CFLAGS)
tests_dev_test_uart_LDADD = $(TEST_LIBS)

UNIT_TESTS += tests/dev/test_devices
tests_dev_test_devices_SOURCES = tests/dev/test_devices.c tests/dev/fakes.h
tests_dev_test_devices_CFLAGS = $(TEST_CFLAGS)
tests_dev_test_devices_LDADD = $(TEST_LIBS)

UNIT_TESTS += tests/dev/test_term
tests_dev_test_term_SOURCES = tests/dev/test_term.c
tests_dev_test_term_CFLAGS = $(TEST_CFLAGS)
tests_dev_test_term_LDADD = $(TEST_LIBS)

UNIT_TESTS += tests/dev/test_fuzz
tests_dev_test_fuzz_SOURCES = tests/dev/test_fuzz.c tests/dev/fakes.h
tests_dev_test_fuzz_CFLAGS = $(TEST_CFLAGS)
tests_dev_test_fuzz_LDADD = $(TEST_LIBS)

UNIT_TESTS += tests/dev/test_ivshmem
tests_dev_test_ivshmem_SOURCES = tests/dev/test_ivshmem.c
tests_dev_test_ivshmem_CFLAGS = $(TEST_CFLAGS)
tests_dev_test_ivshmem_LDADD = $(TEST_LIBS)

# test_pty: the pty console backend (--tty): raw output, a full pty never
# blocks the guest, input to the reader, hang-up at close.
UNIT_TESTS += tests/dev/test_pty
tests_dev_test_pty_SOURCES = tests/dev/test_pty.c
tests_dev_test_pty_CFLAGS = $(TEST_CFLAGS)
tests_dev_test_pty_LDADD = $(TEST_LIBS)

UNIT_TESTS += tests/dev/test_acpi_pm
tests_dev_test_acpi_pm_SOURCES = tests/dev/test_acpi_pm.c tests/dev/fakes.h
tests_dev_test_acpi_pm_CFLAGS = $(TEST_CFLAGS)
tests_dev_test_acpi_pm_LDADD = $(TEST_LIBS)

# test_msix: the MSI-X capability, table and PBA of a PCI function with
# fake MSI routes (fakes.h), a hostile driver included.
UNIT_TESTS += tests/dev/test_msix
tests_dev_test_msix_SOURCES = tests/dev/test_msix.c tests/dev/fakes.h
tests_dev_test_msix_CFLAGS = $(TEST_CFLAGS)
tests_dev_test_msix_LDADD = $(TEST_LIBS)
