# Front ends: node tree, libconfig, YAML, file reading
libvmboot_a_SOURCES += \
	src/parse/node.c src/parse/node.h \
	src/parse/conf.c \
	src/parse/yaml.c \
	src/parse/file.c

# Fuzz targets are built by fuzz/run (clang, libFuzzer), not by make.
EXTRA_DIST += fuzz/run fuzz/fuzz_conf.c fuzz/fuzz_yaml.c fuzz/lsan-conf.supp fuzz/corpus
