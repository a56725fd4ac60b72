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
#ifndef VB_MEM_MEMMAP_H
#define VB_MEM_MEMMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

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

/* The page KVM maps guest memory in: a memory slot is whole 4 KiB pages
 * (KVM_SET_USER_MEMORY_REGION refuses anything else). */
#define VB_PAGE_BYTES 4096ULL
/* CPUID 0x80000008 reports at most 52 physical address bits on x86-64
 * (Intel SDM Vol. 3A 4.1.4; AMD APM Vol. 2 5.2.1): the widest guest
 * physical space any host offers. */
#define VB_MAX_PHYS_BITS 52u
/* Linux x86-64 gives a process 47 bits of user address space unless it
 * passes mmap a hint above them (Documentation/arch/x86/x86_64/
 * 5level-paging.rst), and vmboot maps guest RAM without one. */
#define VB_USER_VA_BITS 47u

/* Can ram_bytes of guest RAM be built on a host whose CPUs have phys_bits
 * physical address bits (0: unknown, taken as the architectural 52)?
 *   RAM_PAGES  it is a whole number of 4 KiB pages, more than zero;
 *   RAM_LIMIT  the top of guest-physical memory (RAM plus the gap, which
 *              is also the size of the host mapping) is at most
 *              2^phys_bits (with two-dimensional paging KVM maps no guest
 *              frame beyond the host's MAXPHYADDR) and below 2^47, the
 *              user address space the mapping must fit in.
 * The one rule for resolve (which reports it at `memory`) and the builder.
 * Pure and overflow safe. Returns 0, or -EINVAL with err filled by
 * vb_refuse (util/refusal.h). */
int vb_memmap_check_ram(uint64_t ram_bytes, unsigned phys_bits, struct vb_err *err);

/* The top of guest-physical memory for ram_bytes of RAM (the host mapping
 * size), or 0 when it would overflow 64 bits. */
uint64_t vb_memmap_top(uint64_t ram_bytes);

/* True if [gpa, gpa + len) lies entirely inside one RAM slot (overflow
 * safe; len 0 is valid where gpa is inside or at the end of a slot). */
bool vb_memmap_contains(const struct vb_memmap *map, uint64_t gpa, uint64_t len);

#endif
