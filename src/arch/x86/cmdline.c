#include "arch/x86/cmdline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int console_param(enum vb_console_kind console, const char **out)
{
	switch (console) {
	case VB_CONSOLE_SERIAL:
		*out = " console=ttyS0";
		return 0;
	case VB_CONSOLE_VIRTIO:
		*out = " console=hvc0";
		return 0;
	case VB_CONSOLE_NONE:
		*out = "";
		return 0;
	}
	return -EINVAL;
}

int vb_x86_cmdline_build(enum vb_console_kind console, bool acpi, const char *params,
			 size_t max_len, char *buf, size_t buf_bytes,
			 struct vb_err *err)
{
	const char *cons;

	if (console_param(console, &cons) < 0)
		return vb_err_set(err, EINVAL, "kernel command line: unknown console %d",
				  (int)console);
	if (!params)
		params = "";

	const char *platform = acpi ? "" : VB_X86_CMDLINE_NO_ACPI;
	size_t base_len = strlen(VB_X86_CMDLINE_BASE) + strlen(platform) + strlen(cons);
	size_t params_len = strlen(params);
	size_t len = base_len + (params_len ? 1 + params_len : 0);

	if (len > max_len)
		return vb_refuse(err, VB_REFUSAL_CMDLINE, E2BIG,
				 "kernel command line: %zu bytes, the kernel accepts at most %zu "
				 "(vmboot's own parameters take %zu, params %zu)",
				 len, max_len, base_len, params_len);
	if (len >= buf_bytes)
		return vb_err_set(err, ENOSPC, "kernel command line: %zu bytes do not fit "
				  "a %zu-byte buffer", len, buf_bytes);
	snprintf(buf, buf_bytes, "%s%s%s%s%s", VB_X86_CMDLINE_BASE, platform, cons,
		 params_len ? " " : "", params);
	return 0;
}
