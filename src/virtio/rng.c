#include "virtio/rng.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "virtio/virtio.h"

#define RNG_QUEUE_SIZE 256

struct rng {
	struct vb_virtio vio;
	struct vb_virtio_transport_state *transport;
};

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

static int serve(struct vb_virtio *v, const struct vb_virtq_chain *c, uint32_t *written,
		 struct vb_err *err)
{
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
	(void)dev;
	int r;
	struct vb_virtq_chain c;
	while ((r = vb_virtio_pop_locked(v, q, &c, err)) > 0) {
		uint32_t written = 0;
		r = serve(v, &c, &written, err);
		if (!r)
			r = vb_virtio_push_locked(v, q, c.head, written, err);
		if (r < 0)
			break;
	}
	vb_virtio_signal_locked(v, q);
	return r < 0 ? r : 0;
}

static const struct vb_virtio_device_ops rng_device = {
	.name = "virtio-rng",
	.device_id = VB_VIRTIO_ID_RNG,
	.num_queues = 1,
	.queue_max_size = RNG_QUEUE_SIZE,
	.queue_notify = rng_notify,
};

static void rng_free(struct rng *rng)
{
	vb_virtio_destroy(&rng->vio);
	free(rng);
}

static int rng_attach(struct vb_dev_env *env, const void *config, void **state,
		      struct vb_err *err)
{
	/* No placement: the PC default, PCI in the first free slot. */
	static const struct vb_virtio_placement pc_default = { .name = "rng" };
	const struct vb_virtio_placement *p = config ? config : &pc_default;
	struct rng *rng = calloc(1, sizeof(*rng));
	if (!rng)
		return vb_err_errno(err, ENOMEM, "%s", p->name ? p->name : "rng");
	struct vb_irq none = { 0 };
	int r = vb_virtio_init(&rng->vio, &rng_device, rng, p->name, env->mem, none, env->log,
			       env->log_ctx, err);
	if (r < 0) {
		free(rng);
		return r;
	}
	r = vb_virtio_transport_attach(env, p, &rng->vio, &rng->transport, err);
	if (r < 0) {
		rng_free(rng);
		return r;
	}
	*state = rng;
	return 0;
}

static void rng_detach(void *state)
{
	struct rng *rng = state;
	if (!rng)
		return;
	vb_virtio_transport_detach(rng->transport);
	rng_free(rng);
}

const struct vb_device_ops vb_virtio_rng_ops = {
	.name = "rng",
	.attach = rng_attach,
	.detach = rng_detach,
};
