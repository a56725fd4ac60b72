/* x86 boot protocols on synthetic images: a fake bzImage with a valid setup
 * header, a minimal ELF64 with a PVH note, a flat binary. Guest RAM is a
 * calloc'd buffer behind a struct vb_guest_mem. */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch/x86/boot.h"
#include "arch/x86/bootparam.h"
#include "arch/x86/cmdline.h"
#include "arch/x86/layout.h"
#include "arch/x86/loader.h"
#include "arch/x86/regs.h"
#include "util/size.h"

#define RAM_BYTES (64 * VB_MiB)

struct guest {
	struct vb_memmap map;
	struct vb_guest_mem mem;
};

static int guest_setup(void **state)
{
	struct guest *g = calloc(1, sizeof(*g));

	if (!g)
		return -1;
	vb_memmap_compute(RAM_BYTES, &g->map);
	g->mem.map = &g->map;
	g->mem.host_base = calloc(1, RAM_BYTES);
	if (!g->mem.host_base) {
		free(g);
		return -1;
	}
	*state = g;
	return 0;
}

static int guest_teardown(void **state)
{
	struct guest *g = *state;

	free(g->mem.host_base);
	free(g);
	return 0;
}

static uint8_t *gp(struct guest *g, uint64_t gpa)
{
	return g->mem.host_base + gpa;
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(uint8_t *p, uint64_t v) { put32(p, v); put32(p + 4, v >> 32); }

/* ---- fake bzImage ---------------------------------------------------- */

struct bz_opts {
	uint16_t version;
	uint8_t setup_sects;
	uint8_t hdr_len;        /* byte at 0x201 */
	uint16_t xloadflags;
	uint32_t init_size;
	uint64_t pref_address;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;
	size_t pm_bytes;
	size_t truncate_to;     /* 0: full file */
};

static struct bz_opts bz_default(void)
{
	return (struct bz_opts){
		.version = 0x20F, .setup_sects = 4, .hdr_len = 0x26C - 0x202,
		.xloadflags = VB_XLF_KERNEL_64 | VB_XLF_CAN_BE_LOADED_ABOVE_4G,
		.init_size = 8 * VB_MiB, .pref_address = 16 * VB_MiB,
		.initrd_addr_max = 0x7FFFFFFF, .cmdline_size = 2047, .pm_bytes = 8192,
	};
}

static uint8_t *make_bzimage(const struct bz_opts *o, size_t *bytes)
{
	unsigned sects = o->setup_sects ? o->setup_sects : 4;
	size_t setup = (sects + 1) * 512u;
	size_t total = setup + o->pm_bytes;
	uint8_t *img = calloc(1, total < 0x1000 ? 0x1000 : total);

	assert_non_null(img);
	img[0x1F1] = o->setup_sects;
	put16(img + 0x1FE, 0xAA55);
	img[0x200] = 0xEB;
	img[0x201] = o->hdr_len;
	memcpy(img + 0x202, "HdrS", 4);
	put16(img + 0x206, o->version);
	img[0x211] = VB_LOADED_HIGH;
	put32(img + 0x214, 0x100000);
	put32(img + 0x22C, o->initrd_addr_max);
	put32(img + 0x230, 2 * VB_MiB);     /* kernel_alignment */
	img[0x234] = 1;                     /* relocatable */
	put16(img + 0x236, o->xloadflags);
	put32(img + 0x238, o->cmdline_size);
	put64(img + 0x258, o->pref_address);
	put32(img + 0x260, o->init_size);
	for (size_t i = 0; i < o->pm_bytes; i++)
		img[setup + i] = (uint8_t)(i * 7 + 3);
	*bytes = o->truncate_to ? o->truncate_to : total;
	return img;
}

static struct vb_x86_boot_config cfg_for(const uint8_t *k, size_t kb)
{
	return (struct vb_x86_boot_config){
		.kernel = k, .kernel_bytes = kb, .cmdline = "console=ttyS0 root=/dev/vda",
		.cpus = 1,
	};
}

static int load(struct guest *g, const struct vb_x86_boot_config *cfg,
		struct vb_x86_boot_regs *regs, struct vb_x86_boot_info *info,
		struct vb_err *err)
{
	memset(err, 0, sizeof(*err));
	return vb_x86_load_kernel(cfg, &g->mem, regs, info, err);
}

static void test_bzimage_zero_page(void **state)
{
	struct guest *g = *state;
	struct bz_opts o = bz_default();
	size_t kb, ib = 3 * VB_MiB + 123;
	uint8_t *k, *initrd = malloc(ib);
	struct vb_x86_boot_regs regs;
	struct vb_x86_boot_info info;
	struct vb_err err;
	struct vb_boot_params zp;

	/* initrd_addr_max below the end of RAM must cap the placement. */
	o.initrd_addr_max = 32 * VB_MiB - 1;
	k = make_bzimage(&o, &kb);
	memset(initrd, 0x5A, ib);
	struct vb_x86_boot_config cfg = cfg_for(k, kb);
	cfg.initrd = initrd;
	cfg.initrd_bytes = ib;
	cfg.rsdp_gpa = 0xE0000;

	assert_int_equal(load(g, &cfg, &regs, &info, &err), 0);
	assert_int_equal(info.kind, VB_X86_KERNEL_BZIMAGE);
	assert_int_equal(info.protocol, 0x20F);

	memcpy(&zp, gp(g, VB_X86_ZERO_PAGE_ADDR), sizeof(zp));
	assert_int_equal(zp.hdr.header, VB_SETUP_MAGIC);
	assert_int_equal(zp.acpi_rsdp_addr, 0xE0000);
	assert_int_equal(zp.hdr.version, 0x20F);
	assert_int_equal(zp.hdr.type_of_loader, 0xFF);
	assert_true(zp.hdr.loadflags & VB_CAN_USE_HEAP);
	assert_true(zp.hdr.loadflags & VB_LOADED_HIGH);
	assert_int_equal(zp.hdr.heap_end_ptr, 0xFE00);
	assert_int_equal(zp.hdr.cmd_line_ptr, VB_X86_CMDLINE_ADDR);
	assert_string_equal((char *)gp(g, zp.hdr.cmd_line_ptr), cfg.cmdline);
	assert_int_equal(zp.hdr.ramdisk_size, ib);
	/* page aligned, below initrd_addr_max, above the kernel footprint */
	assert_int_equal(zp.hdr.ramdisk_image % 4096, 0);
	assert_true((uint64_t)zp.hdr.ramdisk_image + ib <= 32 * VB_MiB);
	assert_true(zp.hdr.ramdisk_image >= 16 * VB_MiB + 8 * VB_MiB);
	/* as high as possible: within one page of the limit */
	assert_true(32 * VB_MiB - (zp.hdr.ramdisk_image + ib) < 4096);
	assert_int_equal(zp.hdr.ramdisk_image, info.initrd_addr);
	assert_memory_equal(gp(g, zp.hdr.ramdisk_image), initrd, ib);
	assert_int_equal(zp.ext_ramdisk_image, 0);
	assert_int_equal(zp.sentinel, 0);

	/* e820 in the zero page for 64 MiB */
	assert_int_equal(zp.e820_entries, 4);
	assert_int_equal(zp.e820_table[0].addr, 0);
	assert_int_equal(zp.e820_table[0].size, 0x9FC00);
	assert_int_equal(zp.e820_table[0].type, VB_E820_RAM);
	assert_int_equal(zp.e820_table[1].addr, 0x9FC00);
	assert_int_equal(zp.e820_table[1].type, VB_E820_RESERVED);
	assert_int_equal(zp.e820_table[2].addr, 0xE0000);
	assert_int_equal(zp.e820_table[2].type, VB_E820_RESERVED);
	assert_int_equal(zp.e820_table[3].addr, VB_MiB);
	assert_int_equal(zp.e820_table[3].size, RAM_BYTES - VB_MiB);

	/* protected-mode kernel copied to 1 MiB */
	assert_memory_equal(gp(g, VB_X86_KERNEL_ADDR), k + 5 * 512, o.pm_bytes);
	free(k);
	free(initrd);
}

static void test_bzimage_initrd_top_of_ram(void **state)
{
	struct guest *g = *state;
	struct bz_opts o = bz_default();
	size_t kb, ib = 5000;
	uint8_t *k = make_bzimage(&o, &kb), initrd[5000];
	struct vb_x86_boot_regs regs;
	struct vb_x86_boot_info info;
	struct vb_err err;

	memset(initrd, 1, sizeof(initrd));
	struct vb_x86_boot_config cfg = cfg_for(k, kb);
	cfg.initrd = initrd;
	cfg.initrd_bytes = ib;
	assert_int_equal(load(g, &cfg, &regs, &info, &err), 0);
	/* initrd_addr_max 2 GiB is above RAM: end of RAM is the limit */
	assert_int_equal(info.initrd_addr, (RAM_BYTES - ib) & ~0xFFFULL);
	free(k);
}

static void test_bzimage_regs_long64(void **state)
{
	struct guest *g = *state;
	struct bz_opts o = bz_default();
	size_t kb;
	uint8_t *k = make_bzimage(&o, &kb);
	struct vb_x86_boot_regs r;
	struct vb_err err;
	struct vb_x86_boot_config cfg = cfg_for(k, kb);
	uint64_t gdt[VB_X86_GDT_ENTRIES];

	assert_int_equal(load(g, &cfg, &r, NULL, &err), 0);
	assert_int_equal(r.mode, VB_X86_MODE_LONG64);
	assert_int_equal(r.rip, VB_X86_KERNEL_ADDR + 0x200);
	assert_int_equal(r.rsi, VB_X86_ZERO_PAGE_ADDR);
	assert_int_equal(r.cr3, VB_X86_PML4_ADDR);
	assert_int_equal(r.cr0 & 0x80000001ULL, 0x80000001ULL); /* PG | PE */
	assert_int_equal(r.cr4 & 0x20, 0x20);                   /* PAE */
	assert_int_equal(r.efer & 0x500, 0x500);                /* LME | LMA */
	assert_int_equal(r.rflags & 0x200, 0);                  /* IF clear */
	assert_int_equal(r.cs.selector, 0x10);
	assert_int_equal(r.cs.l, 1);
	assert_int_equal(r.cs.db, 0);
	assert_int_equal(r.ds.selector, 0x18);
	assert_int_equal(r.ss.selector, 0x18);
	assert_int_equal(r.es.selector, 0x18);
	assert_int_equal(r.ds.limit, 0xFFFFFFFFu);
	assert_int_equal(r.ds.g, 1);
	assert_int_equal(r.tr.selector, VB_X86_SEL_TSS);
	assert_int_equal(r.tr.s, 0);
	assert_int_equal(r.gdt.base, VB_X86_GDT_ADDR);
	assert_int_equal(r.gdt.limit, VB_X86_GDT_ENTRIES * 8 - 1);
	assert_true(r.rsp > VB_X86_STACK_BOTTOM && r.rsp <= VB_X86_FLAT_ADDR);
	assert_int_equal(r.rsp % 16, 0);

	/* The GDT in guest RAM says what the registers say; the values are
	 * the well-known flat 64-bit code and 32-bit data descriptors. */
	memcpy(gdt, gp(g, VB_X86_GDT_ADDR), sizeof(gdt));
	assert_int_equal(gdt[0], 0);
	assert_int_equal(gdt[2], 0x00AF9B000000FFFFULL);
	assert_int_equal(gdt[3], 0x00CF93000000FFFFULL);
	assert_int_equal(gdt[2], vb_x86_gdt_encode(&r.cs));
	assert_int_equal(gdt[4], vb_x86_gdt_encode(&r.tr));
	assert_int_equal(gdt[5], 0);
	free(k);
}

/* Walk the guest's 4-level tables like the MMU does (SDM vol. 3A 4.5). */
static int translate(struct guest *g, uint64_t cr3, uint64_t va, uint64_t *pa)
{
	uint64_t e;

	memcpy(&e, gp(g, (cr3 & ~0xFFFULL) + ((va >> 39) & 511) * 8), 8);
	if (!(e & 1))
		return -1;
	memcpy(&e, gp(g, (e & 0xFFFFFFFFF000ULL) + ((va >> 30) & 511) * 8), 8);
	if (!(e & 1))
		return -1;
	if (e & 0x80) {
		*pa = (e & 0xFFFFC0000000ULL) | (va & 0x3FFFFFFF);
		return 0;
	}
	memcpy(&e, gp(g, (e & 0xFFFFFFFFF000ULL) + ((va >> 21) & 511) * 8), 8);
	if (!(e & 1) || !(e & 2))
		return -1;
	if (!(e & 0x80))
		return -2; /* we only build 2 MiB pages */
	*pa = (e & 0xFFFFFFE00000ULL) | (va & 0x1FFFFF);
	return 0;
}

static void test_page_tables(void **state)
{
	struct guest *g = *state;
	struct vb_err err = { { 0 } };
	uint64_t cr3 = 0, pa;
	const uint64_t probes[] = {
		0, 0x1FFFFF, 0x200000, VB_X86_ZERO_PAGE_ADDR, VB_X86_CMDLINE_ADDR,
		VB_X86_KERNEL_ADDR + 0x200, 0x7654321, VB_GAP_START_BYTES - 1,
		0xCFFFFFFFULL, 0xFEE00000ULL, 0xFFFFFFFFULL,
	};

	assert_int_equal(vb_x86_pgtable_write(&g->mem, &cr3, &err), 0);
	assert_int_equal(cr3, VB_X86_PML4_ADDR);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		assert_int_equal(translate(g, cr3, probes[i], &pa), 0);
		assert_int_equal(pa, probes[i]);
	}
	/* and nothing at or above 4 GiB */
	assert_int_equal(translate(g, cr3, 4 * VB_GiB, &pa), -1);
	assert_int_equal(translate(g, cr3, 512 * VB_GiB, &pa), -1);
}

