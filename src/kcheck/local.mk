# kernel-check: a kernel's configuration and what vmboot needs from it.
# gzip (zlib) and xz (liblzma) decode bzImage payloads, IKCONFIG and modules;
# zstd and lz4 are optional (configure --without-zstd / --without-lz4), with
# a stub in their place that reports "not built in" (codec.h).
kcheck_modules = src/kcheck/kconfig src/kcheck/extract src/kcheck/unpack src/kcheck/sink
libvmboot_a_SOURCES += $(kcheck_modules:=.c) $(kcheck_modules:=.h) src/kcheck/codec.h
if HAVE_ZSTD
libvmboot_a_SOURCES += src/kcheck/unzstd.c
else
libvmboot_a_SOURCES += src/kcheck/unzstd_none.c
endif
if HAVE_LZ4
libvmboot_a_SOURCES += src/kcheck/unlz4.c
else
libvmboot_a_SOURCES += src/kcheck/unlz4_none.c
endif
# A library configure left out leaves its variables empty.
AM_CFLAGS += $(ZLIB_CFLAGS) $(LZMA_CFLAGS) $(ZSTD_CFLAGS) $(LZ4_CFLAGS)
VB_LIBS += $(ZLIB_LIBS) $(LZMA_LIBS) $(ZSTD_LIBS) $(LZ4_LIBS)
