/* Split virtqueues, device side (virtio 1.x, section 2.7).
 *
 * The driver (the guest) places three structures in guest RAM: the
 * descriptor table (16 bytes per entry, 16-byte aligned), the available
 * ring (flags, idx, ring[size], used_event; 2-byte aligned) and the used
 * ring (flags, idx, ring[size] of {id, len}, avail_event; 4-byte aligned).
 * vb_virtq_enable() checks size and placement once and keeps host pointers
 * to the rings: guest RAM stays mapped for the life of the VM, so they stay
 * valid. Every buffer address in a descriptor is translated through
 * vb_gmem_ptr() when the chain is popped.
 *
 * The guest is an attacker. A descriptor is copied out of guest memory
 * before it is checked, so the guest cannot change it between check and
 * use. Every violation (ring outside RAM, size not a power of two, avail
 * index running ahead by more than the queue size, head or next index out
 * of range, a chain longer than the queue or its indirect table, nested
 * indirect tables, INDIRECT without the feature, a readable segment after
 * a writable one, a chain of zero bytes, a buffer outside RAM or wrapping,
 * the used index changed behind the device's back) returns -EINVAL or
 * -EFAULT with err saying what; the caller (virtio.c) then puts the whole
 * device into NEEDS_RESET. Nothing here logs, allocates or exits.
 *
 * Ordering: the guest runs on other CPUs, so reads of the ring contents
 * follow the read of avail->idx with an acquire fence, the used element is
 * written before used->idx with a release fence, and the event-index
 * decisions that read what the other side published after we published
 * ours use a full fence (spec 2.7.7.2 and 2.7.10).
 *
 * Threads: a struct vb_virtq is not locked; the owning device serialises
 * access (virtio.c holds its device mutex). */
#ifndef VB_VIRTIO_VIRTQ_H
#define VB_VIRTIO_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "mem/guestmem.h"
#include "util/err.h"

/* Spec 2.7: Queue Size is at most 32768. */
#define VB_VIRTQ_MAX_SIZE 32768u

/* Descriptor flags (2.7.5). */
#define VB_VIRTQ_DESC_F_NEXT 1u
#define VB_VIRTQ_DESC_F_WRITE 2u
#define VB_VIRTQ_DESC_F_INDIRECT 4u

/* Ring flags (2.7.6, 2.7.8). */
#define VB_VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VB_VIRTQ_USED_F_NO_NOTIFY 1u

#define VB_VIRTQ_DESC_BYTES 16u

struct vb_virtq {
	/* Set by the driver through the transport before enabling. */
	uint16_t size;
	uint64_t desc_gpa;
	uint64_t avail_gpa;
	uint64_t used_gpa;
	/* Negotiated features that change the ring format or behaviour. */
	bool event_idx;
	bool indirect;

	/* Device state, valid while enabled. */
	bool enabled;
	uint8_t *desc;  /* host view of the descriptor table */
	uint8_t *avail; /* host view of the available ring */
	uint8_t *used;  /* host view of the used ring */
	uint16_t last_avail;   /* next avail ring entry to consume */
	uint16_t used_idx;     /* our copy of used->idx */
	uint16_t signalled;    /* used_idx when we last decided to interrupt */
};

/* One popped chain. iov[0, n_readable) are device-readable segments,
 * iov[n_readable, n_readable + n_writable) device-writable ones. */
struct vb_virtq_chain {
	uint16_t head;
	unsigned n_readable;
	unsigned n_writable;
	uint64_t readable_bytes;
	uint64_t writable_bytes;
};

/* Bytes of each ring for a queue of size entries (event index included). */
uint64_t vb_virtq_desc_bytes(uint16_t size);
uint64_t vb_virtq_avail_bytes(uint16_t size);
uint64_t vb_virtq_used_bytes(uint16_t size);

/* Forget all device state (queue reset or device reset). */
void vb_virtq_reset(struct vb_virtq *q);

/* Check size (a power of two in [1, max_size]) and the three ring areas
 * (inside guest RAM, aligned), then start consuming from avail index 0.
 * 0 or -EINVAL/-EFAULT with err filled; q stays disabled on failure. */
int vb_virtq_enable(struct vb_virtq *q, const struct vb_guest_mem *mem,
		    uint16_t max_size, struct vb_err *err);

/* Pop the next available chain into iov (at most iov_cap segments).
 * Returns 1 with *chain filled, 0 when the ring is empty, or -errno on a
 * guest violation (err filled). */
int vb_virtq_pop(struct vb_virtq *q, const struct vb_guest_mem *mem,
		 struct iovec *iov, unsigned iov_cap,
		 struct vb_virtq_chain *chain, struct vb_err *err);

/* Return chain head with len bytes written. 0 or -EINVAL when the guest
 * rewrote used->idx (err filled). */
int vb_virtq_push(struct vb_virtq *q, uint16_t head, uint32_t len,
		  struct vb_err *err);

/* One used ring element. */
struct vb_virtq_used {
	uint16_t head;
	uint32_t len;
};

/* Return n chains at once: the driver sees all of them or none (a
 * network frame spread over several buffers, 5.1.6.4.2). As push. */
int vb_virtq_push_all(struct vb_virtq *q, const struct vb_virtq_used *used, uint16_t n,
		      struct vb_err *err);

/* Give back the last n popped chains, unused: the next pops return them
 * again. n must not exceed the chains popped and not pushed. */
void vb_virtq_unpop(struct vb_virtq *q, uint16_t n);

/* After pushes: should the device interrupt the driver? Honours
 * VIRTQ_AVAIL_F_NO_INTERRUPT or, with event_idx, used_event. */
bool vb_virtq_should_interrupt(struct vb_virtq *q);

/* Suppress (true) or ask for (false) driver notifications: the
 * VIRTQ_USED_F_NO_NOTIFY flag, or avail_event with event_idx. Returns
 * true if buffers arrived meanwhile (re-check before sleeping). */
bool vb_virtq_set_notify(struct vb_virtq *q, bool suppress);

#endif