static void expect_error(struct guest *g, const struct vb_x86_boot_config *cfg,
			 int want_rc, const char *needle)
{
	struct vb_x86_boot_regs regs;
	struct vb_err err;

	assert_int_equal(load(g, cfg, &regs, NULL, &err), want_rc);
	if (!strstr(err.msg, needle))
		fail_msg("error \"%s\" lacks \"%s\"", err.msg, needle);
}

static void expect_bz_error(struct guest *g, const struct bz_opts *o, int want_rc,
			    const char *needle)
{
	size_t kb;
	uint8_t *k = make_bzimage(o, &kb);
	struct vb_x86_boot_config cfg = cfg_for(k, kb);

	expect_error(g, &cfg, want_rc, needle);
	free(k);
}

static void test_bzimage_errors(void **state)
{
	struct guest *g = *state;
	struct bz_opts o;

	o = bz_default();
	o.truncate_to = 0x220; /* magic present, header cut */
	expect_bz_error(g, &o, -ENOEXEC, "truncated");

	o = bz_default();
	o.version = 0x205;
	expect_bz_error(g, &o, -ENOEXEC, "boot protocol 2.05 is too old");

	o = bz_default();
	o.hdr_len = 0x20; /* header would end at 0x222 */
	expect_bz_error(g, &o, -ENOEXEC, "too short");

	o = bz_default();
	o.setup_sects = 40; /* 41 * 512 bytes > the 8 KiB + setup file */
	o.truncate_to = 5 * 512 + 8192;
	expect_bz_error(g, &o, -ENOEXEC, "past the end");

	o = bz_default();
	o.xloadflags = 0;
	expect_bz_error(g, &o, -ENOEXEC, "XLF_KERNEL_64");

	o = bz_default();
	o.init_size = 128 * VB_MiB; /* decompressed kernel bigger than RAM */
	expect_bz_error(g, &o, -EFBIG, "does not fit in guest RAM");

	o = bz_default();
	o.pref_address = 1ULL << 40;
	expect_bz_error(g, &o, -EFBIG, "above the end of guest RAM");

	o = bz_default();
	o.cmdline_size = 10; /* the config's line is longer */
	expect_bz_error(g, &o, -E2BIG, "accepts at most 10");

	/* a corrupt boot_flag */
	size_t kb;
	o = bz_default();
	uint8_t *k = make_bzimage(&o, &kb);
	k[0x1FE] = 0;
	struct vb_x86_boot_config cfg = cfg_for(k, kb);
	expect_error(g, &cfg, -ENOEXEC, "boot_flag");
	free(k);
}

