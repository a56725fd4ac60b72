libvmboot_a_SOURCES += \
	src/util/err.c src/util/err.h \
	src/util/diag.c src/util/diag.h \
	src/util/size.c src/util/size.h \
	src/util/io.c src/util/io.h
