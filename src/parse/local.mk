include src/parse/frontend.mk
libvmboot_a_SOURCES += \
	src/parse/desc.c src/parse/desc.h \
	src/parse/schema.c src/parse/schema.h \
	src/parse/convert.c src/parse/validate.c
