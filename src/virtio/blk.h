/* virtio-blk (virtio 1.x, 5.2): a raw image file as a guest disk.
 *
 * Registry glue: vb_virtio_blk_type, the device type "disk" (-d), and its
 * vb_virtio_blk_ops; config is a const struct vb_virtio_placement *
 * (virtio.h) whose desc gives the image path and readonly; the placement name (the machine file's id, or the one
 * resolve made up) is the GET_ID string.
 *
 * The image: opened O_RDWR (O_RDONLY for readonly) and locked, never
 * waiting, so that two VMs never write one image: the second one is
 * refused at attach with EBUSY, naming what conflicts. Two locks, both
 * must be free: flock(LOCK_EX) (LOCK_SH for readonly), which another
 * vmboot (also an older one) takes; and QEMU's image locking, open file
 * description read locks on bytes 100 + P (permission P held) and
 * 200 + P (P not shared) of the image, P being QEMU's permission bits
 * (0 consistent read, 1 write, 2 write unchanged, 3 resize). A disk holds
 * consistent read, and write unless readonly, and shares neither write
 * nor resize, like a QEMU guest disk without share-rw (blk_disk.c says
 * why): QEMU refuses an image a vmboot holds and the other way round,
 * readonly disks share with each other and with `qemu-io -r`. A
 * directory path (resolve makes such a disk the 9p root and the builder
 * attaches it as "9p", so it only gets here by mistake) and anything that
 * is not a regular file or a block device are refused too. Capacity is the
 * image size in 512-byte sectors, rounded down.
 *
 * Queues: `queues` request queues (VIRTIO_BLK_F_MQ, num_queues in the
 * configuration space, 5.2.3 and 5.2.4), 1 to VB_BLK_MAX_QUEUES, each
 * served on its own: a guest's driver gives each of its CPUs one.
 *
 * Requests in flight: with the I/O event thread (an event for the ring's
 * completions, dev/dev.h doorbell_add with db NULL) and a working
 * io_uring (blk_uring.h), reads, writes and flushes of a chain go to the
 * ring as they are popped, up to the queue's size in flight per queue,
 * one submission per doorbell; what the kernel did at once (the page
 * cache) is pushed right after it, the rest when the completion event
 * fires on the I/O event thread, which pushes it, raises one interrupt
 * per queue and batch, and refills the queues it had to leave at their
 * limit. A device reset (and a detach) waits for
 * every request in flight and drops it: nothing is written to the rings
 * the driver has just taken back, and nothing completes twice. Without
 * the event (no KVM_CAP_IOEVENTFD, tests) or when io_uring cannot be set
 * up (one log line says why), requests are served synchronously, in ring
 * order, on the notifying thread (the device mutex held): data moves with
 * one preadv/pwritev over the chain's buffers. Either way a flush is an
 * fdatasync, and DISCARD, WRITE_ZEROES and GET_ID are served at once
 * (DISCARD and WRITE_ZEROES are fallocate: PUNCH_HOLE / ZERO_RANGE). When
 * the driver did not negotiate FLUSH the device is write-through: every
 * write is followed by fdatasync (5.2.6.2: without FLUSH there is no way
 * for the driver to ask for durability).
 *
 * Every request is checked before anything touches the file: the header
 * (16 device-readable bytes, which may span descriptors) and the status
 * byte (the last device-writable byte), data direction against
 * descriptor writability, data length a multiple of 512, sector ranges
 * against capacity (overflow-safe), discard segments. A request that
 * breaks a rule gets status IOERR (UNSUPP for an unknown type or a
 * feature not negotiated); only a chain with no writable byte at all,
 * where there is no status to report, is a violation that puts the
 * device into NEEDS_RESET.
 *
 * Return convention: 0 or -errno with err filled. */
#ifndef VB_VIRTIO_BLK_H
#define VB_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "dev/dev.h"
#include "parse/devtype.h"
#include "util/err.h"

/* Virtio device id of a block device (5). */
#define VB_VIRTIO_ID_BLK 2u

