# The ground floor above util/: guest memory and the guest-physical memory
# map. Everything that touches guest RAM (parse's size checks, machine,
# arch/x86, dev, virtio) may include these; they include only util/.
libvmboot_a_SOURCES += \
	src/mem/memmap.c src/mem/memmap.h src/mem/guestmem.h
