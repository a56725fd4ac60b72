#include "net/fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/* Frames read per wakeup at most, so a flood on one NIC cannot starve the
 * guest's transmit queue handled by the same thread. */
#define FDIO_BATCH 64

struct fdio_backend {
	struct vb_net_backend base;
	int fd;
	int poll_index; /* in the current pollset, -1: not polled */
	bool eof;       /* the peer went away: stop polling (no busy loop) */
	uint8_t *buf;   /* VB_NET_FRAME_MAX_BYTES */
};

void vb_net_fdio_destroy(struct vb_net_backend *b)
{
	struct fdio_backend *io = (struct fdio_backend *)b;
	if (io->fd >= 0)
		close(io->fd);
	free(io->buf);
	free(io);
}

int vb_net_fdio_create(int fd, const struct vb_net_backend_ops *ops, bool offloads,
		       const char *what, struct vb_net_backend **out, struct vb_err *err)
{
	struct fdio_backend *io = calloc(1, sizeof(*io));
	if (!io) {
		close(fd);
		return vb_err_errno(err, ENOMEM, "%s", what);
	}
	io->base.ops = ops;
	io->base.offloads = offloads;
	io->fd = fd;
	io->poll_index = -1;
	io->buf = malloc(VB_NET_FRAME_MAX_BYTES);
	int fl = fcntl(fd, F_GETFL);
	if (!io->buf || fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int e = io->buf ? errno : ENOMEM;
		vb_net_fdio_destroy(&io->base);
		return vb_err_errno(err, e, "network backend");
	}
	*out = &io->base;
	return 0;
}

int vb_net_fdio_fd(const struct vb_net_backend *b)
{
	return ((const struct fdio_backend *)b)->fd;
}

int vb_net_fdio_send(struct vb_net_backend *b, const uint8_t *frame, size_t len)
{
	struct fdio_backend *io = (struct fdio_backend *)b;
	for (;;) {
		ssize_t n = write(io->fd, frame, len);
		if (n >= 0)
			return (size_t)n == len ? 0 : -EIO;
		if (errno != EINTR)
			return -errno;
	}
}

int vb_net_fdio_prepare(struct vb_net_backend *b, struct vb_net_pollset *set, bool want_rx,
			int *timeout_ms)
{
	(void)timeout_ms;
	struct fdio_backend *io = (struct fdio_backend *)b;
	io->poll_index = -1;
	if (!want_rx || io->eof)
		return 0;
	int i = vb_net_pollset_add(set, io->fd, POLLIN);
	if (i < 0)
		return i;
	io->poll_index = i;
	return 0;
}

void vb_net_fdio_dispatch(struct vb_net_backend *b, const struct vb_net_pollset *set)
{
	struct fdio_backend *io = (struct fdio_backend *)b;
	const struct vb_net_sink *sink = &b->sink;
	if (io->poll_index < 0 || (unsigned)io->poll_index >= set->n ||
	    !(set->fds[io->poll_index].revents & (POLLIN | POLLERR | POLLHUP)))
		return;
	if (!vb_net_read_frames(io->fd, false, io->buf, FDIO_BATCH, sink))
		io->eof = true;
}
