# tests/initramfs: the cpio writer read back, module resolution on a fake
# modules tree, the whole archive, and the pure parts of the guest's init.
UNIT_TESTS += tests/initramfs/test_cpio tests/initramfs/test_modules \
	tests/initramfs/test_guestinit
tests_initramfs_test_cpio_SOURCES = tests/initramfs/test_cpio.c
tests_initramfs_test_cpio_CFLAGS = $(TEST_CFLAGS)
tests_initramfs_test_cpio_LDADD = $(TEST_LIBS)
tests_initramfs_test_modules_SOURCES = tests/initramfs/test_modules.c
tests_initramfs_test_modules_CFLAGS = $(TEST_CFLAGS)
tests_initramfs_test_modules_LDADD = $(TEST_LIBS)
# ginit.c runs in the guest and is not part of libvmboot: compile it in.
tests_initramfs_test_guestinit_SOURCES = tests/initramfs/test_guestinit.c \
	src/guestinit/ginit.c src/guestinit/ginit.h
tests_initramfs_test_guestinit_CFLAGS = $(TEST_CFLAGS)
tests_initramfs_test_guestinit_LDADD = $(TEST_LIBS)
