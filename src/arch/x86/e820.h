/* The guest's e820 memory map, derived from struct vb_memmap.
 *
 * [0, 0x9FC00)            RAM
 * [0x9FC00, 0xA0000)      reserved: EBDA
 * [0xE0000, 0x100000)     reserved: BIOS area holding the ACPI tables
 *                         (0xE0000) and the MP table (0xF0000)
 * [1 MiB, end of low RAM) RAM
 * [4 GiB, 4 GiB + high)   RAM, only when map->has_gap
 * The 32-bit gap is never listed: it is MMIO, not memory. RAM ranges are
 * clipped to the guest's RAM, so a tiny guest gets shorter entries.
 *
 * Pure. The same table feeds the zero page and the PVH memory map. */
#ifndef VB_ARCH_X86_E820_H
#define VB_ARCH_X86_E820_H

#include <stddef.h>

#include "arch/x86/bootparam.h"
#include "mem/memmap.h"
#include "util/err.h"

/* Enough for every layout above. */
#define VB_X86_E820_MAX 8u

/* Fill out[0..max) and set *n_out. Returns 0, or -ENOSPC (max too small)
 * with err filled. */
int vb_x86_e820_build(const struct vb_memmap *map, struct vb_e820_entry *out,
		      size_t max, size_t *n_out, struct vb_err *err);

#endif
