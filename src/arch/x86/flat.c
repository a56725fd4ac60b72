/* Flat binary: raw code entered in real mode at 0x1000:0000, the way
 * kvmtool runs tiny test guests. There is no protocol to hand over a
 * command line, initrd or memory map, so none is written. */
#include <errno.h>
#include <inttypes.h>

#include "arch/x86/guestram.h"
#include "arch/x86/layout.h"
#include "arch/x86/loader.h"
#include "arch/x86/regs.h"

int vb_x86_load_flat(const struct vb_x86_boot_config *cfg,
		     struct vb_guest_mem *mem, struct vb_x86_boot_regs *regs,
		     struct vb_x86_boot_info *info, struct vb_err *err)
{
	/* Real mode reaches only the first MiB; the binary must end below
	 * the EBDA, which the e820 table reserves. */
	const uint64_t max = VB_X86_EBDA_START - VB_X86_FLAT_ADDR;
	int rc;

	if (cfg->initrd)
		return vb_refuse(err, VB_REFUSAL_FLAT_INITRD, EINVAL,
				 "initrd: a flat binary kernel has no way to "
				 "receive one");
	if (cfg->kernel_bytes > max)
		return vb_refuse(err, VB_REFUSAL_KERNEL_FIT, EFBIG,
				 "flat binary: %zu bytes, at most %" PRIu64
				 " fit between 0x%llx and the EBDA at 0x%llx",
				 cfg->kernel_bytes, max, VB_X86_FLAT_ADDR, VB_X86_EBDA_START);
	rc = vb_x86_guest_copy(mem, VB_X86_FLAT_ADDR, cfg->kernel, cfg->kernel_bytes,
			       "flat binary", err);
	if (rc == 0)
		rc = vb_x86_regs_init(mem, VB_X86_MODE_REAL, 0, regs, err);
	if (rc < 0)
		return rc;
	info->kernel_addr = VB_X86_FLAT_ADDR;
	info->kernel_end = VB_X86_FLAT_ADDR + cfg->kernel_bytes;
	return 0;
}
