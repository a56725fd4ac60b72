/* The guest memory map, computed once from the RAM size.
 *
 * kvmtool's layout made exact: guest RAM up to 3328 MiB sits at guest
 * physical 0. Larger guests keep the 32-bit hole [3328 MiB, 4 GiB) for MMIO
 * (PCI BARs, the IOAPIC, the local APIC) and continue RAM at 4 GiB. The host
 * backs the guest with one mapping laid out exactly like guest physical
 * space, so host offset == guest physical address; the hole is mapped
 * PROT_NONE so a stray host access through it faults instead of reading
 * RAM that the guest cannot see.
 *
 * Everything that needs the layout reads this struct: KVM slot
 * registration, the e820 table, --plan and the MMIO allocator. Pure. */
#ifndef VB_MACHINE_MEMMAP_H
#define VB_MACHINE_MEMMAP_H

#include <stdbool.h>
#include <stdint.h>

#define VB_GAP_START_BYTES (3328ULL << 20)
#define VB_GAP_END_BYTES (4096ULL << 20)
#define VB_GAP_SIZE_BYTES (VB_GAP_END_BYTES - VB_GAP_START_BYTES)

struct vb_slot {
	uint32_t slot;
	uint64_t guest_phys_addr;
	uint64_t size_bytes;
	uint64_t host_offset; /* into the host mapping */
};

struct vb_memmap {
	uint64_t ram_bytes;
	uint64_t mmap_bytes;  /* the host mapping: RAM, plus the gap if split */
	bool has_gap;         /* RAM above the gap exists */
	uint64_t gap_start;   /* always VB_GAP_START_BYTES; size 0 without gap */
	uint64_t gap_size;
	unsigned n_slots;     /* 1 or 2 */
	struct vb_slot slots[2];
};

/* ram_bytes must be > 0. RAM of exactly 3328 MiB is one slot, no gap. */
void vb_memmap_compute(uint64_t ram_bytes, struct vb_memmap *map);

/* True if [gpa, gpa + len) lies entirely inside one RAM slot (overflow
 * safe; len 0 is valid where gpa is inside or at the end of a slot). */
bool vb_memmap_contains(const struct vb_memmap *map, uint64_t gpa, uint64_t len);

#endif
