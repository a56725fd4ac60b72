/* The user-mode stack inside vmboot-net: libslirp, the TCP/IP stack QEMU
 * uses, turns the guest's frames into ordinary host sockets, so no
 * privilege is needed.
 * Addresses are slirp's (and QEMU's) defaults: network 10.0.2.0/24, host
 * (gateway) 10.0.2.2, DNS 10.0.2.3, DHCP from 10.0.2.15.
 *
 * libslirp is single-threaded: everything here runs on the device's I/O
 * thread, which polls slirp's sockets and runs its timers. */
#include "netd/netd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <slirp/libslirp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

struct slirp_timer {
	struct slirp_timer *next;
	SlirpTimerCb cb;
	void *cb_opaque;
	int64_t expire_ns; /* -1: not armed */
};

struct user_backend {
	struct vb_net_backend base;
	Slirp *slirp;
	struct slirp_timer *timers;
	const struct vb_net_pollset *set; /* during prepare/dispatch */
	struct vb_net_pollset *fill_set;
	int fill_error;
	uint8_t *rxbuf; /* VB_NET_FRAME_MAX_BYTES */
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* slirp -> guest: prepend an empty virtio-net header (no offloads). */
static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct user_backend *u = opaque;
	if (len > VB_NET_FRAME_MAX_BYTES - VB_NET_HDR_BYTES)
		return -1;
	/* A guest without a free buffer loses the frame, as on a wire; TCP
	 * inside slirp retransmits. */
	if (!u->base.sink.ready(u->base.sink.ctx))
		return (ssize_t)len;
	memset(u->rxbuf, 0, VB_NET_HDR_BYTES);
	memcpy(u->rxbuf + VB_NET_HDR_BYTES, buf, len);
	u->base.sink.deliver(u->base.sink.ctx, u->rxbuf, len + VB_NET_HDR_BYTES);
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	(void)msg;
	struct user_backend *u = opaque;
	u->base.send_errors++;
}

static int64_t cb_clock_get_ns(void *opaque)
{
	(void)opaque;
	return now_ns();
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct user_backend *u = opaque;
	struct slirp_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->expire_ns = -1;
	t->next = u->timers;
	u->timers = t;
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct user_backend *u = opaque;
	for (struct slirp_timer **p = &u->timers; *p; p = &(*p)->next) {
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
	}
}

/* expire_time is in milliseconds of clock_get_ns's clock (libslirp.h). */
static void cb_timer_mod(void *timer, int64_t expire_time_ms, void *opaque)
{
	(void)opaque;
	struct slirp_timer *t = timer;
	t->expire_ns = expire_time_ms * 1000000;
}

static void cb_register_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

/* Slirp has output to send: the I/O thread re-polls every round anyway. */
static void cb_notify(void *opaque)
{
	(void)opaque;
}

static const SlirpCb slirp_callbacks = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_new = cb_timer_new,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_unregister_poll_fd,
	.notify = cb_notify,
};

#define ETHERTYPE_IPV4 0x0800
#define IPV4_FRAG_OFFSET_AT 6       /* flags and fragment offset, in the IPv4 header */
#define IPV4_MF_AND_OFFSET 0x3fffu  /* more fragments, and the offset */
#define IPV4_MIN_HDR_BYTES 20

/* An IPv4 fragment: more fragments to come, or not the first piece.
 * Never handed to libslirp: its reassembly as Debian 12 builds it (4.7.0,
 * gcc 12; upstream fixed it with "ip: Enforce strict aliasing") reads the
 * fragment queue before adding to it, and a last fragment that arrives
 * first makes it follow a pointer out of the guest's payload: one frame
 * crashed vmboot-net (fuzz/corpus/netd/ip-last-fragment-first). Guest
 * stacks fragment only datagrams larger than the link's MTU, which
 * user-mode networking has no use for. */
