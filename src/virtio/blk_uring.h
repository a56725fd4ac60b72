/* A disk's io_uring: its reads, writes and flushes in flight, the ring
 * locked down to the one image before any thread confines itself.
 *
 * Why locked down: io_uring operations are not system calls, so no
 * seccomp filter (sandbox/sandbox.h) sees them. A guest that took over
 * the thread that submits could otherwise open files or connect sockets
 * through the ring. So vb_blk_ring_open, at attach, makes the ring
 * disabled (IORING_SETUP_R_DISABLED), registers the image as fixed file
 * 0, the completion eventfd, and restrictions (io_uring_register(2),
 * IORING_REGISTER_RESTRICTIONS): the only operations are READ, WRITE,
 * READV, WRITEV and FSYNC, every one on a fixed file (so on the image:
 * there is no other), no SQE flag but IOSQE_ASYNC beside it (a large
 * transfer runs on the kernel's io_uring workers, blk_uring.c), and no
 * register operation at all afterwards; then
 * it enables the ring. Anything else the ring is asked gets -EACCES in
 * its completion. The threads' filters allow io_uring_enter only, never
 * io_uring_setup nor io_uring_register.
 *
 * A request is the caller's struct vb_blk_aio (what vb_blk_begin left to
 * do, blk.h), which must stay put until the ring hands it back: queue it,
 * submit, and reap it when the eventfd fires. The ring resubmits a short
 * transfer's rest and a write-through write's fdatasync itself; reap
 * returns a request once, when it is done, with its status.
 *
 * Threads: not locked; the disk's owner serialises every call (blk.c holds
 * the device mutex).
 *
 * Return convention: 0 or -errno with err filled. */
#ifndef VB_VIRTIO_BLK_URING_H
#define VB_VIRTIO_BLK_URING_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"
#include "virtio/blk.h"

struct vb_blk_ring;

struct vb_blk_aio {
	struct vb_blk_io io;
	uint64_t left;  /* bytes of the transfer still to move */
	bool syncing;   /* the write-through fdatasync after a write */
};

/* A ring for image_fd whose completions signal event_fd, with room for
 * max_in_flight requests at once. Fails (-ENOSYS, -EPERM, -ENOMEM ...)
 * where io_uring cannot be had: the caller then serves requests itself. */
int vb_blk_ring_open(int image_fd, int event_fd, unsigned max_in_flight,
		     struct vb_blk_ring **out, struct vb_err *err);
/* Waits for whatever is still in flight (vb_blk_ring_drain, dropping
 * it), then frees the ring. NULL: nothing. */
void vb_blk_ring_close(struct vb_blk_ring *r);

/* Queue a's transfer or flush (a->io.kind READ, WRITE or FLUSH) for the
 * next submit. -EBUSY when the ring has no room even after submitting
 * what was queued: the caller serves a itself. */
int vb_blk_ring_queue(struct vb_blk_ring *r, struct vb_blk_aio *a);
/* Hand the queued requests to the kernel. 0 or -errno. */
int vb_blk_ring_submit(struct vb_blk_ring *r);
/* The next request that is done, its status in *status; NULL when none
 * is yet. Never waits. */
struct vb_blk_aio *vb_blk_ring_reap(struct vb_blk_ring *r, uint8_t *status);
/* For a reset or a detach, which drop what was in flight: wait until the
 * kernel is done with some request and hand it back as it stands (a short
 * transfer is not continued, a write-through write not synced); NULL once
 * nothing is in flight. It waits in poll(2), not io_uring_enter: the main
 * thread takes the disk apart under a filter without io_uring_enter, and
 * by then the threads that submitted have ended, which made the kernel
 * finish or cancel all they had in flight. */
struct vb_blk_aio *vb_blk_ring_drain(struct vb_blk_ring *r);

/* For tests, with nothing in flight: submit one operation opcode with
 * sqe_flags on fixed file 0 (offset, length and address 0) and wait for
 * it; its result (-EACCES for what the restrictions forbid), or -errno
 * when it could not be sent. */
int vb_blk_ring_probe(struct vb_blk_ring *r, uint8_t opcode, uint8_t sqe_flags);
/* For tests: the ring's file descriptor (io_uring_register(2) on it). */
int vb_blk_ring_fd(const struct vb_blk_ring *r);

#endif