/* Feature bits (5.2.3). */
#define VB_BLK_F_SIZE_MAX 1
#define VB_BLK_F_SEG_MAX 2
#define VB_BLK_F_RO 5
#define VB_BLK_F_BLK_SIZE 6
#define VB_BLK_F_FLUSH 9
#define VB_BLK_F_MQ 12
#define VB_BLK_F_DISCARD 13
#define VB_BLK_F_WRITE_ZEROES 14
/* What a disk offers (vb_blk_features): a read-only one says so and
 * offers neither DISCARD nor WRITE_ZEROES. */
#define VB_BLK_FEATURES_COMMON                                                \
	(1ULL << VB_BLK_F_SIZE_MAX | 1ULL << VB_BLK_F_SEG_MAX |                 \
	 1ULL << VB_BLK_F_BLK_SIZE | 1ULL << VB_BLK_F_FLUSH | 1ULL << VB_BLK_F_MQ)
#define VB_BLK_FEATURES_RW                                                    \
	(VB_BLK_FEATURES_COMMON | 1ULL << VB_BLK_F_DISCARD | 1ULL << VB_BLK_F_WRITE_ZEROES)
#define VB_BLK_FEATURES_RO (VB_BLK_FEATURES_COMMON | 1ULL << VB_BLK_F_RO)

/* Request types and status values (5.2.6). */
#define VB_BLK_T_IN 0u
#define VB_BLK_T_OUT 1u
#define VB_BLK_T_FLUSH 4u
#define VB_BLK_T_GET_ID 8u
#define VB_BLK_T_DISCARD 11u
#define VB_BLK_T_WRITE_ZEROES 13u
#define VB_BLK_S_OK 0u
#define VB_BLK_S_IOERR 1u
#define VB_BLK_S_UNSUPP 2u

/* Request framing: struct virtio_blk_req's header, one discard/write
 * zeroes segment, the id string, the sector unit (always 512, 5.2.6). */
#define VB_BLK_HDR_BYTES 16u
#define VB_BLK_SEG_BYTES 16u
#define VB_BLK_ID_BYTES 20u
#define VB_BLK_SECTOR_BYTES 512u
#define VB_BLK_WZ_F_UNMAP 1u

/* What the device advertises in its configuration space (5.2.4). */
#define VB_BLK_QUEUE_SIZE 256u
#define VB_BLK_SEG_MAX (VB_BLK_QUEUE_SIZE - 2u) /* header and status take two */
#define VB_BLK_SIZE_MAX_BYTES (4u << 20)
#define VB_BLK_MAX_DISCARD_SECTORS (1u << 22) /* 2 GiB per segment */
#define VB_BLK_MAX_DISCARD_SEGS 32u
#define VB_BLK_DISCARD_ALIGN_SECTORS 8u       /* 4 KiB: file system blocks */
#define VB_BLK_CONFIG_BYTES 60u
/* Request queues per disk: as many as the core has (virtio.h), which is
 * also well within the doorbells a VM has (machine/ioevent.h) and the
 * notify area of virtio-pci's BAR. */
#define VB_BLK_MAX_QUEUES 8u

/* Config space offsets (5.2.4, struct virtio_blk_config). */
#define VB_BLK_CFG_CAPACITY 0
#define VB_BLK_CFG_SIZE_MAX 8
#define VB_BLK_CFG_SEG_MAX 12
#define VB_BLK_CFG_BLK_SIZE 20
#define VB_BLK_CFG_NUM_QUEUES 34
#define VB_BLK_CFG_MAX_DISCARD_SECTORS 36
#define VB_BLK_CFG_MAX_DISCARD_SEG 40
#define VB_BLK_CFG_DISCARD_ALIGN 44
#define VB_BLK_CFG_MAX_WZ_SECTORS 48
#define VB_BLK_CFG_MAX_WZ_SEG 52
#define VB_BLK_CFG_WZ_MAY_UNMAP 56

extern const struct vb_device_ops vb_virtio_blk_ops;
extern const struct vb_device_type vb_virtio_blk_type;

/* The request engine (blk_disk.c), separate from the virtio glue (blk.c)
 * so the fuzzer and the benchmark can drive it without a transport. */
struct vb_blk_disk;

/* Open and lock path. name ("root") is used in messages and is the
 * GET_ID string (truncated to 20 bytes). */
int vb_blk_open(const char *name, const char *path, bool readonly, struct vb_blk_disk **out,
		struct vb_err *err);
