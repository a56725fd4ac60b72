#include "virtio/net.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "parse/desc.h"

#define BIT(n) (1ULL << (n))
/* Frames moved per queue per wakeup, so one busy direction cannot starve
 * the other. */
#define NET_BATCH 256
/* Config space (5.1.4): mac[6], status (le16). */
#define NET_CONFIG_BYTES 8u
#define NET_S_LINK_UP 1u

struct net {
	struct vb_virtio vio;
	struct vb_virtio_transport_state *transport;
	struct vb_net_backend *be;
	uint8_t config[NET_CONFIG_BYTES];
	int evfd;
	pthread_t thread;
	bool thread_started;
	atomic_bool stop;
	uint8_t *txbuf; /* VB_NET_FRAME_MAX_BYTES; I/O thread only */
	struct vb_virtio_net_stats stats; /* under vio.lock */
};

static const uint64_t offload_features =
	BIT(VB_VIRTIO_NET_F_CSUM) | BIT(VB_VIRTIO_NET_F_GUEST_CSUM) |
	BIT(VB_VIRTIO_NET_F_GUEST_TSO4) | BIT(VB_VIRTIO_NET_F_GUEST_TSO6) |
	BIT(VB_VIRTIO_NET_F_GUEST_ECN) | BIT(VB_VIRTIO_NET_F_HOST_TSO4) |
	BIT(VB_VIRTIO_NET_F_HOST_TSO6) | BIT(VB_VIRTIO_NET_F_HOST_ECN);

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void kick(struct net *n)
{
	uint64_t one = 1;
	/* Only fails when the counter would overflow: then it is non-zero
	 * and the thread wakes anyway. */
	ssize_t r = write(n->evfd, &one, sizeof(one));
	(void)r;
}

static bool has(const struct vb_virtio *v, unsigned bit)
{
	return v->driver_features & BIT(bit);
}

static bool running_locked(const struct vb_virtio *v, unsigned q)
{
	return (v->status & VB_VIRTIO_S_DRIVER_OK) && !v->broken && v->queues[q].enabled;
}

/* ---- vCPU side: notifications only wake the I/O thread ---- */

static int net_notify(struct vb_virtio *v, void *dev, unsigned q, struct vb_err *err)
{
	(void)v;
	(void)q;
	(void)err;
	kick(dev);
	return 0;
}

static void net_config_read(void *dev, uint32_t off, uint8_t *data, uint32_t size)
{
	struct net *n = dev;
	memcpy(data, n->config + off, size);
}

static void net_reset(void *dev)
{
	/* Nothing is held across calls; the thread re-reads the (now empty)
	 * feature set and withdraws offloads from the backend. */
	kick(dev);
}

/* ---- transmit: guest -> backend ---- */

/* Is the header one the negotiated features allow (5.1.6.2)? */
static bool tx_header_ok(const struct vb_virtio *v, const uint8_t *f, size_t len)
{
	uint8_t flags = f[0], gso = f[1];
	if (flags & ~VB_NET_HDR_F_NEEDS_CSUM)
		return false;
	if (flags & VB_NET_HDR_F_NEEDS_CSUM) {
		uint32_t start = le16(f + 6), offset = le16(f + 8);
		if (!has(v, VB_VIRTIO_NET_F_CSUM) ||
		    VB_NET_HDR_BYTES + start + offset + 2 > len)
			return false;
	}
	uint8_t type = gso & (uint8_t)~VB_NET_HDR_GSO_ECN;
	if (type == VB_NET_HDR_GSO_NONE)
		return !(gso & VB_NET_HDR_GSO_ECN);
	if ((gso & VB_NET_HDR_GSO_ECN) && !has(v, VB_VIRTIO_NET_F_HOST_ECN))
		return false;
	/* Segmentation needs the checksum offload and a segment size. */
	if (!(flags & VB_NET_HDR_F_NEEDS_CSUM) || le16(f + 4) == 0)
		return false;
	if (type == VB_NET_HDR_GSO_TCPV4)
		return has(v, VB_VIRTIO_NET_F_HOST_TSO4);
	if (type == VB_NET_HDR_GSO_TCPV6)
		return has(v, VB_VIRTIO_NET_F_HOST_TSO6);
	return false;
}

