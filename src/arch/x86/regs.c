/* Entry register state, GDT and boot page tables. */
#include "arch/x86/regs.h"

#include <errno.h>
#include <string.h>

#include "arch/x86/guestram.h"
#include "arch/x86/layout.h"

/* Control-register and EFER bits (SDM vol. 3A 2.5, 2.2.1). */
#define CR0_PE (1ULL << 0)
#define CR0_ET (1ULL << 4)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
/* RFLAGS bit 1 is reserved and reads as 1; IF stays 0 as boot.rst and the
 * PVH ABI require interrupts disabled at entry. */
#define RFLAGS_RESERVED (1ULL << 1)

/* Descriptor types (SDM vol. 3A 3.4.5.1, 3.5): execute/read accessed
 * code, read/write accessed data, busy 32/64-bit TSS. */
#define TYPE_CODE_RX 0xBu
#define TYPE_DATA_RW 0x3u
#define TYPE_TSS_BUSY 0xBu

/* Page-table entry bits (SDM vol. 3A 4.5). */
#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_PS (1ULL << 7)
#define PAGE_2M (2ULL << 20)
#define PT_ENTRIES 512u

uint64_t vb_x86_gdt_encode(const struct vb_x86_segment *seg)
{
	/* With g = 1 the descriptor holds the limit in 4 KiB units. */
	uint64_t limit = seg->g ? seg->limit >> 12 : seg->limit;
	uint64_t d = 0;

	d |= limit & 0xFFFFULL;
	d |= (seg->base & 0xFFFFFFULL) << 16;
	d |= (uint64_t)(seg->type & 0xF) << 40;
	d |= (uint64_t)(seg->s & 1) << 44;
	d |= (uint64_t)(seg->dpl & 3) << 45;
	d |= (uint64_t)(seg->present & 1) << 47;
	d |= ((limit >> 16) & 0xFULL) << 48;
	d |= (uint64_t)(seg->l & 1) << 53;
	d |= (uint64_t)(seg->db & 1) << 54;
	d |= (uint64_t)(seg->g & 1) << 55;
	d |= ((seg->base >> 24) & 0xFFULL) << 56;
	return d;
}

static struct vb_x86_segment flat_segment(uint16_t selector, uint8_t type,
					  int code64)
{
	return (struct vb_x86_segment){
		.base = 0, .limit = 0xFFFFFFFFu, .selector = selector,
		.type = type, .present = 1, .dpl = 0, .s = 1, .g = 1,
		/* A 64-bit code segment must have D = 0 when L = 1. */
		.l = code64 ? 1 : 0, .db = code64 ? 0 : 1,
	};
}

static void real_mode(struct vb_x86_boot_regs *regs)
{
	struct vb_x86_segment code = {
		.base = (uint64_t)VB_X86_FLAT_SEGMENT << 4, .limit = 0xFFFF,
		.selector = VB_X86_FLAT_SEGMENT, .type = TYPE_CODE_RX,
		.present = 1, .s = 1,
	};
	struct vb_x86_segment data = code;

	data.type = TYPE_DATA_RW;
	regs->cs = code;
	regs->ds = regs->es = regs->fs = regs->gs = data;
	/* SS = 0 puts the stack below the binary: SS:SP = 0:0xFFF0. */
	regs->ss = data;
	regs->ss.selector = 0;
	regs->ss.base = 0;
	/* TR and GDTR as the CPU leaves them at reset (SDM vol. 3A 9.1.1). */
	regs->tr = (struct vb_x86_segment){ .limit = 0xFFFF, .type = TYPE_TSS_BUSY,
					    .present = 1 };
	regs->gdt = (struct vb_x86_dtable){ .base = 0, .limit = 0xFFFF };
	/* Reset CR0 is 0x60000010; CD and NW are dropped so the guest does not
	 * start with caching disabled. */
	regs->cr0 = CR0_ET;
}

