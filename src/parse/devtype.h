/* A device type, described once.
 *
 * Each device's own file (virtio/blk.c, dev/ivshmem.c ...) defines one
 * const struct vb_device_type saying everything vmboot knows about the
 * type, and machine/registry.c lists them, one line each. Adding a device
 * is that file, that line, its man page text and its tests: nothing else
 * names device types.
 *
 * Who reads what:
 *   parse/convert.c    name, keys, virtio (the `transport` key): the
 *                      description, both syntaxes' type checks, defaults
 *                      and unknown keys;
 *   parse/validate.c   single, validate: --check's rules across keys;
 *   parse/files.c      keys' file_kinds, check_files;
 *   parse/schema_json  name, help, keys: `vmboot schema`;
 *   cli/options.c      flags: kvmtool-style flags, each turning its value
 *                      into this type's keys in the override tree;
 *   machine/resolve.c  virtio (a transport, an interrupt line, the virtio
 *                      BAR), reserve and place (any other PCI memory),
 *                      dir_root, guest_console;
 *   machine/plan.c     model, plan;
 *   machine/vm.c       ops (dev/dev.h): attach and detach;
 *   tests/cli/test_docs.c  name and keys against man/vmboot.conf.5.
 *
 * Why the struct is declared here, at the bottom, and the list handed
 * down: parse sits below dev, virtio and machine (conventions.md, "The
 * layers, bottom up") and may not include a device's file, yet it must
 * read every type's keys. So parse declares the descriptor, the device
 * files (which may include parse) define theirs, and the registry, a layer
 * above both, passes the list to the parse functions that need the types
 * by name (vb_desc_from_tree, vb_schema_write_json) as (types, n). Once
 * parsed, a device description points at its type (desc.h), so nothing
 * later looks types up again. The members for layers above parse are
 * function pointers and pointers to structs parse only names (struct
 * vb_device_ops, struct vb_alloc): parse never calls or reads them. Every
 * include points down, and only the registry holds the list.
 *
 * The other way, a parse-level "keys" half per device beside a machine-
 * level half, would need the registry to list each device twice (or
 * container_of tricks) to hand parse its halves: one struct and one list
 * keep "one file plus one line" true.
 *
 * Adding a device type, say "vsock":
 *   1. src/virtio/vsock.c: the device; for virtio, a const
 *      struct vb_virtio_device_ops with its state size and setup/start/
 *      stop/teardown hooks (virtio/device.h does attach, transport and
 *      unwinding), its vb_device_ops = VB_VIRTIO_DEVICE_OPS("vsock", ...),
 *      and its const struct vb_device_type vb_virtio_vsock_type: keys,
 *      validate, flags, model, plan fields, ops;
 *   2. one line in machine/device_types.def, which registry.c expands
 *      (and its file in the directory's local.mk);
 *   3. its .SS in man/vmboot.conf.5 and its flag's .TP in man/vmboot.1
 *      (tests/cli/test_docs.c fails until they are there);
 *   4. its tests (and, for a flag argument spelt as no flag's before,
 *      a sample value in tests/cli/test_options.c). */
#ifndef VB_PARSE_DEVTYPE_H
#define VB_PARSE_DEVTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse/desc.h"
#include "parse/node.h"
#include "parse/schema.h"
#include "util/diag.h"
#include "util/err.h"

/* The number of elements of an array, for a descriptor's keys, flags and
 * plan fields. */
#define VB_COUNT(array) (sizeof(array) / sizeof((array)[0]))

struct vb_alloc;        /* dev/alloc.h */
struct vb_device_ops;   /* dev/dev.h */

/* A kvmtool-style flag that describes devices of the type: `--disk
 * PATH[,ro]`. The command line becomes one more layer of the machine's
 * key/value tree (parse/merge.h), so a flag only writes keys; the schema
 * checks them as it checks the file's. */
struct vb_device_flag {
	const char *long_name;  /* "--disk" */
	char short_name;        /* 'd', or 0 */
	const char *arg;        /* "PATH[,ro]", or NULL for a switch */
	const char *help;       /* one line, for --help */
	/* false: the flag adds a device of the type (a table with its `type`
	 * set); true: it changes the last one an earlier flag added
	 * (--no-dhcp), and without one it is refused as "FLAG: must follow
	 * FIRST", FIRST being the type's first flag. */
	bool amend;
	/* Optional: writes the keys arg says into dev, every node located at
	 * the flag (vb_flag_loc). flag is the long name, for messages.
	 * Returns 0, -ENOMEM, or -EINVAL with err naming the flag. */
	int (*parse)(struct vb_node *dev, const char *flag, char *arg, struct vb_err *err);
};

/* One of the type's keys in --plan: text, after the device's placement,
 * " PREFIX VALUE" (prefix includes its leading spaces); json, a member of
 * the device's object. Either may be NULL. Shown only when the key has a
 * value. Every device also reports "readonly" (false when it has no such
 * key): plan.c writes that one. */
struct vb_plan_field {
	const char *key;
	const char *text_prefix;
	const char *json_name;
	/* Optional, for a number key whose default depends on the machine
	 * (a disk's queues: one per vCPU): its value for a machine of cpus
	 * vCPUs, shown whether or not the key is set. */
	uint64_t (*number)(const struct vb_device_desc *d, unsigned cpus);
};

