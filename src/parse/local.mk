include src/parse/frontend.mk
libvmboot_a_SOURCES += \
	src/parse/desc.c src/parse/desc.h \
	src/parse/schema.c src/parse/schema.h \
	src/parse/schema_json.c src/parse/schema_json.h \
	src/parse/convert.c src/parse/validate.c \
	src/parse/files.c \
	src/parse/merge.c src/parse/merge.h
# Device type descriptors (each device's file defines its own; the
# registry, machine/registry.c, lists them).
libvmboot_a_SOURCES += src/parse/devtype.c src/parse/devtype.h
