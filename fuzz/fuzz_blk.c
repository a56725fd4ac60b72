/* libFuzzer target for virtio-blk request handling (src/virtio/blk.c),
 * fed by the real split-virtqueue parser (src/virtio/virtq.c).
 *
 * Input: a 14-byte header, then the guest memory image.
 *   u16 queue size, u16 flags (bit 0 EVENT_IDX, bit 1 INDIRECT_DESC,
 *   bit 2 FLUSH, bit 3 DISCARD, bit 4 WRITE_ZEROES negotiated, bit 5
 *   readonly disk), u16 desc, avail, used offsets, u16 rounds,
 *   u16 image sectors
 * The disk is a fresh memfd of up to 64 sectors, opened through
 * /proc/self/fd like any image path (so the flock path runs too). Every
 * chain the parser accepts goes to vb_blk_request; ASan catches any
 * access outside guest RAM or the request's buffers, and the checks
 * below catch a used length larger than the writable buffers or an image
 * that grew. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev/dev.h"
#include "mem/guestmem.h"
#include "mem/memmap.h"
#include "virtio/blk.h"
#include "virtio/virtio.h"
#include "virtio/virtq.h"

#define MEM_BYTES (64u * 1024u)
#define HDR_BYTES 14u
#define MAX_ROUNDS 64u
#define MAX_SECTORS 64u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* blk.c's virtio glue (attach/notify) links against the device
 * framework; this target drives vb_blk_request directly, so the two
 * framework helpers it names are stubbed rather than pulling in every
 * device of the registry. */
struct vb_irq vb_dev_env_irq(const struct vb_dev_env *env, uint32_t gsi)
{
	(void)env;
	(void)gsi;
	struct vb_irq none;
	memset(&none, 0, sizeof(none));
	return none;
}

void vb_dev_env_log(const struct vb_dev_env *env, const char *fmt, ...)
{
	(void)env;
	(void)fmt;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int make_image(unsigned sectors, char *path, size_t path_bytes)
{
	int fd = memfd_create("fuzz-blk", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)sectors * VB_BLK_SECTOR_BYTES + 7) < 0) {
		close(fd);
		return -1;
	}
	snprintf(path, path_bytes, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR_BYTES)
		return 0;
	uint8_t *ram = calloc(1, MEM_BYTES);
	struct iovec *iov = calloc(VB_BLK_QUEUE_SIZE, sizeof(*iov));
	char path[64];
	int fd = -1;
	struct vb_blk_disk *disk = NULL;
	struct vb_err err;
	uint16_t flags = rd16(data + 2);
	unsigned sectors = rd16(data + 12) % (MAX_SECTORS + 1);
	if (!ram || !iov || (fd = make_image(sectors, path, sizeof(path))) < 0 ||
	    vb_blk_open("fuzz", path, flags & 32, &disk, &err) < 0)
		goto out;
	size_t n = size - HDR_BYTES < MEM_BYTES ? size - HDR_BYTES : MEM_BYTES;
	memcpy(ram, data + HDR_BYTES, n);

	struct vb_memmap map;
	vb_memmap_compute(MEM_BYTES, &map);
	struct vb_guest_mem mem = { ram, &map };
	struct vb_virtq q;
	vb_virtq_reset(&q);
	q.size = rd16(data);
	q.event_idx = flags & 1;
	q.indirect = flags & 2;
	q.desc_gpa = rd16(data + 4);
	q.avail_gpa = rd16(data + 6);
	q.used_gpa = rd16(data + 8);
	unsigned rounds = rd16(data + 10) % MAX_ROUNDS + 1;
	uint64_t features = 1ULL << VB_VIRTIO_F_VERSION_1;
	if (flags & 4)
		features |= 1ULL << VB_BLK_F_FLUSH;
	if (flags & 8)
		features |= 1ULL << VB_BLK_F_DISCARD;
	if (flags & 16)
		features |= 1ULL << VB_BLK_F_WRITE_ZEROES;

	if (vb_virtq_enable(&q, &mem, VB_BLK_QUEUE_SIZE, &err) < 0)
		goto out;
	for (unsigned r = 0; r < rounds; r++) {
		struct vb_virtq_chain c;
		if (vb_virtq_pop(&q, &mem, iov, VB_BLK_QUEUE_SIZE, &c, &err) <= 0)
			break;
		uint32_t used = 0;
		if (vb_blk_request(disk, features, iov, c.n_readable, c.n_writable, &used, &err) < 0)
			break;
		if (used == 0 || used > c.writable_bytes)
			abort(); /* the device claims bytes it did not write */
		if (vb_virtq_push(&q, c.head, used, &err) < 0)
			break;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 &&
	    (uint64_t)st.st_size != (uint64_t)sectors * VB_BLK_SECTOR_BYTES + 7)
		abort(); /* a request wrote past the disk */
out:
	vb_blk_close(disk);
	if (fd >= 0)
		close(fd);
	free(iov);
	free(ram);
	return 0;
}
