/* The loaders' writes into guest RAM (guestram.h). */
#include "arch/x86/guestram.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "arch/x86/layout.h"

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
