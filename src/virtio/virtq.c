#include "virtio/virtq.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

/* Ring layouts, spec 2.7.6 and 2.7.8: a 4-byte header (flags, idx), the
 * ring, then the event index word. */
#define RING_HDR_BYTES 4u
#define AVAIL_ENTRY_BYTES 2u
#define USED_ENTRY_BYTES 8u

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

uint64_t vb_virtq_desc_bytes(uint16_t size)
{
	return (uint64_t)size * VB_VIRTQ_DESC_BYTES;
}

uint64_t vb_virtq_avail_bytes(uint16_t size)
{
	return RING_HDR_BYTES + (uint64_t)size * AVAIL_ENTRY_BYTES + 2;
}

uint64_t vb_virtq_used_bytes(uint16_t size)
{
	return RING_HDR_BYTES + (uint64_t)size * USED_ENTRY_BYTES + 2;
}

/* The guest writes these words from other CPUs: single aligned loads and
 * stores (enable checked the alignment), little endian on the wire. */
static uint16_t load16(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_RELAXED));
}

static void store16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, htole16(v), __ATOMIC_RELAXED);
}

static void store32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)p, htole32(v), __ATOMIC_RELAXED);
}

static void read_desc(const uint8_t *table, uint32_t i, struct desc *d)
{
	uint8_t raw[VB_VIRTQ_DESC_BYTES];
	memcpy(raw, table + (uint64_t)i * VB_VIRTQ_DESC_BYTES, sizeof(raw));
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
	memcpy(&addr, raw, 8);
	memcpy(&len, raw + 8, 4);
	memcpy(&flags, raw + 12, 2);
	memcpy(&next, raw + 14, 2);
	d->addr = le64toh(addr);
	d->len = le32toh(len);
	d->flags = le16toh(flags);
	d->next = le16toh(next);
}

void vb_virtq_reset(struct vb_virtq *q)
{
	memset(q, 0, sizeof(*q));
}

static int map_ring(const struct vb_guest_mem *mem, const char *what, uint64_t gpa,
		    uint64_t bytes, uint64_t align, uint8_t **out, struct vb_err *err)
{
	if (gpa & (align - 1))
		return vb_err_set(err, EINVAL, "%s at 0x%llx is not %llu-byte aligned", what,
				  (unsigned long long)gpa, (unsigned long long)align);
	uint8_t *p = vb_gmem_ptr(mem, gpa, bytes);
	if (!p)
		return vb_err_set(err, EFAULT, "%s 0x%llx+0x%llx is not guest RAM", what,
				  (unsigned long long)gpa, (unsigned long long)bytes);
	*out = p;
	return 0;
}

int vb_virtq_enable(struct vb_virtq *q, const struct vb_guest_mem *mem,
		    uint16_t max_size, struct vb_err *err)
{
	q->enabled = false;
	uint16_t n = q->size;
	/* 2.7: Queue Size is a power of two (split rings) no larger than the
	 * device's maximum. */
	if (n == 0 || (n & (n - 1)) || n > max_size)
		return vb_err_set(err, EINVAL, "queue size %u is not a power of two in [1, %u]",
				  n, max_size);
	uint8_t *desc, *avail, *used;
	int r = map_ring(mem, "descriptor table", q->desc_gpa, vb_virtq_desc_bytes(n), 16,
			 &desc, err);
	if (!r)
		r = map_ring(mem, "available ring", q->avail_gpa, vb_virtq_avail_bytes(n), 2,
			     &avail, err);
	if (!r)
		r = map_ring(mem, "used ring", q->used_gpa, vb_virtq_used_bytes(n), 4, &used,
			     err);
	if (r)
		return r;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	q->last_avail = 0;
	q->used_idx = 0;
	q->signalled = 0;
	q->enabled = true;
	return 0;
}

struct walk {
	const struct vb_guest_mem *mem;
	struct iovec *iov;
	unsigned iov_cap;
	struct vb_virtq_chain *chain;
	bool seen_writable;
};

