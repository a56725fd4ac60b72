#include "virtio/net.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "parse/desc.h"
#include "sandbox/sandbox.h"
#include "virtio/device.h"
#include "virtio/vhost_net.h"

#define BIT(n) (1ULL << (n))
/* Frames moved per queue per wakeup, so one busy direction cannot starve
 * the other. */
#define NET_BATCH 256
/* Config space (5.1.4): mac[6], status, max_virtqueue_pairs, mtu (le16
 * each). */
#define NET_CONFIG_BYTES 12u
#define NET_S_LINK_UP 1u

struct net {
	struct vb_virtio_dev vdev;
	struct vb_net_backend *be;
	uint8_t config[NET_CONFIG_BYTES];
	const struct vb_dev_env *env;
	/* Both queues are vhost-net's (net.h), chosen at setup; the rest
	 * of this struct is then unused but the stats' offloads. */
	bool in_kernel;
	struct vb_vhost_net vn;
	int evfd; /* -1 until vmboot's own path makes it */
	pthread_t thread;
	const struct vb_sandbox_policy *confine; /* the I/O thread's first step */
	atomic_bool stop;
	uint8_t *txbuf; /* VB_NET_FRAME_MAX_BYTES; I/O thread only */
	/* A frame's receive buffers until they are published together
	 * (MRG_RXBUF); at most a queue's worth. Under vdev.vio.lock. */
	struct vb_virtq_used rx_used[VB_VIRTIO_NET_QUEUE_SIZE];
	struct vb_virtio_net_stats stats; /* under vdev.vio.lock */
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

/* Whether the feature for segmentation type was accepted: tso4 for TCP
 * over IPv4, tso6 for TCP over IPv6 (no other type is offered). */
static bool tso_ok(const struct vb_virtio *v, uint8_t type, unsigned tso4, unsigned tso6)
{
	if (type == VB_NET_HDR_GSO_TCPV4)
		return has(v, tso4);
	if (type == VB_NET_HDR_GSO_TCPV6)
		return has(v, tso6);
	return false;
}

static bool running_locked(const struct vb_virtio *v, unsigned q)
{
	return (v->status & VB_VIRTIO_S_DRIVER_OK) && !v->broken && v->queues[q].enabled;
}

/* ---- vCPU side: notifications only wake the I/O thread ---- */

static int net_notify(struct vb_virtio *v, void *dev, unsigned q, struct vb_err *err)
{
	(void)v;
	(void)err;
	struct net *n = dev;
	/* A doorbell that exited rather than reaching the kernel's kick
	 * eventfd directly (no ioeventfd). */
	if (n->in_kernel)
		vb_vhost_kick(&n->vn.vhost, q);
	else
		kick(n);
	return 0;
}

static void net_config_read(void *dev, uint32_t off, uint8_t *data, uint32_t size)
{
	struct net *n = dev;
	memcpy(data, n->config + off, size);
}

static void set_offloads_locked(struct net *n, unsigned want);

static void net_reset(void *dev)
{
	struct net *n = dev;
	if (n->in_kernel) {
		vb_vhost_net_stop(&n->vn);
		set_offloads_locked(n, 0);
		return;
	}
	/* Nothing is held across calls; the thread re-reads the (now empty)
	 * feature set and withdraws offloads from the backend. */
	kick(n);
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
	return tso_ok(v, type, VB_VIRTIO_NET_F_HOST_TSO4, VB_VIRTIO_NET_F_HOST_TSO6);
}

/* Pop one transmit chain and copy it to n->txbuf. Returns 1 with *len
 * set (0: the frame is dropped), 0 when the queue is empty, or -errno
 * for a violation (the device is failed). */
static int tx_pop_locked(struct net *n, size_t *len)
{
	struct vb_virtio *v = &n->vdev.vio;
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
	struct vb_virtio *v = &n->vdev.vio;
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
	struct vb_virtio *v = &n->vdev.vio;
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
	return tso_ok(v, type, VB_VIRTIO_NET_F_GUEST_TSO4, VB_VIRTIO_NET_F_GUEST_TSO6);
}

/* Copies frame[at, len) into the popped receive chain (writable
 * segments only) as far as it goes; notes where the header's
 * num_buffers (bytes 10-11) landed. Returns the bytes copied. */
static size_t copy_to_chain(struct vb_virtio *v, const struct vb_virtq_chain *c,
			    const uint8_t *frame, size_t at, size_t len, uint8_t *num_buffers[2])
{
	size_t from = at;
	for (unsigned i = 0; i < c->n_writable && at < len; i++) {
		struct iovec *iov = &v->iov[c->n_readable + i];
		size_t k = len - at < iov->iov_len ? len - at : iov->iov_len;
		memcpy(iov->iov_base, frame + at, k);
		for (size_t b = 10; b < 12; b++)
			if (at <= b && b < at + k)
				num_buffers[b - 10] = (uint8_t *)iov->iov_base + (b - at);
		at += k;
	}
	return at - from;
}

/* Pops the next receive chain: 1, or 0 with the frame dropped (no
 * buffer, or the driver broke the ring: then the device needs a reset). */
static int rx_pop_locked(struct net *n, struct vb_virtq_chain *c)
{
	struct vb_virtio *v = &n->vdev.vio;
	struct vb_err err = { 0 };
	int r = vb_virtio_pop_locked(v, VB_VIRTIO_NET_RXQ, c, &err);
	if (r < 0)
		vb_virtio_fail_locked(v, err.msg);
	/* 5.1.6.3: receive buffers are device-writable only. */
	if (r > 0 && c->n_readable) {
		vb_virtio_fail_locked(v, "receive chain with a device-readable buffer");
		r = 0;
	}
	if (r <= 0)
		n->stats.rx_dropped++;
	return r > 0;
}

static void rx_publish_locked(struct net *n, const struct vb_virtq_used *used, uint16_t count)
{
	struct vb_virtio *v = &n->vdev.vio;
	struct vb_err err = { 0 };
	if (vb_virtio_push_all_locked(v, VB_VIRTIO_NET_RXQ, used, count, &err) < 0) {
		vb_virtio_fail_locked(v, err.msg);
		return;
	}
	vb_virtio_signal_locked(v, VB_VIRTIO_NET_RXQ);
}

/* Without VIRTIO_NET_F_MRG_RXBUF: the frame in one buffer, or lost. */
static void rx_one_buffer_locked(struct net *n, const uint8_t *frame, size_t len)
{
	struct vb_virtio *v = &n->vdev.vio;
	struct vb_virtq_chain c;
	if (!rx_pop_locked(n, &c))
		return;
	struct vb_virtq_used used = { c.head, 0 };
	if (c.writable_bytes >= len) {
		uint8_t *num_buffers[2] = { NULL, NULL };
		used.len = (uint32_t)copy_to_chain(v, &c, frame, 0, len, num_buffers);
		*num_buffers[0] = 1;
		*num_buffers[1] = 0;
		n->stats.rx_frames++;
	} else {
		/* A buffer too small for the frame: the guest sees a zero-length
		 * completion and recycles it; the frame is lost. */
		n->stats.rx_dropped++;
	}
	rx_publish_locked(n, &used, 1);
}

/* With VIRTIO_NET_F_MRG_RXBUF (5.1.6.4.2): the frame spreads over as
 * many buffers as it needs, num_buffers says how many, and the driver
 * sees them all at once. Too few buffers: they go back unused and the
 * frame is lost. */
static void rx_merged_locked(struct net *n, const uint8_t *frame, size_t len)
{
	struct vb_virtio *v = &n->vdev.vio;
	uint8_t *num_buffers[2] = { NULL, NULL };
	uint16_t count = 0;
	for (size_t at = 0; at < len;) {
		struct vb_virtq_chain c;
		if (!rx_pop_locked(n, &c)) {
			if (!v->broken)
				vb_virtio_unpop_locked(v, VB_VIRTIO_NET_RXQ, count);
			return;
		}
		size_t k = copy_to_chain(v, &c, frame, at, len, num_buffers);
		n->rx_used[count++] = (struct vb_virtq_used){ c.head, (uint32_t)k };
		at += k;
	}
	*num_buffers[0] = (uint8_t)count;
	*num_buffers[1] = (uint8_t)(count >> 8);
	n->stats.rx_frames++;
	rx_publish_locked(n, n->rx_used, count);
}

static void rx_deliver_locked(struct net *n, const uint8_t *frame, size_t len)
{
	struct vb_virtio *v = &n->vdev.vio;
	if (len < VB_NET_HDR_BYTES + VB_NET_ETH_HDR_BYTES || !rx_header_ok(v, frame) ||
	    !running_locked(v, VB_VIRTIO_NET_RXQ)) {
		n->stats.rx_dropped++;
		return;
	}
	if (has(v, VB_VIRTIO_NET_F_MRG_RXBUF))
		rx_merged_locked(n, frame, len);
	else
		rx_one_buffer_locked(n, frame, len);
}

static void rx_deliver(void *ctx, const uint8_t *frame, size_t len)
{
	struct net *n = ctx;
	pthread_mutex_lock(&n->vdev.vio.lock);
	rx_deliver_locked(n, frame, len);
	pthread_mutex_unlock(&n->vdev.vio.lock);
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
	pthread_mutex_lock(&n->vdev.vio.lock);
	unsigned want = wanted_offloads_locked(&n->vdev.vio);
	bool change = want != n->stats.offloads;
	pthread_mutex_unlock(&n->vdev.vio.lock);
	if (!change || n->be->ops->set_offload(n->be, want) < 0)
		return;
	pthread_mutex_lock(&n->vdev.vio.lock);
	n->stats.offloads = want;
	pthread_mutex_unlock(&n->vdev.vio.lock);
}

/* vhost-net's path (mutex held, at DRIVER_OK and reset): the tap's
 * offloads follow the driver's features as on vmboot's path, set on the
 * calling thread as there is no I/O thread (the backend is a tap, whose
 * set_offload is one ioctl: holding the mutex around it is harmless). A
 * tap that refuses keeps what it had, which from a reset on is none:
 * whole frames, which any guest takes. */
static void set_offloads_locked(struct net *n, unsigned want)
{
	if (want != n->stats.offloads && n->be->ops->set_offload &&
	    n->be->ops->set_offload(n->be, want) == 0)
		n->stats.offloads = want;
}

static int net_activate(struct vb_virtio *v, void *dev, struct vb_err *err)
{
	struct net *n = dev;
	if (!n->in_kernel)
		return 0;
	set_offloads_locked(n, wanted_offloads_locked(v));
	return vb_vhost_net_start(&n->vn, v, err);
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

/* What vb_virtio_net_attach_kernel hands the model's setup. */
struct net_args {
	const uint8_t *mac;        /* NULL: generated from the instance name */
	struct vb_net_backend *be; /* NULL once the device owns it */
	const struct vb_vhost_kernel *kernel; /* vhost-net's; NULL: the host's */
};

/* Whether vhost-net serves the NIC (net.h: the `vhost` key); sets
 * n->in_kernel. Fails only when the description insists on vhost-net
 * and it cannot be had; otherwise such a failure is one warning, and
 * vmboot's own path serves the NIC. */
static int choose_path(struct net *n, const struct vb_virtio_setup *s,
		       const struct vb_vhost_kernel *kernel, struct vb_err *err)
{
	const struct vb_device_desc *desc = s->p->desc;
	bool insist = desc && vb_device_is_set(desc, "vhost") && vb_device_bool(desc, "vhost");
	bool refuse = desc && vb_device_is_set(desc, "vhost") && !vb_device_bool(desc, "vhost");
	int fd = n->be->ops->vhost_fd ? n->be->ops->vhost_fd(n->be) : -1;
	if (refuse || fd < 0)
		return 0;
	int r = vb_vhost_net_open(&n->vn, kernel, n->vdev.name, fd, s->env->mem, err);
	if (r < 0 && !insist) {
		vb_dev_env_log(s->env, "%s; serving the NIC in vmboot", err->msg);
		return 0;
	}
	n->in_kernel = r == 0;
	return r;
}

/* vmboot's own path: the I/O thread's wakeup, its frame buffer, and the
 * backend's frames to the device. */
static int setup_own_path(struct net *n, struct vb_err *err)
{
	n->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	n->txbuf = malloc(VB_NET_FRAME_MAX_BYTES);
	if (n->evfd < 0 || !n->txbuf)
		return vb_err_errno(err, n->txbuf ? errno : ENOMEM, "%s", n->vdev.name);
	n->be->sink = (struct vb_net_sink){ rx_ready, rx_deliver, n };
	return 0;
}

static int net_setup(struct vb_virtio_dev *d, struct vb_virtio_setup *s, struct vb_err *err)
{
	struct net *n = (struct net *)d;
	struct net_args *a = s->arg;
	n->evfd = -1;
	n->be = a->be;
	a->be = NULL;
	n->env = s->env;
	n->confine = s->env->confine;
	if (a->mac)
		memcpy(n->config, a->mac, 6);
	else
		vb_virtio_net_mac_generate(NULL, d->name, n->config);
	n->config[6] = NET_S_LINK_UP;
	n->config[8] = 1; /* one queue pair */
	if (n->be->offloads)
		s->features |= offload_features;
	int r = choose_path(n, s, a->kernel, err);
	if (r < 0)
		return r;
	if (n->in_kernel) {
		s->features |= vb_vhost_net_features(&n->vn);
		return 0;
	}
	/* A link MTU above Ethernet's means frames of up to 64 KiB, which
	 * with MRG_RXBUF the driver receives in its usual small buffers. */
	s->features |= BIT(VB_VIRTIO_NET_F_MRG_RXBUF);
	if (n->be->mtu) {
		s->features |= BIT(VB_VIRTIO_NET_F_MTU);
		n->config[10] = (uint8_t)n->be->mtu;
		n->config[11] = (uint8_t)(n->be->mtu >> 8);
	}
	return setup_own_path(n, err);
}

static int net_start(struct vb_virtio_dev *d, struct vb_err *err)
{
	struct net *n = (struct net *)d;
	if (n->in_kernel)
		return vb_vhost_wire(&n->vn.vhost, n->env, &d->vio, err);
	char what[80];
	snprintf(what, sizeof(what), "%s: I/O", d->name);
	return vb_sandbox_thread_start(&n->thread, VB_SANDBOX_IO, n->confine, io_thread, n, what, err);
}

static void net_stop(struct vb_virtio_dev *d)
{
	struct net *n = (struct net *)d;
	if (n->in_kernel) {
		pthread_mutex_lock(&d->vio.lock);
		vb_vhost_net_release(&n->vn);
		pthread_mutex_unlock(&d->vio.lock);
		vb_vhost_unwire(&n->vn.vhost);
		return;
	}
	atomic_store(&n->stop, true);
	kick(n);
	pthread_join(n->thread, NULL);
}

static void net_teardown(struct vb_virtio_dev *d)
{
	struct net *n = (struct net *)d;
	/* The kernel lets go of the tap before the backend closes it. */
	vb_vhost_close(&n->vn.vhost);
	vb_net_backend_destroy(n->be);
	if (n->evfd >= 0)
		close(n->evfd);
	free(n->txbuf);
}

/* With a backend that passes headers through, setup offers the offloads
 * too. */
static const struct vb_virtio_device_ops net_device = {
	.name = "virtio-net", .device_id = VB_VIRTIO_ID_NET,
	.features = BIT(VB_VIRTIO_NET_F_MAC) | BIT(VB_VIRTIO_NET_F_STATUS),
	.num_queues = 2, .queue_max_size = VB_VIRTIO_NET_QUEUE_SIZE, .config_bytes = NET_CONFIG_BYTES,
	.config_read = net_config_read, .queue_notify = net_notify, .reset = net_reset,
	.activate = net_activate, .state_bytes = sizeof(struct net), .setup = net_setup,
	.start = net_start, .stop = net_stop, .teardown = net_teardown,
};

static int net_attach(const struct vb_device_ops *self, struct vb_dev_env *env,
		      const void *config, void **state, struct vb_err *err);

const struct vb_device_ops vb_virtio_net_ops = {
	.name = "net", .attach = net_attach, .detach = vb_virtio_dev_detach, .data = &net_device,
};

int vb_virtio_net_attach_kernel(struct vb_dev_env *env, const struct vb_virtio_placement *p,
				const uint8_t *mac, struct vb_net_backend *be,
				const struct vb_vhost_kernel *k, void **state, struct vb_err *err)
{
	struct net_args a = { mac, be, k };
	int r = vb_virtio_dev_attach_arg(&vb_virtio_net_ops, env, p, &a, state, err);
	/* Refused before setup took it: it is still ours to free. */
	vb_net_backend_destroy(a.be);
	return r;
}

int vb_virtio_net_attach_backend(struct vb_dev_env *env, const struct vb_virtio_placement *p,
				 const uint8_t *mac, struct vb_net_backend *be, void **state,
				 struct vb_err *err)
{
	return vb_virtio_net_attach_kernel(env, p, mac, be, NULL, state, err);
}

/* The backend the description asks for: a tap device, or user mode. */
static int make_backend(const struct vb_dev_env *env, const struct vb_virtio_placement *p,
			struct vb_net_backend **be, struct vb_err *err)
{
	const struct vb_device_desc *d = p->desc;
	const char *mode = d ? vb_device_string(d, "mode") : NULL;
	if (mode && !strcmp(mode, "tap"))
		return vb_net_tap_open(VB_NET_TUN_PATH, vb_device_string(d, "tap"), be, err);
	const struct vb_value *forwards = d ? vb_device_value(d, "forward") : NULL;
	struct vb_net_user_config cfg = {
		.dhcp = d ? vb_device_bool(d, "dhcp") : true,
		.forwards = forwards ? (const char *const *)forwards->strings.items : NULL,
		.n_forwards = forwards ? forwards->strings.count : 0,
		.hostname = p->machine_name,
		.seccomp = env->confine && env->confine->seccomp,
	};
	return vb_net_user_create(&cfg, be, err);
}

static int net_attach(const struct vb_device_ops *self, struct vb_dev_env *env,
		      const void *config, void **state, struct vb_err *err)
{
	const struct vb_virtio_placement pc_default = { .name = self->name };
	const struct vb_virtio_placement *p = config ? config : &pc_default;
	const char *name = p->name ? p->name : self->name;
	struct vb_net_backend *be = NULL;
	int r = make_backend(env, p, &be, err);
	if (r < 0) {
		vb_err_prefix(err, "%s", name);
		return r;
	}
	const struct vb_value *mac = p->desc ? vb_device_value(p->desc, "mac") : NULL;
	uint8_t generated[6];
	if (!mac || !mac->set)
		vb_virtio_net_mac_generate(p->machine_name, name, generated);
	return vb_virtio_net_attach_backend(env, p, mac && mac->set ? mac->mac : generated, be,
					    state, err);
}

void vb_virtio_net_get_stats(void *state, struct vb_virtio_net_stats *out)
{
	struct net *n = state;
	pthread_mutex_lock(&n->vdev.vio.lock);
	*out = n->stats;
	pthread_mutex_unlock(&n->vdev.vio.lock);
}

/* ---- the device type ---- */

/* "tcp:127.0.0.1:2222-:22": protocol, optional host address, host port,
 * '-', optional guest address, guest port. */
static int check_forward(const char *spec)
{
	char proto[4], host_addr[64], guest_addr[64];
	unsigned host_port, guest_port;
	int consumed = 0;
	const char *p = spec;

	if (strncmp(p, "tcp:", 4) && strncmp(p, "udp:", 4))
		return -EINVAL;
	memcpy(proto, p, 3);
	proto[3] = 0;
	p += 4;
	host_addr[0] = guest_addr[0] = 0;
	if (*p != ':' && sscanf(p, "%63[0-9.]%n", host_addr, &consumed) == 1)
		p += consumed;
	if (*p++ != ':')
		return -EINVAL;
	if (sscanf(p, "%5u%n", &host_port, &consumed) != 1)
		return -EINVAL;
	p += consumed;
	if (*p++ != '-')
		return -EINVAL;
	if (*p != ':' && sscanf(p, "%63[0-9.]%n", guest_addr, &consumed) == 1)
		p += consumed;
	if (*p++ != ':')
		return -EINVAL;
	if (sscanf(p, "%5u%n", &guest_port, &consumed) != 1 || p[consumed])
		return -EINVAL;
	if (host_port == 0 || host_port > 65535 || guest_port == 0 || guest_port > 65535)
		return -ERANGE;
	return 0;
}

static void check_forwards(const struct vb_device_desc *dev, size_t i, bool tap,
			   struct vb_diags *diags)
{
	const struct vb_strings *forwards = &vb_device_value(dev, "forward")->strings;
	for (size_t f = 0; f < forwards->count; f++) {
		if (tap) {
			vb_diag_error(diags, dev->loc,
				      "devices[%zu].forward: port forwards need mode = \"user\"", i);
			break;
		}
		if (check_forward(forwards->items[f]))
			vb_diag_error(diags, dev->loc,
				      "devices[%zu].forward[%zu]: \"%s\" is not a forward (expected \"tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT\")",
				      i, f, forwards->items[f]);
	}
}

static void net_validate(const struct vb_machine_desc *m, size_t i, struct vb_diags *diags)
{
	const struct vb_device_desc *dev = &m->devices[i];
	bool tap = !strcmp(vb_device_string(dev, "mode"), "tap");
	const char *ifname = vb_device_string(dev, "tap");
	struct vb_loc tap_loc = vb_device_loc(dev, "tap");
	if (tap && !ifname)
		vb_diag_error(diags, dev->loc,
			      "devices[%zu]: a tap network needs a tap interface name (tap = \"tap0\")",
			      i);
	if (!tap && ifname)
		vb_diag_error(diags, tap_loc, "devices[%zu].tap: only used with mode = \"tap\"", i);
	if (ifname && (strlen(ifname) == 0 || strlen(ifname) >= 16))
		vb_diag_error(diags, tap_loc, "devices[%zu].tap: interface names are 1 to 15 bytes",
			      i);
	/* vhost = false is what user mode does anyway; true asks for
	 * something it cannot have (its frames go through vmboot-net). */
	if (!tap && vb_device_is_set(dev, "vhost") && vb_device_bool(dev, "vhost"))
		vb_diag_error(diags, vb_device_loc(dev, "vhost"),
			      "devices[%zu].vhost: vhost-net serves tap NICs only (mode = \"tap\")",
			      i);
	check_forwards(dev, i, tap, diags);
}

/* -n MODE[,tap=IF][,mac=MAC][,dhcp=on|off][,forward=SPEC][,vhost=on|off],
 * kvmtool's spellings (tapif, guest_mac) too. */
static int net_option(struct vb_node *dev, const char *flag, char *key, char *value)
{
	if (!value && (!strcmp(key, "user") || !strcmp(key, "tap")))
		return vb_flag_put_string(dev, "mode", key, flag);
	if (value && !strcmp(key, "mode"))
		return vb_flag_put_string(dev, "mode", value, flag);
	if (value && (!strcmp(key, "tap") || !strcmp(key, "tapif")))
		return vb_flag_put_string(dev, "tap", value, flag);
	if (value && (!strcmp(key, "mac") || !strcmp(key, "guest_mac")))
		return vb_flag_put_string(dev, "mac", value, flag);
	bool on_off = value && (!strcmp(value, "on") || !strcmp(value, "off"));
	if (on_off && (!strcmp(key, "dhcp") || !strcmp(key, "vhost")))
		return vb_flag_put_bool(dev, key, !strcmp(value, "on"), flag);
	if (value && !strcmp(key, "forward"))
		return vb_flag_append_string(dev, "forward", value, flag);
	return -EINVAL;
}

static int net_flag(struct vb_node *dev, const char *flag, char *arg, struct vb_err *err)
{
	char *fields[8];
	size_t n = vb_flag_split(arg, fields, 8);
	for (size_t i = 0; i < n; i++) {
		char *key = fields[i], *value = strchr(fields[i], '=');
		if (value)
			*value++ = 0;
		int rc = net_option(dev, flag, key, value);
		if (rc == -EINVAL)
			return vb_flag_error(err, flag,
					     "unknown option \"%s\" (expected user, tap, tap=IF, mac=MAC, dhcp=on|off, forward=SPEC, vhost=on|off)",
					     key);
		if (rc)
			return -ENOMEM;
	}
	return 0;
}

static int no_dhcp_flag(struct vb_node *dev, const char *flag, char *arg, struct vb_err *err)
{
	(void)arg;
	(void)err;
	return vb_flag_put_bool(dev, "dhcp", false, flag);
}

static const char *const net_mode_choices[] = { "user", "tap", NULL };

static const struct vb_key_schema net_keys[] = {
	{ .name = "mode", .type = VB_KEY_ENUM, .choices = net_mode_choices,
	  .default_text = "user",
	  .help = "user-mode networking (no root needed) or an existing tap device" },
	{ .name = "tap", .type = VB_KEY_STRING, .default_text = "none (required in tap mode)",
	  .help = "host tap interface name" },
	{ .name = "mac", .type = VB_KEY_MAC, .default_text = "derived from the machine name",
	  .help = "guest MAC address, six hex octets separated by ':'" },
	{ .name = "dhcp", .type = VB_KEY_BOOL, .default_text = "true",
	  .help = "user mode: serve the guest an address by DHCP" },
	{ .name = "forward", .type = VB_KEY_STRINGS, .default_text = "none",
	  .help = "user mode: host-to-guest port forwards, \"tcp:127.0.0.1:2222-:22\"" },
	{ .name = "vhost", .type = VB_KEY_BOOL, .default_text = "when available (unset)",
	  .help = "tap mode: the kernel's vhost-net moves the frames; true: required" },
};

static const struct vb_device_flag net_flags[] = {
	{ .long_name = "--network", .short_name = 'n',
	  .arg = "MODE[,tap=IF][,mac=MAC][,dhcp=on|off][,forward=SPEC]",
	  .help = "add a NIC; MODE is user or tap; repeatable", .parse = net_flag },
	{ .long_name = "--no-dhcp", .help = "no DHCP on the NIC given last", .amend = true,
	  .parse = no_dhcp_flag },
};

static const struct vb_plan_field net_plan[] = {
	{ .key = "mode", .text_prefix = "  " },
	{ .key = "tap", .text_prefix = " " },
};

const struct vb_device_type vb_virtio_net_type = {
	.name = "net", .help = "virtio-net network interface", .virtio = true,
	.keys = net_keys, .n_keys = VB_COUNT(net_keys), .validate = net_validate,
	.flags = net_flags, .n_flags = VB_COUNT(net_flags),
	.model = "virtio-net", .plan = net_plan, .n_plan = VB_COUNT(net_plan),
	.sandbox_needs = VB_SANDBOX_NEEDS_BACKENDS, .ops = &vb_virtio_net_ops,
};
