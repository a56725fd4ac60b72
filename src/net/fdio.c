#include "net/fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/* Frames read per wakeup at most, so a flood on one NIC cannot starve the
 * guest's transmit queue handled by the same thread. */
#define FDIO_BATCH 64

int vb_net_fdio_init(struct vb_net_fdio *io, int fd, struct vb_err *err)
{
	io->fd = fd;
	io->poll_index = -1;
	io->buf = malloc(VB_NET_FRAME_MAX_BYTES);
	int fl = fcntl(fd, F_GETFL);
	if (!io->buf || fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int e = io->buf ? errno : ENOMEM;
		vb_net_fdio_fini(io);
		return vb_err_errno(err, e, "network backend");
	}
	return 0;
}

void vb_net_fdio_fini(struct vb_net_fdio *io)
{
	if (io->fd >= 0)
		close(io->fd);
	io->fd = -1;
	free(io->buf);
	io->buf = NULL;
}

int vb_net_fdio_send(struct vb_net_fdio *io, const uint8_t *frame, size_t len)
{
	for (;;) {
		ssize_t n = write(io->fd, frame, len);
		if (n >= 0)
			return (size_t)n == len ? 0 : -EIO;
		if (errno != EINTR)
			return -errno;
	}
}

int vb_net_fdio_prepare(struct vb_net_fdio *io, struct vb_net_pollset *set, bool want_rx)
{
	io->poll_index = -1;
	if (!want_rx || io->eof)
		return 0;
	int i = vb_net_pollset_add(set, io->fd, POLLIN);
	if (i < 0)
		return i;
	io->poll_index = i;
	return 0;
}

void vb_net_fdio_dispatch(struct vb_net_fdio *io, const struct vb_net_sink *sink,
			  const struct vb_net_pollset *set)
{
	if (io->poll_index < 0 || (unsigned)io->poll_index >= set->n ||
	    !(set->fds[io->poll_index].revents & (POLLIN | POLLERR | POLLHUP)))
		return;
	for (unsigned i = 0; i < FDIO_BATCH && sink->ready(sink->ctx); i++) {
		ssize_t n = read(io->fd, io->buf, VB_NET_FRAME_MAX_BYTES);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			io->eof = true;
			return;
		}
		if (n < 0)
			return;
		sink->deliver(sink->ctx, io->buf, (size_t)n);
	}
}
