libvmboot_a_SOURCES += \
	src/machine/memmap.c src/machine/memmap.h src/machine/guestmem.h
include src/machine/kvm.mk