static bool is_ipv4_fragment(const uint8_t *eth, size_t len)
{
	if (len < VB_NET_ETH_HDR_BYTES + IPV4_MIN_HDR_BYTES)
		return false;
	if ((eth[12] << 8 | eth[13]) != ETHERTYPE_IPV4)
		return false;
	const uint8_t *ip = eth + VB_NET_ETH_HDR_BYTES;
	unsigned flags_offset = (unsigned)(ip[IPV4_FRAG_OFFSET_AT] << 8 | ip[IPV4_FRAG_OFFSET_AT + 1]);
	return (flags_offset & IPV4_MF_AND_OFFSET) != 0;
}

static int user_send(struct vb_net_backend *b, const uint8_t *frame, size_t len)
{
	struct user_backend *u = (struct user_backend *)b;
	if (len < VB_NET_HDR_BYTES + VB_NET_ETH_HDR_BYTES || len - VB_NET_HDR_BYTES > INT32_MAX)
		return -EINVAL;
	/* No offloads were offered, so a header asking for a checksum or
	 * segmentation is a driver bug: drop rather than send garbage. */
	if (frame[0] & VB_NET_HDR_F_NEEDS_CSUM || frame[1] != VB_NET_HDR_GSO_NONE)
		return -EINVAL;
	if (is_ipv4_fragment(frame + VB_NET_HDR_BYTES, len - VB_NET_HDR_BYTES))
		return -EINVAL;
	slirp_input(u->slirp, frame + VB_NET_HDR_BYTES, (int)(len - VB_NET_HDR_BYTES));
	return 0;
}

/* libslirp's poll events beside poll(2)'s (which always reports POLLERR
 * and POLLHUP, asked or not). */
enum { SLIRP_SIDE, POLL_SIDE };
static const int poll_events[][2] = {
	{ SLIRP_POLL_IN, POLLIN },   { SLIRP_POLL_OUT, POLLOUT }, { SLIRP_POLL_PRI, POLLPRI },
	{ SLIRP_POLL_ERR, POLLERR }, { SLIRP_POLL_HUP, POLLHUP },
};

/* The events ev names on side from, as side to names them. */
static int translate_events(int ev, int from, int to)
{
	int out = 0;
	for (size_t i = 0; i < sizeof(poll_events) / sizeof(poll_events[0]); i++)
		if (ev & poll_events[i][from])
			out |= poll_events[i][to];
	return out;
}

static int cb_add_poll(int fd, int events, void *opaque)
{
	struct user_backend *u = opaque;
	int i = vb_net_pollset_add(u->fill_set, fd,
				   (short)translate_events(events, SLIRP_SIDE, POLL_SIDE));
	if (i < 0) {
		u->fill_error = i;
		return -1;
	}
	return i;
}

static int cb_get_revents(int idx, void *opaque)
{
	struct user_backend *u = opaque;
	if (idx < 0 || (unsigned)idx >= u->set->n)
		return 0;
	return translate_events(u->set->fds[idx].revents, POLL_SIDE, SLIRP_SIDE);
}

static int user_prepare(struct vb_net_backend *b, struct vb_net_pollset *set, bool want_rx,
			int *timeout_ms)
{
	(void)want_rx;
	struct user_backend *u = (struct user_backend *)b;
	uint32_t t = *timeout_ms < 0 ? UINT32_MAX : (uint32_t)*timeout_ms;
	int64_t now = now_ns();
	for (struct slirp_timer *tm = u->timers; tm; tm = tm->next) {
		if (tm->expire_ns < 0)
			continue;
		int64_t ms = tm->expire_ns <= now ? 0 : (tm->expire_ns - now + 999999) / 1000000;
		if ((uint64_t)ms < t)
			t = (uint32_t)ms;
	}
	u->fill_set = set;
	u->fill_error = 0;
	slirp_pollfds_fill(u->slirp, &t, cb_add_poll, u);
	u->fill_set = NULL;
	*timeout_ms = t == UINT32_MAX ? -1 : (int)(t > INT32_MAX ? INT32_MAX : t);
	return u->fill_error;
}

