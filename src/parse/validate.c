/* Rules that span several keys (the files named are checked in files.c):
 * the machine's and every device's here, each device type's own in its
 * descriptor (devtype.h validate), in the device's file. */
#include <string.h>

#include "parse/devtype.h"
#include "parse/schema.h"
#include "sandbox/privs.h"
#include "util/size.h"

static void check_unique_ids(const struct vb_machine_desc *desc, struct vb_diags *diags)
{
	for (size_t i = 0; i < desc->n_devices; i++) {
		const struct vb_device_desc *dev = &desc->devices[i];
		if (!dev->id)
			continue;
		for (size_t j = 0; j < i; j++) {
			if (desc->devices[j].id && !strcmp(desc->devices[j].id, dev->id)) {
				vb_diag_error(diags, dev->id_loc,
					      "devices[%zu].id: \"%s\" already used by devices[%zu]",
					      i, dev->id, j);
				break;
			}
		}
	}
}

/* A single type (devtype.h) allows one device per machine. */
static void check_singletons(const struct vb_machine_desc *desc, struct vb_diags *diags)
{
	for (size_t i = 0; i < desc->n_devices; i++) {
		const struct vb_device_type *type = desc->devices[i].type;
		if (!type || !type->single)
			continue;
		for (size_t first = 0; first < i; first++) {
			if (desc->devices[first].type == type) {
				vb_diag_error(diags, desc->devices[i].loc,
					      "devices[%zu]: only one %s device is allowed (devices[%zu] is one)",
					      i, type->name, first);
				break;
			}
		}
	}
}

/* The user the VM is to run as exists (and is not root), so that --check
 * says so at the key rather than run after the whole build. */
static void check_user(const struct vb_machine_desc *desc, struct vb_diags *diags)
{
	struct vb_user user;
	struct vb_err err = { "" };
	if (desc->user && vb_privs_lookup_user(desc->user, &user, &err))
		vb_diag_error(diags, desc->user_loc, "%s", err.msg);
}

void vb_desc_validate(const struct vb_machine_desc *desc, struct vb_diags *diags)
{
	if (desc->memory_set && desc->ram_bytes < VB_MIN_RAM_BYTES) {
		char shown[32];
		vb_size_format(desc->ram_bytes, shown, sizeof(shown));
		vb_diag_error(diags, desc->memory_loc, "memory: %s is below the minimum of 64 MiB",
			      shown);
	}
	check_user(desc, diags);
	check_unique_ids(desc, diags);
	check_singletons(desc, diags);
	for (size_t i = 0; i < desc->n_devices; i++) {
		const struct vb_device_type *type = desc->devices[i].type;
		if (type && type->validate)
			type->validate(desc, i, diags);
	}
}