static void test_bzimage_pm_kernel_bigger_than_ram(void **state)
{
	(void)state;
	/* A small guest: the protected-mode code alone does not fit. */
	struct vb_memmap map;
	struct vb_guest_mem mem;
	struct bz_opts o = bz_default();
	struct vb_x86_boot_regs regs;
	struct vb_err err = { { 0 } };
	size_t kb;

	vb_memmap_compute(4 * VB_MiB, &map);
	mem.map = &map;
	mem.host_base = calloc(1, 4 * VB_MiB);
	assert_non_null(mem.host_base);
	o.pm_bytes = 4 * VB_MiB;
	o.init_size = 0;
	o.pref_address = VB_MiB;
	uint8_t *k = make_bzimage(&o, &kb);
	struct vb_x86_boot_config cfg = cfg_for(k, kb);

	assert_int_equal(vb_x86_load_kernel(&cfg, &mem, &regs, NULL, &err), -EFBIG);
	assert_non_null(strstr(err.msg, "does not fit in guest RAM"));
	/* checks run before any write: RAM untouched */
	assert_true(all_zero(mem.host_base, 4 * VB_MiB));
	free(k);
	free(mem.host_base);
}

static void test_bzimage_initrd_too_big(void **state)
{
	struct guest *g = *state;
	struct bz_opts o = bz_default();
	size_t kb;
	uint8_t *k = make_bzimage(&o, &kb);
	struct vb_x86_boot_config cfg = cfg_for(k, kb);
	size_t ib = 48 * VB_MiB; /* RAM 64 MiB, kernel runs to 24 MiB */
	uint8_t *initrd = calloc(1, ib);

	assert_non_null(initrd);
	cfg.initrd = initrd;
	cfg.initrd_bytes = ib;
	expect_error(g, &cfg, -EFBIG, "initrd");
	assert_true(all_zero(gp(g, 0), RAM_BYTES));
	free(initrd);
	free(k);
}