static int add_segment(struct walk *w, const struct desc *d, struct vb_err *err)
{
	void *p = vb_gmem_ptr(w->mem, d->addr, d->len);
	if (!p)
		return vb_err_set(err, EFAULT, "buffer 0x%llx+0x%x is not guest RAM",
				  (unsigned long long)d->addr, d->len);
	bool writable = d->flags & VB_VIRTQ_DESC_F_WRITE;
	/* 2.7.4.2: device-writable descriptors come after readable ones. */
	if (!writable && w->seen_writable)
		return vb_err_set(err, EINVAL, "readable buffer after a writable one");
	w->seen_writable |= writable;
	if (d->len == 0)
		return 0;
	struct vb_virtq_chain *c = w->chain;
	unsigned n = c->n_readable + c->n_writable;
	if (n >= w->iov_cap)
		return vb_err_set(err, E2BIG, "chain has more than %u buffers", w->iov_cap);
	w->iov[n].iov_base = p;
	w->iov[n].iov_len = d->len;
	if (writable) {
		c->n_writable++;
		c->writable_bytes += d->len;
	} else {
		c->n_readable++;
		c->readable_bytes += d->len;
	}
	return 0;
}

/* Walk an indirect table (2.7.5.3): its own index space, no nesting. */
static int walk_indirect(struct walk *w, const struct desc *ind, struct vb_err *err)
{
	if (ind->flags & VB_VIRTQ_DESC_F_NEXT)
		return vb_err_set(err, EINVAL, "descriptor has both INDIRECT and NEXT");
	if (ind->len == 0 || ind->len % VB_VIRTQ_DESC_BYTES ||
	    ind->len / VB_VIRTQ_DESC_BYTES > VB_VIRTQ_MAX_SIZE)
		return vb_err_set(err, EINVAL, "indirect table length 0x%x is not a multiple of 16 up to %u entries",
				  ind->len, VB_VIRTQ_MAX_SIZE);
	const uint8_t *table = vb_gmem_ptr(w->mem, ind->addr, ind->len);
	if (!table)
		return vb_err_set(err, EFAULT, "indirect table 0x%llx+0x%x is not guest RAM",
				  (unsigned long long)ind->addr, ind->len);
	uint32_t entries = ind->len / VB_VIRTQ_DESC_BYTES;
	uint32_t i = 0;
	for (uint32_t seen = 0;; seen++) {
		if (seen >= entries)
			return vb_err_set(err, EINVAL, "indirect chain longer than its table (%u): a loop",
					  entries);
		struct desc d;
		read_desc(table, i, &d);
		if (d.flags & VB_VIRTQ_DESC_F_INDIRECT)
			return vb_err_set(err, EINVAL, "indirect descriptor inside an indirect table");
		int r = add_segment(w, &d, err);
		if (r)
			return r;
		if (!(d.flags & VB_VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= entries)
			return vb_err_set(err, EINVAL, "indirect next index %u out of range (%u entries)",
					  d.next, entries);
		i = d.next;
	}
}

static int walk_chain(struct vb_virtq *q, struct walk *w, uint16_t head, struct vb_err *err)
{
	uint16_t i = head;
	for (uint32_t seen = 0;; seen++) {
		/* 2.7.4.2: a chain is never longer than the queue; a longer
		 * walk can only be a loop. */
		if (seen >= q->size)
			return vb_err_set(err, EINVAL, "chain from head %u longer than the queue (%u): a loop",
					  head, q->size);
		struct desc d;
		read_desc(q->desc, i, &d);
		int r;
		if (d.flags & VB_VIRTQ_DESC_F_INDIRECT) {
			if (!q->indirect)
				return vb_err_set(err, EINVAL, "INDIRECT descriptor without VIRTIO_F_INDIRECT_DESC");
			/* 2.7.5.3.1: an indirect descriptor is the only one in the
			 * chain's main table part that points at a table. */
			return walk_indirect(w, &d, err);
		}
		r = add_segment(w, &d, err);
		if (r)
			return r;
		if (!(d.flags & VB_VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= q->size)
			return vb_err_set(err, EINVAL, "next index %u out of range (queue size %u)", d.next,
					  q->size);
		i = d.next;
	}
}

/* avail_event (event_idx): notify us once the driver publishes past what
 * we have consumed (2.7.10). */
static void store_avail_event(struct vb_virtq *q)
{
	store16(q->used + RING_HDR_BYTES + (uint32_t)q->size * USED_ENTRY_BYTES, q->last_avail);
}

int vb_virtq_pop(struct vb_virtq *q, const struct vb_guest_mem *mem,
		 struct iovec *iov, unsigned iov_cap,
		 struct vb_virtq_chain *chain, struct vb_err *err)
{
	if (!q->enabled)
		return vb_err_set(err, EINVAL, "queue not enabled");
	uint16_t avail_idx = load16(q->avail + 2);
	/* Read the ring entries only after the index that publishes them
	 * (2.7.13: the driver writes the entry, then a barrier, then idx). */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	uint16_t pending = (uint16_t)(avail_idx - q->last_avail);
	if (pending == 0)
		return 0;
	if (pending > q->size)
		return vb_err_set(err, EINVAL, "available index jumped from %u to %u (queue size %u)",
				  q->last_avail, avail_idx, q->size);
	uint16_t slot = q->last_avail & (uint16_t)(q->size - 1);
	uint16_t head = load16(q->avail + RING_HDR_BYTES + (uint32_t)slot * AVAIL_ENTRY_BYTES);
	if (head >= q->size)
		return vb_err_set(err, EINVAL, "head index %u out of range (queue size %u)", head,
				  q->size);
	memset(chain, 0, sizeof(*chain));
	chain->head = head;
	struct walk w = { mem, iov, iov_cap, chain, false };
	int r = walk_chain(q, &w, head, err);
	if (r)
		return r;
	if (chain->readable_bytes + chain->writable_bytes == 0)
		return vb_err_set(err, EINVAL, "chain from head %u has no bytes", head);
	q->last_avail++;
	if (q->event_idx)
		store_avail_event(q);
	return 1;
}

int vb_virtq_push_all(struct vb_virtq *q, const struct vb_virtq_used *used, uint16_t n,
		      struct vb_err *err)
{
	if (!q->enabled)
		return vb_err_set(err, EINVAL, "queue not enabled");
	/* The used ring is the device's: a driver that changes used->idx is
	 * broken or hostile (2.7.8). */
	uint16_t guest_idx = load16(q->used + 2);
	if (guest_idx != q->used_idx)
		return vb_err_set(err, EINVAL, "used index changed by the driver (%u, expected %u)",
				  guest_idx, q->used_idx);
	for (uint16_t i = 0; i < n; i++) {
		uint16_t slot = (uint16_t)(q->used_idx + i) & (uint16_t)(q->size - 1);
		uint8_t *elem = q->used + RING_HDR_BYTES + (uint32_t)slot * USED_ENTRY_BYTES;
		store32(elem, used[i].head);
		store32(elem + 4, used[i].len);
	}
	/* The elements must be visible before the index that publishes them. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	q->used_idx = (uint16_t)(q->used_idx + n);
	store16(q->used + 2, q->used_idx);
	return 0;
}

int vb_virtq_push(struct vb_virtq *q, uint16_t head, uint32_t len, struct vb_err *err)
{
	const struct vb_virtq_used one = { head, len };
	return vb_virtq_push_all(q, &one, 1, err);
}

void vb_virtq_unpop(struct vb_virtq *q, uint16_t n)
{
	q->last_avail = (uint16_t)(q->last_avail - n);
	if (q->event_idx)
		store_avail_event(q);
}

bool vb_virtq_should_interrupt(struct vb_virtq *q)
{
	if (!q->enabled)
		return false;
	/* Our used->idx store must be globally visible before we read what
	 * the driver asked for, or both sides can miss each other (2.7.7.2). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint16_t old = q->signalled, now = q->used_idx;
	q->signalled = now;
	if (!q->event_idx)
		return !(load16(q->avail) & VB_VIRTQ_AVAIL_F_NO_INTERRUPT);
	uint16_t used_event = load16(q->avail + RING_HDR_BYTES + (uint32_t)q->size * AVAIL_ENTRY_BYTES);
	/* Interrupt iff used_event lies in [old, now): the driver asked to
	 * hear about the entry at used_event and we just published it. */
	return (uint16_t)(now - used_event - 1) < (uint16_t)(now - old);
}

bool vb_virtq_set_notify(struct vb_virtq *q, bool suppress)
{
	if (!q->enabled)
		return false;
	if (q->event_idx) {
		if (!suppress)
			store_avail_event(q);
	} else {
		store16(q->used, suppress ? VB_VIRTQ_USED_F_NO_NOTIFY : 0);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return load16(q->avail + 2) != q->last_avail;
}
