#include "kcheck/kconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char prefix[] = "CONFIG_";
#define PREFIX_LEN (sizeof(prefix) - 1)

static bool is_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static int by_name_then_line(const void *a, const void *b)
{
	const struct vb_kconfig_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int by_name(const void *key, const void *item)
{
	return strcmp(key, ((const struct vb_kconfig_entry *)item)->name);
}

/* Sorts, and keeps only the last setting of each name. */
static void sort_unique(struct vb_kconfig *cfg)
{
	if (!cfg->count)
		return;
	qsort(cfg->items, cfg->count, sizeof(cfg->items[0]), by_name_then_line);
	size_t kept = 0;
	for (size_t i = 0; i < cfg->count; i++) {
		if (kept && !strcmp(cfg->items[kept - 1].name, cfg->items[i].name)) {
			free(cfg->items[kept - 1].name);
			free(cfg->items[kept - 1].value);
		} else {
			kept++;
		}
		cfg->items[kept - 1] = cfg->items[i];
	}
	cfg->count = kept;
}

static int set(struct vb_kconfig *cfg, size_t line, const char *name, size_t name_len,
	       const char *value, size_t value_len)
{
	char *v = NULL;
	if (value && !(v = strndup(value, value_len)))
		return -ENOMEM;
	if (cfg->count == cfg->capacity) {
		size_t cap = cfg->capacity ? cfg->capacity * 2 : 256;
		struct vb_kconfig_entry *items = realloc(cfg->items, cap * sizeof(*items));
		if (!items) {
			free(v);
			return -ENOMEM;
		}
		cfg->items = items;
		cfg->capacity = cap;
	}
	char *n = strndup(name, name_len);
	if (!n) {
		free(v);
		return -ENOMEM;
	}
	cfg->items[cfg->count++] = (struct vb_kconfig_entry){ n, v, line };
	return 0;
}

/* Handles one line [p, end). Returns 1 if it was a CONFIG_ line, 0 if
 * ignored, or -ENOMEM. */
static int parse_line(struct vb_kconfig *cfg, size_t line, const char *p, const char *end)
{
	static const char unset_head[] = "# CONFIG_";
	static const char unset_tail[] = " is not set";
	size_t len = (size_t)(end - p);

	if (len > PREFIX_LEN && !memcmp(p, prefix, PREFIX_LEN)) {
		const char *name = p + PREFIX_LEN, *q = name;
		while (q < end && is_name_char(*q))
			q++;
		if (q == name || q == end || *q != '=')
			return 0;
		const char *value = q + 1, *vend = end;
		while (vend > value && (vend[-1] == ' ' || vend[-1] == '\t' || vend[-1] == '\r'))
			vend--;
		int rc = set(cfg, line, name, (size_t)(q - name), value, (size_t)(vend - value));
		return rc ? rc : 1;
	}
	size_t head = sizeof(unset_head) - 1, tail = sizeof(unset_tail) - 1;
	if (len > head + tail && !memcmp(p, unset_head, head) &&
	    !memcmp(end - tail, unset_tail, tail)) {
		const char *name = p + head, *q = name;
		while (q < end - tail && is_name_char(*q))
			q++;
		if (q == name || q != end - tail)
			return 0;
		int rc = set(cfg, line, name, (size_t)(q - name), NULL, 0);
		return rc ? rc : 1;
	}
	return 0;
}

int vb_kconfig_parse(const char *text, size_t len, struct vb_kconfig *cfg, struct vb_err *err)
{
	memset(cfg, 0, sizeof(*cfg));
	size_t lines = 0, line = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		int rc = parse_line(cfg, ++line, p, eol);
		if (rc < 0)
			return vb_err_set(err, ENOMEM, "kernel config: out of memory");
		lines += (size_t)rc;
		p = nl ? nl + 1 : end;
	}
	if (!lines)
		return vb_err_set(err, EINVAL, "not a kernel configuration: no CONFIG_ lines");
	sort_unique(cfg);
	return 0;
}

void vb_kconfig_free(struct vb_kconfig *cfg)
{
	for (size_t i = 0; i < cfg->count; i++) {
		free(cfg->items[i].name);
		free(cfg->items[i].value);
	}
	free(cfg->items);
	memset(cfg, 0, sizeof(*cfg));
}

const char *vb_kconfig_get(const struct vb_kconfig *cfg, const char *name)
{
	const struct vb_kconfig_entry *e =
		cfg->count ? bsearch(name, cfg->items, cfg->count, sizeof(cfg->items[0]), by_name)
			   : NULL;
	return e ? e->value : NULL;
}

