# src/virtio: split virtqueues, the device model, both transports, devices
libvmboot_a_SOURCES += \
	src/virtio/virtq.c src/virtio/virtq.h \
	src/virtio/virtio.c src/virtio/virtio.h \
	src/virtio/transport.c src/virtio/transport.h \
	src/virtio/doorbell.c src/virtio/doorbell.h \
	src/virtio/mmio.c src/virtio/pci.c \
	src/virtio/rng.c src/virtio/rng.h
# The attach and detach every virtio device shares.
libvmboot_a_SOURCES += src/virtio/device.c src/virtio/device.h
libvmboot_a_SOURCES += src/virtio/console.c src/virtio/console.h
libvmboot_a_SOURCES += src/virtio/balloon.c src/virtio/balloon.h
libvmboot_a_SOURCES += src/virtio/blk.c src/virtio/blk_disk.c src/virtio/blk.h
libvmboot_a_SOURCES += src/virtio/9p.c src/virtio/9p.h
# The vhost backend: queues served by the host kernel (vhost.h).
libvmboot_a_SOURCES += src/virtio/vhost.c src/virtio/vhost.h
libvmboot_a_SOURCES += src/virtio/vsock.c

# virtio-net and its backends (src/net: tap, sockets; user mode is a
# client of the vmboot-net helper, src/netd, which alone links libslirp)
libvmboot_a_SOURCES += \
	src/virtio/net.c src/virtio/net.h \
	src/net/backend.c src/net/backend.h src/net/fdio.c src/net/fdio.h \
	src/net/sock.c src/net/tap.c
