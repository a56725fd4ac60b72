/* Checked access to guest RAM from the host.
 *
 * Every guest-controlled address (descriptor, buffer, boot structure) is
 * translated through vb_gmem_ptr(), which refuses ranges that overflow,
 * touch the 32-bit gap, or run past a slot. Device code never adds offsets
 * to host_base itself. The mapping is owned by the builder; this view only
 * borrows it, so tests can point one at a plain malloc'd buffer. */
#ifndef VB_MEM_GUESTMEM_H
#define VB_MEM_GUESTMEM_H

#include <stddef.h>
#include <stdint.h>

#include "mem/memmap.h"

struct vb_guest_mem {
	uint8_t *host_base;        /* host address of guest physical 0 */
	const struct vb_memmap *map;
};

/* Host pointer for [gpa, gpa + len), or NULL if not entirely guest RAM. */
static inline void *vb_gmem_ptr(const struct vb_guest_mem *mem, uint64_t gpa,
				uint64_t len)
{
	if (!vb_memmap_contains(mem->map, gpa, len))
		return NULL;
	return mem->host_base + gpa;
}

#endif
