#include "parse/schema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/size.h"

#define NO_LOC SIZE_MAX
#define NO_FLAG SIZE_MAX
#define M(field) offsetof(struct vb_machine_desc, field)
#define D(field) offsetof(struct vb_device_desc, field)
#define G(field) offsetof(struct vb_debug_desc, field)

static const char *const console_choices[] = { "serial", "virtio", "none", NULL };
static const char *const transport_choices[] = { "pci", "mmio", NULL };

static const struct vb_key_schema machine_keys[] = {
	{ .name = "name", .type = VB_KEY_NAME,
	  .default_text = "the file's base name without extension",
	  .help = "machine name: letters, digits, '.', '_' and '-', at most 64",
	  .offset = M(name), .loc_offset = M(name_loc), .set_offset = M(name_set) },
	{ .name = "cpus", .type = VB_KEY_UINT, .min = 1, .max = VB_MAX_CPUS,
	  .default_text = "the number of online host CPUs",
	  .help = "number of virtual CPUs (at most 254, and what KVM allows)",
	  .offset = M(cpus), .loc_offset = M(cpus_loc), .set_offset = M(cpus_set) },
	{ .name = "memory", .type = VB_KEY_SIZE, .size_unit = VB_MiB,
	  .default_text = "64 MiB x (cpus + 3), capped at 80% of host RAM",
	  .help = "guest RAM: MiB as an integer, or a size such as \"512M\" or \"2G\"; at least 64 MiB",
	  .offset = M(ram_bytes), .loc_offset = M(memory_loc), .set_offset = M(memory_set) },
	{ .name = "kernel", .type = VB_KEY_PATH, .required = true,
	  .help = "kernel: a bzImage, an ELF vmlinux with a PVH note, or a flat binary",
	  .offset = M(kernel), .loc_offset = M(kernel_loc), .set_offset = NO_FLAG },
	{ .name = "initrd", .type = VB_KEY_PATH, .default_text = "none",
	  .help = "initial RAM disk loaded with the kernel",
	  .offset = M(initrd), .loc_offset = M(initrd_loc), .set_offset = NO_FLAG },
	{ .name = "params", .type = VB_KEY_STRING, .default_text = "none",
	  .help = "extra kernel command line, appended after vmboot's defaults",
	  .offset = M(params), .loc_offset = M(params_loc), .set_offset = NO_FLAG },
	{ .name = "console", .type = VB_KEY_ENUM, .choices = console_choices,
	  .default_text = "serial",
	  .help = "guest console: the 16550A UART on COM1, virtio-console (hvc0), or none",
	  .offset = M(console), .loc_offset = M(console_loc), .set_offset = NO_FLAG },
	{ .name = "tty", .type = VB_KEY_BOOL, .default_text = "false",
	  .help = "put the guest console on a new host pty and print its path",
	  .offset = M(tty), .loc_offset = NO_LOC, .set_offset = NO_FLAG },
	{ .name = "hugepages", .type = VB_KEY_BOOL,
	  .default_text = "true where the kernel has transparent huge pages",
	  .help = "back guest RAM with transparent huge pages; true: refuse a kernel without them",
	  .offset = M(hugepages), .loc_offset = NO_LOC, .set_offset = M(hugepages_set) },
	{ .name = "seccomp", .type = VB_KEY_BOOL, .default_text = "true",
	  .help = "confine each vmboot thread to the system calls it needs; false is unsafe, for debugging",
	  .offset = M(seccomp), .loc_offset = NO_LOC, .set_offset = NO_FLAG },
	{ .name = "user", .type = VB_KEY_STRING, .default_text = "none",
	  .help = "started as root: run as this user once the VM is built, with no capabilities",
	  .offset = M(user), .loc_offset = M(user_loc), .set_offset = NO_FLAG },
	{ .name = "acpi", .type = VB_KEY_BOOL, .default_text = "true",
	  .help = "describe the machine with ACPI tables (poweroff ends the VM); false: an MP table and acpi=off",
	  .offset = M(acpi), .loc_offset = M(acpi_loc), .set_offset = NO_FLAG },
	{ .name = "devices", .type = VB_KEY_DEVICES, .default_text = "empty",
	  .help = "list of device tables, each with a type and an optional id",
	  .offset = 0, .loc_offset = NO_LOC, .set_offset = NO_FLAG },
	{ .name = "debug", .type = VB_KEY_TABLE, .default_text = "all off",
	  .help = "debugging aids: ioport, single_step, iodelay",
	  .offset = M(debug), .loc_offset = NO_LOC, .set_offset = NO_FLAG },
};

