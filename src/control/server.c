#include "control/server.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "control/sockdir.h"
#include "util/io.h"
#include "util/log.h"
#include "util/thread.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "dev"
#endif

struct vb_ctl_server {
	int listen_fd;
	int wake_fd;          /* eventfd: close asks the thread to end */
	char path[VB_CTL_PATH_MAX];
	uid_t owner;
	/* Held while a callback runs, so set_ops can swap them safely. */
	pthread_mutex_t ops_lock;
	struct vb_ctl_ops ops;
	uint32_t stop_timeout_s;
	/* Besides wake_fd, what ends a wait for a client: the caller's
	 * descriptors while it serves the socket itself (hand-over). */
	int cancel_fds[2];
	pthread_t tid;
	bool started;
	bool stop_armed;      /* an orderly stop is waiting for its timeout */
	struct timespec stop_deadline;
	bool nudge_armed;     /* ... and will ask the guest once more */
	struct timespec nudge_at;
};

/* ---- request -> reply ---- */

static int call_reply(int (*fn)(void *, struct vb_ctl_reply *, struct vb_err *),
		      const struct vb_ctl_ops *ops, struct vb_ctl_reply *r, struct vb_err *err)
{
	return fn ? fn(ops->ctx, r, err) : vb_err_set(err, ENOTSUP, "not supported");
}

static int call_plain(int (*fn)(void *, struct vb_err *), const struct vb_ctl_ops *ops,
		      struct vb_err *err)
{
	return fn ? fn(ops->ctx, err) : vb_err_set(err, ENOTSUP, "not supported");
}

bool vb_ctl_server_answer(const struct vb_ctl_ops *ops, const char *line, size_t len,
			  uint32_t default_timeout_s, struct vb_ctl_reply *r,
			  uint32_t *timeout_s)
{
	struct vb_ctl_request req;
	struct vb_err err = { "" };
	bool armed = false;
	int rc = vb_ctl_parse_request(line, len, &req, &err);
	if (rc) {
		vb_ctl_reply_error(r, err.msg);
		return false;
	}
	vb_ctl_reply_ok(r);
	switch (req.cmd) {
	case VB_CTL_HELLO:
		vb_ctl_reply_add(r, "protocol", "%d", VB_CTL_PROTOCOL);
		vb_ctl_reply_add(r, "server", "vmboot %s", PACKAGE_VERSION);
		vb_ctl_reply_add(r, "commands", "hello info pause resume stop debug stat balloon console");
		break;
	case VB_CTL_INFO:
		rc = call_reply(ops->info, ops, r, &err);
		break;
	case VB_CTL_PAUSE:
		rc = call_plain(ops->pause, ops, &err);
		break;
	case VB_CTL_RESUME:
		rc = call_plain(ops->resume, ops, &err);
		break;
	case VB_CTL_STOP: {
		uint32_t t = req.timeout_set ? req.timeout_s : default_timeout_s;
		bool force = req.force || t == 0;
		rc = ops->stop ? ops->stop(ops->ctx, force, &err)
			       : vb_err_set(&err, ENOTSUP, "not supported");
		if (!rc) {
			vb_ctl_reply_add(r, "stop", "%s", force ? "forced" : "requested");
			if (!force)
				vb_ctl_reply_add(r, "timeout_s", "%u", t);
			armed = !force;
			*timeout_s = t;
		}
		break;
	}
	case VB_CTL_DEBUG:
		rc = call_reply(ops->debug, ops, r, &err);
		break;
	case VB_CTL_STAT:
		rc = call_reply(ops->stat, ops, r, &err);
		break;
	case VB_CTL_BALLOON:
		rc = ops->balloon ? ops->balloon(ops->ctx, req.balloon_deflate, req.balloon_bytes, r,
						 &err)
				  : vb_err_set(&err, ENOTSUP, "not supported");
		break;
	case VB_CTL_CONSOLE:
		rc = call_reply(ops->console, ops, r, &err);
		break;
	}
	if (rc) {
		vb_err_prefix(&err, "%s", vb_ctl_cmd_name(req.cmd));
		vb_ctl_reply_error(r, err.msg);
		return false;
	}
	return armed;
}

/* ---- socket I/O ---- */

