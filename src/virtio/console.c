#include "virtio/console.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/device.h"
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
	struct vb_virtio_dev vdev;
	const struct vb_console *out; /* may be NULL: output dropped */
};

/* One transmit buffer, written to the console. */
static int transmit(struct vb_virtio *v, void *dev, const struct vb_virtq_chain *ch,
		    uint32_t *written, struct vb_err *err)
{
	struct vb_virtio_console *c = dev;
	(void)written; /* nothing: the buffers are the guest's output */
	/* 5.3.6.1: transmit buffers are device-readable only. */
	if (ch->n_writable)
		return vb_err_set(err, EINVAL, "transmit buffer is device-writable");
	for (unsigned i = 0; i < ch->n_readable; i++) {
		const struct iovec *iov = &v->iov[i];
		/* Output is best effort: a closed stdout must not stop the
		 * guest. */
		if (c->out && c->out->write && iov->iov_len)
			(void)c->out->write(c->out->ctx, iov->iov_base, iov->iov_len);
	}
	return 0;
}

static int console_notify(struct vb_virtio *v, void *dev, unsigned q, struct vb_err *err)
{
	/* New receive buffers need nothing now: the next feed uses them. */
	return q == Q_TX ? vb_virtio_serve_locked(v, Q_TX, dev, transmit, err) : 0;
}

static int console_setup(struct vb_virtio_dev *d, struct vb_virtio_setup *s, struct vb_err *err)
{
	(void)err;
	((struct vb_virtio_console *)d)->out = s->env->console;
	return 0;
}

static const struct vb_virtio_device_ops console_device = {
	.name = "virtio-console", .device_id = VB_VIRTIO_ID_CONSOLE,
	.num_queues = 2, .queue_max_size = CONSOLE_QUEUE_SIZE, .config_bytes = CFG_BYTES,
	.queue_notify = console_notify,
	.state_bytes = sizeof(struct vb_virtio_console), .setup = console_setup,
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
	struct vb_virtio *v = &c->vdev.vio;
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

const struct vb_device_ops vb_virtio_console_ops = VB_VIRTIO_DEVICE_OPS("console", &console_device);

/* A console device is where the guest console goes (the builder feeds it
 * the terminal): with the console on the UART or nowhere it would be a
 * second, silent console, which is never what the file meant. */
static void console_validate(const struct vb_machine_desc *m, size_t i, struct vb_diags *diags)
{
	if (m->console != VB_CONSOLE_VIRTIO)
		vb_diag_error(diags, m->devices[i].loc,
			      "devices[%zu]: a console device carries the guest console: set console = \"virtio\" (now \"%s\")",
			      i, vb_console_name(m->console));
}

const struct vb_device_type vb_virtio_console_type = {
	.name = "console",
	.help = "virtio-console carrying the guest console (hvc0); needs console = \"virtio\"",
	.virtio = true, .single = true, .validate = console_validate,
	.model = "virtio-console", .guest_console = true, .ops = &vb_virtio_console_ops,
};
