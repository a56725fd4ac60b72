# tests/virtio: virtqueue core, transports and devices, driven in process
UNIT_TESTS += tests/virtio/test_rng
tests_virtio_test_rng_SOURCES = tests/virtio/test_rng.c tests/virtio/driver.c tests/virtio/driver.h
tests_virtio_test_rng_CFLAGS = $(TEST_CFLAGS)
tests_virtio_test_rng_LDADD = $(TEST_LIBS)

# test_device: the attach and detach every virtio device shares
# (virtio/device.h), with a device that counts its hooks.
UNIT_TESTS += tests/virtio/test_device
tests_virtio_test_device_SOURCES = tests/virtio/test_device.c tests/virtio/driver.c tests/virtio/driver.h
tests_virtio_test_device_CFLAGS = $(TEST_CFLAGS)
tests_virtio_test_device_LDADD = $(TEST_LIBS)

UNIT_TESTS += tests/virtio/test_9p
tests_virtio_test_9p_SOURCES = tests/virtio/test_9p.c tests/virtio/driver.c tests/virtio/driver.h
tests_virtio_test_9p_CFLAGS = $(TEST_CFLAGS)
tests_virtio_test_9p_LDADD = $(TEST_LIBS)
UNIT_TESTS += tests/virtio/test_blk
tests_virtio_test_blk_SOURCES = tests/virtio/test_blk.c tests/virtio/driver.c tests/virtio/driver.h
tests_virtio_test_blk_CFLAGS = $(TEST_CFLAGS)
tests_virtio_test_blk_LDADD = $(TEST_LIBS)

# test_blk_uring: a disk's requests in flight through io_uring, driven
# with a hand-run I/O event service (machine/ioevent.h); multiqueue; the
# ring's restrictions; the preadv/pwritev fallback.
UNIT_TESTS += tests/virtio/test_blk_uring
tests_virtio_test_blk_uring_SOURCES = tests/virtio/test_blk_uring.c tests/virtio/driver.c \
	tests/virtio/driver.h
tests_virtio_test_blk_uring_CFLAGS = $(TEST_CFLAGS)
tests_virtio_test_blk_uring_LDADD = $(TEST_LIBS)

UNIT_TESTS += tests/virtio/test_net
tests_virtio_test_net_SOURCES = tests/virtio/test_net.c tests/virtio/driver.c tests/virtio/driver.h
tests_virtio_test_net_CFLAGS = $(TEST_CFLAGS)
tests_virtio_test_net_LDADD = $(TEST_LIBS)

UNIT_TESTS += tests/net/test_backend
tests_net_test_backend_SOURCES = tests/net/test_backend.c
tests_net_test_backend_CFLAGS = $(TEST_CFLAGS)
tests_net_test_backend_LDADD = $(TEST_LIBS)

UNIT_TESTS += tests/virtio/test_console
tests_virtio_test_console_SOURCES = tests/virtio/test_console.c tests/virtio/driver.c tests/virtio/driver.h
tests_virtio_test_console_CFLAGS = $(TEST_CFLAGS)
tests_virtio_test_console_LDADD = $(TEST_LIBS)

UNIT_TESTS += tests/virtio/test_balloon
tests_virtio_test_balloon_SOURCES = tests/virtio/test_balloon.c tests/virtio/driver.c tests/virtio/driver.h
tests_virtio_test_balloon_CFLAGS = $(TEST_CFLAGS)
tests_virtio_test_balloon_LDADD = $(TEST_LIBS)
# test_vhost: the vhost backend with a fake kernel (memory table, ring
# checks, messages, a two-queue device over both transports);
# test_vhost_host: the real /dev/vhost-vsock where there is one (else 77).
UNIT_TESTS += tests/virtio/test_vhost tests/virtio/test_vhost_host
tests_virtio_test_vhost_SOURCES = tests/virtio/test_vhost.c tests/virtio/driver.c tests/virtio/driver.h
tests_virtio_test_vhost_CFLAGS = $(TEST_CFLAGS)
tests_virtio_test_vhost_LDADD = $(TEST_LIBS)
tests_virtio_test_vhost_host_SOURCES = tests/virtio/test_vhost_host.c
tests_virtio_test_vhost_host_CFLAGS = $(TEST_CFLAGS)
tests_virtio_test_vhost_host_LDADD = $(TEST_LIBS)
# test_vsock: virtio-vsock through the registry on a fake vhost-vsock.
UNIT_TESTS += tests/virtio/test_vsock
tests_virtio_test_vsock_SOURCES = tests/virtio/test_vsock.c tests/virtio/driver.c tests/virtio/driver.h
tests_virtio_test_vsock_CFLAGS = $(TEST_CFLAGS)
tests_virtio_test_vsock_LDADD = $(TEST_LIBS)
# test_vhost_net: a tap NIC on a fake vhost-net (virtio/vhost_net.h), the
# fallback to vmboot's own path, a hostile driver, the `vhost` key.
UNIT_TESTS += tests/virtio/test_vhost_net
tests_virtio_test_vhost_net_SOURCES = tests/virtio/test_vhost_net.c tests/virtio/driver.c \
	tests/virtio/driver.h
tests_virtio_test_vhost_net_CFLAGS = $(TEST_CFLAGS)
tests_virtio_test_vhost_net_LDADD = $(TEST_LIBS)
# test_blk_lock: the image locks of a disk (QEMU's lock bytes, flock)
# against a second disk and stand-ins for QEMU, no KVM. blk_hold holds an
# image as a disk does, for test_disk_locks.sh: the same against a real
# qemu-io (skipped without qemu-utils).
UNIT_TESTS += tests/virtio/test_blk_lock
tests_virtio_test_blk_lock_SOURCES = tests/virtio/test_blk_lock.c
tests_virtio_test_blk_lock_CFLAGS = $(TEST_CFLAGS)
tests_virtio_test_blk_lock_LDADD = $(TEST_LIBS)
check_PROGRAMS += tests/virtio/blk_hold
tests_virtio_blk_hold_SOURCES = tests/virtio/blk_hold.c
tests_virtio_blk_hold_LDADD = $(VB_LIBS)
TESTS += tests/virtio/test_disk_locks.sh
EXTRA_DIST += tests/virtio/test_disk_locks.sh
# test_pci_msix: virtio-pci's MSI-X on fake MSI routes (tests/dev/fakes.h),
# a hostile driver included.
UNIT_TESTS += tests/virtio/test_pci_msix
tests_virtio_test_pci_msix_SOURCES = tests/virtio/test_pci_msix.c tests/virtio/driver.c \
	tests/virtio/driver.h
tests_virtio_test_pci_msix_CFLAGS = $(TEST_CFLAGS)
tests_virtio_test_pci_msix_LDADD = $(TEST_LIBS)
# test_exits_at_once: a driver's requests on each transport while other
# threads race its selector registers, as other vCPUs of a guest may.
UNIT_TESTS += tests/virtio/test_exits_at_once
RACE_TESTS += tests/virtio/test_exits_at_once
tests_virtio_test_exits_at_once_SOURCES = tests/virtio/test_exits_at_once.c \
	tests/virtio/driver.c tests/virtio/driver.h
tests_virtio_test_exits_at_once_CFLAGS = $(TEST_CFLAGS)
tests_virtio_test_exits_at_once_LDADD = $(TEST_LIBS)
