/* The machine description: what the user asked for, typed and checked,
 * independent of the syntax it was written in.
 *
 * Produced by vb_desc_from_tree() (schema.h) from a syntax tree; consumed by
 * vb_resolve() (machine/machine.h), which adds host facts and computes the
 * machine graph. Plain data: no syscalls, no KVM. Every value remembers where
 * it was written so later stages can report errors at the right line.
 *
 * "_set" flags tell an explicit value from a default: resolve needs to know
 * whether memory came from the file. Paths are stored resolved against the
 * machine file's directory (relative paths in a file are relative to it). */
#ifndef VB_PARSE_DESC_H
#define VB_PARSE_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

#define VB_NAME_MAX 64
#define VB_9P_TAG_MAX 31
#define VB_MAX_DEVICES 64

enum vb_console_kind { VB_CONSOLE_SERIAL, VB_CONSOLE_VIRTIO, VB_CONSOLE_NONE };
enum vb_transport { VB_TRANSPORT_PCI, VB_TRANSPORT_MMIO };
enum vb_net_mode { VB_NET_USER, VB_NET_TAP };

enum vb_device_kind {
	VB_DEV_DISK,
	VB_DEV_NET,
	VB_DEV_9P,
	VB_DEV_BALLOON,
	VB_DEV_RNG,
	VB_DEV_SHMEM,
	VB_DEV_CONSOLE,
	VB_DEV_KIND_COUNT
};

struct vb_strings {
	char **items;
	size_t count;
};

struct vb_device_desc {
	enum vb_device_kind kind;
	struct vb_loc loc;       /* the device's table */
	char *id;                /* NULL: none given; resolve names it */
	struct vb_loc id_loc;
	enum vb_transport transport;
	/* disk, 9p, shmem */
	char *path;
	struct vb_loc path_loc;
	bool readonly;
	/* net */
	enum vb_net_mode net_mode;
	char *tap;
	struct vb_loc tap_loc;
	bool has_mac;
	uint8_t mac[6];
	bool dhcp;
	struct vb_strings forwards; /* net user-mode port forwards, as written */
	/* 9p */
	char *tag;
	struct vb_loc tag_loc;
	/* shmem */
	uint64_t size_bytes;
	struct vb_loc size_loc;
	bool has_address;
	uint64_t address;
	struct vb_loc address_loc;
};

struct vb_debug_desc {
	bool ioport;
	bool single_step;
	unsigned iodelay_ms;
};

struct vb_machine_desc {
	char *source;            /* machine file path, or NULL (flags only) */
	char *name;
	struct vb_loc name_loc;
	bool name_set;

	unsigned cpus;
	struct vb_loc cpus_loc;
	bool cpus_set;

	uint64_t ram_bytes;
	struct vb_loc memory_loc;
	bool memory_set;

	char *kernel;
	struct vb_loc kernel_loc;
	char *initrd;
	struct vb_loc initrd_loc;
	char *params;
	struct vb_loc params_loc;

	enum vb_console_kind console;
	struct vb_loc console_loc;
	bool tty;
	bool hugepages;
	struct vb_debug_desc debug;

	struct vb_device_desc *devices;
	size_t n_devices;
};

const char *vb_device_kind_name(enum vb_device_kind kind);
const char *vb_console_name(enum vb_console_kind console);
const char *vb_transport_name(enum vb_transport transport);
const char *vb_net_mode_name(enum vb_net_mode mode);

void vb_desc_init(struct vb_machine_desc *desc);
void vb_desc_free(struct vb_machine_desc *desc);

/* True if the two descriptions say the same thing (locations ignored). */
bool vb_desc_equal(const struct vb_machine_desc *a, const struct vb_machine_desc *b);

#endif
