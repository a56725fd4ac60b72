/* virtio-balloon (virtio 1.x, 5.5): the host asks the guest to give back
 * memory by raising the target `num_pages`; the guest's driver hands pages
 * over on the inflate queue and takes them back on the deflate queue.
 *
 * Inflated pages go back to the host: each page frame number (4 KiB pages,
 * 5.5.6: VIRTIO_BALLOON_PFN_SHIFT 12) is checked against guest RAM through
 * vb_gmem_ptr() and released with madvise(MADV_DONTNEED) on the host
 * mapping (private anonymous: the next guest access gets a zero page).
 * Deflated pages need nothing: the guest just touches them again.
 * VIRTIO_BALLOON_F_MUST_TELL_HOST is not offered, so the guest may reuse
 * pages without telling us. A PFN outside guest RAM (past the end, in the
 * 32-bit gap) is ignored and counted: it cannot be released, and the spec
 * (5.5.6.1) leaves the device free to ignore pages it cannot use. A buffer
 * the device would have to write on the inflate or deflate queue is a
 * driver violation (NEEDS_RESET, virtio.h).
 *
 * Statistics (VIRTIO_BALLOON_F_STATS_VQ, 5.5.6.3): the driver keeps one
 * buffer of {le16 tag, le64 value} entries on the stats queue; the device
 * parses it on arrival and holds it. vb_virtio_balloon_stats_request()
 * gives it back, which asks the driver for fresh numbers.
 *
 * Registry glue: vb_virtio_balloon_type, the device type "balloon" (at
 * most one; --balloon), and its vb_virtio_balloon_ops, config a const
 * struct vb_virtio_placement * (virtio.h); NULL means PCI in the first
 * free slot.
 * The builder finds the state in its vb_dev_set and drives it with the
 * functions below, which may be called from any thread (they take the
 * device mutex). */
#ifndef VB_VIRTIO_BALLOON_H
#define VB_VIRTIO_BALLOON_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/dev.h"
#include "parse/devtype.h"

#define VB_VIRTIO_BALLOON_PAGE_BYTES 4096u

/* Stats tags (5.5.6.3), also the index into vb_balloon_stats.value. */
enum {
	VB_BALLOON_S_SWAP_IN,
	VB_BALLOON_S_SWAP_OUT,
	VB_BALLOON_S_MAJFLT,
	VB_BALLOON_S_MINFLT,
	VB_BALLOON_S_MEMFREE,
	VB_BALLOON_S_MEMTOT,
	VB_BALLOON_S_AVAIL,
	VB_BALLOON_S_CACHES,
	VB_BALLOON_S_HTLB_PGALLOC,
	VB_BALLOON_S_HTLB_PGFAIL,
	VB_BALLOON_S_COUNT
};

struct vb_balloon_stats {
	uint32_t target_pages;   /* num_pages: what the host asked for */
	uint32_t actual_pages;   /* actual: what the driver says it holds */
	uint64_t inflated_pages; /* pages released to the host, total */
	uint64_t deflated_pages; /* pages given back to the guest, total */
	uint64_t bad_pfns;       /* PFNs ignored: not guest RAM */
	uint64_t stats_updates;  /* stats buffers parsed so far */
	bool driver_ok;          /* the guest driver is up */
	uint32_t valid;          /* bit t set: value[t] came from the guest */
	uint64_t value[VB_BALLOON_S_COUNT];
};

extern const struct vb_device_ops vb_virtio_balloon_ops;
extern const struct vb_device_type vb_virtio_balloon_type;

struct vb_virtio_balloon;

/* Ask the guest to hold target_pages pages in the balloon: sets num_pages
 * and sends a configuration-change interrupt (5.5.6.2) if the driver is
 * up (otherwise the driver reads it when it starts). */
void vb_virtio_balloon_set_target(struct vb_virtio_balloon *b, uint32_t target_pages);

/* Snapshot of the counters and the last statistics. */
void vb_virtio_balloon_get_stats(struct vb_virtio_balloon *b, struct vb_balloon_stats *out);

/* Give the held stats buffer back so the driver refills it. Returns true
 * if a buffer was held (an update will follow), false otherwise. */
bool vb_virtio_balloon_stats_request(struct vb_virtio_balloon *b);

/* Name of stats tag t ("swap_in", "mem_free", ...), NULL if unknown. */
const char *vb_virtio_balloon_stat_name(unsigned t);

#endif
