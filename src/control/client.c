#include "control/client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control/proto.h"

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int wait_for(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* How often a connect that found the backlog full is tried again: AF_UNIX
 * gives no event for room in a backlog. */
#define CONNECT_RETRY_MS 10

/* The credentials of a connected AF_UNIX peer are those of the process
 * that called listen(2) (unix(7), SO_PEERCRED). */
static pid_t peer_pid_of(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred))
		return 0;
	return cred.pid;
}

/* Non-blocking, so a listener whose backlog is full (a VM that stopped
 * accepting) costs at most the deadline rather than blocking for ever:
 * Linux answers EAGAIN there, which is tried again until the deadline. */
static int connect_to(const char *path, int64_t deadline, struct vb_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return vb_err_set(err, ENAMETOOLONG, "%s: socket path too long", path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return vb_err_errno(err, errno, "socket");
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		int e = errno;
		if (e == EINTR)
			continue;
		if (e == EAGAIN && now_ms() + CONNECT_RETRY_MS < deadline) {
			struct timespec t = { 0, CONNECT_RETRY_MS * 1000000L };
			nanosleep(&t, NULL);
			continue;
		}
		close(fd);
		if (e == EAGAIN)
			return vb_err_set(err, ETIMEDOUT,
					  "connect %s: the VM accepts no connections (its backlog is full)",
					  path);
		return vb_err_errno(err, e, "connect %s", path);
	}
}

static int send_request(int fd, const char *line, size_t len, int64_t deadline,
			struct vb_err *err)
{
	size_t done = 0;
	while (done < len) {
		ssize_t w = send(fd, line + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return vb_err_errno(err, errno, "send");
		int rc = wait_for(fd, POLLOUT, deadline);
		if (rc)
			return vb_err_errno(err, -rc, "send");
	}
	return 0;
}

/* Reads up to the empty line that ends a reply. */
static int read_reply(int fd, char **out, int64_t deadline, struct vb_err *err)
{
	size_t cap = 4096, used = 0;
	char *buf = malloc(cap);
	if (!buf)
		return vb_err_set(err, ENOMEM, "reply: out of memory");
	for (;;) {
		buf[used] = 0;
		if ((used >= 2 && !strcmp(buf + used - 2, "\n\n")) || (used == 1 && buf[0] == '\n'))
			break;
		if (used + 1 == cap) {
			if (cap >= VB_CTL_REPLY_MAX) {
				free(buf);
				return vb_err_set(err, EMSGSIZE, "reply: longer than %d bytes",
						  VB_CTL_REPLY_MAX);
			}
			char *b = realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				return vb_err_set(err, ENOMEM, "reply: out of memory");
			}
			buf = b;
			cap *= 2;
		}
		ssize_t n = recv(fd, buf + used, cap - used - 1, MSG_DONTWAIT);
		if (n > 0) {
			used += (size_t)n;
			continue;
		}
		if (n == 0) {
			free(buf);
			return vb_err_set(err, EPIPE, "reply: the VM closed the connection early");
		}
		int rc = errno == EAGAIN || errno == EINTR ? wait_for(fd, POLLIN, deadline) : -errno;
		if (rc) {
			free(buf);
			return vb_err_errno(err, -rc, "reply");
		}
	}
	*out = buf;
	return 0;
}

int vb_ctl_call_within(const char *path, const char *request, int timeout_ms, char **reply,
		       const char **body, pid_t *peer_pid, struct vb_err *err)
{
	*reply = NULL;
	*body = NULL;
	if (peer_pid)
		*peer_pid = 0;
	char line[VB_CTL_LINE_MAX + 1];
	int n = snprintf(line, sizeof(line), "%s %s\n", VB_CTL_VERSION_WORD, request);
	if (n < 0 || n >= VB_CTL_LINE_MAX)
		return vb_err_set(err, EMSGSIZE, "request: too long");
	int64_t deadline = now_ms() + timeout_ms;
	int fd = connect_to(path, deadline, err);
	if (fd < 0)
		return fd;
	if (peer_pid)
		*peer_pid = peer_pid_of(fd);
	int rc = send_request(fd, line, (size_t)n, deadline, err);
	char *text = NULL;
	/* A server that refuses us (wrong uid) replies and hangs up at once,
	 * maybe before our request is sent: its reply is still worth reading. */
	struct vb_err read_err = { .msg = "" };
	int rrc = read_reply(fd, &text, deadline, rc ? &read_err : err);
	if (!rc || !rrc)
		rc = rrc;
	close(fd);
	if (rc)
		return rc;
	rc = vb_ctl_reply_check(text, body, err);
	if (rc) {
		free(text);
		*body = NULL;
		return rc;
	}
	*reply = text;
	return 0;
}

int vb_ctl_call(const char *path, const char *request, char **reply, const char **body,
		struct vb_err *err)
{
	return vb_ctl_call_within(path, request, VB_CTL_CLIENT_TIMEOUT_MS, reply, body, NULL, err);
}
