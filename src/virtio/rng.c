#include "virtio/rng.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "virtio/device.h"
#include "virtio/virtio.h"

#define RNG_QUEUE_SIZE 256

/* Fill [p, p + n) with random bytes; 0 or -errno. */
static int fill_random(uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

static int serve(struct vb_virtio *v, void *dev, const struct vb_virtq_chain *c,
		 uint32_t *written, struct vb_err *err)
{
	(void)dev;
	/* 5.4.6.1: the device writes into its buffers, it reads none: a
	 * readable buffer is one the device would have to write into. */
	if (c->n_readable || !c->n_writable)
		return vb_err_set(err, EINVAL, "request with a device-readable buffer");
	uint32_t budget = VB_VIRTIO_RNG_MAX_REQUEST_BYTES;
	*written = 0;
	for (unsigned i = 0; i < c->n_writable && budget; i++) {
		struct iovec *iov = &v->iov[c->n_readable + i];
		size_t n = iov->iov_len < budget ? iov->iov_len : budget;
		int r = fill_random(iov->iov_base, n);
		if (r < 0)
			return vb_err_errno(err, -r, "getrandom");
		*written += (uint32_t)n;
		budget -= (uint32_t)n;
	}
	return 0;
}

static int rng_notify(struct vb_virtio *v, void *dev, unsigned q, struct vb_err *err)
{
	return vb_virtio_serve_locked(v, q, dev, serve, err);
}

static const struct vb_virtio_device_ops rng_device = {
	.name = "virtio-rng", .device_id = VB_VIRTIO_ID_RNG,
	.num_queues = 1, .queue_max_size = RNG_QUEUE_SIZE, .queue_notify = rng_notify,
	.state_bytes = sizeof(struct vb_virtio_dev), /* nothing of its own */
};

const struct vb_device_ops vb_virtio_rng_ops = VB_VIRTIO_DEVICE_OPS("rng", &rng_device);

static const struct vb_device_flag rng_flags[] = {
	{ .long_name = "--rng", .help = "add a virtio entropy source" },
};

const struct vb_device_type vb_virtio_rng_type = {
	.name = "rng", .help = "virtio-rng entropy source", .virtio = true, .single = true,
	.flags = rng_flags, .n_flags = VB_COUNT(rng_flags),
	.model = "virtio-rng", .ops = &vb_virtio_rng_ops,
};
