/* Format detection and dispatch to the loaders (loader.h). */
#include "arch/x86/boot.h"

#include <errno.h>
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
