/* The datagram-socket backend: one frame (header included) per datagram. */
#include "net/backend.h"

#include "net/fdio.h"

static const struct vb_net_backend_ops sock_ops = {
	.kind = "socket",
	.send = vb_net_fdio_send,
	.poll_prepare = vb_net_fdio_prepare,
	.poll_dispatch = vb_net_fdio_dispatch,
	.destroy = vb_net_fdio_destroy,
};

int vb_net_socket_create(int fd, bool offloads, struct vb_net_backend **out, struct vb_err *err)
{
	return vb_net_fdio_create(fd, &sock_ops, offloads, "socket backend", out, err);
}
