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
#define VB_MAX_DEVICES 64

enum vb_console_kind { VB_CONSOLE_SERIAL, VB_CONSOLE_VIRTIO, VB_CONSOLE_NONE };
enum vb_transport { VB_TRANSPORT_PCI, VB_TRANSPORT_MMIO };

struct vb_strings {
	char **items;
	size_t count;
};

/* The value of one of a device type's own keys, typed as the type's key
 * table says (parse/devtype.h, parse/schema.h). */
struct vb_value {
	bool set;                  /* given (file or flag) and valid; else the default */
	struct vb_loc loc;         /* where it was given, when set */
	char *string;              /* STRING, NAME, PATH */
	uint64_t number;           /* UINT, SIZE; ENUM: the index of the choice */
	bool boolean;              /* BOOL */
	uint8_t mac[6];            /* MAC */
	struct vb_strings strings; /* STRINGS */
};

struct vb_device_type;

/* One device: what every device has, then its type's own keys as values,
 * one per key of type->keys and in that order. Read them by key name
 * (vb_device_string ...): the description holds no field of any one
 * device type, so a new type needs no change here. */
struct vb_device_desc {
	const struct vb_device_type *type;
	struct vb_loc loc;       /* the device's table */
	char *id;                /* NULL: none given; resolve names it */
	struct vb_loc id_loc;
	enum vb_transport transport;
	struct vb_value *values; /* type->n_keys */
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
	/* Unset: huge pages where the kernel has them (machine/ram.h). */
	bool hugepages;
	bool hugepages_set;
	/* A seccomp filter on each thread once the VM is built (sandbox.h). */
	bool seccomp;
	/* Started as root: become this user once the VM is built
	 * (sandbox/privs.h); NULL: stay who vmboot was started as. */
	char *user;
	struct vb_loc user_loc;
	/* ACPI tables (default) or the MP table alone with acpi=off. */
	bool acpi;
	struct vb_loc acpi_loc;
	struct vb_debug_desc debug;

	struct vb_device_desc *devices;
	size_t n_devices;
};

const char *vb_console_name(enum vb_console_kind console);
const char *vb_transport_name(enum vb_transport transport);

void vb_desc_init(struct vb_machine_desc *desc);
void vb_desc_free(struct vb_machine_desc *desc);

/* True if the two descriptions say the same thing (locations ignored). */
bool vb_desc_equal(const struct vb_machine_desc *a, const struct vb_machine_desc *b);

/* ---- a device's keys ------------------------------------------------- */

/* The value of key (one of d's type's keys), or NULL when the type has no
 * such key. The readers below give the zero value then. */
const struct vb_value *vb_device_value(const struct vb_device_desc *d, const char *key);
/* A STRING, NAME or PATH key's value, an ENUM key's choice; NULL: none. */
const char *vb_device_string(const struct vb_device_desc *d, const char *key);
uint64_t vb_device_number(const struct vb_device_desc *d, const char *key);
bool vb_device_bool(const struct vb_device_desc *d, const char *key);
/* Given in the file or by a flag (not the default). */
bool vb_device_is_set(const struct vb_device_desc *d, const char *key);
/* Where key was given, or the device's table when it was not. */
struct vb_loc vb_device_loc(const struct vb_device_desc *d, const char *key);

/* A device of type with every key at its default (the schema's literal
 * default_text: "true", "0", a choice) and transport PCI: what the schema
 * starts from, and how tests and benchmarks build one. Free with
 * vb_device_desc_free. 0 or -ENOMEM. */
int vb_device_desc_init(struct vb_device_desc *d, const struct vb_device_type *type);
void vb_device_desc_free(struct vb_device_desc *d);
/* Set key as if the file gave it (no location): a copy of value for a
 * string key, the choice named value for an ENUM key. 0, -ENOENT when the
 * type has no such key of that kind (or no such choice), -ENOMEM. */
int vb_device_set_string(struct vb_device_desc *d, const char *key, const char *value);
int vb_device_set_number(struct vb_device_desc *d, const char *key, uint64_t value);
int vb_device_set_bool(struct vb_device_desc *d, const char *key, bool value);

#endif