/* Pop one transmit chain and copy it to n->txbuf. Returns 1 with *len
 * set (0: the frame is dropped), 0 when the queue is empty, or -errno
 * for a violation (the device is failed). */
static int tx_pop_locked(struct net *n, size_t *len)
{
	struct vb_virtio *v = &n->vio;
	struct vb_virtq_chain c;
	struct vb_err err = { 0 };
	if (!running_locked(v, VB_VIRTIO_NET_TXQ))
		return 0;
	int r = vb_virtio_pop_locked(v, VB_VIRTIO_NET_TXQ, &c, &err);
	if (r <= 0) {
		if (r < 0)
			vb_virtio_fail_locked(v, err.msg);
		return r;
	}
	/* 5.1.6.2: the driver sends header and packet in device-readable
	 * buffers only. */
	if (c.n_writable || c.readable_bytes < VB_NET_HDR_BYTES) {
		vb_virtio_fail_locked(v, c.n_writable ? "transmit chain with a device-writable buffer"
						      : "transmit chain shorter than the header");
		return -EINVAL;
	}
	*len = 0;
	if (c.readable_bytes <= VB_NET_FRAME_MAX_BYTES) {
		size_t at = 0;
		for (unsigned i = 0; i < c.n_readable; i++) {
			memcpy(n->txbuf + at, v->iov[i].iov_base, v->iov[i].iov_len);
			at += v->iov[i].iov_len;
		}
		/* The header was copied out of guest memory before the check,
		 * so the guest cannot change it under us. */
		if (at >= VB_NET_HDR_BYTES + VB_NET_ETH_HDR_BYTES && tx_header_ok(v, n->txbuf, at))
			*len = at;
	}
	if (!*len)
		n->stats.tx_dropped++;
	/* The device writes nothing into a transmit buffer. */
	r = vb_virtio_push_locked(v, VB_VIRTIO_NET_TXQ, c.head, 0, &err);
	if (r < 0) {
		vb_virtio_fail_locked(v, err.msg);
		return r;
	}
	return 1;
}

static void tx_run(struct net *n)
{
	struct vb_virtio *v = &n->vio;
	for (unsigned i = 0; i < NET_BATCH; i++) {
		size_t len = 0;
		pthread_mutex_lock(&v->lock);
		int r = tx_pop_locked(n, &len);
		if (r <= 0) {
			/* Ask to be notified again; a chain that slipped in
			 * meanwhile is taken in this round. */
			bool more = r == 0 && running_locked(v, VB_VIRTIO_NET_TXQ) &&
				    vb_virtq_set_notify(&v->queues[VB_VIRTIO_NET_TXQ], false);
			vb_virtio_signal_locked(v, VB_VIRTIO_NET_TXQ);
			pthread_mutex_unlock(&v->lock);
			if (more)
				continue;
			return;
		}
		pthread_mutex_unlock(&v->lock);
		if (!len)
			continue;
		/* num_buffers is receive-only (5.1.6). */
		n->txbuf[10] = n->txbuf[11] = 0;
		int sr = n->be->ops->send(n->be, n->txbuf, len);
		pthread_mutex_lock(&v->lock);
		if (sr < 0)
			n->stats.tx_dropped++;
		else
			n->stats.tx_frames++;
		pthread_mutex_unlock(&v->lock);
	}
	/* Budget used up: come back after polling the backend. */
	pthread_mutex_lock(&v->lock);
	vb_virtio_signal_locked(v, VB_VIRTIO_NET_TXQ);
	pthread_mutex_unlock(&v->lock);
	kick(n);
}

/* ---- receive: backend -> guest ---- */

static bool rx_ready(void *ctx)
{
	struct net *n = ctx;
	struct vb_virtio *v = &n->vio;
	pthread_mutex_lock(&v->lock);
	/* Asking for a notification and checking for buffers in one step:
	 * if none is there, the driver's next kick wakes the thread. */
	bool ok = running_locked(v, VB_VIRTIO_NET_RXQ) &&
		  vb_virtq_set_notify(&v->queues[VB_VIRTIO_NET_RXQ], false);
	pthread_mutex_unlock(&v->lock);
	return ok;
}

