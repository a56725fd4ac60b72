# src/dev: the device framework and the legacy PC devices
dev_modules = src/dev/bus src/dev/alloc src/dev/dev src/dev/ignore src/dev/port \
	src/dev/uart src/dev/i8042 src/dev/rtc src/dev/acpi_pm src/dev/pci src/dev/term \
	src/dev/ivshmem src/dev/msix
# The console on a pty (tty = true, run --detach).
dev_modules += src/dev/pty
libvmboot_a_SOURCES += $(dev_modules:=.c) $(dev_modules:=.h) \
	src/dev/irq.h src/dev/placement.h
