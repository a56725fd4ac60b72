/* Kernel configuration text (.config, /boot/config-*, IKCONFIG) and the
 * check of what vmboot's devices need from it.
 *
 * Pure: no I/O. The parser accepts the format scripts/kconfig writes:
 *   CONFIG_NAME=y | m | "string" | 123 | 0x1f
 *   # CONFIG_NAME is not set
 * Other lines (comments, blanks) are ignored; an option that never appears
 * is "not set", exactly as Kconfig treats it. Later lines override earlier
 * ones, as they do for the kernel's own merge_config.sh. */
#ifndef VB_KCHECK_KCONFIG_H
#define VB_KCHECK_KCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/err.h"
#include "util/json.h"

struct vb_kconfig_entry {
	char *name;  /* without the CONFIG_ prefix */
	char *value; /* "y", "m", a string's text with its quotes, a number; NULL: not set */
	size_t line; /* 1-based line of the setting that won */
};

/* Entries are sorted by name after parsing (one per name). */
struct vb_kconfig {
	struct vb_kconfig_entry *items;
	size_t count, capacity;
};

/* Parses len bytes of text (need not be NUL-terminated). Returns 0,
 * -EINVAL when the text holds no CONFIG_ line at all (not a config), or
 * -ENOMEM. Free with vb_kconfig_free() even after a failure. */
int vb_kconfig_parse(const char *text, size_t len, struct vb_kconfig *cfg, struct vb_err *err);
void vb_kconfig_free(struct vb_kconfig *cfg);

/* The value of CONFIG_<name> (name without the prefix), or NULL if not set. */
const char *vb_kconfig_get(const struct vb_kconfig *cfg, const char *name);

/* 'y', 'm', or 'n' (not set, or any value other than y/m). */
char vb_kconfig_tristate(const struct vb_kconfig *cfg, const char *name);

/* ---- what vmboot needs -------------------------------------------------- */

enum vb_kneed {
	/* Without it there is no console or no initramfs: booting is pointless. */
	VB_KNEED_ESSENTIAL,
	/* A device or feature is unavailable without it; =m is fine. */
	VB_KNEED_FEATURE,
};

struct vb_krequirement {
	const char *option;    /* "VIRTIO_BLK" */
	const char *what;      /* "virtio-blk disks" */
	enum vb_kneed need;
	bool builtin_only;     /* a module cannot do the job (early console, boot protocol) */
	const char *if_missing;/* the consequence, for the report */
};

const struct vb_krequirement *vb_kcheck_requirements(size_t *count);

struct vb_kcheck_summary {
	unsigned builtin, modules, missing;
	unsigned essential_missing;
};

/* One line per requirement, then a summary line, to out. Fills *sum (may be
 * NULL). Returns true when everything essential is usable (exit 0). */
bool vb_kcheck_report(const struct vb_kconfig *cfg, FILE *out, struct vb_kcheck_summary *sum);

/* The same as one JSON object (kernel-check --json; the fields are in
 * vmboot(1)): "configuration" (source, where it was read from),
 * "options" (one object per requirement), "summary" and "bootable".
 * Returns what vb_kcheck_report returns. */
bool vb_kcheck_report_json(const struct vb_kconfig *cfg, const char *source, struct vb_json *w);

#endif
