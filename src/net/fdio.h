/* Frame I/O on one non-blocking descriptor that keeps frame boundaries
 * (a tap, a datagram socket): shared by the tap and socket backends.
 * Internal to src/net. */
#ifndef VB_NET_FDIO_H
#define VB_NET_FDIO_H

#include "net/backend.h"

struct vb_net_fdio {
	int fd;
	int poll_index; /* in the current pollset, -1: not polled */
	bool eof;       /* the peer went away: stop polling (no busy loop) */
	uint8_t *buf;   /* VB_NET_FRAME_MAX_BYTES */
};

/* Takes ownership of fd (closed on failure too) and makes it non-blocking. */
int vb_net_fdio_init(struct vb_net_fdio *io, int fd, struct vb_err *err);
void vb_net_fdio_fini(struct vb_net_fdio *io);
/* 0, or -errno (EAGAIN: the host queue is full; the frame is dropped as
 * a full NIC would drop it). */
int vb_net_fdio_send(struct vb_net_fdio *io, const uint8_t *frame, size_t len);
int vb_net_fdio_prepare(struct vb_net_fdio *io, struct vb_net_pollset *set, bool want_rx);
void vb_net_fdio_dispatch(struct vb_net_fdio *io, const struct vb_net_sink *sink,
			  const struct vb_net_pollset *set);

#endif
