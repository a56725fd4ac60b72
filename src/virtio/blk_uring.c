/* A disk's io_uring, locked down to its image (blk_uring.h). */
#include "virtio/blk_uring.h"

#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The image is the ring's one registered file. */
#define IMAGE_SLOT 0
/* Submission entries: a queue's worth, submitted in batches; completions
 * have room for every request in flight (the CQ ring never overflows). */
#define SQ_ENTRIES 256u
/* A transfer this large goes to the kernel's io_uring workers
 * (IOSQE_ASYNC) rather than running inline in the submitting thread:
 * an image in the host's page cache is a memory copy, and a readahead's
 * copies then run side by side on the host's CPUs instead of one after
 * the other on the I/O thread, as QEMU's thread pool runs them. A small
 * request stays inline, where a handoff would only add to its latency. */
#define ASYNC_MIN_BYTES (64u * 1024u)

struct vb_blk_ring {
	struct io_uring ring;
	unsigned in_flight; /* queued or submitted, not reaped yet */
};

/* io_uring_register(2) itself: Debian's liburing 2.3 builds
 * io_uring_register_restrictions and io_uring_enable_rings into its
 * static archive but leaves them out of the shared library's symbol map.
 * -errno like liburing. */
static int ring_register(struct io_uring *ring, unsigned op, const void *arg, unsigned nr)
{
	long r = syscall(__NR_io_uring_register, ring->ring_fd, op, arg, nr);
	return r < 0 ? -errno : 0;
}

/* What the ring may do once enabled: move data on fixed files and sync
 * them. IOSQE_FIXED_FILE on every SQE, IOSQE_ASYNC allowed (where a
 * request runs, not what it may touch), no other flag; no register
 * operation (none is listed). */
static int restrict_ring(struct io_uring *ring)
{
	static const uint8_t ops[] = {
		IORING_OP_READ, IORING_OP_WRITE, IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC,
	};
	struct io_uring_restriction res[sizeof(ops) + 2];
	memset(res, 0, sizeof(res));
	for (size_t i = 0; i < sizeof(ops); i++) {
		res[i].opcode = IORING_RESTRICTION_SQE_OP;
		res[i].sqe_op = ops[i];
	}
	res[sizeof(ops)].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
	res[sizeof(ops)].sqe_flags = IOSQE_FIXED_FILE;
	res[sizeof(ops) + 1].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
	res[sizeof(ops) + 1].sqe_flags = IOSQE_ASYNC;
	return ring_register(ring, IORING_REGISTER_RESTRICTIONS, res, sizeof(ops) + 2);
}