void vb_blk_close(struct vb_blk_disk *d);
uint64_t vb_blk_capacity_sectors(const struct vb_blk_disk *d);
/* The device feature bits (VB_BLK_F_*) this disk offers. */
uint64_t vb_blk_features(const struct vb_blk_disk *d);
/* The configuration space, little-endian, VB_BLK_CONFIG_BYTES. */
void vb_blk_config(const struct vb_blk_disk *d, uint8_t cfg[VB_BLK_CONFIG_BYTES]);

/* The number of request queues of a disk described by d (NULL: no
 * description) on a machine of cpus vCPUs: its `queues` key, else one per
 * vCPU up to VB_BLK_MAX_QUEUES. */
unsigned vb_blk_queue_count(const struct vb_device_desc *d, unsigned cpus);

/* A disk's requests in flight (blk.c), for tests: popped, completed
 * (pushed to the used ring), and dropped because the device was reset or
 * broken before they completed. popped == completed + dropped + in flight. */
struct vb_blk_stats {
	uint64_t popped;
	uint64_t completed;
	uint64_t dropped;
	unsigned in_flight;
	unsigned max_in_flight; /* the most in flight on one queue, ever */
	bool ring;              /* served through io_uring */
};
/* state is what the "disk" ops' attach made. */
void vb_virtio_blk_stats(void *state, struct vb_blk_stats *out);
/* For tests: with defer, requests the ring did at once stay in flight
 * until the completion event (not pushed at the doorbell), so a test can
 * hold them there. */
void vb_virtio_blk_defer(void *state, bool defer);

/* Serve one request: iov[0, n_readable) are the device-readable buffers,
 * iov[n_readable, n_readable + n_writable) the device-writable ones
 * (struct vb_virtq_chain order); features is what the driver
 * negotiated. Writes the status byte and sets *used_len (bytes written
 * into the writable buffers, status included). Returns 0, or -EINVAL
 * with err filled when there is no writable byte for the status (a
 * violation: the caller puts the device into NEEDS_RESET). */
int vb_blk_request(struct vb_blk_disk *d, uint64_t features, const struct iovec *iov,
		   unsigned n_readable, unsigned n_writable, uint32_t *used_len,
		   struct vb_err *err);

/* The same in three steps, for requests served later (through io_uring).
 *
 * vb_blk_begin checks the request as vb_blk_request does and serves at
 * once whatever moves no data through the image's file position space
 * (GET_ID, DISCARD, WRITE_ZEROES, and every bad request): io->kind is then
 * VB_BLK_IO_DONE with io->result its status. A read, write or flush is left
 * to the caller: io->iov (the caller's data array, data_cap >= n_readable +
 * n_writable entries) describes the guest's data buffers, io->pos where in
 * the image. vb_blk_run moves the data synchronously and returns the
 * status; vb_blk_end writes a status into the guest's status byte and
 * returns the used length. Same return convention as vb_blk_request. */
enum vb_blk_io_kind { VB_BLK_IO_DONE, VB_BLK_IO_READ, VB_BLK_IO_WRITE, VB_BLK_IO_FLUSH };

struct vb_blk_io {
	enum vb_blk_io_kind kind;
	uint8_t result;     /* VB_BLK_IO_DONE: the status */
	bool sync_after;    /* a write on a write-through disk: fdatasync next */
	uint8_t *status;    /* the guest's status byte */
	uint32_t data_len;  /* bytes of data for the driver when it succeeds */
	uint64_t pos;       /* READ, WRITE: byte offset in the image */
	struct iovec *iov;  /* READ, WRITE: the data buffers */
	unsigned n_iov;
};

int vb_blk_begin(struct vb_blk_disk *d, uint64_t features, const struct iovec *iov,
		 unsigned n_readable, unsigned n_writable, struct iovec *data, unsigned data_cap,
		 struct vb_blk_io *io, struct vb_err *err);
uint8_t vb_blk_run(struct vb_blk_disk *d, struct vb_blk_io *io);
uint32_t vb_blk_end(const struct vb_blk_io *io, uint8_t status);
/* After n bytes of a READ or WRITE moved: io->iov and io->pos past them. */
void vb_blk_io_advance(struct vb_blk_io *io, size_t n);
/* The image's file descriptor (the disk keeps it). */
int vb_blk_fd(const struct vb_blk_disk *d);

#endif
