/* The registry: every device vmboot can build, one line each.
 *
 * Two lists, both in registry.c:
 *   - the device types a machine file (or a flag) names, each described
 *     once by its own file's const struct vb_device_type (parse/devtype.h):
 *     keys, rules, flags, plan fields, placement and ops. Adding a device
 *     type is its file and one line here (and its man page text and
 *     tests); the schema, --check, vmboot schema, the flag table, --plan
 *     and the builder all read this list or the type a description points
 *     at. The order is the one vmboot schema, --help and error messages
 *     list them in.
 *   - the PC devices every machine has (UART, i8042, RTC, the PCI host
 *     bridge, the ignored ports), which no file names.
 *
 * The registry sits in machine/, above the devices it lists (dev/,
 * virtio/) and above parse/, which gets the type list handed down
 * (vb_desc_from_tree, vb_schema_write_json): every include points down. */
#ifndef VB_MACHINE_REGISTRY_H
#define VB_MACHINE_REGISTRY_H

#include <stddef.h>

#include "dev/dev.h"
#include "parse/devtype.h"

/* The device types, in listing order. */
const struct vb_device_type *const *vb_device_types(size_t *count);

/* The PC devices, NULL-terminated, in registry order. */
extern const struct vb_device_ops *const vb_pc_devices[];

/* A PC device's or a device type's ops by its ops name ("uart", "9p"),
 * or NULL. */
const struct vb_device_ops *vb_device_find(const char *name);

#endif
