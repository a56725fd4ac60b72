#include "mem/memmap.h"

#include <errno.h>
#include <string.h>

#include "util/size.h"

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

uint64_t vb_memmap_top(uint64_t ram_bytes)
{
	if (ram_bytes <= VB_GAP_START_BYTES)
		return ram_bytes;
	return ram_bytes > UINT64_MAX - VB_GAP_SIZE_BYTES ? 0 : ram_bytes + VB_GAP_SIZE_BYTES;
}

int vb_memmap_check_ram(uint64_t ram_bytes, unsigned phys_bits, struct vb_err *err)
{
	char size[32];
	vb_size_format(ram_bytes, size, sizeof(size));
	if (ram_bytes == 0 || ram_bytes % VB_PAGE_BYTES)
		return vb_refuse(err, VB_REFUSAL_RAM_PAGES, EINVAL,
				 "%s is not a whole number of 4 KiB pages (KVM maps guest memory in pages)",
				 size);
	if (phys_bits == 0 || phys_bits > VB_MAX_PHYS_BITS)
		phys_bits = VB_MAX_PHYS_BITS;
	uint64_t top = vb_memmap_top(ram_bytes);
	const char *plus_gap = ram_bytes > VB_GAP_START_BYTES ? " (plus the 768 MiB gap)" : "";
	if (top == 0 || top > (1ULL << phys_bits)) {
		char reach[32];
		vb_size_format(1ULL << phys_bits, reach, sizeof(reach));
		return vb_refuse(err, VB_REFUSAL_RAM_LIMIT, EINVAL,
				 "%s%s is more guest-physical memory than %s%u-bit physical addresses reach (%s)",
				 size, plus_gap, phys_bits == VB_MAX_PHYS_BITS ? "x86-64's " : "this host's ",
				 phys_bits, reach);
	}
	if (top >= (1ULL << VB_USER_VA_BITS))
		return vb_refuse(err, VB_REFUSAL_RAM_LIMIT, EINVAL,
				 "%s%s does not fit in the host's 128 TiB (47-bit) user address space",
				 size, plus_gap);
	return 0;
}
