/* vmboot-net: serves one user-mode NIC for vmboot over an inherited
 * SOCK_SEQPACKET socket (protocol and lifetime: src/netd/netd.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netd/netd.h"
#include "sandbox/sandbox.h"

/* Frames taken from vmboot per wakeup, so slirp's sockets and timers are
 * served between bursts. */
#define NETD_BATCH 64

struct netd {
	int fd;
	bool closed; /* vmboot went away */
	struct vb_net_backend *be;
	uint8_t *buf; /* VB_NET_FRAME_MAX_BYTES */
};

struct netd_args {
	long parent;
	bool seccomp; /* --seccomp: VB_SANDBOX_NETD before the first frame */
	struct vb_net_user_config cfg;
	const char **forwards;
};

static bool sink_ready(void *ctx)
{
	(void)ctx;
	return true;
}

/* slirp -> vmboot. Never block: with vmboot's queue full the frame is
 * lost as on a wire, and TCP inside slirp retransmits. */
static void sink_deliver(void *ctx, const uint8_t *frame, size_t len)
{
	struct netd *d = ctx;
	if (d->closed)
		return;
	ssize_t n = send(d->fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
		d->closed = true;
}

static int send_status(int fd, int errnum, const char *msg)
{
	uint8_t buf[VB_NETD_STATUS_HDR_BYTES + VB_ERR_MSG_BYTES];
	size_t len = strnlen(msg, VB_ERR_MSG_BYTES);
	uint32_t e = (uint32_t)errnum;
	memcpy(buf, VB_NETD_MAGIC, 4);
	for (unsigned i = 0; i < 4; i++)
		buf[4 + i] = (uint8_t)(e >> (8 * i));
	memcpy(buf + VB_NETD_STATUS_HDR_BYTES, msg, len);
	ssize_t n = send(fd, buf, VB_NETD_STATUS_HDR_BYTES + len, MSG_NOSIGNAL);
	return n < 0 ? -errno : 0;
}

static int parse_args(int argc, char **argv, struct netd_args *a, struct vb_err *err)
{
	a->cfg.dhcp = true;
	a->forwards = calloc((size_t)argc, sizeof(*a->forwards));
	if (!a->forwards)
		return vb_err_errno(err, ENOMEM, "vmboot-net");
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		if (strcmp(o, "--no-dhcp") == 0) {
			a->cfg.dhcp = false;
			continue;
		}
		if (strcmp(o, "--seccomp") == 0) {
			a->seccomp = true;
			continue;
		}
		if (i + 1 >= argc)
			return vb_err_set(err, EINVAL, "vmboot-net: unknown or incomplete option %s", o);
		const char *v = argv[++i];
		if (strcmp(o, "--parent") == 0) {
			char *end;
			a->parent = strtol(v, &end, 10);
			if (*end || a->parent <= 1)
				return vb_err_set(err, EINVAL, "vmboot-net: bad --parent %s", v);
		} else if (strcmp(o, "--hostname") == 0) {
			a->cfg.hostname = v;
		} else if (strcmp(o, "--forward") == 0) {
			a->forwards[a->cfg.n_forwards++] = v;
		} else {
			return vb_err_set(err, EINVAL, "vmboot-net: unknown option %s", o);
		}
	}
	if (!a->parent)
		return vb_err_set(err, EINVAL, "vmboot-net: --parent is required (run by vmboot)");
	a->cfg.forwards = a->forwards;
	return 0;
}

/* Bad frames (too short, offload flags) are dropped by the backend; a
 * guest cannot stop the helper with them. */
static void to_slirp(void *ctx, const uint8_t *frame, size_t len)
{
	struct netd *d = ctx;
	d->be->ops->send(d->be, frame, len);
}

/* Frames from vmboot into slirp. */
static void read_frames(struct netd *d)
{
	const struct vb_net_sink sink = { .deliver = to_slirp, .ctx = d };
	if (!vb_net_read_frames(d->fd, true, d->buf, NETD_BATCH, &sink))
		d->closed = true;
}

static int serve(struct netd *d)
{
	struct vb_net_pollset set = { 0 };
	int r = 0;
	while (!d->closed) {
		set.n = 0;
		int timeout = -1;
		/* Index 0 is vmboot's socket; slirp's own follow. */
		if (vb_net_pollset_add(&set, d->fd, POLLIN) < 0 ||
		    d->be->ops->poll_prepare(d->be, &set, true, &timeout) < 0) {
			r = -ENOMEM;
			break;
		}
		if (poll(set.fds, set.n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (set.fds[0].revents & (POLLIN | POLLHUP | POLLERR))
			read_frames(d);
		d->be->ops->poll_dispatch(d->be, &set);
	}
	vb_net_pollset_free(&set);
	return r;
}

/* Never outlive vmboot: killed with it, and gone at once if it died
 * before the request took effect (getppid is then someone else). */
static int watch_parent(long parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return -errno;
	return getppid() == (pid_t)parent ? 0 : -ESRCH;
}

/* What serving frames never needs: capabilities (a forward's privileged
 * port is bound already), and every file but the one libslirp rereads for
 * its DNS forwarding. A sanitizer build keeps the files: LeakSanitizer's
 * check at exit reads /proc (sandbox.h vb_sandbox_filters_for_vms). */
static int give_up_privileges(bool seccomp, struct vb_err *err)
{
	static const char *const readable[] = { "/etc/resolv.conf" };
	bool enforced;
	int r = vb_privs_drop_caps(0, err);
	if (r == 0 && vb_sandbox_filters_for_vms())
		r = vb_sandbox_restrict_files(readable, 1, &enforced, err);
	if (r == 0 && seccomp)
		r = vb_sandbox_enter(VB_SANDBOX_NETD, 0, err);
	return r;
}

int main(int argc, char **argv)
{
	struct netd_args a = { 0 };
	struct netd d = { .fd = VB_NETD_FD };
	struct vb_err err = { 0 };
	/* Ctrl-C and hangup at vmboot's terminal are vmboot's to handle; the
	 * helper ends when vmboot closes the socket. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	int r = vb_sandbox_no_new_privs(&err);
	if (r == 0)
		r = parse_args(argc, argv, &a, &err);
	if (r == 0 && watch_parent(a.parent) < 0)
		return 1;
	if (r == 0) {
		d.buf = malloc(VB_NET_FRAME_MAX_BYTES);
		r = d.buf ? vb_netd_slirp_create(&a.cfg, &d.be, &err)
			  : vb_err_errno(&err, ENOMEM, "vmboot-net");
	}
	/* Set up: from here on it only serves frames, which the guest
	 * writes. */
	if (r == 0)
		r = give_up_privileges(a.seccomp, &err);
	if (r < 0) {
		/* On stderr only when there is no vmboot to read it (run by
		 * hand): vmboot prints it once, with the NIC's name. */
		if (send_status(d.fd, -r, err.msg) < 0)
			fprintf(stderr, "%s\n", err.msg);
		free(d.buf);
		free(a.forwards);
		return 1;
	}
	d.be->sink = (struct vb_net_sink){ sink_ready, sink_deliver, &d };
	vb_netd_grow_sndbuf(d.fd);
	if (send_status(d.fd, 0, "") == 0)
		r = serve(&d);
	vb_net_backend_destroy(d.be);
	free(d.buf);
	free(a.forwards);
	return r < 0 ? 1 : 0;
}
