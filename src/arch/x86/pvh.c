/* ELF vmlinux through the Xen PVH direct boot ABI
 * (Xen docs/misc/pvh.pandoc; public/arch-x86/hvm/start_info.h). */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "arch/x86/bootparam.h"
#include "arch/x86/cmdline.h"
#include "arch/x86/e820.h"
#include "arch/x86/guestram.h"
#include "arch/x86/layout.h"
#include "arch/x86/loader.h"
#include "arch/x86/regs.h"

#define NOTE_ALIGN 4u

static int read_ehdr(const uint8_t *image, size_t bytes, Elf64_Ehdr *eh,
		     struct vb_err *err)
{
	if (bytes < sizeof(*eh))
		return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
				 "ELF kernel: truncated: %zu bytes, the ELF "
				 "header alone is %zu", bytes, sizeof(*eh));
	memcpy(eh, image, sizeof(*eh));
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64)
		return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
				 "ELF kernel: not a little-endian x86-64 "
				 "ELF64 file (class %u, data %u, machine %u)",
				 eh->e_ident[EI_CLASS], eh->e_ident[EI_DATA], eh->e_machine);
	if (eh->e_phnum == 0 || eh->e_phentsize != sizeof(Elf64_Phdr))
		return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
				 "ELF kernel: %u program headers of %u bytes "
				 "(expected entries of %zu)", eh->e_phnum, eh->e_phentsize,
				 sizeof(Elf64_Phdr));
	if (eh->e_phoff > bytes ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > bytes - eh->e_phoff)
		return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
				 "ELF kernel: program headers at 0x%" PRIx64
				 " run past the end of the %zu-byte file", eh->e_phoff, bytes);
	return 0;
}

static void read_phdr(const uint8_t *image, const Elf64_Ehdr *eh, unsigned i,
		      Elf64_Phdr *ph)
{
	memcpy(ph, image + eh->e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
}

static int segment_in_file(const Elf64_Phdr *ph, size_t bytes, unsigned i,
			   struct vb_err *err)
{
	if (ph->p_offset > bytes || ph->p_filesz > bytes - ph->p_offset)
		return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
				 "ELF kernel: segment %u (offset 0x%" PRIx64
				 ", %" PRIu64 " bytes) runs past the end of the file",
				 i, ph->p_offset, ph->p_filesz);
	return 0;
}

static uint64_t align4(uint64_t v)
{
	return (v + NOTE_ALIGN - 1) & ~(uint64_t)(NOTE_ALIGN - 1);
}

/* Walk the notes in one PT_NOTE segment. Returns 1 and sets *entry when
 * the PVH note is found, 0 when absent, -ENOEXEC when malformed. */
static int scan_notes(const uint8_t *notes, uint64_t len, uint32_t *entry,
		      struct vb_err *err)
{
	static const char xen[4] = "Xen"; /* with its NUL: namesz 4 */
	uint64_t off = 0;

	while (len - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;

		memcpy(&nh, notes + off, sizeof(nh));
		uint64_t name_off = off + sizeof(nh);
		uint64_t desc_off = name_off + align4(nh.n_namesz);
		uint64_t next = desc_off + align4(nh.n_descsz);

		if (desc_off > len || nh.n_descsz > len - desc_off)
			return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
					 "ELF kernel: note at 0x%" PRIx64
					 " runs past the end of its segment", off);
		if (nh.n_type == VB_XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == sizeof(xen) &&
		    memcmp(notes + name_off, xen, sizeof(xen)) == 0) {
			uint64_t value = 0;

			/* Linux emits the entry as a pointer-sized value
			 * (_ASM_PTR); the ABI defines a 32-bit address. */
			if (nh.n_descsz != 4 && nh.n_descsz != 8)
				return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
						 "ELF kernel: PVH entry note "
						 "has %u bytes, expected 4 or 8", nh.n_descsz);
			memcpy(&value, notes + desc_off, nh.n_descsz);
			if (value > UINT32_MAX)
				return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
						 "ELF kernel: PVH entry 0x%" PRIx64
						 " is above 4 GiB", value);
			*entry = (uint32_t)value;
			return 1;
		}
		if (next > len)
			break;
		off = next;
	}
	return 0;
}