/* ---- minimal ELF64 with a PVH note ----------------------------------- */

#define ELF_NOTE_OFF 0x200u
#define ELF_LOAD_OFF 0x1000u
#define ELF_LOAD_PADDR 0x1000000ULL
#define ELF_FILESZ 0x2000u
#define ELF_MEMSZ 0x3000u
#define ELF_ENTRY (ELF_LOAD_PADDR + 0x100)

struct elf_opts {
	int with_note;
	uint32_t descsz;
	uint64_t entry;
	uint64_t paddr;
	uint64_t memsz;
	uint64_t load_off;
	uint8_t class;
};

static struct elf_opts elf_default(void)
{
	return (struct elf_opts){ .with_note = 1, .descsz = 8, .entry = ELF_ENTRY,
				  .paddr = ELF_LOAD_PADDR, .memsz = ELF_MEMSZ,
				  .load_off = ELF_LOAD_OFF, .class = ELFCLASS64 };
}

static uint8_t *make_elf(const struct elf_opts *o, size_t *bytes)
{
	size_t total = ELF_LOAD_OFF + ELF_FILESZ;
	uint8_t *img = calloc(1, total);
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph[2] = { { 0 } };
	Elf64_Nhdr nh = { .n_namesz = 4, .n_descsz = o->descsz,
			  .n_type = VB_XEN_ELFNOTE_PHYS32_ENTRY };

	assert_non_null(img);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = o->class;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = 0xFFFFFFFF81000000ULL; /* virtual: the loader must ignore it */
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 2;

	ph[0].p_type = PT_LOAD;
	ph[0].p_offset = o->load_off;
	ph[0].p_vaddr = 0xFFFFFFFF81000000ULL;
	ph[0].p_paddr = o->paddr;
	ph[0].p_filesz = ELF_FILESZ;
	ph[0].p_memsz = o->memsz;
	ph[1].p_type = PT_NOTE;
	ph[1].p_offset = ELF_NOTE_OFF;
	ph[1].p_filesz = sizeof(nh) + 4 + 8;

	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), ph, sizeof(ph));
	if (o->with_note) {
		memcpy(img + ELF_NOTE_OFF, &nh, sizeof(nh));
		memcpy(img + ELF_NOTE_OFF + sizeof(nh), "Xen", 4);
		put64(img + ELF_NOTE_OFF + sizeof(nh) + 4, o->entry);
	} else {
		/* some other note, e.g. a GNU build id */
		nh.n_type = 3;
		memcpy(img + ELF_NOTE_OFF, &nh, sizeof(nh));
		memcpy(img + ELF_NOTE_OFF + sizeof(nh), "GNU", 4);
	}
	for (size_t i = 0; i < ELF_FILESZ; i++)
		img[ELF_LOAD_OFF + i] = (uint8_t)(i ^ 0x3C);
	*bytes = total;
	return img;
}