static const struct vb_key_schema debug_keys[] = {
	{ .name = "ioport", .type = VB_KEY_BOOL, .default_text = "false",
	  .help = "log every guest port I/O access",
	  .offset = G(ioport), .loc_offset = NO_LOC, .set_offset = NO_FLAG },
	{ .name = "single_step", .type = VB_KEY_BOOL, .default_text = "false",
	  .help = "single-step the vCPUs, printing each RIP",
	  .offset = G(single_step), .loc_offset = NO_LOC, .set_offset = NO_FLAG },
	{ .name = "iodelay", .type = VB_KEY_UINT, .min = 0, .max = VB_MAX_IODELAY_MS,
	  .default_text = "0", .help = "delay every port I/O access by this many milliseconds",
	  .offset = G(iodelay_ms), .loc_offset = NO_LOC, .set_offset = NO_FLAG },
};

/* type and id are on every device; transport only on virtio devices. */
static const struct vb_key_schema common_keys[] = {
	{ .name = "type", .type = VB_KEY_STRING, .required = true,
	  /* vmboot schema and --check name the registry's types after it. */
	  .help = "device type",
	  .offset = NO_LOC, .loc_offset = NO_LOC, .set_offset = NO_FLAG },
	{ .name = "id", .type = VB_KEY_NAME, .default_text = "TYPE followed by its index",
	  .help = "unique name of the device within the machine",
	  .offset = D(id), .loc_offset = D(id_loc), .set_offset = NO_FLAG },
	{ .name = "transport", .type = VB_KEY_ENUM, .choices = transport_choices,
	  .default_text = "pci",
	  .help = "virtio transport: PCI, or MMIO announced on the kernel command line",
	  .offset = D(transport), .loc_offset = NO_LOC, .set_offset = NO_FLAG },
};

const struct vb_key_schema *vb_schema_machine_keys(size_t *count)
{
	*count = sizeof(machine_keys) / sizeof(machine_keys[0]);
	return machine_keys;
}

const struct vb_key_schema *vb_schema_debug_keys(size_t *count)
{
	*count = sizeof(debug_keys) / sizeof(debug_keys[0]);
	return debug_keys;
}

const struct vb_key_schema *vb_schema_device_common_keys(size_t *count)
{
	*count = sizeof(common_keys) / sizeof(common_keys[0]);
	return common_keys;
}

const char *vb_key_type_name(enum vb_key_type type)
{
	switch (type) {
	case VB_KEY_STRING: return "string";
	case VB_KEY_NAME: return "name";
	case VB_KEY_PATH: return "path";
	case VB_KEY_UINT: return "integer";
	case VB_KEY_BOOL: return "bool";
	case VB_KEY_SIZE: return "size";
	case VB_KEY_ENUM: return "string";
	case VB_KEY_MAC: return "MAC address";
	case VB_KEY_STRINGS: return "list of strings";
	case VB_KEY_TABLE: return "table";
	case VB_KEY_DEVICES: return "list of tables";
	}
	return "?";
}

bool vb_key_default_literal(const struct vb_key_schema *k)
{
	const char *text = k->default_text;
	if (!text)
		return false;
	switch (k->type) {
	case VB_KEY_BOOL:
		return !strcmp(text, "true") || !strcmp(text, "false");
	case VB_KEY_UINT:
		return text[0] && strspn(text, "0123456789") == strlen(text) && strlen(text) < 19;
	case VB_KEY_ENUM:
		for (size_t i = 0; k->choices[i]; i++)
			if (!strcmp(text, k->choices[i]))
				return true;
		return false;
	default:
		return false;
	}
}

/* ---- did you mean ---------------------------------------------------- */

/* Edits between a and b, a swap of two neighbours counting as one (optimal
 * string alignment): "stpo" is one slip from "stop", not two. Words longer
 * than 64 bytes are nobody's typo. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return SIZE_MAX;
	size_t d[65][65];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *vb_did_you_mean(const char *word, const char *const *candidates, size_t n)
{
	/* A third of the word's length, at least 1 and at most 3 edits: close
	 * enough to be a typo, far enough not to suggest nonsense. */
	size_t limit = strlen(word) / 3;
	if (limit < 1)
		limit = 1;
	if (limit > 3)
		limit = 3;
	const char *best = NULL;
	size_t best_distance = limit + 1;
	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, candidates[i]);
		if (d < best_distance) {
			best = candidates[i];
			best_distance = d;
		}
	}
	return best;
}
