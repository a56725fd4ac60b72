/* Binary layouts the x86 boot protocols define: the Linux setup header and
 * zero page (Documentation/arch/x86/boot.rst, "THE REAL-MODE KERNEL HEADER"
 * and zeropage.rst), the e820 entry, and the PVH start-of-day structures
 * (Xen public/arch-x86/hvm/start_info.h). All little-endian, packed; every
 * offset the loader uses is pinned by a _Static_assert against the spec.
 * Plain data, no functions. */
#ifndef VB_ARCH_X86_BOOTPARAM_H
#define VB_ARCH_X86_BOOTPARAM_H

#include <stddef.h>
#include <stdint.h>

/* e820 address range types (ACPI "System Address Map Interfaces"). */
#define VB_E820_RAM 1u
#define VB_E820_RESERVED 2u

struct vb_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));
_Static_assert(sizeof(struct vb_e820_entry) == 20, "e820 entry is 20 bytes");

/* The zero page holds at most 128 e820 entries (E820_MAX_ENTRIES_ZEROPAGE). */
#define VB_E820_MAX_ZEROPAGE 128u

/* Setup header, at file offset 0x1F1 of a bzImage and at the same offset
 * inside struct boot_params. Each field carries its offset, as in
 * boot.rst's table; those the loader uses are pinned below. */
#define VB_SETUP_HDR_OFFSET 0x1F1u
#define VB_SETUP_MAGIC 0x53726448u /* "HdrS" */
#define VB_SETUP_BOOT_FLAG 0xAA55u

/* loadflags */
#define VB_LOADED_HIGH 0x01u
#define VB_CAN_USE_HEAP 0x80u
/* xloadflags (protocol 2.12+) */
#define VB_XLF_KERNEL_64 0x01u
#define VB_XLF_CAN_BE_LOADED_ABOVE_4G 0x02u

struct vb_setup_header {
	uint8_t setup_sects;          /* 0x1F1 */
	uint16_t root_flags;          /* 0x1F2 */
	uint32_t syssize;             /* 0x1F4 */
	uint16_t ram_size;            /* 0x1F8 */
	uint16_t vid_mode;            /* 0x1FA */
	uint16_t root_dev;            /* 0x1FC */
	uint16_t boot_flag;           /* 0x1FE */
	uint16_t jump;                /* 0x200: short jmp; its offset byte (0x201) + 0x202 = header end */
	uint32_t header;              /* 0x202 */
	uint16_t version;             /* 0x206 */
	uint32_t realmode_swtch;      /* 0x208 */
	uint16_t start_sys_seg;       /* 0x20C */
	uint16_t kernel_version;      /* 0x20E */
	uint8_t type_of_loader;       /* 0x210 */
	uint8_t loadflags;            /* 0x211 */
	uint16_t setup_move_size;     /* 0x212 */
	uint32_t code32_start;        /* 0x214 */
	uint32_t ramdisk_image;       /* 0x218 */
	uint32_t ramdisk_size;        /* 0x21C */
	uint32_t bootsect_kludge;     /* 0x220 */
	uint16_t heap_end_ptr;        /* 0x224 */
	uint8_t ext_loader_ver;       /* 0x226 */
	uint8_t ext_loader_type;      /* 0x227 */
	uint32_t cmd_line_ptr;        /* 0x228 */
	uint32_t initrd_addr_max;     /* 0x22C */
	uint32_t kernel_alignment;    /* 0x230 */
	uint8_t relocatable_kernel;   /* 0x234 */
	uint8_t min_alignment;        /* 0x235 */
	uint16_t xloadflags;          /* 0x236 */
	uint32_t cmdline_size;        /* 0x238 */
	uint32_t hardware_subarch;    /* 0x23C */
	uint64_t hardware_subarch_data; /* 0x240 */
	uint32_t payload_offset;      /* 0x248 */
	uint32_t payload_length;      /* 0x24C */
	uint64_t setup_data;          /* 0x250 */
	uint64_t pref_address;        /* 0x258 */
	uint32_t init_size;           /* 0x260 */
	uint32_t handover_offset;     /* 0x264 */
	uint32_t kernel_info_offset;  /* 0x268 */
} __attribute__((packed));

#define VB_HDR_OFF(field) (VB_SETUP_HDR_OFFSET + offsetof(struct vb_setup_header, field))
_Static_assert(VB_HDR_OFF(boot_flag) == 0x1FE, "boot_flag");
_Static_assert(VB_HDR_OFF(header) == 0x202, "header magic");
_Static_assert(VB_HDR_OFF(version) == 0x206, "version");
_Static_assert(VB_HDR_OFF(type_of_loader) == 0x210, "type_of_loader");
_Static_assert(VB_HDR_OFF(loadflags) == 0x211, "loadflags");
_Static_assert(VB_HDR_OFF(code32_start) == 0x214, "code32_start");
_Static_assert(VB_HDR_OFF(ramdisk_image) == 0x218, "ramdisk_image");
_Static_assert(VB_HDR_OFF(ramdisk_size) == 0x21C, "ramdisk_size");
_Static_assert(VB_HDR_OFF(heap_end_ptr) == 0x224, "heap_end_ptr");
_Static_assert(VB_HDR_OFF(cmd_line_ptr) == 0x228, "cmd_line_ptr");
_Static_assert(VB_HDR_OFF(initrd_addr_max) == 0x22C, "initrd_addr_max");
_Static_assert(VB_HDR_OFF(xloadflags) == 0x236, "xloadflags");
_Static_assert(VB_HDR_OFF(cmdline_size) == 0x238, "cmdline_size");
_Static_assert(VB_HDR_OFF(pref_address) == 0x258, "pref_address");
_Static_assert(VB_HDR_OFF(init_size) == 0x260, "init_size");
_Static_assert(VB_HDR_OFF(kernel_info_offset) == 0x268, "kernel_info_offset");
_Static_assert(sizeof(struct vb_setup_header) == 0x26C - 0x1F1, "setup header size");

