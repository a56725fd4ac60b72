/* libFuzzer target for the split virtqueue parser (src/virtio/virtq.c).
 *
 * Input: a 12-byte header, then the guest memory image.
 *   u16 queue size, u16 flags (bit 0 EVENT_IDX, bit 1 INDIRECT_DESC),
 *   u16 desc, avail, used offsets (guest-physical), u16 rounds
 * Guest memory is MEM_BYTES of RAM described by a real memory map, so
 * every address the parser accepts must be inside it: each accepted
 * segment is read and written in full, and ASan catches any that is not. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem/guestmem.h"
#include "mem/memmap.h"
#include "virtio/virtq.h"

#define MEM_BYTES (64u * 1024u)
#define HDR_BYTES 12u
#define MAX_ROUNDS 64u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void touch(struct iovec *iov, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		volatile uint8_t *p = iov[i].iov_base;
		uint8_t sum = 0;
		for (size_t j = 0; j < iov[i].iov_len; j++)
			sum ^= p[j];
		p[0] = sum;
		p[iov[i].iov_len - 1] = sum;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR_BYTES)
		return 0;
	uint8_t *ram = calloc(1, MEM_BYTES);
	if (!ram)
		return 0;
	size_t n = size - HDR_BYTES < MEM_BYTES ? size - HDR_BYTES : MEM_BYTES;
	memcpy(ram, data + HDR_BYTES, n);

	struct vb_memmap map;
	vb_memmap_compute(MEM_BYTES, &map);
	struct vb_guest_mem mem = { ram, &map };
	struct vb_virtq q;
	vb_virtq_reset(&q);
	q.size = rd16(data);
	uint16_t flags = rd16(data + 2);
	q.event_idx = flags & 1;
	q.indirect = flags & 2;
	q.desc_gpa = rd16(data + 4);
	q.avail_gpa = rd16(data + 6);
	q.used_gpa = rd16(data + 8);
	unsigned rounds = rd16(data + 10) % MAX_ROUNDS + 1;

	struct vb_err err;
	static const uint16_t max_size = 1024;
	struct iovec *iov = calloc(max_size, sizeof(*iov));
	if (iov && vb_virtq_enable(&q, &mem, max_size, &err) == 0) {
		for (unsigned r = 0; r < rounds; r++) {
			struct vb_virtq_chain c;
			int got = vb_virtq_pop(&q, &mem, iov, max_size, &c, &err);
			if (got <= 0)
				break;
			touch(iov, c.n_readable + c.n_writable);
			if (vb_virtq_push(&q, c.head, (uint32_t)c.writable_bytes, &err) < 0)
				break;
			(void)vb_virtq_should_interrupt(&q);
			(void)vb_virtq_set_notify(&q, r & 1);
		}
	}
	free(iov);
	free(ram);
	return 0;
}
