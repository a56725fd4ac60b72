/* The machine-file schema: one table per section and device type.
 *
 * Each key has a name, a type, a default, a range and a one-line help. The
 * tables drive everything that must agree about keys: type checks and
 * defaults for both syntaxes, rejection of unknown keys with a did-you-mean,
 * and the test that keeps man/vmboot.conf.5 in step.
 *
 * vb_desc_from_tree() turns a syntax tree (parse/node.h) into a description
 * (parse/desc.h), adding a located diagnostic for every problem it finds
 * rather than stopping at the first. It is pure: file existence is checked
 * separately by vb_desc_check_files(), because --check must not fail on
 * images a CI runner does not have. */
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
/* A shmem region is a 32-bit PCI memory BAR and a KVM memory slot. */
#define VB_SHMEM_MIN_BYTES 4096ULL
#define VB_SHMEM_MAX_BYTES (2ULL << 30)

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
	/* Where the value goes: offsets into the target struct (machine,
	 * debug or device description); set_offset is for the `_set` flag. */
	size_t offset;
	size_t loc_offset;         /* SIZE_MAX: location not kept */
	size_t set_offset;         /* SIZE_MAX: no flag */
};

struct vb_device_schema {
	enum vb_device_kind kind;
	const char *type;          /* the `type` value */
	const char *help;
	bool virtio;               /* has a `transport` key */
	const struct vb_key_schema *keys; /* excluding type/id/transport */
	size_t n_keys;
};

/* Tables, for documentation and tests. */
const struct vb_key_schema *vb_schema_machine_keys(size_t *count);
const struct vb_key_schema *vb_schema_debug_keys(size_t *count);
const struct vb_key_schema *vb_schema_device_common_keys(size_t *count);
const struct vb_device_schema *vb_schema_devices(size_t *count);
const char *vb_key_type_name(enum vb_key_type type);

/* Fills desc (which must be vb_desc_init'ed) from root. Returns 0, or
 * -EINVAL when diags gained errors. The description is usable (defaults
 * filled) even on error, for best-effort reporting. */
int vb_desc_from_tree(const struct vb_node *root, struct vb_machine_desc *desc,
		      struct vb_diags *diags);

/* Rules across keys (duplicate ids and tags, one balloon/rng, tap without
 * name, command line length ...). Called by vb_desc_from_tree. */
void vb_desc_validate(const struct vb_machine_desc *desc, struct vb_diags *diags);

/* A shmem device's size and address rules (SHMEM_SIZE, SHMEM_ALIGN in
 * util/refusal.h), which validate reports at the keys and the device's
 * attach enforces (vb_shmem_check: both, for its desc). Where the region
 * lands (the PCI window, clear of other ranges) is resolve's. 0, or
 * -EINVAL with err filled. */
int vb_shmem_check_size(uint64_t size_bytes, struct vb_err *err);
int vb_shmem_check_address(uint64_t size_bytes, uint64_t address, struct vb_err *err);
int vb_shmem_check(const struct vb_device_desc *dev, struct vb_err *err);

/* Kernel, initrd and device paths (files.c): a missing file, or one of
 * the wrong kind (a FIFO, socket or device; a directory where a file is
 * wanted), is added with severity `missing` (a warning under --check, an
 * error under --strict and at boot). A shmem path may be missing (it is
 * created). */
void vb_desc_check_files(const struct vb_machine_desc *desc, enum vb_severity missing,
			 struct vb_diags *diags);

/* "52:54:00:12:34:56" -> bytes. -EINVAL if malformed, -ERANGE if multicast. */
int vb_mac_parse(const char *text, uint8_t mac[6]);

/* Closest candidate within a small edit distance, or NULL. */
const char *vb_did_you_mean(const char *word, const char *const *candidates, size_t n);

#endif
