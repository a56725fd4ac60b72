# src/dev: the device framework and the legacy PC devices
libvmboot_a_SOURCES += \
	src/dev/irq.h \
	src/dev/bus.c src/dev/bus.h \
	src/dev/alloc.c src/dev/alloc.h \
	src/dev/dev.c src/dev/dev.h src/dev/placement.h \
	src/dev/ignore.c src/dev/ignore.h \
	src/dev/port.c src/dev/port.h \
	src/dev/uart.c src/dev/uart.h \
	src/dev/i8042.c src/dev/i8042.h \
	src/dev/rtc.c src/dev/rtc.h \
	src/dev/pci.c src/dev/pci.h \
	src/dev/term.c src/dev/term.h
libvmboot_a_SOURCES += src/dev/ivshmem.c src/dev/ivshmem.h
# The console on a pty (tty = true, run --detach).
libvmboot_a_SOURCES += src/dev/pty.c src/dev/pty.h