char vb_kconfig_tristate(const struct vb_kconfig *cfg, const char *name)
{
	const char *v = vb_kconfig_get(cfg, name);
	if (v && !strcmp(v, "y"))
		return 'y';
	if (v && !strcmp(v, "m"))
		return 'm';
	return 'n';
}

/* The options vmboot's devices and boot path rely on (see vmboot(1),
 * kernel-check). */
static const struct vb_krequirement requirements[] = {
	{ "SERIAL_8250", "8250 serial port (ttyS0)", VB_KNEED_ESSENTIAL, true,
	  "no serial console: the guest prints nothing" },
	{ "SERIAL_8250_CONSOLE", "console on the 8250 serial port", VB_KNEED_ESSENTIAL, true,
	  "console=ttyS0 does nothing: no kernel messages, no shell" },
	{ "BLK_DEV_INITRD", "initramfs support", VB_KNEED_ESSENTIAL, true,
	  "the kernel ignores vmboot's initramfs and the initrd key" },
	{ "X86_MPPARSE", "MP table (CPUs without ACPI)", VB_KNEED_FEATURE, true,
	  "the guest sees one CPU" },
	{ "PVH", "PVH entry (ELF vmlinux kernels)", VB_KNEED_FEATURE, true,
	  "only bzImage kernels boot" },
	{ "VIRTIO", "virtio core", VB_KNEED_FEATURE, false, "no virtio device works" },
	{ "VIRTIO_PCI", "virtio over PCI", VB_KNEED_FEATURE, false,
	  "virtio devices on the PCI transport are not found" },
	{ "VIRTIO_MMIO", "virtio over MMIO", VB_KNEED_FEATURE, false,
	  "virtio devices on the mmio transport are not found" },
	{ "VIRTIO_MMIO_CMDLINE_DEVICES", "virtio-mmio devices named on the command line",
	  VB_KNEED_FEATURE, true, "the kernel cannot find mmio devices (virtio_mmio.device=)" },
	{ "VIRTIO_BLK", "virtio-blk disks", VB_KNEED_FEATURE, false, "no disks" },
	{ "VIRTIO_NET", "virtio-net network", VB_KNEED_FEATURE, false, "no network" },
	{ "NET_9P", "9P protocol", VB_KNEED_FEATURE, false, "no 9p shares (no /host)" },
	{ "NET_9P_VIRTIO", "9P over virtio", VB_KNEED_FEATURE, false, "no 9p shares (no /host)" },
	{ "9P_FS", "9P file system", VB_KNEED_FEATURE, false, "no 9p shares (no /host)" },
	{ "VIRTIO_BALLOON", "virtio memory balloon", VB_KNEED_FEATURE, false,
	  "the balloon device does nothing" },
	{ "VIRTIO_CONSOLE", "virtio console", VB_KNEED_FEATURE, false,
	  "console = virtio shows nothing" },
	{ "HW_RANDOM_VIRTIO", "virtio entropy source", VB_KNEED_FEATURE, false,
	  "the rng device does nothing" },
	{ "EXT4_FS", "ext4 file system", VB_KNEED_FEATURE, false,
	  "ext4 disk images cannot be mounted" },
};

const struct vb_krequirement *vb_kcheck_requirements(size_t *count)
{
	*count = sizeof(requirements) / sizeof(requirements[0]);
	return requirements;
}

/* How a configuration meets a requirement: =y; =m where a module does;
 * =m where only built in will do (builtin_only); not set. */
enum vb_kstate {
	VB_KSTATE_BUILTIN,
	VB_KSTATE_MODULE,
	VB_KSTATE_NEEDS_BUILTIN,
	VB_KSTATE_MISSING,
};

static enum vb_kstate state_of(const struct vb_kconfig *cfg, const struct vb_krequirement *r)
{
	switch (vb_kconfig_tristate(cfg, r->option)) {
	case 'y': return VB_KSTATE_BUILTIN;
	case 'm': return r->builtin_only ? VB_KSTATE_NEEDS_BUILTIN : VB_KSTATE_MODULE;
	default: return VB_KSTATE_MISSING;
	}
}

static bool usable(enum vb_kstate state)
{
	return state == VB_KSTATE_BUILTIN || state == VB_KSTATE_MODULE;
}