static void test_pvh_load(void **state)
{
	struct guest *g = *state;
	struct elf_opts o = elf_default();
	size_t kb, ib = 10000;
	uint8_t *k = make_elf(&o, &kb), initrd[10000];
	struct vb_x86_boot_regs r;
	struct vb_x86_boot_info info;
	struct vb_err err;
	struct vb_hvm_start_info si;
	struct vb_hvm_modlist_entry mod;
	struct vb_hvm_memmap_entry mm[4];

	memset(initrd, 0x77, ib);
	/* stale bytes where the BSS goes must be cleared */
	memset(gp(g, ELF_LOAD_PADDR + ELF_FILESZ), 0xAA, ELF_MEMSZ - ELF_FILESZ);
	struct vb_x86_boot_config cfg = cfg_for(k, kb);
	cfg.initrd = initrd;
	cfg.initrd_bytes = ib;
	cfg.rsdp_gpa = 0xE0000;
	assert_int_equal(load(g, &cfg, &r, &info, &err), 0);
	assert_int_equal(info.kind, VB_X86_KERNEL_PVH_ELF);

	assert_memory_equal(gp(g, ELF_LOAD_PADDR), k + ELF_LOAD_OFF, ELF_FILESZ);
	assert_true(all_zero(gp(g, ELF_LOAD_PADDR + ELF_FILESZ), ELF_MEMSZ - ELF_FILESZ));

	memcpy(&si, gp(g, VB_X86_START_INFO_ADDR), sizeof(si));
	assert_int_equal(si.magic, 0x336EC578);
	assert_int_equal(si.version, 1);
	assert_int_equal(si.cmdline_paddr, VB_X86_CMDLINE_ADDR);
	assert_int_equal(si.rsdp_paddr, 0xE0000);
	assert_string_equal((char *)gp(g, si.cmdline_paddr), cfg.cmdline);
	assert_int_equal(si.nr_modules, 1);
	memcpy(&mod, gp(g, si.modlist_paddr), sizeof(mod));
	assert_int_equal(mod.size, ib);
	assert_int_equal(mod.paddr % 4096, 0);
	assert_true(mod.paddr >= ELF_LOAD_PADDR + ELF_MEMSZ);
	assert_true(mod.paddr + ib <= RAM_BYTES);
	assert_memory_equal(gp(g, mod.paddr), initrd, ib);
	assert_int_equal(si.memmap_entries, 4);
	memcpy(mm, gp(g, si.memmap_paddr), sizeof(mm));
	assert_int_equal(mm[0].addr, 0);
	assert_int_equal(mm[0].size, 0x9FC00);
	assert_int_equal(mm[0].type, VB_E820_RAM);
	assert_int_equal(mm[2].addr, 0xE0000);
	assert_int_equal(mm[2].type, VB_E820_RESERVED);
	assert_int_equal(mm[3].addr, VB_MiB);
	assert_int_equal(mm[3].size, RAM_BYTES - VB_MiB);

	/* registers: 32-bit protected mode, paging off */
	assert_int_equal(r.mode, VB_X86_MODE_PROT32);
	assert_int_equal(r.rip, ELF_ENTRY);
	assert_int_equal(r.rbx, VB_X86_START_INFO_ADDR);
	assert_int_equal(r.cr0 & 1, 1);
	assert_int_equal(r.cr0 & 0x80000000ULL, 0);
	assert_int_equal(r.cr4, 0);
	assert_int_equal(r.efer, 0);
	assert_int_equal(r.cs.db, 1);
	assert_int_equal(r.cs.l, 0);
	assert_int_equal(r.cs.base, 0);
	assert_int_equal(r.cs.limit, 0xFFFFFFFFu);
	assert_int_equal(r.cs.type, 0xB);
	assert_int_equal(r.ds.type, 0x3);
	assert_int_equal(r.tr.limit, 0x67);
	assert_int_equal(r.tr.type, 0xB);
	uint64_t gdt[VB_X86_GDT_ENTRIES];
	memcpy(gdt, gp(g, VB_X86_GDT_ADDR), sizeof(gdt));
	assert_int_equal(gdt[2], 0x00CF9B000000FFFFULL); /* flat 32-bit code */
	assert_int_equal(gdt[3], 0x00CF93000000FFFFULL);
	free(k);
}