static int64_t ms_until(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t ms = (int64_t)(t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms;
}

/* Waits for events on fd, the wake eventfd or a cancel descriptor;
 * returns 1 ready, 0 timeout, wake or cancel, -errno. */
static int wait_fd(struct vb_ctl_server *s, int fd, short events)
{
	struct pollfd p[4] = { { .fd = fd, .events = events },
			       { .fd = s->wake_fd, .events = POLLIN },
			       { .fd = s->cancel_fds[0], .events = POLLIN },
			       { .fd = s->cancel_fds[1], .events = POLLIN } };
	for (;;) {
		int n = poll(p, 4, VB_CTL_IO_TIMEOUT_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0 || (p[1].revents | p[2].revents | p[3].revents) & POLLIN)
			return 0;
		return 1;
	}
}

static int room_to_send(void *ctx, int fd)
{
	return wait_fd(ctx, fd, POLLOUT);
}

/* As a socket: a client that hung up must not SIGPIPE the VM. */
static int send_all(struct vb_ctl_server *s, int fd, const char *buf, size_t len)
{
	return vb_write_all_wait(fd, buf, len, true, room_to_send, s);
}

static int send_reply(struct vb_ctl_server *s, int fd, struct vb_ctl_reply *r)
{
	size_t len;
	const char *text = vb_ctl_reply_finish(r, &len);
	return send_all(s, fd, text, len);
}

static int send_error(struct vb_ctl_server *s, int fd, const char *msg)
{
	struct vb_ctl_reply r;
	vb_ctl_reply_init(&r);
	vb_ctl_reply_error(&r, msg);
	int rc = send_reply(s, fd, &r);
	vb_ctl_reply_free(&r);
	return rc;
}

static bool peer_allowed(struct vb_ctl_server *s, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred)) {
		send_error(s, fd, "permission denied: cannot read the peer's credentials");
		return false;
	}
	if (cred.uid != s->owner) {
		char msg[128];
		snprintf(msg, sizeof(msg), "permission denied: uid %u does not own this VM",
			 (unsigned)cred.uid);
		send_error(s, fd, msg);
		return false;
	}
	return true;
}

static void arm_stop(struct vb_ctl_server *s, uint32_t timeout_s)
{
	clock_gettime(CLOCK_MONOTONIC, &s->stop_deadline);
	s->nudge_at = s->stop_deadline;
	s->stop_deadline.tv_sec += timeout_s;
	s->nudge_at.tv_sec += timeout_s / 2 < VB_CTL_STOP_NUDGE_S ? timeout_s / 2 : VB_CTL_STOP_NUDGE_S;
	s->stop_armed = true;
	s->nudge_armed = true;
}

/* Answers one line; returns 0 to go on, -errno to drop the client. */
static int answer_line(struct vb_ctl_server *s, int fd, const char *line, size_t len)
{
	struct vb_ctl_reply r;
	uint32_t timeout_s = 0;
	vb_ctl_reply_init(&r);
	pthread_mutex_lock(&s->ops_lock);
	bool armed = vb_ctl_server_answer(&s->ops, line, len, s->stop_timeout_s, &r, &timeout_s);
	pthread_mutex_unlock(&s->ops_lock);
	if (armed)
		arm_stop(s, timeout_s);
	int rc = send_reply(s, fd, &r);
	vb_ctl_reply_free(&r);
	return rc;
}

/* Serves one client until it hangs up, stalls, or misbehaves beyond
 * repair (a line too long to find its end). */
static void serve_client(struct vb_ctl_server *s, int fd)
{
	char buf[VB_CTL_LINE_MAX];
	size_t used = 0;
	if (!peer_allowed(s, fd))
		return;
	for (;;) {
		char *nl;
		while ((nl = memchr(buf, '\n', used))) {
			size_t len = (size_t)(nl - buf);
			if (answer_line(s, fd, buf, len))
				return;
			used -= len + 1;
			memmove(buf, nl + 1, used);
		}
		if (used == sizeof(buf)) {
			char msg[96];
			snprintf(msg, sizeof(msg), "request: longer than %d bytes",
				 VB_CTL_LINE_MAX - 1);
			send_error(s, fd, msg);
			return;
		}
		ssize_t n = recv(fd, buf + used, sizeof(buf) - used, 0);
		if (n == 0)
			return;
		if (n > 0) {
			used += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || wait_fd(s, fd, POLLIN) <= 0)
			return;
	}
}

/* The guest did not stop by the nudge time (force false) or the deadline
 * (force true): ask again, or end the run. */