static int protected_mode(struct vb_guest_mem *mem, int long_mode,
			  struct vb_x86_boot_regs *regs, struct vb_err *err)
{
	struct vb_x86_segment tss = {
		.base = 0, .limit = 0x67, .selector = VB_X86_SEL_TSS,
		.type = TYPE_TSS_BUSY, .present = 1,
	};
	uint64_t gdt[VB_X86_GDT_ENTRIES] = { 0 };

	regs->cs = flat_segment(VB_X86_SEL_CODE, TYPE_CODE_RX, long_mode);
	regs->ds = flat_segment(VB_X86_SEL_DATA, TYPE_DATA_RW, 0);
	regs->es = regs->fs = regs->gs = regs->ss = regs->ds;
	regs->tr = tss;

	gdt[VB_X86_SEL_CODE / 8] = vb_x86_gdt_encode(&regs->cs);
	gdt[VB_X86_SEL_DATA / 8] = vb_x86_gdt_encode(&regs->ds);
	/* In long mode the TSS descriptor is 16 bytes; base 0 makes the upper
	 * half (entry 5) zero, which also suits 32-bit mode. */
	gdt[VB_X86_SEL_TSS / 8] = vb_x86_gdt_encode(&tss);
	regs->gdt = (struct vb_x86_dtable){ .base = VB_X86_GDT_ADDR,
					    .limit = sizeof(gdt) - 1 };

	regs->cr0 = CR0_PE | CR0_ET;
	if (long_mode) {
		regs->cr0 |= CR0_PG;
		regs->cr4 = CR4_PAE;
		regs->efer = EFER_LME | EFER_LMA;
	}
	return vb_x86_guest_copy(mem, VB_X86_GDT_ADDR, gdt, sizeof(gdt), "GDT", err);
}

int vb_x86_regs_init(struct vb_guest_mem *mem, enum vb_x86_cpu_mode mode,
		     uint64_t rip, struct vb_x86_boot_regs *regs,
		     struct vb_err *err)
{
	memset(regs, 0, sizeof(*regs));
	regs->mode = mode;
	regs->rip = rip;
	regs->rsp = VB_X86_STACK_TOP;
	regs->rflags = RFLAGS_RESERVED;

	switch (mode) {
	case VB_X86_MODE_REAL:
		real_mode(regs);
		return 0;
	case VB_X86_MODE_PROT32:
		return protected_mode(mem, 0, regs, err);
	case VB_X86_MODE_LONG64:
		return protected_mode(mem, 1, regs, err);
	}
	return vb_err_set(err, EINVAL, "unknown CPU mode %d", (int)mode);
}

int vb_x86_pgtable_write(struct vb_guest_mem *mem, uint64_t *cr3,
			 struct vb_err *err)
{
	uint64_t table[PT_ENTRIES];
	int rc;

	_Static_assert(VB_X86_PD_COUNT * PT_ENTRIES * PAGE_2M == VB_X86_IDMAP_BYTES,
		       "page directories cover the identity map");

	memset(table, 0, sizeof(table));
	table[0] = VB_X86_PDPT_ADDR | PTE_P | PTE_RW;
	rc = vb_x86_guest_copy(mem, VB_X86_PML4_ADDR, table, sizeof(table), "PML4", err);
	if (rc < 0)
		return rc;

	memset(table, 0, sizeof(table));
	for (unsigned i = 0; i < VB_X86_PD_COUNT; i++)
		table[i] = (VB_X86_PD_ADDR + i * 0x1000ULL) | PTE_P | PTE_RW;
	rc = vb_x86_guest_copy(mem, VB_X86_PDPT_ADDR, table, sizeof(table), "PDPT", err);
	if (rc < 0)
		return rc;

	for (unsigned i = 0; i < VB_X86_PD_COUNT; i++) {
		for (unsigned j = 0; j < PT_ENTRIES; j++)
			table[j] = ((uint64_t)i * PT_ENTRIES + j) * PAGE_2M |
				   PTE_P | PTE_RW | PTE_PS;
		rc = vb_x86_guest_copy(mem, VB_X86_PD_ADDR + i * 0x1000ULL, table,
				       sizeof(table), "page directory", err);
		if (rc < 0)
			return rc;
	}
	*cr3 = VB_X86_PML4_ADDR;
	return 0;
}