static void expect_elf_error(struct guest *g, const struct elf_opts *o, int want_rc,
			     const char *needle)
{
	size_t kb;
	uint8_t *k = make_elf(o, &kb);
	struct vb_x86_boot_config cfg = cfg_for(k, kb);

	expect_error(g, &cfg, want_rc, needle);
	free(k);
}

static void test_pvh_errors(void **state)
{
	struct guest *g = *state;
	struct elf_opts o;

	o = elf_default();
	o.with_note = 0;
	expect_elf_error(g, &o, -ENOEXEC,
			 "ELF kernel has no PVH entry note: build with CONFIG_PVH=y");

	o = elf_default();
	o.descsz = 0x1000; /* runs past the note segment */
	expect_elf_error(g, &o, -ENOEXEC, "runs past the end of its segment");

	o = elf_default();
	o.entry = 0x123456789ULL;
	expect_elf_error(g, &o, -ENOEXEC, "above 4 GiB");

	o = elf_default();
	o.entry = 0x200000;
	expect_elf_error(g, &o, -ENOEXEC, "not inside any loaded segment");

	o = elf_default();
	o.paddr = 0x8000; /* over vmboot's boot structures */
	expect_elf_error(g, &o, -ENOEXEC, "below 1 MiB");

	o = elf_default();
	o.paddr = 60 * VB_MiB;
	o.entry = o.paddr;
	o.memsz = 8 * VB_MiB; /* past the 64 MiB of RAM */
	expect_elf_error(g, &o, -EFBIG, "does not fit in guest RAM");

	o = elf_default();
	o.load_off = 0xFFFFFFFFFFFFF000ULL;
	expect_elf_error(g, &o, -ENOEXEC, "runs past the end of the file");

	o = elf_default();
	o.memsz = 0x1000; /* filesz 0x2000 > memsz */
	expect_elf_error(g, &o, -ENOEXEC, "more file bytes");

	o = elf_default();
	o.class = ELFCLASS32;
	expect_elf_error(g, &o, -ENOEXEC, "not a little-endian x86-64");

	/* truncated ELF: just the magic */
	const uint8_t stub[8] = { 0x7F, 'E', 'L', 'F', 2, 1, 1, 0 };
	struct vb_x86_boot_config cfg = cfg_for(stub, sizeof(stub));
	expect_error(g, &cfg, -ENOEXEC, "truncated");

	/* program headers pointing past the end */
	size_t kb;
	o = elf_default();
	uint8_t *k = make_elf(&o, &kb);
	put64(k + offsetof(Elf64_Ehdr, e_phoff), kb - 8);
	cfg = cfg_for(k, kb);
	expect_error(g, &cfg, -ENOEXEC, "program headers");
	free(k);

	assert_true(all_zero(gp(g, VB_MiB), RAM_BYTES - VB_MiB));
}

