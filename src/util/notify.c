#include "util/notify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int vb_notify_open(struct vb_notifier *n, const char *value, struct vb_err *err)
{
	memset(n, 0, sizeof(*n));
	n->fd = -1;
	if (!value || !*value)
		return 0;
	if (value[0] != '/' && value[0] != '@')
		return vb_err_set(err, EAFNOSUPPORT,
				  "NOTIFY_SOCKET \"%s\": not a socket path or an @abstract name", value);
	size_t len = strlen(value);
	/* A path needs its terminating NUL in sun_path; an abstract name
	 * takes the '@''s place with a NUL and has no terminator. */
	if (len + (value[0] == '/') > sizeof(n->addr.sun_path))
		return vb_err_set(err, ENAMETOOLONG, "NOTIFY_SOCKET \"%s\": name too long", value);
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, value, len);
	if (value[0] == '@')
		n->addr.sun_path[0] = '\0';
	n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (value[0] == '/'));
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (n->fd < 0)
		return vb_err_errno(err, errno, "NOTIFY_SOCKET: socket");
	return 0;
}

int vb_notify_open_env(struct vb_notifier *n, struct vb_err *err)
{
	const char *value = getenv("NOTIFY_SOCKET");
	int rc = vb_notify_open(n, value, err);
	unsetenv("NOTIFY_SOCKET");
	return rc;
}

int vb_notify_send(const struct vb_notifier *n, const char *message, struct vb_err *err)
{
	if (n->fd < 0)
		return 0;
	size_t len = strlen(message);
	ssize_t sent;
	do
		sent = sendto(n->fd, message, len, MSG_NOSIGNAL | MSG_DONTWAIT,
			      (const struct sockaddr *)&n->addr, n->addr_len);
	while (sent < 0 && errno == EINTR);
	if (sent < 0)
		return vb_err_errno(err, errno, "NOTIFY_SOCKET: send");
	if ((size_t)sent != len)
		return vb_err_set(err, EMSGSIZE, "NOTIFY_SOCKET: send: message cut short");
	return 0;
}

void vb_notify_close(struct vb_notifier *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}
