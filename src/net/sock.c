/* The datagram-socket backend: one frame (header included) per datagram. */
#include "net/backend.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/fdio.h"

struct sock_backend {
	struct vb_net_backend base;
	struct vb_net_fdio io;
};

static int sock_send(struct vb_net_backend *b, const uint8_t *frame, size_t len)
{
	struct sock_backend *s = (struct sock_backend *)b;
	return vb_net_fdio_send(&s->io, frame, len);
}

static int sock_prepare(struct vb_net_backend *b, struct vb_net_pollset *set, bool want_rx,
			int *timeout_ms)
{
	(void)timeout_ms;
	struct sock_backend *s = (struct sock_backend *)b;
	return vb_net_fdio_prepare(&s->io, set, want_rx);
}

static void sock_dispatch(struct vb_net_backend *b, const struct vb_net_pollset *set)
{
	struct sock_backend *s = (struct sock_backend *)b;
	vb_net_fdio_dispatch(&s->io, &b->sink, set);
}

static void sock_destroy(struct vb_net_backend *b)
{
	struct sock_backend *s = (struct sock_backend *)b;
	vb_net_fdio_fini(&s->io);
	free(s);
}

static const struct vb_net_backend_ops sock_ops = {
	.kind = "socket",
	.send = sock_send,
	.poll_prepare = sock_prepare,
	.poll_dispatch = sock_dispatch,
	.destroy = sock_destroy,
};

int vb_net_socket_create(int fd, bool offloads, struct vb_net_backend **out, struct vb_err *err)
{
	struct sock_backend *s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return vb_err_errno(err, ENOMEM, "socket backend");
	}
	int r = vb_net_fdio_init(&s->io, fd, err);
	if (r < 0) {
		free(s);
		return r;
	}
	s->base.ops = &sock_ops;
	s->base.offloads = offloads;
	*out = &s->base;
	return 0;
}
