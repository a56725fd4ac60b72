/* vmboot's side of the user-mode backend: starts vmboot-net, waits for its
 * status and then moves frames over the socket backend (src/net/sock.c).
 * Protocol, lifetime and how the helper is found: src/netd/netd.h. */
#include "netd/netd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/helper.h"

extern char **environ;

/* How long the helper may take to open slirp and its forwards: generous,
 * as a nested TCG run or a sanitizer build is slow to start a process. */
#define NETD_START_TIMEOUT_MS 60000

struct user_client {
	struct vb_net_backend base;
	struct vb_net_backend *sock; /* the frame path */
	pid_t pid;
};

static int client_send(struct vb_net_backend *b, const uint8_t *frame, size_t len)
{
	struct user_client *c = (struct user_client *)b;
	return c->sock->ops->send(c->sock, frame, len);
}

static int client_prepare(struct vb_net_backend *b, struct vb_net_pollset *set, bool want_rx,
			  int *timeout_ms)
{
	struct user_client *c = (struct user_client *)b;
	c->sock->sink = b->sink;
	return c->sock->ops->poll_prepare(c->sock, set, want_rx, timeout_ms);
}

static void client_dispatch(struct vb_net_backend *b, const struct vb_net_pollset *set)
{
	struct user_client *c = (struct user_client *)b;
	c->sock->sink = b->sink;
	c->sock->ops->poll_dispatch(c->sock, set);
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void client_destroy(struct vb_net_backend *b)
{
	struct user_client *c = (struct user_client *)b;
	/* Closing the socket ends the helper by itself; the kill makes sure
	 * before the reap. */
	vb_net_backend_destroy(c->sock);
	reap(c->pid);
	free(c);
}

static const struct vb_net_backend_ops client_ops = {
	.kind = "user",
	.send = client_send,
	.poll_prepare = client_prepare,
	.poll_dispatch = client_dispatch,
	.destroy = client_destroy,
};

int vb_netd_find_helper(char *path, size_t size, struct vb_err *err)
{
	static const struct vb_helper net = {
		.name = VB_NETD_HELPER_NAME,
		.env = VB_NETD_HELPER_ENV,
		.build_rel = VB_NETD_HELPER_NAME,
		.executable = true,
	};
	return vb_helper_find(&net, path, size, err);
}

static const char **build_argv(const char *path, const struct vb_net_user_config *cfg,
			       char *parent)
{
	const char **av = calloc(2 * cfg->n_forwards + 8, sizeof(*av));
	if (!av)
		return NULL;
	size_t i = 0;
	av[i++] = path;
	av[i++] = "--parent";
	av[i++] = parent;
	if (!cfg->dhcp)
		av[i++] = "--no-dhcp";
	if (cfg->seccomp)
		av[i++] = "--seccomp";
	if (cfg->hostname) {
		av[i++] = "--hostname";
		av[i++] = cfg->hostname;
	}
	for (size_t f = 0; f < cfg->n_forwards; f++) {
		av[i++] = "--forward";
		av[i++] = cfg->forwards[f];
	}
	return av;
}

/* The helper gets the socket as VB_NETD_FD and nothing else above stderr,
 * an empty signal mask (the calling thread may block signals) and
 * default SIGTERM. */
static int spawn_helper(const char *path, const char **av, int fd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGTERM);
	int r = posix_spawn_file_actions_init(&fa);
	if (r)
		return -r;
	r = posix_spawnattr_init(&at);
	if (r) {
		posix_spawn_file_actions_destroy(&fa);
		return -r;
	}
	r = posix_spawn_file_actions_adddup2(&fa, fd, VB_NETD_FD);
	if (!r)
		r = posix_spawn_file_actions_addclosefrom_np(&fa, VB_NETD_FD + 1);
	if (!r)
		r = posix_spawnattr_setsigmask(&at, &none);
	if (!r)
		r = posix_spawnattr_setsigdefault(&at, &dfl);
	if (!r)
		r = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (!r) {
		char *const *argv = (char *const *)(uintptr_t)av;
		r = posix_spawn(pid, path, &fa, &at, argv, environ);
	}
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return -r;
}

/* The helper's first packet: 0 when it is ready, else -errno with its
 * error text in err. */
