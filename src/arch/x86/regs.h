/* The vCPU's state at the kernel's first instruction, for the x86 loaders
 * (bzimage.c, pvh.c, flat.c): register templates, the GDT and the boot page
 * tables, written into guest RAM through guestram.h. Internal to
 * src/arch/x86 and its tests; same return convention as boot.h. */
#ifndef VB_ARCH_X86_REGS_H
#define VB_ARCH_X86_REGS_H

#include <stdint.h>

#include "arch/x86/boot.h"

/* Write the 4 GiB identity map (layout.h) and return CR3 in *cr3. */
int vb_x86_pgtable_write(struct vb_guest_mem *mem, uint64_t *cr3,
			 struct vb_err *err);

/* Fill regs for the mode with flat segments (real mode: the flat-binary
 * segment), and for the protected modes write the matching GDT to
 * VB_X86_GDT_ADDR. rip/rsp are set; rsi/rbx/cr3 are left to the caller. */
int vb_x86_regs_init(struct vb_guest_mem *mem, enum vb_x86_cpu_mode mode,
		     uint64_t rip, struct vb_x86_boot_regs *regs,
		     struct vb_err *err);

/* The 8-byte GDT descriptor for seg (SDM vol. 3A 3.4.5). */
uint64_t vb_x86_gdt_encode(const struct vb_x86_segment *seg);

#endif