/* May the guest see this header, given what it accepted (5.1.6.4)? */
static bool rx_header_ok(const struct vb_virtio *v, const uint8_t *f)
{
	uint8_t type = f[1] & (uint8_t)~VB_NET_HDR_GSO_ECN;
	if ((f[0] & VB_NET_HDR_F_NEEDS_CSUM) && !has(v, VB_VIRTIO_NET_F_GUEST_CSUM))
		return false;
	if ((f[1] & VB_NET_HDR_GSO_ECN) && !has(v, VB_VIRTIO_NET_F_GUEST_ECN))
		return false;
	if (type == VB_NET_HDR_GSO_NONE)
		return true;
	if (type == VB_NET_HDR_GSO_TCPV4)
		return has(v, VB_VIRTIO_NET_F_GUEST_TSO4);
	if (type == VB_NET_HDR_GSO_TCPV6)
		return has(v, VB_VIRTIO_NET_F_GUEST_TSO6);
	return false;
}

static void rx_deliver_locked(struct net *n, const uint8_t *frame, size_t len)
{
	struct vb_virtio *v = &n->vio;
	struct vb_virtq_chain c;
	struct vb_err err = { 0 };
	if (len < VB_NET_HDR_BYTES + VB_NET_ETH_HDR_BYTES || !rx_header_ok(v, frame) ||
	    !running_locked(v, VB_VIRTIO_NET_RXQ)) {
		n->stats.rx_dropped++;
		return;
	}
	int r = vb_virtio_pop_locked(v, VB_VIRTIO_NET_RXQ, &c, &err);
	if (r <= 0) {
		if (r < 0)
			vb_virtio_fail_locked(v, err.msg);
		n->stats.rx_dropped++;
		return;
	}
	/* 5.1.6.3: receive buffers are device-writable only. */
	if (c.n_readable) {
		vb_virtio_fail_locked(v, "receive chain with a device-readable buffer");
		n->stats.rx_dropped++;
		return;
	}
	uint32_t written = 0;
	if (c.writable_bytes >= len) {
		size_t at = 0;
		for (unsigned i = 0; i < c.n_writable && at < len; i++) {
			struct iovec *iov = &v->iov[i];
			size_t k = len - at < iov->iov_len ? len - at : iov->iov_len;
			memcpy(iov->iov_base, frame + at, k);
			/* num_buffers (bytes 10-11) is 1 without MRG_RXBUF. */
			if (at <= 10 && at + k >= 12) {
				((uint8_t *)iov->iov_base)[10 - at] = 1;
				((uint8_t *)iov->iov_base)[11 - at] = 0;
			}
			at += k;
		}
		written = (uint32_t)len;
		n->stats.rx_frames++;
	} else {
		/* A buffer too small for the frame: the guest sees a zero-length
		 * completion and recycles it; the frame is lost. */
		n->stats.rx_dropped++;
	}
	r = vb_virtio_push_locked(v, VB_VIRTIO_NET_RXQ, c.head, written, &err);
	if (r < 0) {
		vb_virtio_fail_locked(v, err.msg);
		return;
	}
	vb_virtio_signal_locked(v, VB_VIRTIO_NET_RXQ);
}

static void rx_deliver(void *ctx, const uint8_t *frame, size_t len)
{
	struct net *n = ctx;
	pthread_mutex_lock(&n->vio.lock);
	rx_deliver_locked(n, frame, len);
	pthread_mutex_unlock(&n->vio.lock);
}

/* ---- the I/O thread ---- */

/* The offloads the guest can take, once its driver runs (5.1.6.4). */
static unsigned wanted_offloads_locked(const struct vb_virtio *v)
{
	if (!(v->status & VB_VIRTIO_S_DRIVER_OK))
		return 0;
	unsigned o = 0;
	if (has(v, VB_VIRTIO_NET_F_GUEST_CSUM))
		o |= VB_NET_OFFLOAD_CSUM;
	if (o && has(v, VB_VIRTIO_NET_F_GUEST_TSO4))
		o |= VB_NET_OFFLOAD_TSO4;
	if (o && has(v, VB_VIRTIO_NET_F_GUEST_TSO6))
		o |= VB_NET_OFFLOAD_TSO6;
	if ((o & (VB_NET_OFFLOAD_TSO4 | VB_NET_OFFLOAD_TSO6)) && has(v, VB_VIRTIO_NET_F_GUEST_ECN))
		o |= VB_NET_OFFLOAD_TSO_ECN;
	return o;
}

