# src/virtio: split virtqueues, the device model, both transports, devices
libvmboot_a_SOURCES += \
	src/virtio/virtq.c src/virtio/virtq.h \
	src/virtio/virtio.c src/virtio/virtio.h \
	src/virtio/transport.c src/virtio/transport.h \
	src/virtio/mmio.c src/virtio/pci.c \
	src/virtio/rng.c src/virtio/rng.h
