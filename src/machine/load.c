#include "machine/load.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arch/x86/acpi.h"
#include "machine/ram.h"

/* The in-memory initrd gets the size limit a file gets from
 * vb_x86_read_file. It is the zero-config initramfs, built from the
 * host's modules at run only, so --check does not see it. */
static int copy_initrd(const uint8_t *data, size_t n, uint64_t ram_bytes, uint8_t **out,
		       struct vb_err *err)
{
	if (n >= ram_bytes)
		return vb_err_set(err, EFBIG, "initrd: %zu bytes do not fit in guest RAM", n);
	*out = malloc(n ? n : 1);
	if (!*out)
		return vb_err_set(err, ENOMEM, "initrd: out of memory");
	memcpy(*out, data, n);
	return 0;
}

int vb_machine_load(const struct vb_machine_graph *g, const uint8_t *initrd_data,
		    size_t initrd_bytes, struct vb_guest_mem *mem, struct vb_x86_boot_regs *regs,
		    struct vb_x86_boot_info *info, struct vb_err *err)
{
	const struct vb_machine_desc *d = g->desc;
	uint8_t *kernel = NULL, *initrd = NULL;
	size_t kernel_bytes = 0, initrd_len = 0;
	int rc = vb_x86_read_file("kernel", d->kernel, g->ram_bytes, &kernel, &kernel_bytes, err);
	if (!rc && d->initrd)
		rc = vb_x86_read_file("initrd", d->initrd, g->ram_bytes, &initrd, &initrd_len, err);
	else if (!rc && initrd_data) {
		rc = copy_initrd(initrd_data, initrd_bytes, g->ram_bytes, &initrd, err);
		initrd_len = initrd_bytes;
	}
	if (!rc) {
		struct vb_x86_boot_config cfg = {
			.kernel = kernel,
			.kernel_bytes = kernel_bytes,
			.initrd = initrd,
			.initrd_bytes = initrd_len,
			.cmdline = g->cmdline,
			.cpus = g->cpus,
			.rsdp_gpa = g->acpi.enabled ? VB_X86_ACPI_GPA : 0,
		};
		rc = vb_x86_load_kernel(&cfg, mem, regs, info, err);
	}
	/* Copied into guest memory (or failed): the buffers are done. */
	free(kernel);
	free(initrd);
	return rc;
}

static bool is_regular(const char *path)
{
	struct stat st;
	return path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The key a loader message is about: the loader and the file reader start
 * every message with what it concerns ("initrd: ...", "kernel command
 * line: ...", "bzImage: ...", "kernel: ..."). */
static void report(const struct vb_machine_desc *d, const char *msg, struct vb_diags *diags)
{
	struct vb_loc whole_file = { .file = d->source };
	if (!strncmp(msg, "initrd", 6) && d->initrd)
		vb_diag_error(diags, d->initrd_loc, "%s", msg);
	else if (!strncmp(msg, "kernel command line", 19))
		vb_diag_error(diags, d->params ? d->params_loc : whole_file, "params: %s", msg);
	else if (!strncmp(msg, "kernel", 6))
		vb_diag_error(diags, d->kernel_loc, "%s", msg);
	else
		vb_diag_error(diags, d->kernel_loc, "kernel: %s", msg);
}

void vb_machine_check_load(const struct vb_machine_graph *g, struct vb_diags *diags)
{
	const struct vb_machine_desc *d = g->desc;
	if (!g->ram_bytes || !is_regular(d->kernel) || (d->initrd && !is_regular(d->initrd)))
		return;
	struct vb_ram ram;
	struct vb_err err = { "" };
	if (vb_ram_map(&ram, &g->memmap, VB_RAM_SMALL_PAGES, &err)) {
		vb_diag_warning(diags, d->memory_set ? d->memory_loc : (struct vb_loc){ .file = d->source },
				"could not map guest RAM to check where the kernel goes: %s", err.msg);
		return;
	}
	struct vb_guest_mem mem = vb_ram_view(&ram, &g->memmap);
	struct vb_x86_boot_regs regs;
	struct vb_x86_boot_info info;
	if (vb_machine_load(g, NULL, 0, &mem, &regs, &info, &err))
		report(d, err.msg, diags);
	vb_ram_unmap(&ram);
}