static void sync_offloads(struct net *n)
{
	if (!n->be->ops->set_offload)
		return;
	pthread_mutex_lock(&n->vio.lock);
	unsigned want = wanted_offloads_locked(&n->vio);
	bool change = want != n->stats.offloads;
	pthread_mutex_unlock(&n->vio.lock);
	if (!change || n->be->ops->set_offload(n->be, want) < 0)
		return;
	pthread_mutex_lock(&n->vio.lock);
	n->stats.offloads = want;
	pthread_mutex_unlock(&n->vio.lock);
}

static void *io_thread(void *arg)
{
	struct net *n = arg;
	struct vb_net_pollset set = { 0 };
	while (!atomic_load(&n->stop)) {
		sync_offloads(n);
		tx_run(n);
		set.n = 0;
		int timeout = -1;
		if (vb_net_pollset_add(&set, n->evfd, POLLIN) < 0 ||
		    n->be->ops->poll_prepare(n->be, &set, rx_ready(n), &timeout) < 0) {
			/* Out of memory: retry shortly rather than spin. */
			poll(NULL, 0, 10);
			continue;
		}
		int r = poll(set.fds, set.n, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (set.fds[0].revents & POLLIN) {
			uint64_t cnt;
			ssize_t got = read(n->evfd, &cnt, sizeof(cnt));
			(void)got;
		}
		if (atomic_load(&n->stop))
			break;
		n->be->ops->poll_dispatch(n->be, &set);
	}
	vb_net_pollset_free(&set);
	return NULL;
}

/* ---- attach/detach ---- */

static const struct vb_virtio_device_ops net_plain = {
	.name = "virtio-net",
	.device_id = VB_VIRTIO_ID_NET,
	.features = BIT(VB_VIRTIO_NET_F_MAC) | BIT(VB_VIRTIO_NET_F_STATUS),
	.num_queues = 2,
	.queue_max_size = VB_VIRTIO_NET_QUEUE_SIZE,
	.config_bytes = NET_CONFIG_BYTES,
	.config_read = net_config_read,
	.queue_notify = net_notify,
	.reset = net_reset,
};

/* Same device with the offloads: a separate const table because the
 * features of an ops table are fixed (virtio.h). */
static const struct vb_virtio_device_ops net_offload = {
	.name = "virtio-net",
	.device_id = VB_VIRTIO_ID_NET,
	.features = BIT(VB_VIRTIO_NET_F_MAC) | BIT(VB_VIRTIO_NET_F_STATUS) | offload_features,
	.num_queues = 2,
	.queue_max_size = VB_VIRTIO_NET_QUEUE_SIZE,
	.config_bytes = NET_CONFIG_BYTES,
	.config_read = net_config_read,
	.queue_notify = net_notify,
	.reset = net_reset,
};

void vb_virtio_net_mac_generate(const char *machine_name, const char *nic_name, uint8_t mac[6])
{
	/* FNV-1a, 64 bit (offset basis and prime from the FNV reference). */
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *parts[2] = { machine_name ? machine_name : "", nic_name ? nic_name : "" };
	for (int p = 0; p < 2; p++) {
		for (const char *s = parts[p]; *s; s++) {
			h ^= (uint8_t)*s;
			h *= 0x100000001b3ULL;
		}
		h ^= 0xffu; /* separator: ("ab","c") != ("a","bc") */
		h *= 0x100000001b3ULL;
	}
	/* FNV-1a barely stirs its high bits for a change in the last byte
	 * ("net0" vs "net1"): finish with MurmurHash3's 64-bit mixer. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = (uint8_t)(h >> 40);
	mac[4] = (uint8_t)(h >> 32);
	mac[5] = (uint8_t)(h >> 24);
}

static void net_free(struct net *n)
{
	if (n->thread_started) {
		atomic_store(&n->stop, true);
		kick(n);
		pthread_join(n->thread, NULL);
	}
	if (n->transport)
		vb_virtio_transport_detach(n->transport);
	if (n->vio.ops)
		vb_virtio_destroy(&n->vio);
	vb_net_backend_destroy(n->be);
	if (n->evfd >= 0)
		close(n->evfd);
	free(n->txbuf);
	free(n);
}

int vb_virtio_net_attach_backend(struct vb_dev_env *env, const struct vb_virtio_placement *p,
				 const uint8_t *mac, struct vb_net_backend *be, void **state,
				 struct vb_err *err)
{
	const char *name = p->name ? p->name : "net";
	struct net *n = calloc(1, sizeof(*n));
	if (!n) {
		vb_net_backend_destroy(be);
		return vb_err_errno(err, ENOMEM, "%s", name);
	}
	n->be = be;
	n->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	n->txbuf = malloc(VB_NET_FRAME_MAX_BYTES);
	if (n->evfd < 0 || !n->txbuf) {
		int e = n->txbuf ? errno : ENOMEM;
		net_free(n);
		return vb_err_errno(err, e, "%s", name);
	}
	if (mac)
		memcpy(n->config, mac, 6);
	else
		vb_virtio_net_mac_generate(NULL, name, n->config);
	n->config[6] = NET_S_LINK_UP;
	be->sink = (struct vb_net_sink){ rx_ready, rx_deliver, n };

	struct vb_irq none = { 0 };
	const struct vb_virtio_device_ops *ops = be->offloads ? &net_offload : &net_plain;
	int r = vb_virtio_init(&n->vio, ops, n, name, env->mem, none, env->log, env->log_ctx, err);
	if (r < 0) {
		n->vio.ops = NULL;
		net_free(n);
		return r;
	}
	r = vb_virtio_transport_attach(env, p, &n->vio, &n->transport, err);
	if (r < 0) {
		net_free(n);
		return r;
	}
	r = pthread_create(&n->thread, NULL, io_thread, n);
	if (r) {
		net_free(n);
		return vb_err_errno(err, r, "%s: I/O thread", name);
	}
	n->thread_started = true;
	*state = n;
	return 0;
}

static int make_backend(const struct vb_virtio_placement *p, struct vb_net_backend **be,
			struct vb_err *err)
{
	const struct vb_device_desc *d = p->desc;
	if (d && d->net_mode == VB_NET_TAP)
		return vb_net_tap_open(VB_NET_TUN_PATH, d->tap, be, err);
	struct vb_net_user_config cfg = {
		.dhcp = d ? d->dhcp : true,
		.forwards = d ? (const char *const *)d->forwards.items : NULL,
		.n_forwards = d ? d->forwards.count : 0,
		.hostname = p->machine_name,
	};
	return vb_net_user_create(&cfg, be, err);
}

static int net_attach(struct vb_dev_env *env, const void *config, void **state,
		      struct vb_err *err)
{
	static const struct vb_virtio_placement pc_default = { .name = "net" };
	const struct vb_virtio_placement *p = config ? config : &pc_default;
	const char *name = p->name ? p->name : "net";
	struct vb_net_backend *be = NULL;
	int r = make_backend(p, &be, err);
	if (r < 0) {
		vb_err_prefix(err, "%s", name);
		return r;
	}
	uint8_t mac[6];
	if (p->desc && p->desc->has_mac)
		memcpy(mac, p->desc->mac, 6);
	else
		vb_virtio_net_mac_generate(p->machine_name, name, mac);
	return vb_virtio_net_attach_backend(env, p, mac, be, state, err);
}

static void net_detach(void *state)
{
	if (state)
		net_free(state);
}

void vb_virtio_net_get_stats(void *state, struct vb_virtio_net_stats *out)
{
	struct net *n = state;
	pthread_mutex_lock(&n->vio.lock);
	*out = n->stats;
	pthread_mutex_unlock(&n->vio.lock);
}

const struct vb_device_ops vb_virtio_net_ops = {
	.name = "net",
	.attach = net_attach,
	.detach = net_detach,
};
