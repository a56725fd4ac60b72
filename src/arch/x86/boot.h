/* Loading an x86 guest kernel: pure code that writes boot structures into
 * guest RAM and describes the vCPU register state at the first instruction.
 * No ioctls: the KVM layer copies struct vb_x86_boot_regs into kvm_regs and
 * kvm_sregs. Runs in the builder's "load kernel, boot params, e820,
 * cmdline" stage, after guest RAM is mapped and before vCPU registers are
 * set. The MP table (mptable.h) is written by the builder in the same stage.
 *
 * Kernel formats, detected from the first bytes (vb_x86_kernel_probe):
 *   bzImage   "HdrS" at 0x202. Protocol >= 2.06 and XLF_KERNEL_64 required:
 *             booted through the 64-bit entry (load address + 0x200) in
 *             long mode with identity-mapped page tables, RSI = zero page.
 *   ELF64     x86-64 vmlinux with a Xen PVH note (XEN_ELFNOTE_PHYS32_ENTRY):
 *             segments at their physical addresses, 32-bit protected mode,
 *             paging off, EBX = hvm_start_info.
 *   flat      anything else: copied to 0x10000, real mode at 0x1000:0000.
 *             No command line, initrd or memory map reach a flat binary.
 *
 * vb_x86_load_kernel() does, in order:
 *   1. probe the format and check every header field against the file size
 *   2. check that kernel, initrd and command line fit (nothing written yet)
 *   3. copy the kernel, then the initrd, into guest RAM
 *   4. write the command line, e820/memory map and zero page or start info
 *   5. write the GDT and, for long mode, the page tables
 *   6. fill *regs
 * A failure in steps 1-2 leaves guest RAM untouched; a later failure may
 * leave partial data in guest RAM (the caller tears the VM down anyway).
 * Kernel and initrd bytes are untrusted: every offset and length read from
 * them is bounds-checked. Returns 0 or -errno with err filled
 * (-ENOEXEC bad/unsupported image, -EFBIG does not fit in RAM, -E2BIG
 * command line too long, -EINVAL bad config). */
#ifndef VB_ARCH_X86_BOOT_H
#define VB_ARCH_X86_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "mem/guestmem.h"
#include "util/err.h"

enum vb_x86_kernel_kind {
	VB_X86_KERNEL_BZIMAGE,
	VB_X86_KERNEL_PVH_ELF,
	VB_X86_KERNEL_FLAT,
};

enum vb_x86_cpu_mode {
	VB_X86_MODE_REAL,
	VB_X86_MODE_PROT32,
	VB_X86_MODE_LONG64,
};

/* One segment register, in the shape of struct kvm_segment: limit is the
 * byte-granular limit the CPU uses (0xFFFFFFFF for a flat 4 GiB segment
 * with g = 1), type the 4-bit descriptor type, s = 1 for code/data. */
struct vb_x86_segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint8_t type;
	uint8_t present;
	uint8_t dpl;
	uint8_t db;
	uint8_t s;
	uint8_t l;
	uint8_t g;
};

struct vb_x86_dtable {
	uint64_t base;
	uint16_t limit;
};

/* The vCPU 0 state at the kernel's first instruction. General registers
 * not listed are zero. The GDT's contents are already in guest RAM at
 * gdt.base. tr is a busy TSS (base 0, limit 0x67) in the protected modes
 * because the PVH ABI requires one and VMX refuses a VM entry without a
 * usable TR; in real mode it is the CPU's reset value. */
struct vb_x86_boot_regs {
	enum vb_x86_cpu_mode mode;
	uint64_t rip;
	uint64_t rsp;
	uint64_t rsi;
	uint64_t rbx;
	uint64_t rflags;
	uint64_t cr0;
	uint64_t cr3;
	uint64_t cr4;
	uint64_t efer;
	struct vb_x86_segment cs, ds, es, fs, gs, ss, tr;
	struct vb_x86_dtable gdt;
};

/* What to boot. Kernel and initrd are borrowed byte buffers (the caller
 * read the files, e.g. with vb_x86_read_file). cmdline is the finished
 * line (cmdline.h), NUL-terminated; NULL means empty. */
struct vb_x86_boot_config {
	const uint8_t *kernel;
	size_t kernel_bytes;
	const uint8_t *initrd;   /* NULL: no initrd */
	size_t initrd_bytes;
	const char *cmdline;
	unsigned cpus;           /* 1..VB_X86_MPTABLE_MAX_CPUS */
	/* Where the ACPI RSDP will be (acpi.h), told to the kernel in
	 * boot_params.acpi_rsdp_addr or the PVH start info; 0: no ACPI. */
	uint64_t rsdp_gpa;
};

/* Where things went, for --plan and logs. */
struct vb_x86_boot_info {
	enum vb_x86_kernel_kind kind;
	uint64_t kernel_addr;     /* lowest loaded byte */
	uint64_t kernel_end;      /* end of the kernel's footprint */
	uint64_t initrd_addr;     /* 0: none */
	uint64_t initrd_bytes;
	uint16_t protocol;        /* bzImage boot protocol, else 0 */
};

/* Detect the format of image[0..bytes). Returns 0 and sets *kind, or
 * -ENOEXEC for an empty file or an ELF that is not a PVH x86-64 kernel,
 * with err filled. Only the magic and the ELF note are examined here; the
 * loader validates the rest. */
int vb_x86_kernel_probe(const uint8_t *image, size_t bytes,
			enum vb_x86_kernel_kind *kind, struct vb_err *err);

const char *vb_x86_kernel_kind_name(enum vb_x86_kernel_kind kind);

/* See the order above. info may be NULL. */
int vb_x86_load_kernel(const struct vb_x86_boot_config *cfg,
		       struct vb_guest_mem *mem, struct vb_x86_boot_regs *regs,
		       struct vb_x86_boot_info *info, struct vb_err *err);

/* Read a whole regular file into a malloc'd buffer the caller frees.
 * Files larger than max_bytes are refused with -EFBIG before reading, so a
 * kernel bigger than guest RAM fails early ("what" names the file's role,
 * e.g. "kernel"). Returns 0 or -errno with err filled. */
int vb_x86_read_file(const char *what, const char *path, uint64_t max_bytes,
		     uint8_t **data, size_t *bytes, struct vb_err *err);

#endif
