# kernel-check: a kernel's configuration and what vmboot needs from it.
# gzip (zlib) and xz (liblzma) decode bzImage payloads, IKCONFIG and modules.
libvmboot_a_SOURCES += \
	src/kcheck/kconfig.c src/kcheck/kconfig.h \
	src/kcheck/extract.c src/kcheck/extract.h \
	src/kcheck/unpack.c src/kcheck/unpack.h
AM_CFLAGS += $(ZLIB_CFLAGS) $(LZMA_CFLAGS)
VB_LIBS += $(ZLIB_LIBS) $(LZMA_LIBS)