/* Everything that must happen while the ring is still disabled. */
static int lock_down(struct io_uring *ring, int image_fd, int event_fd, struct vb_err *err)
{
	int r = io_uring_register_files(ring, &image_fd, 1);
	if (r < 0)
		return vb_err_errno(err, -r, "io_uring: register the image");
	r = io_uring_register_eventfd(ring, event_fd);
	if (r < 0)
		return vb_err_errno(err, -r, "io_uring: register the completion eventfd");
	r = restrict_ring(ring);
	if (r < 0)
		return vb_err_errno(err, -r, "io_uring: register restrictions");
	r = ring_register(ring, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
	if (r < 0)
		return vb_err_errno(err, -r, "io_uring: enable");
	return 0;
}

int vb_blk_ring_open(int image_fd, int event_fd, unsigned max_in_flight,
		     struct vb_blk_ring **out, struct vb_err *err)
{
	*out = NULL;
	struct vb_blk_ring *r = calloc(1, sizeof(*r));
	if (!r)
		return vb_err_errno(err, ENOMEM, "io_uring");
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_R_DISABLED | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
	unsigned sq = max_in_flight < SQ_ENTRIES ? max_in_flight : SQ_ENTRIES;
	p.cq_entries = max_in_flight < sq ? sq : max_in_flight;
	int rc = io_uring_queue_init_params(sq ? sq : 1, &r->ring, &p);
	if (rc < 0) {
		free(r);
		return vb_err_errno(err, -rc, "io_uring_setup");
	}
	rc = lock_down(&r->ring, image_fd, event_fd, err);
	if (rc < 0) {
		io_uring_queue_exit(&r->ring);
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void vb_blk_ring_close(struct vb_blk_ring *r)
{
	if (!r)
		return;
	while (vb_blk_ring_drain(r))
		;
	io_uring_queue_exit(&r->ring);
	free(r);
}

static struct io_uring_sqe *get_sqe(struct vb_blk_ring *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
	if (!sqe && io_uring_submit(&r->ring) >= 0)
		sqe = io_uring_get_sqe(&r->ring);
	return sqe;
}

/* The SQE for what a still has to do: the sync of a write-through write,
 * or the (rest of the) transfer, or a flush. */
static void prep(struct io_uring_sqe *sqe, struct vb_blk_aio *a)
{
	struct vb_blk_io *io = &a->io;
	bool write = io->kind == VB_BLK_IO_WRITE;
	if (a->syncing || io->kind == VB_BLK_IO_FLUSH)
		io_uring_prep_fsync(sqe, IMAGE_SLOT, IORING_FSYNC_DATASYNC);
	else if (io->n_iov == 1 && write)
		io_uring_prep_write(sqe, IMAGE_SLOT, io->iov->iov_base, (unsigned)io->iov->iov_len,
				    io->pos);
	else if (io->n_iov == 1)
		io_uring_prep_read(sqe, IMAGE_SLOT, io->iov->iov_base, (unsigned)io->iov->iov_len,
				   io->pos);
	else if (write)
		io_uring_prep_writev(sqe, IMAGE_SLOT, io->iov, io->n_iov, io->pos);
	else
		io_uring_prep_readv(sqe, IMAGE_SLOT, io->iov, io->n_iov, io->pos);
	sqe->flags |= IOSQE_FIXED_FILE;
	if (!a->syncing && io->kind != VB_BLK_IO_FLUSH && a->left >= ASYNC_MIN_BYTES)
		sqe->flags |= IOSQE_ASYNC;
	io_uring_sqe_set_data(sqe, a);
}

static int requeue(struct vb_blk_ring *r, struct vb_blk_aio *a)
{
	struct io_uring_sqe *sqe = get_sqe(r);
	if (!sqe)
		return -EBUSY;
	prep(sqe, a);
	r->in_flight++;
	return 0;
}

int vb_blk_ring_queue(struct vb_blk_ring *r, struct vb_blk_aio *a)
{
	a->syncing = false;
	a->left = 0;
	for (unsigned i = 0; i < a->io.n_iov; i++)
		a->left += a->io.iov[i].iov_len;
	if (a->io.kind == VB_BLK_IO_DONE)
		return -EINVAL;
	return requeue(r, a);
}

int vb_blk_ring_submit(struct vb_blk_ring *r)
{
	int rc = io_uring_submit(&r->ring);
	return rc < 0 ? rc : 0;
}

/* What a completion of res means for a: true when a is done (with
 * *status), false when the rest of it went back to the ring. */
static bool advance(struct vb_blk_ring *r, struct vb_blk_aio *a, int res, uint8_t *status)
{
	bool again = res == -EAGAIN || res == -EINTR;
	if (!again && a->syncing) {
		*status = res < 0 ? VB_BLK_S_IOERR : VB_BLK_S_OK;
		return true;
	}
	bool transfer = a->io.kind != VB_BLK_IO_FLUSH;
	if (!again && (res < 0 || (transfer && res == 0))) {
		/* 0 bytes of a transfer: the image shrank under us. */
		*status = VB_BLK_S_IOERR;
		return true;
	}
	if (!again && transfer) {
		uint64_t n = (uint64_t)res < a->left ? (uint64_t)res : a->left;
		vb_blk_io_advance(&a->io, (size_t)n);
		a->left -= n;
		if (!a->left && a->io.sync_after)
			a->syncing = true;
		again = a->left || a->syncing;
	}
	/* Once requeued, a is the ring's again: a failed submit leaves the
	 * entry in the submission queue for the next one. */
	if (again && requeue(r, a) == 0) {
		(void)vb_blk_ring_submit(r);
		return false;
	}
	*status = again ? VB_BLK_S_IOERR : VB_BLK_S_OK;
	return true;
}

struct vb_blk_aio *vb_blk_ring_reap(struct vb_blk_ring *r, uint8_t *status)
{
	struct io_uring_cqe *cqe;
	while (r->in_flight && io_uring_peek_cqe(&r->ring, &cqe) == 0) {
		struct vb_blk_aio *a = io_uring_cqe_get_data(cqe);
		int res = cqe->res;
		io_uring_cqe_seen(&r->ring, cqe);
		r->in_flight--;
		if (a && advance(r, a, res, status))
			return a;
	}
	return NULL;
}

/* The next completion, waiting in poll(2) for the ring to have one: the
 * ring's fd is readable while completions wait, and a completion the
 * kernel owes this thread (task work) is posted on the way out of poll. */
static int wait_cqe(struct vb_blk_ring *r, struct io_uring_cqe **cqe)
{
	/* An entry still in the submission queue (a submit that failed)
	 * would be waited for forever: send it first. Never the case after a
	 * good submit, so the main thread's filter never sees this call. */
	if (io_uring_sq_ready(&r->ring))
		(void)io_uring_submit(&r->ring);
	for (;;) {
		int rc = io_uring_peek_cqe(&r->ring, cqe);
		if (rc != -EAGAIN)
			return rc;
		struct pollfd pfd = { .fd = r->ring.ring_fd, .events = POLLIN };
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return -errno;
	}
}

struct vb_blk_aio *vb_blk_ring_drain(struct vb_blk_ring *r)
{
	while (r->in_flight) {
		struct io_uring_cqe *cqe;
		if (wait_cqe(r, &cqe) < 0)
			return NULL;
		struct vb_blk_aio *a = io_uring_cqe_get_data(cqe);
		io_uring_cqe_seen(&r->ring, cqe);
		r->in_flight--;
		if (a)
			return a;
	}
	return NULL;
}

int vb_blk_ring_probe(struct vb_blk_ring *r, uint8_t opcode, uint8_t sqe_flags)
{
	struct io_uring_sqe *sqe = get_sqe(r);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_nop(sqe);
	sqe->opcode = opcode;
	sqe->flags = sqe_flags;
	sqe->fd = IMAGE_SLOT;
	io_uring_sqe_set_data(sqe, NULL);
	int rc = io_uring_submit_and_wait(&r->ring, 1);
	if (rc < 0)
		return rc;
	struct io_uring_cqe *cqe;
	rc = io_uring_wait_cqe(&r->ring, &cqe);
	if (rc < 0)
		return rc;
	int res = cqe->res;
	io_uring_cqe_seen(&r->ring, cqe);
	return res;
}

int vb_blk_ring_fd(const struct vb_blk_ring *r)
{
	return r->ring.ring_fd;
}
