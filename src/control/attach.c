#include "control/attach.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "dev/term.h"
#include "util/io.h"

/* A paste into a guest that reads nothing would stall the relay: input
 * waits this long for room in the pty, then is dropped. */
#define INPUT_WAIT_MS 1000

struct relay {
	int in_fd, out_fd, pty_fd, sig_fd;
	bool in_open;
};

/* Checks that fd, path opened, is a terminal and takes it for this
 * console. */
static int claim_pty(int fd, const char *path, struct vb_err *err)
{
	if (!isatty(fd))
		return vb_err_set(err, EINVAL, "console: %s is not a terminal", path);
	/* flock on the device node: every `vmboot console` opening this pty
	 * meets the same lock (picocom and screen do likewise). */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		return vb_err_set(err, EBUSY,
				  "console: %s is already attached elsewhere (detach there with Ctrl-])",
				  path);
	return vb_err_errno(err, errno, "console: flock %s", path);
}

static int open_pty(const char *path, struct vb_err *err)
{
	static const char prefix[] = "/dev/pts/";
	if (strncmp(path, prefix, sizeof(prefix) - 1) || strstr(path, ".."))
		return vb_err_set(err, EINVAL, "console: \"%s\" is not a pty", path);
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return vb_err_errno(err, errno, "console: open %s", path);
	int r = claim_pty(fd, path, err);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* Writes input to the pty, waiting a little for room; what still does
 * not fit is dropped (the guest is not reading its console). */
static int pty_room(void *ctx, int fd)
{
	(void)ctx;
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	return poll(&p, 1, INPUT_WAIT_MS);
}

static void to_pty(struct relay *r, const uint8_t *buf, size_t n)
{
	(void)vb_write_all_wait(r->pty_fd, buf, n, false, pty_room, NULL);
}

/* Returns true when the detach key was typed. */
static bool from_user(struct relay *r)
{
	uint8_t buf[1024];
	ssize_t n = read(r->in_fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return false;
	if (n <= 0) {
		r->in_open = false; /* end of input: keep showing output */
		return false;
	}
	uint8_t *key = memchr(buf, VB_ATTACH_DETACH_KEY, (size_t)n);
	to_pty(r, buf, key ? (size_t)(key - buf) : (size_t)n);
	return key != NULL;
}

/* Returns 0 to go on, or the end. */
static int from_vm(struct relay *r, enum vb_attach_end *end)
{
	uint8_t buf[4096];
	ssize_t n = read(r->pty_fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		/* EIO: the master is closed, the VM is gone. */
		*end = VB_ATTACH_HANGUP;
		return 1;
	}
	if (vb_write_all(r->out_fd, buf, (size_t)n) != n) {
		*end = VB_ATTACH_OUTPUT_GONE;
		return 1;
	}
	return 0;
}

static int relay_loop(struct relay *r, enum vb_attach_end *end, struct vb_err *err)
{
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = r->sig_fd, .events = POLLIN },
			{ .fd = r->pty_fd, .events = POLLIN },
			{ .fd = r->in_open ? r->in_fd : -1, .events = POLLIN },
		};
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return vb_err_errno(err, errno, "console: poll");
		}
		if (p[0].revents) {
			*end = VB_ATTACH_SIGNAL;
			return 0;
		}
		if (p[1].revents && from_vm(r, end))
			return 0;
		if (p[2].revents && from_user(r)) {
			*end = VB_ATTACH_DETACHED;
			return 0;
		}
	}
}

int vb_ctl_attach(const char *pty_path, int in_fd, int out_fd, enum vb_attach_end *end,
		  struct vb_err *err)
{
	struct relay r = { .in_fd = in_fd, .out_fd = out_fd, .in_open = in_fd >= 0 };
	r.pty_fd = open_pty(pty_path, err);
	if (r.pty_fd < 0)
		return r.pty_fd;
	/* The signals that end an attach arrive on a signalfd, so the
	 * terminal is restored on the normal path; SIGPIPE is taken too, so
	 * a closed output pipe is an error return, not a death in raw mode. */
	sigset_t sigs, old;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	sigset_t ending = sigs;
	sigdelset(&ending, SIGPIPE);
	r.sig_fd = signalfd(-1, &ending, SFD_CLOEXEC | SFD_NONBLOCK);
	int rc = r.sig_fd < 0 ? vb_err_errno(err, errno, "console: signalfd") : 0;
	struct vb_term term;
	vb_term_attach_fd(&term, -1);
	if (!rc && r.in_open)
		rc = vb_term_open(&term, in_fd, err);
	if (!rc)
		rc = relay_loop(&r, end, err);
	vb_term_close(&term);
	if (r.sig_fd >= 0)
		close(r.sig_fd);
	close(r.pty_fd);
	/* A SIGPIPE left pending would kill us as the mask comes back. */
	struct timespec zero = { 0, 0 };
	sigset_t pipe_only;
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	while (sigtimedwait(&pipe_only, NULL, &zero) == SIGPIPE)
		;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static bool append(char *out, size_t size, size_t *used, const char *s, size_t len)
{
	if (*used + len >= size)
		return false;
	memcpy(out + *used, s, len);
	*used += len;
	out[*used] = 0;
	return true;
}

/* Appends s single-quoted for sh: a ' inside becomes '\''. */
static bool quote(char *out, size_t size, size_t *used, const char *s)
{
	bool ok = append(out, size, used, "'", 1);
	for (const char *p = s; ok && *p; p++)
		ok = *p == '\'' ? append(out, size, used, "'\\''", 4) : append(out, size, used, p, 1);
	return ok && append(out, size, used, "'", 1);
}

int vb_ctl_tmux_argv(const char *exe, const char *name, bool split, const char *env_assign,
		     char *shell, size_t size, const char *argv[VB_TMUX_ARGV_MAX])
{
	size_t used = 0;
	if (!size)
		return -ENAMETOOLONG;
	shell[0] = 0;
	if (!quote(shell, size, &used, exe) || !append(shell, size, &used, " console ", 9) ||
	    !quote(shell, size, &used, name))
		return -ENAMETOOLONG;
	size_t n = 0;
	argv[n++] = "tmux";
	argv[n++] = split ? "split-window" : "new-window";
	if (!split) {
		argv[n++] = "-n";
		argv[n++] = name;
	}
	if (env_assign) {
		argv[n++] = "-e";
		argv[n++] = env_assign;
	}
	argv[n++] = shell;
	argv[n] = NULL;
	return 0;
}
