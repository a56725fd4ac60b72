libvmboot_a_SOURCES += \
	src/machine/memmap.c src/machine/memmap.h src/machine/guestmem.h \
	src/machine/machine.h src/machine/resolve.c src/machine/plan.c \
	src/machine/load.c src/machine/load.h
include src/machine/kvm.mk
libvmboot_a_SOURCES += src/machine/vm.c src/machine/vm.h
libvmboot_a_SOURCES += src/machine/ioevent.c src/machine/ioevent.h