static void stop_again(struct vb_ctl_server *s, bool force)
{
	struct vb_err err = { .msg = "" };
	if (force)
		s->stop_armed = false;
	s->nudge_armed = false;
	pthread_mutex_lock(&s->ops_lock);
	int rc = s->ops.stop ? s->ops.stop(s->ops.ctx, force, &err) : 0;
	pthread_mutex_unlock(&s->ops_lock);
	if (rc)
		vb_log(VB_LOG_ERROR, "control: %s stop failed: %s", force ? "forced" : "second", err.msg);
}

/* Milliseconds until the next stop step, or -1 (poll's forever). */
int vb_ctl_server_timeout_ms(const struct vb_ctl_server *s)
{
	if (!s->stop_armed)
		return -1;
	int64_t ms = ms_until(s->nudge_armed ? &s->nudge_at : &s->stop_deadline);
	return ms > 1000000 ? 1000000 : (int)ms;
}

int vb_ctl_server_fd(const struct vb_ctl_server *s)
{
	return s->listen_fd;
}

void vb_ctl_server_serve(struct vb_ctl_server *s, bool readable, int cancel_a, int cancel_b)
{
	if (s->stop_armed && s->nudge_armed && ms_until(&s->nudge_at) == 0)
		stop_again(s, false);
	if (s->stop_armed && ms_until(&s->stop_deadline) == 0)
		stop_again(s, true);
	if (!readable)
		return;
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	s->cancel_fds[0] = cancel_a;
	s->cancel_fds[1] = cancel_b;
	serve_client(s, fd);
	s->cancel_fds[0] = s->cancel_fds[1] = -1;
	close(fd);
}

static void *server_main(void *arg)
{
	struct vb_ctl_server *s = arg;
	for (;;) {
		struct pollfd p[2] = { { .fd = s->listen_fd, .events = POLLIN },
				       { .fd = s->wake_fd, .events = POLLIN } };
		int n = poll(p, 2, vb_ctl_server_timeout_ms(s));
		if (n < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN)
			break;
		vb_ctl_server_serve(s, n > 0 && (p[0].revents & POLLIN), -1, -1);
	}
	return NULL;
}

/* ---- lifetime ---- */

int vb_ctl_server_open(const char *dir, const char *name, struct vb_ctl_server **out,
		       struct vb_err *err)
{
	*out = NULL;
	struct vb_ctl_server *s = calloc(1, sizeof(*s));
	if (!s)
		return vb_err_set(err, ENOMEM, "control server: out of memory");
	s->wake_fd = -1;
	s->cancel_fds[0] = s->cancel_fds[1] = -1;
	s->owner = geteuid();
	pthread_mutex_init(&s->ops_lock, NULL);
	int rc = vb_ctl_listen(dir, name, &s->listen_fd, s->path, sizeof(s->path), err);
	if (rc) {
		pthread_mutex_destroy(&s->ops_lock);
		free(s);
		return rc;
	}
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_fd < 0) {
		rc = vb_err_errno(err, errno, "control server: eventfd");
		vb_ctl_server_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

int vb_ctl_server_start(struct vb_ctl_server *s, const struct vb_ctl_ops *ops,
			uint32_t stop_timeout_s, struct vb_err *err)
{
	s->ops = *ops;
	s->stop_timeout_s = stop_timeout_s;
	int rc = vb_thread_start_blocked(&s->tid, server_main, s, "control server", err);
	s->started = rc == 0;
	return rc;
}

void vb_ctl_server_set_ops(struct vb_ctl_server *s, const struct vb_ctl_ops *ops)
{
	pthread_mutex_lock(&s->ops_lock);
	s->ops = *ops;
	pthread_mutex_unlock(&s->ops_lock);
}

const char *vb_ctl_server_path(const struct vb_ctl_server *s)
{
	return s->path;
}

void vb_ctl_server_stop(struct vb_ctl_server *s)
{
	if (s && s->started) {
		uint64_t one = 1;
		/* An eventfd write of 1 cannot fail short of a counter overflow. */
		if (write(s->wake_fd, &one, sizeof(one)) < 0)
			vb_log(VB_LOG_ERROR, "control: wake: %s", strerror(errno));
		pthread_join(s->tid, NULL);
		s->started = false;
		/* Reset the eventfd, so a later start does not end at once. */
		if (read(s->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			vb_log(VB_LOG_ERROR, "control: wake: %s", strerror(errno));
	}
}

void vb_ctl_server_close(struct vb_ctl_server *s)
{
	if (!s)
		return;
	vb_ctl_server_stop(s);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->path);
	}
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	pthread_mutex_destroy(&s->ops_lock);
	free(s);
}
