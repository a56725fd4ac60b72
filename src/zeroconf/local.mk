# The zero-config default of `vmboot run`: the host kernel, the in-memory
# initramfs, the host share, the guest command and its status line.
libvmboot_a_SOURCES += \
	src/zeroconf/host.c src/zeroconf/cmd.c src/zeroconf/status.c \
	src/zeroconf/zeroconf.h
