/* Internal interface between the x86 boot loaders (boot.c dispatches to
 * bzimage.c, pvh.c and flat.c) and the shared pieces they use: guest copy,
 * initrd placement, GDT, page tables and register templates. Not for use
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
