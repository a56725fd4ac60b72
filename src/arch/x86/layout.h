/* The fixed guest-physical layout of low memory at boot.
 *
 * Everything vmboot writes for the guest before the first instruction has
 * one fixed home here, chosen so the pieces never overlap each other, the
 * real-mode IVT/BDA the guest may still read, or the areas the e820 table
 * reserves. Only one boot protocol is used per boot, so the flat-binary
 * area may overlap structures that only the Linux protocols use.
 *
 *   0x00000  IVT + BIOS data area (left alone: Linux reads the BDA)
 *   0x00500  GDT                         (first free byte after the BDA)
 *   0x01000  PML4                        \
 *   0x02000  PDPT                         > identity map of [0, 4 GiB)
 *   0x03000  4 page directories           /  with 2 MiB pages
 *   0x07000  zero page (struct boot_params), bzImage only
 *   0x08000  hvm_start_info + module list + memory map, PVH only
 *   0x09000  boot stack, grows down from 0xFFF0
 *   0x10000  flat binary (real mode, CS:IP = 0x1000:0000)
 *   0x20000  kernel command line
 *   0x9FC00  EBDA (reserved in e820)
 *   0xE0000  BIOS area, reserved in e820: ACPI RSDP and tables (acpi.h)
 *   0xF0000  MP table (mptable.h)
 *   0x100000 kernel (bzImage protected-mode code or PVH vmlinux segments)
 *   ...      initrd, page-aligned, as high as allowed in low RAM
 *
 * Pure constants. */
#ifndef VB_ARCH_X86_LAYOUT_H
#define VB_ARCH_X86_LAYOUT_H

/* Real-mode interrupt vector table (0x000-0x3FF) and BIOS data area
 * (0x400-0x4FF): Linux reads the EBDA segment from BDA word 0x40E while
 * scanning for the MP floating pointer, so nothing of ours may go here. */
#define VB_X86_BDA_END 0x500ULL

/* GDT: null, null, code (0x10), data (0x18), TSS (0x20, 16 bytes in long
 * mode). Selectors 0x10/0x18 are __BOOT_CS/__BOOT_DS, the ones the Linux
 * 64-bit boot protocol names (Documentation/arch/x86/boot.rst). */
#define VB_X86_GDT_ADDR 0x500ULL
#define VB_X86_GDT_ENTRIES 6u
#define VB_X86_SEL_CODE 0x10u
#define VB_X86_SEL_DATA 0x18u
#define VB_X86_SEL_TSS 0x20u

/* Page tables for the 64-bit entry: boot.rst requires the kernel, zero
 * page and command line to be identity mapped. Mapping all of [0, 4 GiB)
 * with 2 MiB pages covers every low-RAM placement and needs no CPU feature
 * beyond long mode (1 GiB pages need CPUID pdpe1gb, which a nested or
 * restricted CPU model may hide). */
#define VB_X86_PML4_ADDR 0x1000ULL
#define VB_X86_PDPT_ADDR 0x2000ULL
#define VB_X86_PD_ADDR 0x3000ULL
#define VB_X86_PD_COUNT 4u
#define VB_X86_IDMAP_BYTES (4ULL << 30)

/* struct boot_params, one 4 KiB page (boot.rst "zero page"). */
#define VB_X86_ZERO_PAGE_ADDR 0x7000ULL
#define VB_X86_ZERO_PAGE_BYTES 0x1000ULL

/* PVH: hvm_start_info at the start of the page, the module list and the
 * memory map after it (Xen public/arch-x86/hvm/start_info.h). Nothing of
 * PVH may sit at guest-physical 0: the ABI reads 0 as "absent". */
#define VB_X86_START_INFO_ADDR 0x8000ULL
#define VB_X86_MODLIST_ADDR 0x8040ULL
#define VB_X86_PVH_MEMMAP_ADDR 0x8100ULL
#define VB_X86_PVH_PAGE_END 0x9000ULL

/* Boot stack for every entry mode: [0x9000, 0xFFF0), 16-byte aligned top,
 * ending just below the flat-binary load address. */
#define VB_X86_STACK_BOTTOM 0x9000ULL
#define VB_X86_STACK_TOP 0xFFF0ULL

/* Flat binary: real mode at segment 0x1000 offset 0, the place kvmtool
 * loads tiny test guests. It may grow up to the EBDA. */
#define VB_X86_FLAT_ADDR 0x10000ULL
#define VB_X86_FLAT_SEGMENT 0x1000u

/* Kernel command line: one 64 KiB-aligned area below the EBDA, readable
 * under every boot protocol version (< 2.02 demanded it below 0xA0000). */
#define VB_X86_CMDLINE_ADDR 0x20000ULL
#define VB_X86_CMDLINE_AREA_BYTES 0x10000ULL

/* EBDA: the top 1 KiB of conventional memory, as a PC BIOS reserves it. */
#define VB_X86_EBDA_START 0x9FC00ULL
#define VB_X86_EBDA_END 0xA0000ULL

/* Legacy BIOS area: Linux scans [0xF0000, 0x100000) for the MP floating
 * pointer (MP spec 1.4, 4.0), where mptable.h writes (VB_X86_MPTABLE_GPA),
 * and [0xE0000, 0x100000) for the ACPI RSDP (ACPI 6.x, 5.2.5.1), where
 * acpi.h writes (VB_X86_ACPI_GPA). */
#define VB_X86_BIOS_START 0xE0000ULL
#define VB_X86_BIOS_END 0x100000ULL

/* Kernel load address: the bzImage protected-mode code and, by convention,
 * a PVH vmlinux's first segment go at 1 MiB (boot.rst: code32_start default
 * 0x100000). Everything below it is ours. */
#define VB_X86_KERNEL_ADDR 0x100000ULL

/* Initrd: page aligned (boot.rst asks for page alignment), placed as high
 * as possible below min(initrd_addr_max + 1, end of low RAM) and above the
 * kernel's whole footprint (1 MiB + max(init_size, loaded size)), so the
 * kernel's in-place decompression never overwrites it. */
#define VB_X86_INITRD_ALIGN 0x1000ULL

#endif