static void run_timers(struct user_backend *u)
{
	int64_t now = now_ns();
	/* A callback may free or re-arm timers: restart the walk after each. */
	for (bool fired = true; fired;) {
		fired = false;
		for (struct slirp_timer *tm = u->timers; tm; tm = tm->next) {
			if (tm->expire_ns >= 0 && tm->expire_ns <= now) {
				tm->expire_ns = -1;
				tm->cb(tm->cb_opaque);
				fired = true;
				break;
			}
		}
	}
}

static void user_dispatch(struct vb_net_backend *b, const struct vb_net_pollset *set)
{
	struct user_backend *u = (struct user_backend *)b;
	u->set = set;
	slirp_pollfds_poll(u->slirp, 0, cb_get_revents, u);
	u->set = NULL;
	run_timers(u);
}

static void user_destroy(struct vb_net_backend *b)
{
	struct user_backend *u = (struct user_backend *)b;
	if (u->slirp)
		slirp_cleanup(u->slirp);
	while (u->timers) {
		struct slirp_timer *t = u->timers;
		u->timers = t->next;
		free(t);
	}
	free(u->rxbuf);
	free(u);
}

static const struct vb_net_backend_ops user_ops = {
	.kind = "user",
	.send = user_send,
	.poll_prepare = user_prepare,
	.poll_dispatch = user_dispatch,
	.destroy = user_destroy,
};

static struct in_addr ip4(uint32_t host_order)
{
	struct in_addr a = { .s_addr = htonl(host_order) };
	return a;
}

int vb_netd_slirp_create(const struct vb_net_user_config *cfg, struct vb_net_backend **out,
			 struct vb_err *err)
{
	struct vb_net_forward *fw = calloc(cfg->n_forwards + 1, sizeof(*fw));
	if (!fw)
		return vb_err_errno(err, ENOMEM, "user-mode network");
	for (size_t i = 0; i < cfg->n_forwards; i++) {
		int r = vb_net_forward_parse(cfg->forwards[i], &fw[i], err);
		if (r < 0) {
			free(fw);
			return r;
		}
	}
	struct user_backend *u = calloc(1, sizeof(*u));
	if (u)
		u->rxbuf = malloc(VB_NET_FRAME_MAX_BYTES);
	if (!u || !u->rxbuf) {
		free(u);
		free(fw);
		return vb_err_errno(err, ENOMEM, "user-mode network");
	}
	u->base.ops = &user_ops;
	SlirpConfig sc;
	memset(&sc, 0, sizeof(sc));
	sc.version = 4; /* disable_dhcp is a version 4 field */
	sc.in_enabled = true;
	sc.vnetwork = ip4(0x0a000200u);  /* 10.0.2.0 */
	sc.vnetmask = ip4(0xffffff00u);  /* /24 */
	sc.vhost = ip4(0x0a000202u);     /* 10.0.2.2 */
	sc.vdhcp_start = ip4(0x0a00020fu); /* 10.0.2.15 */
	sc.vnameserver = ip4(0x0a000203u); /* 10.0.2.3 */
	sc.vhostname = cfg->hostname;
	sc.disable_dhcp = !cfg->dhcp;
	sc.if_mtu = VB_NETD_MTU;
	sc.if_mru = VB_NETD_MTU;
	u->slirp = slirp_new(&sc, &slirp_callbacks, u);
	if (!u->slirp) {
		free(fw);
		user_destroy(&u->base);
		return vb_err_set(err, ENOMEM, "user-mode network: slirp_new failed");
	}
	for (size_t i = 0; i < cfg->n_forwards; i++) {
		struct in_addr h = { .s_addr = fw[i].host_addr };
		struct in_addr g = { .s_addr = fw[i].guest_addr };
		errno = 0;
		if (slirp_add_hostfwd(u->slirp, fw[i].udp, h, fw[i].host_port, g,
				      fw[i].guest_port) < 0) {
			int e = errno ? errno : EADDRINUSE;
			free(fw);
			user_destroy(&u->base);
			return vb_err_set(err, e, "forward \"%s\": cannot listen on the host port: %s",
					  cfg->forwards[i], strerror(e));
		}
	}
	free(fw);
	*out = &u->base;
	return 0;
}