static int read_status(int fd, const char *what, struct vb_err *err)
{
	uint8_t buf[VB_NETD_STATUS_HDR_BYTES + VB_ERR_MSG_BYTES];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;
	while ((r = poll(&p, 1, NETD_START_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return vb_err_errno(err, errno, "user-mode network: %s", what);
	if (r == 0)
		return vb_err_set(err, ETIMEDOUT, "user-mode network: %s did not start", what);
	ssize_t n;
	while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return vb_err_errno(err, errno, "user-mode network: %s", what);
	if (n == 0)
		return vb_err_set(err, EPIPE, "user-mode network: %s exited at startup", what);
	if ((size_t)n < VB_NETD_STATUS_HDR_BYTES || memcmp(buf, VB_NETD_MAGIC, 4) != 0)
		return vb_err_set(err, EPROTO, "user-mode network: %s: bad status message", what);
	uint32_t e = 0;
	for (unsigned i = 0; i < 4; i++)
		e |= (uint32_t)buf[4 + i] << (8 * i);
	if (e == 0)
		return 0;
	buf[n] = '\0';
	int errnum = e < 4096 ? (int)e : EIO;
	return vb_err_set(err, errnum, "%s", (const char *)buf + VB_NETD_STATUS_HDR_BYTES);
}

/* sv[1] must not already be VB_NETD_FD: dup2 onto itself would keep its
 * close-on-exec flag. */
static int make_socketpair(int sv[2], struct vb_err *err)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return vb_err_errno(err, errno, "user-mode network: socketpair");
	if (sv[1] <= VB_NETD_FD) {
		int hi = fcntl(sv[1], F_DUPFD_CLOEXEC, VB_NETD_FD + 1);
		if (hi < 0) {
			int e = errno;
			close(sv[0]);
			close(sv[1]);
			return vb_err_errno(err, e, "user-mode network: socketpair");
		}
		close(sv[1]);
		sv[1] = hi;
	}
	return 0;
}

static int check_forwards(const struct vb_net_user_config *cfg, struct vb_err *err)
{
	for (size_t i = 0; i < cfg->n_forwards; i++) {
		struct vb_net_forward fw;
		int r = vb_net_forward_parse(cfg->forwards[i], &fw, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int start_helper(const struct vb_net_user_config *cfg, int sv[2], pid_t *pid,
			struct vb_err *err)
{
	char path[PATH_MAX], parent[24];
	int r = vb_netd_find_helper(path, sizeof(path), err);
	if (r < 0) {
		close(sv[1]);
		vb_err_prefix(err, "user-mode network");
		return r;
	}
	snprintf(parent, sizeof(parent), "%ld", (long)getpid());
	const char **av = build_argv(path, cfg, parent);
	if (!av) {
		close(sv[1]);
		return vb_err_errno(err, ENOMEM, "user-mode network");
	}
	r = spawn_helper(path, av, sv[1], pid);
	free(av);
	close(sv[1]);
	if (r < 0)
		return vb_err_errno(err, -r, "user-mode network: run %s (set %s to its path)", path,
				    VB_NETD_HELPER_ENV);
	r = read_status(sv[0], path, err);
	if (r < 0)
		reap(*pid);
	return r;
}

int vb_net_user_create(const struct vb_net_user_config *cfg, struct vb_net_backend **out,
		       struct vb_err *err)
{
	/* Bad forwards are the machine file's errors: report them without
	 * starting anything. */
	int r = check_forwards(cfg, err);
	if (r < 0)
		return r;
	struct user_client *c = calloc(1, sizeof(*c));
	if (!c)
		return vb_err_errno(err, ENOMEM, "user-mode network");
	int sv[2];
	r = make_socketpair(sv, err);
	if (r == 0) {
		r = start_helper(cfg, sv, &c->pid, err);
		if (r < 0)
			close(sv[0]);
	}
	if (r == 0) {
		vb_netd_grow_sndbuf(sv[0]);
		r = vb_net_socket_create(sv[0], false, &c->sock, err);
		if (r < 0)
			reap(c->pid);
	}
	if (r < 0) {
		free(c);
		return r;
	}
	c->base.ops = &client_ops;
	c->base.mtu = VB_NETD_MTU;
	*out = &c->base;
	return 0;
}