int vb_x86_pvh_entry(const uint8_t *image, size_t bytes, uint32_t *entry,
		     struct vb_err *err)
{
	Elf64_Ehdr eh;
	int rc = read_ehdr(image, bytes, &eh, err);

	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		read_phdr(image, &eh, i, &ph);
		if (ph.p_type != PT_NOTE)
			continue;
		rc = segment_in_file(&ph, bytes, i, err);
		if (rc == 0)
			rc = scan_notes(image + ph.p_offset, ph.p_filesz, entry, err);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
	return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
			 "ELF kernel has no PVH entry note: build with "
			 "CONFIG_PVH=y");
}

/* Check every PT_LOAD segment: inside the file, inside low RAM and above
 * vmboot's own boot structures; find the kernel's extent and check the
 * entry point lies in loaded memory. */
static int check_segments(const uint8_t *image, size_t bytes, const Elf64_Ehdr *eh,
			  uint32_t entry, uint64_t low_end, uint64_t *start,
			  uint64_t *end, struct vb_err *err)
{
	int entry_loaded = 0, loads = 0;

	*start = UINT64_MAX;
	*end = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		int rc;

		read_phdr(image, eh, i, &ph);
		if (ph.p_type != PT_LOAD)
			continue;
		rc = segment_in_file(&ph, bytes, i, err);
		if (rc < 0)
			return rc;
		if (ph.p_filesz > ph.p_memsz)
			return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
					 "ELF kernel: segment %u has more file "
					 "bytes (%" PRIu64 ") than memory bytes (%" PRIu64 ")",
					 i, ph.p_filesz, ph.p_memsz);
		if (ph.p_paddr < VB_X86_KERNEL_ADDR)
			return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
					 "ELF kernel: segment %u loads at 0x%"
					 PRIx64 ", below 1 MiB where vmboot keeps its boot data",
					 i, ph.p_paddr);
		if (ph.p_paddr > low_end || ph.p_memsz > low_end - ph.p_paddr)
			return vb_refuse(err, VB_REFUSAL_KERNEL_FIT, EFBIG,
					 "ELF kernel: segment %u [0x%" PRIx64
					 " +0x%" PRIx64 ") does not fit in guest RAM below 0x%"
					 PRIx64, i, ph.p_paddr, ph.p_memsz, low_end);
		if (entry >= ph.p_paddr && entry - ph.p_paddr < ph.p_memsz)
			entry_loaded = 1;
		if (ph.p_paddr < *start)
			*start = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > *end)
			*end = ph.p_paddr + ph.p_memsz;
		loads++;
	}
	if (!loads)
		return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
				 "ELF kernel: no loadable segments");
	if (!entry_loaded)
		return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
				 "ELF kernel: PVH entry 0x%" PRIx32 " is not "
				 "inside any loaded segment", entry);
	return 0;
}

static int copy_segments(const uint8_t *image, const Elf64_Ehdr *eh,
			 struct vb_guest_mem *mem, struct vb_err *err)
{
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		uint8_t *dst;

		read_phdr(image, eh, i, &ph);
		if (ph.p_type != PT_LOAD)
			continue;
		dst = vb_gmem_ptr(mem, ph.p_paddr, ph.p_memsz);
		if (!dst)
			return vb_refuse(err, VB_REFUSAL_KERNEL_FIT, EFBIG,
					 "ELF kernel: segment %u is not in guest RAM", i);
		memcpy(dst, image + ph.p_offset, ph.p_filesz);
		/* The BSS part is not in the file and must read as zero. */
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
	return 0;
}

static int write_start_info(const struct vb_x86_boot_config *cfg,
			    struct vb_guest_mem *mem, uint64_t initrd_addr,
			    struct vb_err *err)
{
	struct vb_e820_entry e820[VB_X86_E820_MAX];
	struct vb_hvm_memmap_entry memmap[VB_X86_E820_MAX];
	struct vb_hvm_start_info si = {
		.magic = VB_HVM_START_MAGIC,
		.version = VB_HVM_START_VERSION,
		.cmdline_paddr = VB_X86_CMDLINE_ADDR,
		.rsdp_paddr = cfg->rsdp_gpa,
		.memmap_paddr = VB_X86_PVH_MEMMAP_ADDR,
	};
	size_t n;
	int rc;

