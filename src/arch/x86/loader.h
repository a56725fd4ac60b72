/* The x86 boot loaders boot.c dispatches to: bzimage.c, pvh.c and flat.c.
 * They build on guestram.h (copies, initrd placement, command line) and
 * regs.h (entry registers, GDT, page tables), never on boot.c. Not for use
 * outside src/arch/x86 and its tests. Same return convention as boot.h. */
#ifndef VB_ARCH_X86_LOADER_H
#define VB_ARCH_X86_LOADER_H

#include <stdint.h>

#include "arch/x86/boot.h"

int vb_x86_load_bzimage(const struct vb_x86_boot_config *cfg,
			struct vb_guest_mem *mem, struct vb_x86_boot_regs *regs,
			struct vb_x86_boot_info *info, struct vb_err *err);
int vb_x86_load_pvh(const struct vb_x86_boot_config *cfg,
		    struct vb_guest_mem *mem, struct vb_x86_boot_regs *regs,
		    struct vb_x86_boot_info *info, struct vb_err *err);
int vb_x86_load_flat(const struct vb_x86_boot_config *cfg,
		     struct vb_guest_mem *mem, struct vb_x86_boot_regs *regs,
		     struct vb_x86_boot_info *info, struct vb_err *err);

/* Validate the ELF64 headers and return the PVH 32-bit entry point.
 * -ENOEXEC with a message naming the problem. */
int vb_x86_pvh_entry(const uint8_t *image, size_t bytes, uint32_t *entry,
		     struct vb_err *err);

#endif