static void count(struct vb_kcheck_summary *s, const struct vb_krequirement *r,
		  enum vb_kstate state)
{
	if (!usable(state)) {
		s->missing++;
		s->essential_missing += r->need == VB_KNEED_ESSENTIAL;
	} else if (state == VB_KSTATE_BUILTIN) {
		s->builtin++;
	} else {
		s->modules++;
	}
}

static void report_one(const struct vb_krequirement *r, enum vb_kstate state, FILE *out)
{
	char setting[96];
	if (state == VB_KSTATE_MISSING)
		snprintf(setting, sizeof(setting), "CONFIG_%s is not set", r->option);
	else
		snprintf(setting, sizeof(setting), "CONFIG_%s=%c", r->option,
			 state == VB_KSTATE_BUILTIN ? 'y' : 'm');

	if (state == VB_KSTATE_BUILTIN) {
		fprintf(out, "%-36s  %s: built in\n", setting, r->what);
	} else if (state == VB_KSTATE_MODULE) {
		fprintf(out, "%-36s  %s: module (the initramfs must load it)\n", setting, r->what);
	} else {
		fprintf(out, "%-36s  %s: %s (%s)%s\n", setting, r->what,
			state == VB_KSTATE_NEEDS_BUILTIN ? "only a module, needs to be built in"
							 : "missing",
			r->if_missing, r->need == VB_KNEED_ESSENTIAL ? " [essential]" : "");
	}
}

bool vb_kcheck_report(const struct vb_kconfig *cfg, FILE *out, struct vb_kcheck_summary *sum)
{
	struct vb_kcheck_summary s = { 0, 0, 0, 0 };
	for (size_t i = 0; i < sizeof(requirements) / sizeof(requirements[0]); i++) {
		enum vb_kstate state = state_of(cfg, &requirements[i]);
		report_one(&requirements[i], state, out);
		count(&s, &requirements[i], state);
	}
	fprintf(out, "summary: %u built in, %u modules, %u missing", s.builtin, s.modules, s.missing);
	if (s.essential_missing)
		fprintf(out, " (%u essential): this kernel cannot boot to a console under vmboot\n",
			s.essential_missing);
	else if (s.missing)
		fputs(": boots to a console; the features above are unavailable\n", out);
	else
		fputs(": everything vmboot can use is available\n", out);
	if (sum)
		*sum = s;
	return s.essential_missing == 0;
}

static const char *const state_names[] = {
	[VB_KSTATE_BUILTIN] = "builtin",
	[VB_KSTATE_MODULE] = "module",
	[VB_KSTATE_NEEDS_BUILTIN] = "needs_builtin",
	[VB_KSTATE_MISSING] = "missing",
};

static void option_json(const struct vb_kconfig *cfg, const struct vb_krequirement *r,
			enum vb_kstate state, struct vb_json *w)
{
	char option[64];
	snprintf(option, sizeof(option), "CONFIG_%s", r->option);
	vb_json_begin_object(w);
	vb_json_key_string(w, "option", option);
	vb_json_key_string(w, "value", vb_kconfig_get(cfg, r->option));
	vb_json_key_string(w, "state", state_names[state]);
	vb_json_key_bool(w, "usable", usable(state));
	vb_json_key_bool(w, "essential", r->need == VB_KNEED_ESSENTIAL);
	vb_json_key_string(w, "what", r->what);
	vb_json_key_string(w, "consequence", usable(state) ? NULL : r->if_missing);
	vb_json_end_object(w);
}

bool vb_kcheck_report_json(const struct vb_kconfig *cfg, const char *source, struct vb_json *w)
{
	struct vb_kcheck_summary s = { 0, 0, 0, 0 };
	vb_json_begin_object(w);
	vb_json_key_string(w, "configuration", source);
	vb_json_key(w, "options");
	vb_json_begin_array(w);
	for (size_t i = 0; i < sizeof(requirements) / sizeof(requirements[0]); i++) {
		enum vb_kstate state = state_of(cfg, &requirements[i]);
		option_json(cfg, &requirements[i], state, w);
		count(&s, &requirements[i], state);
	}
	vb_json_end_array(w);
	vb_json_key(w, "summary");
	vb_json_begin_object(w);
	vb_json_key_u64(w, "builtin", s.builtin);
	vb_json_key_u64(w, "modules", s.modules);
	vb_json_key_u64(w, "missing", s.missing);
	vb_json_key_u64(w, "essential_missing", s.essential_missing);
	vb_json_end_object(w);
	vb_json_key_bool(w, "bootable", s.essential_missing == 0);
	vb_json_end_object(w);
	return s.essential_missing == 0;
}
