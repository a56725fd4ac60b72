#include "arch/x86/e820.h"

#include <errno.h>

#include "arch/x86/acpi.h"
#include "arch/x86/layout.h"
#include "arch/x86/mptable.h"

_Static_assert(VB_X86_MPTABLE_GPA >= VB_X86_BIOS_START &&
	       VB_X86_MPTABLE_GPA < VB_X86_BIOS_END,
	       "the MP table must sit in the reserved BIOS area");
_Static_assert(VB_X86_ACPI_GPA >= VB_X86_BIOS_START &&
	       VB_X86_ACPI_GPA + VB_X86_ACPI_AREA_BYTES <= VB_X86_MPTABLE_GPA,
	       "the ACPI tables must sit in the reserved BIOS area, below the MP table");

static int push(struct vb_e820_entry *out, size_t max, size_t *n,
		uint64_t addr, uint64_t size, uint32_t type, struct vb_err *err)
{
	if (size == 0)
		return 0;
	if (*n >= max)
		return vb_err_set(err, ENOSPC, "e820: more than %zu entries", max);
	out[*n] = (struct vb_e820_entry){ .addr = addr, .size = size, .type = type };
	(*n)++;
	return 0;
}

/* Length of [start, end) that lies below limit. */
static uint64_t clip(uint64_t start, uint64_t end, uint64_t limit)
{
	if (limit <= start)
		return 0;
	return (end < limit ? end : limit) - start;
}

int vb_x86_e820_build(const struct vb_memmap *map, struct vb_e820_entry *out,
		      size_t max, size_t *n_out, struct vb_err *err)
{
	uint64_t low_end = map->slots[0].size_bytes;
	size_t n = 0;
	int rc;

	*n_out = 0;
	rc = push(out, max, &n, 0, clip(0, VB_X86_EBDA_START, low_end), VB_E820_RAM, err);
	if (rc == 0)
		rc = push(out, max, &n, VB_X86_EBDA_START,
			  VB_X86_EBDA_END - VB_X86_EBDA_START, VB_E820_RESERVED, err);
	if (rc == 0)
		rc = push(out, max, &n, VB_X86_BIOS_START,
			  VB_X86_BIOS_END - VB_X86_BIOS_START, VB_E820_RESERVED, err);
	if (rc == 0 && low_end > VB_X86_KERNEL_ADDR)
		rc = push(out, max, &n, VB_X86_KERNEL_ADDR,
			  low_end - VB_X86_KERNEL_ADDR, VB_E820_RAM, err);
	if (rc == 0 && map->has_gap && map->n_slots > 1)
		rc = push(out, max, &n, map->slots[1].guest_phys_addr,
			  map->slots[1].size_bytes, VB_E820_RAM, err);
	if (rc == 0)
		*n_out = n;
	return rc;
}
