/* The datagram-socket backend: one frame (header included) per datagram. */
#include "net/backend.h"

#include "net/fdio.h"

static const struct vb_net_backend_ops sock_ops = VB_NET_FDIO_OPS("socket", NULL);

int vb_net_socket_create(int fd, bool offloads, struct vb_net_backend **out, struct vb_err *err)
{
	return vb_net_fdio_create(fd, &sock_ops, offloads, "socket backend", out, err);
}
