/* Linux bzImage through the 64-bit boot protocol
 * (Documentation/arch/x86/boot.rst, "64-bit Boot Protocol"). */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "arch/x86/bootparam.h"
#include "arch/x86/e820.h"
#include "arch/x86/guestram.h"
#include "arch/x86/layout.h"
#include "arch/x86/loader.h"
#include "arch/x86/regs.h"

/* The 64-bit entry is 0x200 bytes into the protected-mode kernel. */
#define STARTUP_64_OFFSET 0x200u
/* boot.rst: "type_of_loader 0xFF: undefined" is what a loader without an
 * assigned id uses. */
#define LOADER_ID_UNDEFINED 0xFFu
/* heap_end_ptr is an offset from the real-mode code start; 0xFE00 is the
 * customary end leaving 0x200 bytes for the stack (boot.rst memory map).
 * The 64-bit entry skips the real-mode code, but the field is part of the
 * protocol and a decompressor may look at CAN_USE_HEAP. */
#define HEAP_END 0xFE00u
/* Default for initrd_addr_max before protocol 2.03 (boot.rst). */
#define INITRD_ADDR_MAX_DEFAULT 0x37FFFFFFu
/* A setup_sects of 0 means 4 (boot.rst, for compatibility). */
#define SETUP_SECTS_DEFAULT 4u
#define SECTOR_BYTES 512u

struct bzimage {
	struct vb_setup_header hdr;
	size_t hdr_end;       /* file offset just past the setup header */
	uint64_t setup_bytes; /* boot sector + real-mode setup */
	uint64_t pm_bytes;    /* protected-mode kernel */
	uint64_t kernel_end;  /* end of everything the kernel may use */
};

static unsigned proto_major(uint16_t v) { return v >> 8; }
static unsigned proto_minor(uint16_t v) { return v & 0xFF; }

static int parse_header(const uint8_t *image, size_t bytes, struct bzimage *bz,
			struct vb_err *err)
{
	struct vb_setup_header *hdr = &bz->hdr;
	size_t copy_end;

	memset(bz, 0, sizeof(*bz));
	if (bytes < VB_HDR_OFF(version))
		return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
				 "bzImage: truncated: %zu bytes", bytes);
	/* The jump at 0x200 is "jmp short": its displacement byte is the
	 * header length past 0x202 (boot.rst "Details of header fields"). */
	bz->hdr_end = 0x202u + image[0x201];
	if (bz->hdr_end > bytes)
		return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
				 "bzImage: truncated: the setup header "
				 "ends at 0x%zx but the file has only %zu bytes",
				 bz->hdr_end, bytes);
	copy_end = bz->hdr_end < VB_SETUP_HDR_OFFSET + sizeof(*hdr) ?
		   bz->hdr_end : VB_SETUP_HDR_OFFSET + sizeof(*hdr);
	memcpy(hdr, image + VB_SETUP_HDR_OFFSET, copy_end - VB_SETUP_HDR_OFFSET);

	if (hdr->boot_flag != VB_SETUP_BOOT_FLAG)
		return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
				 "bzImage: boot_flag is 0x%04x, expected "
				 "0xAA55: corrupt image", hdr->boot_flag);
	if (hdr->version < 0x206)
		return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
				 "bzImage: boot protocol %u.%02u is too "
				 "old: vmboot needs 2.06 or later",
				 proto_major(hdr->version), proto_minor(hdr->version));
	if (bz->hdr_end < VB_HDR_OFF(cmdline_size) + sizeof(hdr->cmdline_size))
		return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
				 "bzImage: setup header ends at 0x%zx, too "
				 "short for boot protocol %u.%02u", bz->hdr_end,
				 proto_major(hdr->version), proto_minor(hdr->version));

	unsigned sects = hdr->setup_sects ? hdr->setup_sects : SETUP_SECTS_DEFAULT;
	bz->setup_bytes = (uint64_t)(sects + 1) * SECTOR_BYTES;
	if (bz->setup_bytes >= bytes)
		return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
				 "bzImage: setup_sects (%u) puts the kernel "
				 "at offset 0x%" PRIx64 ", past the end of the %zu-byte file",
				 hdr->setup_sects, bz->setup_bytes, bytes);
	bz->pm_bytes = bytes - bz->setup_bytes;

	if (!(hdr->xloadflags & VB_XLF_KERNEL_64))
		return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
				 "bzImage: XLF_KERNEL_64 is not set (boot "
				 "protocol %u.%02u): the kernel has no 64-bit entry point, "
				 "which vmboot boots through (a 32-bit kernel?)",
				 proto_major(hdr->version), proto_minor(hdr->version));
	return 0;
}

/* Where the kernel will run once it has decompressed itself. From protocol
 * 2.10 the kernel states init_size, the memory it needs from its run
 * address. A relocatable kernel runs at the load address rounded up to
 * kernel_alignment but, on x86-64, never below pref_address
 * (LOAD_PHYSICAL_ADDR); a non-relocatable one runs at pref_address. */
