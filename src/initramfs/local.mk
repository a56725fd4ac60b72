# The in-memory initramfs of the zero-config default: a newc cpio writer,
# modules.dep resolution, and the archive around the static init.
libvmboot_a_SOURCES += \
	src/initramfs/cpio.c src/initramfs/cpio.h \
	src/initramfs/modules.c src/initramfs/modules.h \
	src/initramfs/initramfs.c src/initramfs/initramfs.h
