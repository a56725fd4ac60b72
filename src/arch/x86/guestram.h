/* What every x86 loader (bzimage.c, pvh.c, flat.c) and the entry-state code
 * (regs.c) write into guest RAM with: a bounds-checked copy, the end of low
 * RAM, the initrd's place, the command line. Internal to src/arch/x86 and
 * its tests; same return convention as boot.h.
 *
 * Why a file of its own: boot.c dispatches to the loaders, so the helpers
 * the loaders call cannot live in boot.c without the loaders calling back
 * up into it. Here they sit below both: boot.c -> loaders -> regs.c ->
 * guestram.c, and nothing points the other way. */
#ifndef VB_ARCH_X86_GUESTRAM_H
#define VB_ARCH_X86_GUESTRAM_H

#include <stdint.h>

#include "mem/guestmem.h"
#include "util/err.h"

/* Copy len bytes to guest-physical gpa; -EFBIG if the range is not RAM. */
int vb_x86_guest_copy(struct vb_guest_mem *mem, uint64_t gpa, const void *src,
		      uint64_t len, const char *what, struct vb_err *err);

/* End of the RAM that starts at guest-physical 0 (below the 32-bit gap). */
uint64_t vb_x86_low_ram_end(const struct vb_guest_mem *mem);

/* Place an initrd of bytes page-aligned as high as possible with its end
 * at or below limit and its start at or above floor. -EFBIG if it does
 * not fit. */
int vb_x86_initrd_place(uint64_t bytes, uint64_t floor, uint64_t limit,
			uint64_t *addr, struct vb_err *err);

/* -E2BIG if cmdline (NULL = "") is longer than max_len (without the NUL)
 * or than the command-line area. */
int vb_x86_cmdline_check(const char *cmdline, uint64_t max_len, struct vb_err *err);

/* Write cmdline at VB_X86_CMDLINE_ADDR after vb_x86_cmdline_check. */
int vb_x86_cmdline_write(struct vb_guest_mem *mem, const char *cmdline,
			 uint64_t max_len, struct vb_err *err);

#endif
