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
 * One request queue. Requests are served synchronously, in ring order,
 * on the notifying vCPU thread (the device mutex held): data moves with
 * one preadv/pwritev over the chain's buffers, a flush is an fdatasync,
 * DISCARD and WRITE_ZEROES are fallocate (PUNCH_HOLE / ZERO_RANGE). When
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
#define VB_BLK_F_DISCARD 13
#define VB_BLK_F_WRITE_ZEROES 14
/* What a disk offers (vb_blk_features): a read-only one says so and
 * offers neither DISCARD nor WRITE_ZEROES. */
#define VB_BLK_FEATURES_COMMON                                                \
	(1ULL << VB_BLK_F_SIZE_MAX | 1ULL << VB_BLK_F_SEG_MAX |                 \
	 1ULL << VB_BLK_F_BLK_SIZE | 1ULL << VB_BLK_F_FLUSH)
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

/* Config space offsets (5.2.4, struct virtio_blk_config). */
#define VB_BLK_CFG_CAPACITY 0
#define VB_BLK_CFG_SIZE_MAX 8
#define VB_BLK_CFG_SEG_MAX 12
#define VB_BLK_CFG_BLK_SIZE 20
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

#endif
