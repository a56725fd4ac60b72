# The in-memory initramfs of the zero-config default: a newc cpio writer,
# modules.dep resolution, and the archive around the static init.
initramfs_modules = src/initramfs/cpio src/initramfs/modules src/initramfs/initramfs
libvmboot_a_SOURCES += $(initramfs_modules:=.c) $(initramfs_modules:=.h)
