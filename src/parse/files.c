/* The files a machine file names: they exist and are of the kind their
 * key wants, looked at the way the builder will open them (util/io.h),
 * so --check --strict refuses every file run would refuse, at the key's
 * location. Looking opens nothing (O_PATH): a FIFO or device named by
 * mistake is neither waited on nor touched. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "parse/devtype.h"
#include "parse/schema.h"
#include "util/io.h"

void vb_desc_check_path(const char *what, const char *path, struct vb_loc loc, unsigned kinds,
			bool may_be_missing, enum vb_severity severity, struct vb_diags *diags)
{
	struct vb_err err = { .msg = "" };
	int fd = vb_open_expect(path, O_PATH, kinds, NULL, &err);
	if (fd >= 0) {
		close(fd);
		return;
	}
	if (fd == -ENOENT && may_be_missing)
		return;
	if (severity == VB_SEV_ERROR)
		vb_diag_error(diags, loc, "%s: %s", what, err.msg);
	else
		vb_diag_warning(diags, loc, "%s: %s", what, err.msg);
}

/* Every path key of the device that names a kind of file (file_kinds),
 * then what its type checks itself. */
static void check_device(const struct vb_device_desc *dev, size_t i, enum vb_severity severity,
			 struct vb_diags *diags)
{
	const struct vb_device_type *type = dev->type;
	for (size_t k = 0; k < type->n_keys; k++) {
		const struct vb_key_schema *key = &type->keys[k];
		const char *path = dev->values[k].string;
		if (key->type != VB_KEY_PATH || !key->file_kinds || !path)
			continue;
		char what[96];
		snprintf(what, sizeof(what), "devices[%zu].%s", i, key->name);
		vb_desc_check_path(what, path, vb_device_loc(dev, key->name), key->file_kinds, false,
				   severity, diags);
	}
	if (type->check_files)
		type->check_files(dev, i, severity, diags);
}

void vb_desc_check_files(const struct vb_machine_desc *desc, enum vb_severity missing,
			 struct vb_diags *diags)
{
	if (desc->kernel)
		vb_desc_check_path("kernel", desc->kernel, desc->kernel_loc, VB_FILE_REGULAR, false,
				   missing, diags);
	if (desc->initrd)
		vb_desc_check_path("initrd", desc->initrd, desc->initrd_loc, VB_FILE_REGULAR, false,
				   missing, diags);
	for (size_t i = 0; i < desc->n_devices; i++)
		if (desc->devices[i].type && desc->devices[i].values)
			check_device(&desc->devices[i], i, missing, diags);
}
