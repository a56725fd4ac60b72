/* The machine-file schema: one table per section and device type.
 *
 * Each key has a name, a type, a default, a range and a one-line help. The
 * tables drive everything that must agree about keys: type checks and
 * defaults for both syntaxes, rejection of unknown keys with a did-you-mean,
 * and the test that keeps man/vmboot.conf.5 in step. The machine's, debug's
 * and every device's common keys are here; each device type's own keys are
 * in its descriptor (parse/devtype.h), in the device's file.
 *
 * Checking a machine is three calls, each adding a located diagnostic for
 * every problem it finds rather than stopping at the first:
 *   vb_desc_from_tree()    a syntax tree (parse/node.h) into a description
 *                          (parse/desc.h): every key's type and range
 *   vb_desc_validate()     the rules across keys
 *   vb_desc_check_files()  the files the description names
 * The first two are pure; file existence is checked separately because
 * --check must not fail on images a CI runner does not have. */
#ifndef VB_PARSE_SCHEMA_H
#define VB_PARSE_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse/desc.h"
#include "parse/node.h"
#include "util/diag.h"
#include "util/err.h"

#define VB_MIN_RAM_BYTES (64ULL << 20)
/* xAPIC ids and the MP table are 8 bits wide, 0xff is the broadcast id
 * and the IOAPIC takes the id after the last CPU: 254 CPUs at most
 * (VB_X86_MPTABLE_MAX_CPUS). */
#define VB_MAX_CPUS 254
#define VB_MAX_IODELAY_MS 1000

enum vb_key_type {
	VB_KEY_STRING,
	VB_KEY_NAME,    /* string [A-Za-z0-9._-]{1,64} */
	VB_KEY_PATH,    /* string; relative to the machine file's directory */
	VB_KEY_UINT,    /* integer within [min, max] */
	VB_KEY_BOOL,
	VB_KEY_SIZE,    /* integer (in size_unit bytes) or string with suffix */
	VB_KEY_ENUM,    /* one of choices[] */
	VB_KEY_MAC,     /* "52:54:00:12:34:56", unicast */
	VB_KEY_STRINGS, /* list of strings */
	VB_KEY_TABLE,   /* a nested section (debug) */
	VB_KEY_DEVICES, /* list of device tables */
};

struct vb_key_schema {
	const char *name;
	enum vb_key_type type;
	const char *default_text; /* as shown to people; NULL = none */
	const char *help;
	int64_t min, max;          /* VB_KEY_UINT */
	uint64_t size_unit;        /* VB_KEY_SIZE: unit of a bare number */
	const char *const *choices;/* VB_KEY_ENUM, NULL-terminated */
	bool required;
	/* VB_KEY_PATH of a device: the kinds of file it may name (VB_FILE_*,
	 * util/io.h), checked by vb_desc_check_files; 0: not checked. */
	unsigned file_kinds;
	/* Where the value goes, for the machine's, debug's and the common
	 * device keys: offsets into the target struct (machine, debug or
	 * device description); set_offset is for the `_set` flag. A device
	 * type's own keys leave them 0: their values are the device's
	 * (desc.h struct vb_value). */
	size_t offset;
	size_t loc_offset;         /* SIZE_MAX: location not kept */
	size_t set_offset;         /* SIZE_MAX: no flag */
};

struct vb_device_type;

/* Tables, for documentation and tests. The common device keys are type,
 * id and transport (virtio devices only), in that order. */
const struct vb_key_schema *vb_schema_machine_keys(size_t *count);
const struct vb_key_schema *vb_schema_debug_keys(size_t *count);
const struct vb_key_schema *vb_schema_device_common_keys(size_t *count);
const char *vb_key_type_name(enum vb_key_type type);

/* True when k's default_text is a value of its type ("false", "0", one of
 * its choices): the default a description starts from, and the one
 * vmboot schema writes as "default". Prose defaults ("the number of
 * online host CPUs") are for people. */
bool vb_key_default_literal(const struct vb_key_schema *k);

/* Fills desc (which must be vb_desc_init'ed) from root, key by key; the
 * rules across keys are vb_desc_validate's. Returns 0, or -EINVAL when
 * diags gained errors. The description is usable (defaults filled) even
 * on error, for best-effort reporting and validation. A device's `type`
 * names one of types, the registry (machine/registry.h), passed down
 * because parse sits below the devices (parse/devtype.h); a device whose
 * type could not be read has type NULL. */
int vb_desc_from_tree(const struct vb_node *root, const struct vb_device_type *const *types,
		      size_t n_types, struct vb_machine_desc *desc, struct vb_diags *diags);

/* Rules across keys, on a description vb_desc_from_tree filled, whether or
 * not it found errors: the machine's (memory), every device's (unique ids,
 * one device of a single type), then each device type's own (its
 * descriptor's validate, parse/devtype.h: a tap without a name, duplicate
 * 9p tags ...). */
void vb_desc_validate(const struct vb_machine_desc *desc, struct vb_diags *diags);

/* Kernel, initrd and device paths (files.c): a missing file, or one of
 * the wrong kind (a FIFO, socket or device; a directory where a file is
 * wanted), is added with severity `missing` (a warning under --check, an
 * error under --strict and at boot). Device paths: each key's file_kinds,
 * and the type's check_files (a shmem path may be missing: it is
 * created). */
void vb_desc_check_files(const struct vb_machine_desc *desc, enum vb_severity missing,
			 struct vb_diags *diags);

/* One path, for check_files hooks: looked at as the builder will open it
 * (O_PATH), it must be one of kinds (VB_FILE_*); a missing one is fine
 * when may_be_missing. what names it in the message ("devices[2].path"). */
void vb_desc_check_path(const char *what, const char *path, struct vb_loc loc, unsigned kinds,
			bool may_be_missing, enum vb_severity severity, struct vb_diags *diags);

/* "52:54:00:12:34:56" -> bytes. -EINVAL if malformed, -ERANGE if multicast. */
int vb_mac_parse(const char *text, uint8_t mac[6]);

/* Closest candidate within a small edit distance, or NULL. */
const char *vb_did_you_mean(const char *word, const char *const *candidates, size_t n);

#endif