/* Where resolve put a device's PCI memory: BAR base and size, and a
 * second register BAR (ivshmem's BAR0); 0 for none. */
struct vb_device_bars {
	uint64_t bar_base;
	uint64_t bar_bytes;
	uint64_t reg_base;
};

/* Places a non-virtio PCI device's memory for resolve: adds located
 * errors for devices[i], whose graph name is id, and fills bars. */
typedef void vb_device_place_fn(const struct vb_device_desc *d, size_t i, const char *id,
				struct vb_alloc *alloc, struct vb_device_bars *bars,
				struct vb_diags *diags);

struct vb_device_type {
	/* ---- the machine file (parse) ---- */
	const char *name;            /* its `type` value: "disk" */
	const char *help;            /* one line: vmboot schema, the type's title */
	/* A virtio device: has the `transport` key, and resolve gives it a
	 * PCI slot, the virtio BAR and an interrupt line, or an MMIO window
	 * and a line. Otherwise a PCI function placed by reserve/place. */
	bool virtio;
	bool single;                 /* at most one per machine (--check) */
	/* Its own keys (type, id and transport are every device's, schema.h
	 * vb_schema_device_common_keys). Values live in the device's
	 * description (desc.h vb_device_value), in this order. */
	const struct vb_key_schema *keys;
	size_t n_keys;
	/* Optional: rules across keys, or across the devices of this type,
	 * for devices[i]; adds located errors (run by vb_desc_validate). */
	void (*validate)(const struct vb_machine_desc *m, size_t i, struct vb_diags *diags);
	/* Optional: files beyond what the keys' file_kinds say (schema.h),
	 * added with severity (files.c, vb_desc_check_files). */
	void (*check_files)(const struct vb_device_desc *d, size_t i, enum vb_severity severity,
			    struct vb_diags *diags);

	/* ---- the command line (cli) ---- */
	const struct vb_device_flag *flags;
	size_t n_flags;

	/* ---- resolve and --plan (machine) ---- */
	const char *model;           /* --plan's model: "virtio-blk" */
	const struct vb_plan_field *plan;
	size_t n_plan;
	/* Optional, for a PCI function that is not virtio: reserve claims
	 * the fixed ranges the file gives (before anything is allocated),
	 * place allocates the rest, in device order. */
	vb_device_place_fn *reserve;
	vb_device_place_fn *place;
	/* Optional: a device of this type whose `path` is a host directory is
	 * the guest's root filesystem, served by this other type (a disk
	 * directory by 9p, as kvmtool's -d DIR); resolve.c stats the path. */
	const struct vb_device_type *dir_root;
	/* Carries the guest console (console = "virtio"): without one in the
	 * file, the builder adds one on PCI (resolve.c, vm.c). */
	bool guest_console;
	/* What its device code does on vmboot's threads beyond what every
	 * VM's do: enum vb_sandbox_needs (sandbox/sandbox.h), which picks the
	 * threads' seccomp programs. VB_SANDBOX_NEEDS_HOST_FILES, serving
	 * host files on the guest's behalf, also keeps a VM started as root
	 * root's access to files for it (sandbox/privs.h
	 * vb_privs_runtime_caps); every other capability goes. */
	unsigned sandbox_needs;

	/* ---- the builder (machine/vm.c) ---- */
	/* attach gets a const struct vb_virtio_placement * (dev/placement.h)
	 * whose desc is the device's description. */
	const struct vb_device_ops *ops;
};

/* The type named name among types, or NULL. */
const struct vb_device_type *vb_device_type_find(const struct vb_device_type *const *types,
						 size_t n, const char *name);

/* "disk, net, 9p or rng": the types' names for a message. */
void vb_device_type_names(const struct vb_device_type *const *types, size_t n, char *buf,
			  size_t size);

/* ---- helpers for flags' parse hooks ---------------------------------- */

/* The location of a node a flag wrote: the flag's name as the file. */
struct vb_loc vb_flag_loc(const char *flag);

/* Refuses a flag's value, "FLAG: why": a usage error of the command line
 * (vmboot exits 2), not a refusal of the machine (util/refusal.h), since
 * the value never becomes a tree --check could see. Returns -EINVAL. */
int vb_flag_error(struct vb_err *err, const char *flag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Splits "a,b,c" in place into at most max fields; returns how many. */
size_t vb_flag_split(char *text, char **fields, size_t max);

/* Set table's member key (replacing one with that key) to a string, a
 * boolean or an integer located at flag. 0 or -ENOMEM. */
int vb_flag_put_string(struct vb_node *table, const char *key, const char *value,
		       const char *flag);
int vb_flag_put_bool(struct vb_node *table, const char *key, bool value, const char *flag);
int vb_flag_put_int(struct vb_node *table, const char *key, int64_t value, const char *flag);

/* table's member key when it is of kind, else a new empty one of kind put
 * in its place (located at flag); NULL when out of memory. */
struct vb_node *vb_flag_member(struct vb_node *table, const char *key, enum vb_node_kind kind,
			       const char *flag);

/* Appends a string to the list that is table's member key, making the
 * list when there is none. 0 or -ENOMEM. */
int vb_flag_append_string(struct vb_node *table, const char *key, const char *value,
			  const char *flag);

#endif
