libvmboot_a_SOURCES += \
	src/cli/cli.c src/cli/cli.h src/cli/help.c \
	src/cli/options.c src/cli/options.h \
	src/cli/pvm.c src/cli/pvm.h \
	src/cli/service.c src/cli/service.h
