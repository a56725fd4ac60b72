#include "machine/memmap.h"

#include <string.h>

void vb_memmap_compute(uint64_t ram_bytes, struct vb_memmap *map)
{
	memset(map, 0, sizeof(*map));
	map->ram_bytes = ram_bytes;
	map->gap_start = VB_GAP_START_BYTES;

	uint64_t low = ram_bytes < VB_GAP_START_BYTES ? ram_bytes : VB_GAP_START_BYTES;
	map->slots[0] = (struct vb_slot){ 0, 0, low, 0 };
	map->n_slots = 1;
	map->mmap_bytes = ram_bytes;

	if (ram_bytes > VB_GAP_START_BYTES) {
		map->has_gap = true;
		map->gap_size = VB_GAP_SIZE_BYTES;
		map->mmap_bytes = ram_bytes + VB_GAP_SIZE_BYTES;
		map->slots[1] = (struct vb_slot){
			1, VB_GAP_END_BYTES, ram_bytes - VB_GAP_START_BYTES, VB_GAP_END_BYTES
		};
		map->n_slots = 2;
	}
}

bool vb_memmap_contains(const struct vb_memmap *map, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < map->n_slots; i++) {
		const struct vb_slot *s = &map->slots[i];
		if (gpa < s->guest_phys_addr)
			continue;
		uint64_t offset = gpa - s->guest_phys_addr;
		if (offset <= s->size_bytes && len <= s->size_bytes - offset)
			return true;
	}
	return false;
}
