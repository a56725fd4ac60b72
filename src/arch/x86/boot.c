/* Format detection, dispatch and the helpers every loader shares. */
#include "arch/x86/boot.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "arch/x86/bootparam.h"
#include "arch/x86/layout.h"
#include "arch/x86/loader.h"
#include "arch/x86/mptable.h"

static int is_bzimage(const uint8_t *image, size_t bytes)
{
	static const uint8_t magic[4] = { 'H', 'd', 'r', 'S' };
	size_t off = VB_HDR_OFF(header);

	return bytes >= off + sizeof(magic) && memcmp(image + off, magic, sizeof(magic)) == 0;
}

static int is_elf(const uint8_t *image, size_t bytes)
{
	return bytes >= 4 && image[0] == 0x7F && image[1] == 'E' &&
	       image[2] == 'L' && image[3] == 'F';
}

int vb_x86_kernel_probe(const uint8_t *image, size_t bytes,
			enum vb_x86_kernel_kind *kind, struct vb_err *err)
{
	uint32_t entry;
	int rc;

	if (bytes == 0)
		return vb_refuse(err, VB_REFUSAL_KERNEL_FORMAT, ENOEXEC,
				 "kernel image is empty");
	if (is_bzimage(image, bytes)) {
		*kind = VB_X86_KERNEL_BZIMAGE;
		return 0;
	}
	if (is_elf(image, bytes)) {
		rc = vb_x86_pvh_entry(image, bytes, &entry, err);
		if (rc < 0)
			return rc;
		*kind = VB_X86_KERNEL_PVH_ELF;
		return 0;
	}
	*kind = VB_X86_KERNEL_FLAT;
	return 0;
}

const char *vb_x86_kernel_kind_name(enum vb_x86_kernel_kind kind)
{
	switch (kind) {
	case VB_X86_KERNEL_BZIMAGE:
		return "bzImage";
	case VB_X86_KERNEL_PVH_ELF:
		return "ELF (PVH)";
	case VB_X86_KERNEL_FLAT:
		return "flat binary";
	}
	return "unknown";
}

int vb_x86_load_kernel(const struct vb_x86_boot_config *cfg,
		       struct vb_guest_mem *mem, struct vb_x86_boot_regs *regs,
		       struct vb_x86_boot_info *info, struct vb_err *err)
{
	struct vb_x86_boot_info local;
	enum vb_x86_kernel_kind kind;
	int rc;

	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	if (cfg->cpus == 0 || cfg->cpus > VB_X86_MPTABLE_MAX_CPUS)
		return vb_refuse(err, VB_REFUSAL_CPUS, EINVAL,
				 "cpus: %u is outside 1..%u",
				 cfg->cpus, VB_X86_MPTABLE_MAX_CPUS);
	if (!cfg->kernel && cfg->kernel_bytes)
		return vb_err_set(err, EINVAL, "kernel: no buffer");
	if (!cfg->initrd && cfg->initrd_bytes)
		return vb_err_set(err, EINVAL, "initrd: no buffer");

	rc = vb_x86_kernel_probe(cfg->kernel, cfg->kernel_bytes, &kind, err);
	if (rc < 0)
		return rc;
	info->kind = kind;
	switch (kind) {
	case VB_X86_KERNEL_BZIMAGE:
		return vb_x86_load_bzimage(cfg, mem, regs, info, err);
	case VB_X86_KERNEL_PVH_ELF:
		return vb_x86_load_pvh(cfg, mem, regs, info, err);
	case VB_X86_KERNEL_FLAT:
		return vb_x86_load_flat(cfg, mem, regs, info, err);
	}
	return vb_err_set(err, EINVAL, "unknown kernel kind");
}

int vb_x86_guest_copy(struct vb_guest_mem *mem, uint64_t gpa, const void *src,
		      uint64_t len, const char *what, struct vb_err *err)
{
	void *dst = vb_gmem_ptr(mem, gpa, len);

	if (!dst)
		return vb_refuse(err, VB_REFUSAL_KERNEL_FIT, EFBIG,
				 "%s: [0x%" PRIx64 ", 0x%" PRIx64 "+0x%" PRIx64
				 ") is not in guest RAM", what, gpa, gpa, len);
	if (len)
		memcpy(dst, src, len);
	return 0;
}

uint64_t vb_x86_low_ram_end(const struct vb_guest_mem *mem)
{
	return mem->map->slots[0].size_bytes;
}

int vb_x86_initrd_place(uint64_t bytes, uint64_t floor, uint64_t limit,
			uint64_t *addr, struct vb_err *err)
{
	uint64_t lo = (floor + VB_X86_INITRD_ALIGN - 1) & ~(VB_X86_INITRD_ALIGN - 1);

	if (floor > UINT64_MAX - VB_X86_INITRD_ALIGN || lo > limit ||
	    bytes > limit - lo)
		return vb_refuse(err, VB_REFUSAL_INITRD_FIT, EFBIG,
				 "initrd: %" PRIu64 " bytes do not fit between the kernel's end "
				 "(0x%" PRIx64 ") and 0x%" PRIx64 "; give the guest more memory",
				 bytes, floor, limit);
	*addr = (limit - bytes) & ~(VB_X86_INITRD_ALIGN - 1);
	return 0;
}

int vb_x86_cmdline_check(const char *cmdline, uint64_t max_len, struct vb_err *err)
{
	size_t len = cmdline ? strlen(cmdline) : 0;

	if (max_len > VB_X86_CMDLINE_AREA_BYTES - 1)
		max_len = VB_X86_CMDLINE_AREA_BYTES - 1;
	if (len > max_len)
		return vb_refuse(err, VB_REFUSAL_CMDLINE, E2BIG,
				 "kernel command line: %zu bytes, the kernel "
				 "accepts at most %" PRIu64, len, max_len);
	return 0;
}

int vb_x86_cmdline_write(struct vb_guest_mem *mem, const char *cmdline,
			 uint64_t max_len, struct vb_err *err)
{
	int rc = vb_x86_cmdline_check(cmdline, max_len, err);

	if (rc < 0)
		return rc;
	if (!cmdline)
		cmdline = "";
	return vb_x86_guest_copy(mem, VB_X86_CMDLINE_ADDR, cmdline, strlen(cmdline) + 1,
				 "kernel command line", err);
}