/* ---- flat binary ----------------------------------------------------- */

static void test_flat(void **state)
{
	struct guest *g = *state;
	const uint8_t code[] = { 0xB0, 0x41, 0xE6, 0xE9, 0xF4 }; /* mov al,'A'; out 0xE9,al; hlt */
	struct vb_x86_boot_config cfg = cfg_for(code, sizeof(code));
	struct vb_x86_boot_regs r;
	struct vb_x86_boot_info info;
	struct vb_err err;

	assert_int_equal(load(g, &cfg, &r, &info, &err), 0);
	assert_int_equal(info.kind, VB_X86_KERNEL_FLAT);
	assert_memory_equal(gp(g, 0x10000), code, sizeof(code));
	assert_int_equal(r.mode, VB_X86_MODE_REAL);
	assert_int_equal(r.cs.selector, 0x1000);
	assert_int_equal(r.cs.base, 0x10000);
	assert_int_equal(r.cs.limit, 0xFFFF);
	assert_int_equal(r.cs.db, 0);
	assert_int_equal(r.cs.g, 0);
	assert_int_equal(r.rip, 0);
	assert_int_equal(r.ds.base, 0x10000);
	assert_int_equal(r.cr0 & 0x80000001ULL, 0); /* no PE, no PG */
	assert_int_equal(r.efer, 0);
	/* the stack lies below the binary */
	assert_true(r.ss.base + r.rsp <= 0x10000);
	assert_true(r.ss.base + r.rsp > VB_X86_STACK_BOTTOM);
	/* nothing else written: no zero page, no command line */
	assert_true(all_zero(gp(g, 0), 0x10000));
	assert_true(all_zero(gp(g, 0x10000 + sizeof(code)), VB_MiB));
}

static void test_flat_errors(void **state)
{
	struct guest *g = *state;
	size_t big = VB_X86_EBDA_START - VB_X86_FLAT_ADDR + 1;
	uint8_t *k = calloc(1, big);
	const uint8_t one = 0x90;
	struct vb_x86_boot_config cfg;

	assert_non_null(k);
	k[0] = 0xF4;
	cfg = cfg_for(k, big);
	expect_error(g, &cfg, -EFBIG, "flat binary");
	cfg = cfg_for(k, big - 1);
	struct vb_x86_boot_regs r;
	struct vb_err err;
	assert_int_equal(load(g, &cfg, &r, NULL, &err), 0);
	free(k);

	cfg = cfg_for(&one, 1);
	cfg.initrd = &one;
	cfg.initrd_bytes = 1;
	expect_error(g, &cfg, -EINVAL, "initrd");

	cfg = cfg_for(&one, 0);
	expect_error(g, &cfg, -ENOEXEC, "empty");

	cfg = cfg_for(&one, 1);
	cfg.cpus = 0;
	expect_error(g, &cfg, -EINVAL, "cpus");
}