static int footprint(struct bzimage *bz, uint64_t low_end, struct vb_err *err)
{
	const struct vb_setup_header *hdr = &bz->hdr;
	uint64_t end = VB_X86_KERNEL_ADDR + bz->pm_bytes;

	if (hdr->version >= 0x20A) {
		uint64_t run = VB_X86_KERNEL_ADDR;
		uint64_t align = hdr->kernel_alignment;

		if (hdr->relocatable_kernel && align && !(align & (align - 1)))
			run = (run + align - 1) & ~(align - 1);
		if (hdr->pref_address > run || !hdr->relocatable_kernel)
			run = hdr->pref_address ? hdr->pref_address : run;
		if (run > low_end)
			return vb_refuse(err, VB_REFUSAL_KERNEL_FIT, EFBIG,
					 "bzImage: the kernel runs at 0x%" PRIx64
					 ", above the end of guest RAM (0x%" PRIx64 ")",
					 run, low_end);
		if (run + hdr->init_size > end)
			end = run + hdr->init_size;
	}
	if (end > low_end)
		return vb_refuse(err, VB_REFUSAL_KERNEL_FIT, EFBIG,
				 "bzImage: the kernel (%" PRIu64 " bytes, needing "
				 "memory up to 0x%" PRIx64 ") does not fit in guest RAM "
				 "below 0x%" PRIx64, bz->pm_bytes, end, low_end);
	bz->kernel_end = end;
	return 0;
}

static int build_zero_page(const uint8_t *image, const struct bzimage *bz,
			   const struct vb_guest_mem *mem, uint64_t initrd_addr,
			   uint64_t initrd_bytes, struct vb_boot_params *zp,
			   struct vb_err *err)
{
	size_t hdr_end = bz->hdr_end < VB_SETUP_HDR_WINDOW_END ?
			 bz->hdr_end : VB_SETUP_HDR_WINDOW_END;
	size_t n_e820;
	int rc;

	/* boot.rst: copy the setup header from the image into the zero page,
	 * everything else starts zeroed. */
	memset(zp, 0, sizeof(*zp));
	memcpy((uint8_t *)zp + VB_SETUP_HDR_OFFSET, image + VB_SETUP_HDR_OFFSET,
	       hdr_end - VB_SETUP_HDR_OFFSET);

	zp->hdr.type_of_loader = LOADER_ID_UNDEFINED;
	zp->hdr.loadflags |= VB_CAN_USE_HEAP;
	zp->hdr.heap_end_ptr = HEAP_END;
	zp->hdr.code32_start = VB_X86_KERNEL_ADDR;
	zp->hdr.cmd_line_ptr = VB_X86_CMDLINE_ADDR;
	/* Low RAM ends below 4 GiB, so the initrd never needs the ext_ fields. */
	zp->hdr.ramdisk_image = (uint32_t)initrd_addr;
	zp->hdr.ramdisk_size = (uint32_t)initrd_bytes;

	rc = vb_x86_e820_build(mem->map, zp->e820_table, VB_E820_MAX_ZEROPAGE,
			       &n_e820, err);
	if (rc < 0)
		return rc;
	zp->e820_entries = (uint8_t)n_e820;
	return 0;
}

int vb_x86_load_bzimage(const struct vb_x86_boot_config *cfg,
			struct vb_guest_mem *mem, struct vb_x86_boot_regs *regs,
			struct vb_x86_boot_info *info, struct vb_err *err)
{
	uint64_t low_end = vb_x86_low_ram_end(mem);
	uint64_t initrd_addr = 0, cr3;
	struct vb_boot_params zp;
	struct bzimage bz;
	int rc;

	_Static_assert(VB_X86_CMDLINE_ADDR + VB_X86_CMDLINE_AREA_BYTES <= VB_X86_EBDA_START,
		       "command line below the EBDA");

	rc = parse_header(cfg->kernel, cfg->kernel_bytes, &bz, err);
	if (rc == 0)
		rc = footprint(&bz, low_end, err);
	if (rc == 0)
		rc = vb_x86_cmdline_check(cfg->cmdline, bz.hdr.cmdline_size, err);
	if (rc == 0 && cfg->initrd) {
		uint64_t max = bz.hdr.initrd_addr_max ? bz.hdr.initrd_addr_max
						      : INITRD_ADDR_MAX_DEFAULT;
		uint64_t limit = max + 1 < low_end ? max + 1 : low_end;

		rc = vb_x86_initrd_place(cfg->initrd_bytes, bz.kernel_end, limit,
					 &initrd_addr, err);
	}
	if (rc == 0)
		rc = build_zero_page(cfg->kernel, &bz, mem, initrd_addr,
				     cfg->initrd ? cfg->initrd_bytes : 0, &zp, err);
	if (rc < 0)
		return rc;
	zp.acpi_rsdp_addr = cfg->rsdp_gpa;

	rc = vb_x86_guest_copy(mem, VB_X86_KERNEL_ADDR, cfg->kernel + bz.setup_bytes,
			       bz.pm_bytes, "kernel", err);
	if (rc == 0 && cfg->initrd)
		rc = vb_x86_guest_copy(mem, initrd_addr, cfg->initrd, cfg->initrd_bytes,
				       "initrd", err);
	if (rc == 0)
		rc = vb_x86_cmdline_write(mem, cfg->cmdline, bz.hdr.cmdline_size, err);
	if (rc == 0)
		rc = vb_x86_guest_copy(mem, VB_X86_ZERO_PAGE_ADDR, &zp, sizeof(zp),
				       "zero page", err);
	if (rc == 0)
		rc = vb_x86_pgtable_write(mem, &cr3, err);
	if (rc == 0)
		rc = vb_x86_regs_init(mem, VB_X86_MODE_LONG64,
				      VB_X86_KERNEL_ADDR + STARTUP_64_OFFSET, regs, err);
	if (rc < 0)
		return rc;
	regs->cr3 = cr3;
	regs->rsi = VB_X86_ZERO_PAGE_ADDR;

	info->kernel_addr = VB_X86_KERNEL_ADDR;
	info->kernel_end = bz.kernel_end;
	info->initrd_addr = initrd_addr;
	info->initrd_bytes = cfg->initrd ? cfg->initrd_bytes : 0;
	info->protocol = bz.hdr.version;
	return 0;
}
