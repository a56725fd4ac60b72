/* The registry (registry.h): one line per device. */
#include "machine/registry.h"

#include <string.h>

#include "dev/acpi_pm.h"
#include "dev/i8042.h"
#include "dev/ignore.h"
#include "dev/pci.h"
#include "dev/rtc.h"
#include "dev/uart.h"
#include "parse/devtype.h"

/* machine/device_types.def, expanded into declarations and then the table:
 * a device's file needs no header of its own for the registry. */
#define VB_DEVICE_TYPE(name) extern const struct vb_device_type name;
#include "machine/device_types.def"
#undef VB_DEVICE_TYPE

static const struct vb_device_type *const types[] = {
#define VB_DEVICE_TYPE(name) &name,
#include "machine/device_types.def"
#undef VB_DEVICE_TYPE
};

const struct vb_device_ops *const vb_pc_devices[] = {
	&vb_ignore_ops,
	&vb_uart_ops,
	&vb_i8042_ops,
	&vb_rtc_ops,
	&vb_pci_host_ops,
	&vb_acpi_pm_ops,
	NULL,
};

const struct vb_device_type *const *vb_device_types(size_t *count)
{
	*count = sizeof(types) / sizeof(types[0]);
	return types;
}

const struct vb_device_ops *vb_device_find(const char *name)
{
	for (size_t i = 0; vb_pc_devices[i]; i++)
		if (!strcmp(vb_pc_devices[i]->name, name))
			return vb_pc_devices[i];
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(types[i]->ops->name, name))
			return types[i]->ops;
	return NULL;
}