static void test_probe(void **state)
{
	(void)state;
	struct bz_opts bo = bz_default();
	struct elf_opts eo = elf_default();
	enum vb_x86_kernel_kind kind;
	size_t bb, eb;
	uint8_t *bz = make_bzimage(&bo, &bb), *elf = make_elf(&eo, &eb);
	const uint8_t flat[3] = { 0xEB, 0xFE, 0 };

	assert_int_equal(vb_x86_kernel_probe(bz, bb, &kind, NULL), 0);
	assert_int_equal(kind, VB_X86_KERNEL_BZIMAGE);
	assert_int_equal(vb_x86_kernel_probe(elf, eb, &kind, NULL), 0);
	assert_int_equal(kind, VB_X86_KERNEL_PVH_ELF);
	assert_int_equal(vb_x86_kernel_probe(flat, sizeof(flat), &kind, NULL), 0);
	assert_int_equal(kind, VB_X86_KERNEL_FLAT);
	/* a bzImage cut before its magic is just bytes */
	assert_int_equal(vb_x86_kernel_probe(bz, 0x203, &kind, NULL), 0);
	assert_int_equal(kind, VB_X86_KERNEL_FLAT);
	assert_string_equal(vb_x86_kernel_kind_name(VB_X86_KERNEL_PVH_ELF), "ELF (PVH)");
	free(bz);
	free(elf);
}

/* Every prefix of a valid image must fail cleanly or load, never crash
 * (run under ASan this catches any unchecked read). */
static void test_truncations(void **state)
{
	struct guest *g = *state;
	struct bz_opts bo = bz_default();
	struct elf_opts eo = elf_default();
	size_t bb, eb;
	uint8_t *bz = make_bzimage(&bo, &bb), *elf = make_elf(&eo, &eb);
	struct vb_x86_boot_regs r;
	struct vb_err err;

	for (size_t n = 1; n < 0x1000; n += 7) {
		uint8_t *copy = malloc(n);
		assert_non_null(copy);
		memcpy(copy, bz, n);
		struct vb_x86_boot_config cfg = cfg_for(copy, n);
		int rc = load(g, &cfg, &r, NULL, &err);
		assert_true(rc == 0 || rc == -ENOEXEC || rc == -EFBIG);
		memcpy(copy, elf, n);
		rc = load(g, &cfg, &r, NULL, &err);
		assert_true(rc == 0 || rc == -ENOEXEC || rc == -EFBIG);
		free(copy);
	}
	free(bz);
	free(elf);
}

static void test_read_file(void **state)
{
	(void)state;
	char path[] = "/tmp/vb-x86boot-XXXXXX";
	int fd = mkstemp(path);
	uint8_t *data;
	size_t bytes;
	struct vb_err err = { { 0 } };

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "kernel", 6), 6);
	close(fd);
	assert_int_equal(vb_x86_read_file("kernel", path, 64, &data, &bytes, &err), 0);
	assert_int_equal(bytes, 6);
	assert_memory_equal(data, "kernel", 6);
	free(data);
	assert_int_equal(vb_x86_read_file("initrd", path, 5, &data, &bytes, &err), -EFBIG);
	assert_non_null(strstr(err.msg, "initrd"));
	assert_null(data);
	unlink(path);
	assert_int_equal(vb_x86_read_file("kernel", path, 64, &data, &bytes, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "No such file"));
	assert_int_equal(vb_x86_read_file("kernel", "/tmp", 64, &data, &bytes, &err), -EISDIR);
	/* A FIFO without a writer is refused, not waited on. */
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(vb_x86_read_file("kernel", path, 64, &data, &bytes, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "kernel: "));
	assert_non_null(strstr(err.msg, "is a FIFO, not a regular file"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bzimage_zero_page, guest_setup, guest_teardown),
		cmocka_unit_test_setup_teardown(test_bzimage_initrd_top_of_ram, guest_setup, guest_teardown),
		cmocka_unit_test_setup_teardown(test_bzimage_regs_long64, guest_setup, guest_teardown),
		cmocka_unit_test_setup_teardown(test_page_tables, guest_setup, guest_teardown),
		cmocka_unit_test_setup_teardown(test_bzimage_errors, guest_setup, guest_teardown),
		cmocka_unit_test(test_bzimage_pm_kernel_bigger_than_ram),
		cmocka_unit_test_setup_teardown(test_bzimage_initrd_too_big, guest_setup, guest_teardown),
		cmocka_unit_test_setup_teardown(test_pvh_load, guest_setup, guest_teardown),
		cmocka_unit_test_setup_teardown(test_pvh_errors, guest_setup, guest_teardown),
		cmocka_unit_test_setup_teardown(test_flat, guest_setup, guest_teardown),
		cmocka_unit_test_setup_teardown(test_flat_errors, guest_setup, guest_teardown),
		cmocka_unit_test(test_probe),
		cmocka_unit_test_setup_teardown(test_truncations, guest_setup, guest_teardown),
		cmocka_unit_test(test_read_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
