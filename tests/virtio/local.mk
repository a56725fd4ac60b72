# tests/virtio: virtqueue core, transports and devices, driven in process
UNIT_TESTS += tests/virtio/test_rng
tests_virtio_test_rng_SOURCES = tests/virtio/test_rng.c tests/virtio/driver.c tests/virtio/driver.h
tests_virtio_test_rng_CFLAGS = $(TEST_CFLAGS)
tests_virtio_test_rng_LDADD = $(TEST_LIBS)
