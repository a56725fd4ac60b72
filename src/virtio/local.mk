# src/virtio: split virtqueues, the device model, both transports, devices
virtio_modules = src/virtio/virtq src/virtio/virtio src/virtio/transport \
	src/virtio/doorbell src/virtio/rng
# The attach and detach every virtio device shares.
virtio_modules += src/virtio/device
virtio_modules += src/virtio/console src/virtio/balloon src/virtio/blk src/virtio/9p
# A disk's io_uring, locked down to its image (blk_uring.h).
virtio_modules += src/virtio/blk_uring
AM_CFLAGS += $(URING_CFLAGS)
VB_LIBS += $(URING_LIBS)
# The vhost backend: queues served by the host kernel (vhost.h).
virtio_modules += src/virtio/vhost
# Files without a header of their own: the transports (transport.h), a
# disk's image (blk.h), vsock (only its device type, parse/devtype.h).
libvmboot_a_SOURCES += $(virtio_modules:=.c) $(virtio_modules:=.h) \
	src/virtio/mmio.c src/virtio/pci.c src/virtio/blk_disk.c src/virtio/vsock.c

# virtio-net and its backends (src/net: tap, sockets; user mode is a
# client of the vmboot-net helper, src/netd, which alone links libslirp)
net_modules = src/virtio/net src/net/backend src/net/fdio
# A tap NIC's queues in the host kernel (vhost_net.h).
net_modules += src/virtio/vhost_net
libvmboot_a_SOURCES += $(net_modules:=.c) $(net_modules:=.h) src/net/sock.c src/net/tap.c