/* struct boot_params ("zero page"), zeropage.rst. Only the fields a loader
 * fills are named; the rest is padding the loader leaves zero. */
struct vb_boot_params {
	uint8_t screen_info[0x40];         /* 0x000 */
	uint8_t apm_bios_info[0x14];       /* 0x040 */
	uint8_t pad_054[0x1C];             /* 0x054 .. 0x06F */
	uint64_t acpi_rsdp_addr;           /* 0x070, read by Linux 5.0+ */
	uint8_t pad_078[0x48];             /* 0x078 .. 0x0BF */
	uint32_t ext_ramdisk_image;        /* 0x0C0 */
	uint32_t ext_ramdisk_size;         /* 0x0C4 */
	uint32_t ext_cmd_line_ptr;         /* 0x0C8 */
	uint8_t pad_0cc[0x114];            /* 0x0CC .. 0x1DF */
	uint32_t alt_mem_k;                /* 0x1E0 */
	uint32_t scratch;                  /* 0x1E4 */
	uint8_t e820_entries;              /* 0x1E8 */
	uint8_t eddbuf_entries;            /* 0x1E9 */
	uint8_t edd_mbr_sig_buf_entries;   /* 0x1EA */
	uint8_t kbd_status;                /* 0x1EB */
	uint8_t secure_boot;               /* 0x1EC */
	uint8_t pad_1ed[2];                /* 0x1ED */
	uint8_t sentinel;                  /* 0x1EF */
	uint8_t pad_1f0;                   /* 0x1F0 */
	struct vb_setup_header hdr;        /* 0x1F1 */
	uint8_t pad_hdr[0x290 - 0x26C];    /* rest of the header window */
	uint32_t edd_mbr_sig_buffer[16];   /* 0x290 */
	struct vb_e820_entry e820_table[VB_E820_MAX_ZEROPAGE]; /* 0x2D0 */
	uint8_t pad_cd0[0x1000 - 0xCD0];   /* 0xCD0: edd buffer etc. */
} __attribute__((packed));

/* The setup header may grow up to here inside the zero page. */
#define VB_SETUP_HDR_WINDOW_END 0x290u

_Static_assert(offsetof(struct vb_boot_params, acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
_Static_assert(offsetof(struct vb_boot_params, ext_ramdisk_image) == 0x0C0, "ext_ramdisk_image");
_Static_assert(offsetof(struct vb_boot_params, ext_cmd_line_ptr) == 0x0C8, "ext_cmd_line_ptr");
_Static_assert(offsetof(struct vb_boot_params, alt_mem_k) == 0x1E0, "alt_mem_k");
_Static_assert(offsetof(struct vb_boot_params, e820_entries) == 0x1E8, "e820_entries");
_Static_assert(offsetof(struct vb_boot_params, sentinel) == 0x1EF, "sentinel");
_Static_assert(offsetof(struct vb_boot_params, hdr) == VB_SETUP_HDR_OFFSET, "hdr");
_Static_assert(offsetof(struct vb_boot_params, edd_mbr_sig_buffer) == 0x290, "edd_mbr_sig_buffer");
_Static_assert(offsetof(struct vb_boot_params, e820_table) == 0x2D0, "e820_table");
_Static_assert(sizeof(struct vb_boot_params) == 0x1000, "zero page is one page");

/* PVH (Xen public/arch-x86/hvm/start_info.h, version 1). */
#define VB_HVM_START_MAGIC 0x336EC578u
#define VB_HVM_START_VERSION 1u

struct vb_hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(offsetof(struct vb_hvm_start_info, modlist_paddr) == 16, "modlist_paddr");
_Static_assert(offsetof(struct vb_hvm_start_info, cmdline_paddr) == 24, "cmdline_paddr");
_Static_assert(offsetof(struct vb_hvm_start_info, memmap_paddr) == 40, "memmap_paddr");
_Static_assert(offsetof(struct vb_hvm_start_info, memmap_entries) == 48, "memmap_entries");
_Static_assert(sizeof(struct vb_hvm_start_info) == 56, "hvm_start_info");

struct vb_hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct vb_hvm_modlist_entry) == 32, "hvm_modlist_entry");

struct vb_hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;     /* same values as e820 */
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct vb_hvm_memmap_entry) == 24, "hvm_memmap_table_entry");

/* ELF note carrying the PVH 32-bit entry point (Xen public/elfnote.h). */
#define VB_XEN_ELFNOTE_PHYS32_ENTRY 18u

#endif
