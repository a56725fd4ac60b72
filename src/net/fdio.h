/* A backend on one non-blocking descriptor that keeps frame boundaries
 * (a tap, a datagram socket): the tap and socket backends are this, each
 * with its own ops table. Internal to src/net. */
#ifndef VB_NET_FDIO_H
#define VB_NET_FDIO_H

#include "net/backend.h"

/* Takes ownership of fd (closed on failure too), makes it non-blocking
 * and returns in *out a backend with ops, a VB_NET_FDIO_OPS table. what
 * starts an allocation error ("socket backend"). */
int vb_net_fdio_create(int fd, const struct vb_net_backend_ops *ops, bool offloads,
		       const char *what, struct vb_net_backend **out, struct vb_err *err);
/* The descriptor of a backend vb_net_fdio_create made. */
int vb_net_fdio_fd(const struct vb_net_backend *b);

/* 0, or -errno (EAGAIN: the host queue is full; the frame is dropped as
 * a full NIC would drop it). */
int vb_net_fdio_send(struct vb_net_backend *b, const uint8_t *frame, size_t len);
int vb_net_fdio_prepare(struct vb_net_backend *b, struct vb_net_pollset *set, bool want_rx,
			int *timeout_ms);
void vb_net_fdio_dispatch(struct vb_net_backend *b, const struct vb_net_pollset *set);
void vb_net_fdio_destroy(struct vb_net_backend *b);

/* The ops of such a backend: the vb_net_fdio_* above, with the backend's
 * own kind ("tap") and set_offload (NULL: none). */
#define VB_NET_FDIO_OPS(kind_, set_offload_)                                              \
	{ .kind = (kind_), .send = vb_net_fdio_send, .poll_prepare = vb_net_fdio_prepare, \
	  .poll_dispatch = vb_net_fdio_dispatch, .set_offload = (set_offload_),           \
	  .destroy = vb_net_fdio_destroy }

#endif