	_Static_assert(VB_X86_START_INFO_ADDR + sizeof(struct vb_hvm_start_info) <=
		       VB_X86_MODLIST_ADDR, "start info before the module list");
	_Static_assert(VB_X86_MODLIST_ADDR + sizeof(struct vb_hvm_modlist_entry) <=
		       VB_X86_PVH_MEMMAP_ADDR, "module list before the memory map");
	_Static_assert(VB_X86_PVH_MEMMAP_ADDR + sizeof(memmap) <= VB_X86_PVH_PAGE_END,
		       "memory map inside the PVH page");

	rc = vb_x86_e820_build(mem->map, e820, VB_X86_E820_MAX, &n, err);
	if (rc < 0)
		return rc;
	memset(memmap, 0, sizeof(memmap));
	for (size_t i = 0; i < n; i++) {
		memmap[i].addr = e820[i].addr;
		memmap[i].size = e820[i].size;
		memmap[i].type = e820[i].type;
	}
	si.memmap_entries = (uint32_t)n;
	if (cfg->initrd) {
		struct vb_hvm_modlist_entry mod = {
			.paddr = initrd_addr, .size = cfg->initrd_bytes,
		};

		si.nr_modules = 1;
		si.modlist_paddr = VB_X86_MODLIST_ADDR;
		rc = vb_x86_guest_copy(mem, VB_X86_MODLIST_ADDR, &mod, sizeof(mod),
				       "PVH module list", err);
		if (rc < 0)
			return rc;
	}
	rc = vb_x86_guest_copy(mem, VB_X86_PVH_MEMMAP_ADDR, memmap,
			       n * sizeof(memmap[0]), "PVH memory map", err);
	if (rc == 0)
		rc = vb_x86_guest_copy(mem, VB_X86_START_INFO_ADDR, &si, sizeof(si),
				       "PVH start info", err);
	return rc;
}

int vb_x86_load_pvh(const struct vb_x86_boot_config *cfg,
		    struct vb_guest_mem *mem, struct vb_x86_boot_regs *regs,
		    struct vb_x86_boot_info *info, struct vb_err *err)
{
	uint64_t low_end = vb_x86_low_ram_end(mem);
	uint64_t start = 0, end = 0, initrd_addr = 0;
	uint32_t entry;
	Elf64_Ehdr eh;
	int rc;

	rc = vb_x86_pvh_entry(cfg->kernel, cfg->kernel_bytes, &entry, err);
	if (rc == 0)
		rc = read_ehdr(cfg->kernel, cfg->kernel_bytes, &eh, err);
	if (rc == 0)
		rc = check_segments(cfg->kernel, cfg->kernel_bytes, &eh, entry, low_end,
				    &start, &end, err);
	if (rc == 0)
		rc = vb_x86_cmdline_check(cfg->cmdline, VB_X86_CMDLINE_MAX_LEN, err);
	/* Paging is off at the PVH entry, so the initrd must be below 4 GiB:
	 * low RAM always is. */
	if (rc == 0 && cfg->initrd)
		rc = vb_x86_initrd_place(cfg->initrd_bytes, end, low_end, &initrd_addr, err);
	if (rc < 0)
		return rc;

	rc = copy_segments(cfg->kernel, &eh, mem, err);
	if (rc == 0 && cfg->initrd)
		rc = vb_x86_guest_copy(mem, initrd_addr, cfg->initrd, cfg->initrd_bytes,
				       "initrd", err);
	if (rc == 0)
		rc = vb_x86_cmdline_write(mem, cfg->cmdline, VB_X86_CMDLINE_MAX_LEN, err);
	if (rc == 0)
		rc = write_start_info(cfg, mem, initrd_addr, err);
	if (rc == 0)
		rc = vb_x86_regs_init(mem, VB_X86_MODE_PROT32, entry, regs, err);
	if (rc < 0)
		return rc;
	regs->rbx = VB_X86_START_INFO_ADDR;

	info->kernel_addr = start;
	info->kernel_end = end;
	info->initrd_addr = initrd_addr;
	info->initrd_bytes = cfg->initrd ? cfg->initrd_bytes : 0;
	return 0;
}
