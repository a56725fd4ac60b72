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
static const char *const net_mode_choices[] = { "user", "tap", NULL };

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
	{ .name = "hugepages", .type = VB_KEY_BOOL, .default_text = "false",
	  .help = "back guest RAM with transparent huge pages",
	  .offset = M(hugepages), .loc_offset = NO_LOC, .set_offset = NO_FLAG },
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
	  .help = "device type: disk, net, 9p, balloon, rng, shmem or console",
	  .offset = NO_LOC, .loc_offset = NO_LOC, .set_offset = NO_FLAG },
	{ .name = "id", .type = VB_KEY_NAME, .default_text = "TYPE followed by its index",
	  .help = "unique name of the device within the machine",
	  .offset = D(id), .loc_offset = D(id_loc), .set_offset = NO_FLAG },
	{ .name = "transport", .type = VB_KEY_ENUM, .choices = transport_choices,
	  .default_text = "pci",
	  .help = "virtio transport: PCI, or MMIO announced on the kernel command line",
	  .offset = D(transport), .loc_offset = NO_LOC, .set_offset = NO_FLAG },
};

static const struct vb_key_schema disk_keys[] = {
	{ .name = "path", .type = VB_KEY_PATH, .required = true,
	  .help = "raw image file (virtio-blk), or a directory (9p root filesystem)",
	  .offset = D(path), .loc_offset = D(path_loc), .set_offset = NO_FLAG },
	{ .name = "readonly", .type = VB_KEY_BOOL, .default_text = "false",
	  .help = "the guest cannot write to the disk",
	  .offset = D(readonly), .loc_offset = NO_LOC, .set_offset = NO_FLAG },
};

static const struct vb_key_schema net_keys[] = {
	{ .name = "mode", .type = VB_KEY_ENUM, .choices = net_mode_choices,
	  .default_text = "user",
	  .help = "user-mode networking (no root needed) or an existing tap device",
	  .offset = D(net_mode), .loc_offset = NO_LOC, .set_offset = NO_FLAG },
	{ .name = "tap", .type = VB_KEY_STRING, .default_text = "none (required in tap mode)",
	  .help = "host tap interface name",
	  .offset = D(tap), .loc_offset = D(tap_loc), .set_offset = NO_FLAG },
	{ .name = "mac", .type = VB_KEY_MAC, .default_text = "derived from the machine name",
	  .help = "guest MAC address, six hex octets separated by ':'",
	  .offset = D(mac), .loc_offset = NO_LOC, .set_offset = D(has_mac) },
	{ .name = "dhcp", .type = VB_KEY_BOOL, .default_text = "true",
	  .help = "user mode: serve the guest an address by DHCP",
	  .offset = D(dhcp), .loc_offset = NO_LOC, .set_offset = NO_FLAG },
	{ .name = "forward", .type = VB_KEY_STRINGS, .default_text = "none",
	  .help = "user mode: host-to-guest port forwards, \"tcp:127.0.0.1:2222-:22\"",
	  .offset = D(forwards), .loc_offset = NO_LOC, .set_offset = NO_FLAG },
};

static const struct vb_key_schema ninep_keys[] = {
	{ .name = "path", .type = VB_KEY_PATH, .required = true,
	  .help = "host directory to share",
	  .offset = D(path), .loc_offset = D(path_loc), .set_offset = NO_FLAG },
	{ .name = "tag", .type = VB_KEY_STRING, .required = true,
	  .help = "mount tag the guest uses, at most 31 bytes",
	  .offset = D(tag), .loc_offset = D(tag_loc), .set_offset = NO_FLAG },
	{ .name = "readonly", .type = VB_KEY_BOOL, .default_text = "false",
	  .help = "the guest cannot modify the share",
	  .offset = D(readonly), .loc_offset = NO_LOC, .set_offset = NO_FLAG },
};

static const struct vb_key_schema shmem_keys[] = {
	{ .name = "path", .type = VB_KEY_STRING, .required = true,
	  .help = "host file, or a POSIX shared memory object name starting with '/'",
	  .offset = D(path), .loc_offset = D(path_loc), .set_offset = NO_FLAG },
	{ .name = "size", .type = VB_KEY_SIZE, .size_unit = 1, .required = true,
	  .help = "size of the shared region, a power of two such as \"16M\"",
	  .offset = D(size_bytes), .loc_offset = D(size_loc), .set_offset = NO_FLAG },
	{ .name = "address", .type = VB_KEY_SIZE, .size_unit = 1,
	  .default_text = "allocated in the PCI window",
	  .help = "guest physical address of the region (BAR), aligned to its size",
	  .offset = D(address), .loc_offset = D(address_loc), .set_offset = D(has_address) },
};

#define KEYS(t) t, sizeof(t) / sizeof(t[0])
static const struct vb_device_schema device_types[] = {
	{ VB_DEV_DISK, "disk", "virtio-blk disk image, or a 9p root directory", true,
	  KEYS(disk_keys) },
	{ VB_DEV_NET, "net", "virtio-net network interface", true, KEYS(net_keys) },
	{ VB_DEV_9P, "9p", "virtio-9p shared host directory", true, KEYS(ninep_keys) },
	{ VB_DEV_BALLOON, "balloon", "virtio-balloon memory balloon", true, NULL, 0 },
	{ VB_DEV_RNG, "rng", "virtio-rng entropy source", true, NULL, 0 },
	{ VB_DEV_SHMEM, "shmem", "ivshmem-compatible shared memory PCI device", false,
	  KEYS(shmem_keys) },
	{ VB_DEV_CONSOLE, "console",
	  "virtio-console carrying the guest console (hvc0); needs console = \"virtio\"", true,
	  NULL, 0 },
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

const struct vb_device_schema *vb_schema_devices(size_t *count)
{
	*count = sizeof(device_types) / sizeof(device_types[0]);
	return device_types;
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
