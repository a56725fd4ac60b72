include src/parse/frontend.mk
libvmboot_a_SOURCES += \
	src/parse/desc.c src/parse/desc.h \
	src/parse/schema.c src/parse/schema.h \
	src/parse/schema_json.c src/parse/schema_json.h \
	src/parse/convert.c src/parse/validate.c \
	src/parse/files.c
