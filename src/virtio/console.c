#include "virtio/console.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/virtio.h"

#define VB_VIRTIO_ID_CONSOLE 3u

/* 5.3.2: without MULTIPORT, port 0 uses queues 0 (receive) and 1
 * (transmit). */
#define Q_RX 0u
#define Q_TX 1u
#define CONSOLE_QUEUE_SIZE 128
/* 5.3.4: cols, rows (le16), max_nr_ports, emerg_wr (le32). With none of
 * the features that give them meaning, all read as zero. */
#define CFG_BYTES 12u

struct vb_virtio_console {
	struct vb_virtio vio;
	struct vb_virtio_transport_state *transport;
	const struct vb_console *out; /* may be NULL: output dropped */
};

static int tx_notify(struct vb_virtio *v, struct vb_virtio_console *c, struct vb_err *err)
{
	int r;
	struct vb_virtq_chain ch;
	while ((r = vb_virtio_pop_locked(v, Q_TX, &ch, err)) > 0) {
		/* 5.3.6.1: transmit buffers are device-readable only. */
		if (ch.n_writable)
			return vb_err_set(err, EINVAL, "transmit buffer is device-writable");
		for (unsigned i = 0; i < ch.n_readable; i++) {
			const struct iovec *iov = &v->iov[i];
			/* Output is best effort: a closed stdout must not
			 * stop the guest. */
			if (c->out && c->out->write && iov->iov_len)
				(void)c->out->write(c->out->ctx, iov->iov_base, iov->iov_len);
		}
		r = vb_virtio_push_locked(v, Q_TX, ch.head, 0, err);
		if (r < 0)
			return r;
	}
	vb_virtio_signal_locked(v, Q_TX);
	return r;
}

static int console_notify(struct vb_virtio *v, void *dev, unsigned q, struct vb_err *err)
{
	/* New receive buffers need nothing now: the next feed uses them. */
	int r = q == Q_TX ? tx_notify(v, dev, err) : 0;
	return r < 0 ? r : 0;
}

static const struct vb_virtio_device_ops console_device = {
	.name = "virtio-console",
	.device_id = VB_VIRTIO_ID_CONSOLE,
	.num_queues = 2,
	.queue_max_size = CONSOLE_QUEUE_SIZE,
	.config_bytes = CFG_BYTES,
	.queue_notify = console_notify,
};

/* Fill one popped receive chain from buf; returns bytes copied. */
static size_t fill_chain(struct vb_virtio *v, const struct vb_virtq_chain *ch, const uint8_t *buf,
			 size_t n)
{
	size_t done = 0;
	for (unsigned i = 0; i < ch->n_writable && done < n; i++) {
		struct iovec *iov = &v->iov[ch->n_readable + i];
		size_t k = iov->iov_len < n - done ? iov->iov_len : n - done;
		memcpy(iov->iov_base, buf + done, k);
		done += k;
	}
	return done;
}

size_t vb_virtio_console_feed(struct vb_virtio_console *c, const uint8_t *buf, size_t n)
{
	struct vb_virtio *v = &c->vio;
	size_t done = 0;
	pthread_mutex_lock(&v->lock);
	if (!(v->status & VB_VIRTIO_S_DRIVER_OK) || v->broken || !v->queues[Q_RX].enabled) {
		pthread_mutex_unlock(&v->lock);
		return 0;
	}
	struct vb_err err;
	struct vb_virtq_chain ch;
	int r = 0;
	while (done < n && (r = vb_virtio_pop_locked(v, Q_RX, &ch, &err)) > 0) {
		/* 5.3.6.1: receive buffers are device-writable only. */
		if (ch.n_readable) {
			r = vb_err_set(&err, EINVAL, "receive buffer is device-readable");
			break;
		}
		size_t k = fill_chain(v, &ch, buf + done, n - done);
		r = vb_virtio_push_locked(v, Q_RX, ch.head, (uint32_t)k, &err);
		if (r < 0)
			break;
		done += k;
	}
	if (r < 0) {
		char why[VB_ERR_MSG_BYTES + 16];
		snprintf(why, sizeof(why), "queue %u: %s", Q_RX, err.msg);
		vb_virtio_fail_locked(v, why);
	} else {
		vb_virtio_signal_locked(v, Q_RX);
	}
	pthread_mutex_unlock(&v->lock);
	return done;
}

static void console_free(struct vb_virtio_console *c)
{
	vb_virtio_destroy(&c->vio);
	free(c);
}

static int console_attach(struct vb_dev_env *env, const void *config, void **state,
			  struct vb_err *err)
{
	static const struct vb_virtio_placement pc_default = { .name = "console" };
	const struct vb_virtio_placement *p = config ? config : &pc_default;
	struct vb_virtio_console *c = calloc(1, sizeof(*c));
	if (!c)
		return vb_err_errno(err, ENOMEM, "%s", p->name ? p->name : "console");
	c->out = env->console;
	struct vb_irq none = { 0 };
	int r = vb_virtio_init(&c->vio, &console_device, c, p->name, env->mem, none, env->log,
			       env->log_ctx, err);
	if (r < 0) {
		free(c);
		return r;
	}
	r = vb_virtio_transport_attach(env, p, &c->vio, &c->transport, err);
	if (r < 0) {
		console_free(c);
		return r;
	}
	*state = c;
	return 0;
}

static void console_detach(void *state)
{
	struct vb_virtio_console *c = state;
	if (!c)
		return;
	vb_virtio_transport_detach(c->transport);
	console_free(c);
}

const struct vb_device_ops vb_virtio_console_ops = {
	.name = "console",
	.attach = console_attach,
	.detach = console_detach,
};
