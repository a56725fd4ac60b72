/* Host backing for guest RAM.
 *
 * Stage "map RAM" of the builder: after the memory map is computed and
 * before KVM slots are registered. One anonymous private mapping of
 * map->mmap_bytes laid out like guest physical space (host offset == guest
 * physical address, see memmap.h). When the map has a gap, the gap pages
 * are PROT_NONE so a host bug that walks into them faults instead of
 * silently reading memory the guest cannot see.
 *
 * MAP_NORESERVE: guest RAM is committed lazily as the guest touches it, so
 * a large, mostly idle guest does not need matching swap reservation.
 * The whole mapping is offered to KSM (MADV_MERGEABLE); a kernel without
 * KSM answers EINVAL, which is not an error. With huge pages, the mapping
 * is 2 MiB aligned so transparent huge pages can back guest-physical 2 MiB
 * pages one to one, and advised MADV_HUGEPAGE. VB_RAM_HUGE_IF_AVAILABLE
 * (the default, as QEMU advises its RAM) takes a kernel without THP as it
 * is; VB_RAM_HUGE_REQUIRED (the user asked for them) makes it an error.
 *
 * Ownership: struct vb_ram owns the mapping; vb_ram_unmap releases it and
 * is safe on a zeroed or already unmapped struct. Returns 0 or -errno with
 * err filled. */
#ifndef VB_MACHINE_RAM_H
#define VB_MACHINE_RAM_H

#include <stdbool.h>
#include <stdint.h>

#include "mem/guestmem.h"
#include "mem/memmap.h"
#include "util/err.h"

/* x86 large page (PDE with PS=1): Intel SDM Vol. 3A 4.5. */
#define VB_RAM_HUGEPAGE_BYTES (2ULL << 20)

enum vb_ram_pages {
	VB_RAM_SMALL_PAGES,
	VB_RAM_HUGE_IF_AVAILABLE,
	VB_RAM_HUGE_REQUIRED,
};

struct vb_ram {
	uint8_t *host_base;   /* host address of guest physical 0; NULL if unmapped */
	uint64_t mmap_bytes;  /* bytes mapped at host_base */
	bool hugepages;       /* advised MADV_HUGEPAGE, and the kernel took it */
};

int vb_ram_map(struct vb_ram *ram, const struct vb_memmap *map, enum vb_ram_pages pages,
	       struct vb_err *err);
void vb_ram_unmap(struct vb_ram *ram);

/* The checked guest-memory view of this mapping; map must outlive it. */
static inline struct vb_guest_mem vb_ram_view(const struct vb_ram *ram,
					      const struct vb_memmap *map)
{
	return (struct vb_guest_mem){ .host_base = ram->host_base, .map = map };
}

#endif
