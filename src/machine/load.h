/* The kernel, initrd and boot data in guest memory: stage 7 of the
 * builder ("load kernel", vm.c), and --check's twin of it.
 *
 * vb_machine_load reads the kernel and initrd the graph names (or copies
 * the in-memory initrd of the zero-config default) and hands them to the
 * x86 loader (arch/x86/boot.h) with the graph's command line: every way a
 * kernel, initrd or command line can fail to fit guest RAM is decided
 * there (KERNEL_*, INITRD_*, FLAT_INITRD, CMDLINE in util/refusal.h).
 * The file buffers are freed once copied into guest memory.
 *
 * vb_machine_check_load runs that same function on a scratch mapping of
 * the graph's memory map (vb_ram_map: MAP_NORESERVE, so only the pages
 * the loader writes are touched) when the kernel and initrd are readable
 * regular files, and adds a refusal as a located error on the key at
 * fault (kernel, initrd or params). Missing or odd files are left to
 * vb_desc_check_files; the zero-config initramfs, built only at run, is
 * not checked. No /dev/kvm. */
#ifndef VB_MACHINE_LOAD_H
#define VB_MACHINE_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/boot.h"
#include "mem/guestmem.h"
#include "machine/machine.h"
#include "util/diag.h"
#include "util/err.h"

/* initrd_data (NULL: none) is used when the graph names no initrd file.
 * Fills regs and info for the vCPUs. Returns 0 or -errno with err set. */
int vb_machine_load(const struct vb_machine_graph *g, const uint8_t *initrd_data,
		    size_t initrd_bytes, struct vb_guest_mem *mem, struct vb_x86_boot_regs *regs,
		    struct vb_x86_boot_info *info, struct vb_err *err);

void vb_machine_check_load(const struct vb_machine_graph *g, struct vb_diags *diags);

#endif
