#include "cli/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/registry.h"
#include "parse/schema.h"
#include "util/size.h"

enum flag_id {
	F_CHECK, F_PLAN, F_STRICT, F_JSON, F_FORMAT, F_HOST_RAM, F_HOST_CPUS, F_ACPI_DIR,
	F_NAME, F_CPUS, F_MEM, F_KERNEL, F_INITRD, F_INITRD_R, F_PARAMS, F_CONSOLE, F_TTY,
	F_HUGEPAGES, F_NO_HUGEPAGES, F_NO_SECCOMP, F_NO_ACPI, F_DEV, F_DEBUG, F_SINGLE_STEP, F_IOPORT, F_IODELAY,
	F_VNC, F_SDL, F_VIDMODE, F_HELP, F_VERSION, F_ALL, F_FORCE, F_TIMEOUT, F_INFLATE, F_DEFLATE,
	F_DETACH, F_TMUX, F_SPLIT, F_FORCE_PVM, F_COLOR, F_USER,
	/* The registry's device flags, in order: F_DEVICE + k for the k-th
	 * (device_flag_at). */
	F_DEVICE,
};

/* The flags before the device types' (vb_cli_flags puts those after
 * --params), then the ones after. */
static const struct vb_flag flags_before_devices[] = {
	{ "--check", 0, NULL, 0, "same as the check command", F_CHECK },
	{ "--plan", 0, NULL, 0, "same as the plan command", F_PLAN },
	{ "--strict", 0, NULL, VB_IN_CHECK, "missing files the machine names are errors", F_STRICT },
	{ "--json", 0, NULL,
	  VB_IN_CHECK | VB_IN_PLAN | VB_IN_KERNEL_CHECK | VB_IN_LIST | VB_IN_STAT | VB_IN_DEBUG,
	  "print JSON (fields in vmboot(1))", F_JSON },
	{ "--all", 0, NULL, VB_IN_CONTROL, "act on every running VM of this user", F_ALL },
	{ "--force", 0, NULL, VB_IN_STOP, "tear down at once, without asking the guest", F_FORCE },
	{ "--timeout", 0, "S", VB_IN_STOP, "seconds the guest gets to power off (default 30)", F_TIMEOUT },
	{ "--inflate", 0, "SIZE", VB_IN_BALLOON, "take SIZE more from the guest (MiB, or 512M, 1G)", F_INFLATE },
	{ "--deflate", 0, "SIZE", VB_IN_BALLOON, "give SIZE back to the guest", F_DEFLATE },
	{ "--format", 0, "conf|yaml", VB_IN_MACHINE, "machine file syntax, else from its extension", F_FORMAT },
	{ "--host-ram", 0, "SIZE", VB_IN_CHECK | VB_IN_PLAN, "plan for a host with this much RAM", F_HOST_RAM },
	{ "--host-cpus", 0, "N", VB_IN_CHECK | VB_IN_PLAN, "plan for a host with this many CPUs", F_HOST_CPUS },
	{ "--acpi-dir", 0, "DIR", VB_IN_PLAN, "also write the ACPI tables to DIR/SIG.dat (for iasl -d)", F_ACPI_DIR },
	{ "--name", 0, "NAME", VB_IN_MACHINE, "machine name", F_NAME },
	{ "--cpus", 'c', "N", VB_IN_MACHINE, "number of virtual CPUs", F_CPUS },
	{ "--mem", 'm', "SIZE", VB_IN_MACHINE, "guest RAM, in MiB or with a suffix (512M, 2G)", F_MEM },
	{ "--kernel", 'k', "KERNEL", VB_IN_MACHINE, "bzImage, vmlinux with a PVH note, or flat binary", F_KERNEL },
	{ "--initrd", 'i', "INITRD", VB_IN_MACHINE, "initial RAM disk", F_INITRD },
	{ "--ramdisk", 'r', "INITRD", VB_IN_MACHINE, "the same as -i (kvmtool's spelling)", F_INITRD_R },
	{ "--params", 'p', "PARAMS", VB_IN_MACHINE, "extra kernel command line", F_PARAMS },
};

static const struct vb_flag flags_after_devices[] = {
	{ "--console", 0, "serial|virtio|none", VB_IN_MACHINE, "guest console", F_CONSOLE },
	{ "--tty", 0, NULL, VB_IN_MACHINE, "put the console on a new pty", F_TTY },
	{ "--hugepages", 0, NULL, VB_IN_MACHINE, "back guest RAM with transparent huge pages, or refuse to run", F_HUGEPAGES },
	{ "--no-hugepages", 0, NULL, VB_IN_MACHINE, "keep guest RAM on 4 KiB pages", F_NO_HUGEPAGES },
	{ "--no-seccomp", 0, NULL, VB_IN_MACHINE, "no seccomp filters (unsafe: for debugging)", F_NO_SECCOMP },
	{ "--user", 0, "USER", VB_IN_MACHINE, "started as root: run as USER once the VM is built", F_USER },
	{ "--no-acpi", 0, NULL, VB_IN_MACHINE, "no ACPI tables: an MP table and acpi=off", F_NO_ACPI },
	{ "--detach", 0, NULL, VB_IN_RUN, "run in the background, the console on a new pty", F_DETACH },
	{ "--force-pvm", 0, NULL, VB_IN_RUN, "KVM-PVM: boot even a kernel without CONFIG_PVM_GUEST", F_FORCE_PVM },
	{ "--tmux", 0, NULL, VB_IN_CONSOLE, "open the console in a new tmux window", F_TMUX },
	{ "--split", 0, NULL, VB_IN_CONSOLE, "the same, in a new pane split from the current one", F_SPLIT },
	{ "--dev", 0, "PATH", VB_IN_RUN, "KVM device (default /dev/kvm)", F_DEV },
	{ "--debug", 0, NULL, VB_IN_RUN, "print what vmboot does, step by step", F_DEBUG },
	{ "--debug-single-step", 0, NULL, VB_IN_MACHINE, "single-step the vCPUs, printing RIP", F_SINGLE_STEP },
	{ "--debug-ioport", 0, NULL, VB_IN_MACHINE, "log every guest port I/O access", F_IOPORT },
	{ "--debug-iodelay", 0, "MS", VB_IN_MACHINE, "delay every port I/O access (0 to 1000 ms)", F_IODELAY },
	{ "--vnc", 0, NULL, VB_IN_RUN, "not supported: vmboot has no framebuffer", F_VNC },
	{ "--sdl", 0, NULL, VB_IN_RUN, "not supported: vmboot has no framebuffer", F_SDL },
	{ "--vidmode", 0, "MODE", VB_IN_RUN, "not supported: vmboot has no framebuffer", F_VIDMODE },
	{ "--color", 0, "WHEN", 0, "colour diagnostics: auto (on a terminal), always or never", F_COLOR },
	{ "--help", 'h', NULL, 0, "print usage; after a command, that command's", F_HELP },
	{ "--version", 0, NULL, 0, "same as the version command", F_VERSION },
};

static void add_flags(struct vb_flag_table *t, const struct vb_flag *flags, size_t n)
{
	for (size_t i = 0; i < n && t->count < VB_CLI_MAX_FLAGS; i++)
		t->flags[t->count++] = flags[i];
}

/* The k-th flag of the registry's device types, and its type; NULL past
 * the last. */
static const struct vb_device_flag *device_flag_at(size_t k, const struct vb_device_type **type)
{
	size_t n_types;
	const struct vb_device_type *const *types = vb_device_types(&n_types);
	for (size_t i = 0; i < n_types; i++) {
		if (k < types[i]->n_flags) {
			*type = types[i];
			return &types[i]->flags[k];
		}
		k -= types[i]->n_flags;
	}
	return NULL;
}

void vb_cli_flags(struct vb_flag_table *t)
{
	const struct vb_device_type *type;
	const struct vb_device_flag *df;
	t->count = 0;
	add_flags(t, flags_before_devices, VB_COUNT(flags_before_devices));
	for (size_t k = 0; (df = device_flag_at(k, &type)); k++) {
		struct vb_flag f = { df->long_name, df->short_name, df->arg, VB_IN_MACHINE,
				     df->help, F_DEVICE + (int)k };
		add_flags(t, &f, 1);
	}
	add_flags(t, flags_after_devices, VB_COUNT(flags_after_devices));
}

/* ---- building the flags' layer (parse/merge.h) ------------------------- */

static struct vb_loc flag_loc(const struct vb_flag *f)
{
	return vb_flag_loc(f->long_name);
}

static int put_string(struct vb_node *table, const char *key, const char *value,
		      const struct vb_flag *f)
{
	return vb_flag_put_string(table, key, value, f->long_name);
}

static int put_bool(struct vb_node *table, const char *key, bool value, const struct vb_flag *f)
{
	return vb_flag_put_bool(table, key, value, f->long_name);
}

/* The last device of type the flags gave so far, or NULL. */
static struct vb_node *last_device(struct vb_node *overrides, const struct vb_device_type *type)
{
	struct vb_node *list = vb_node_get(overrides, "devices");
	for (size_t i = list ? list->n_items : 0; i-- > 0;) {
		struct vb_node *t = vb_node_get(list->items[i], "type");
		if (t && t->string && !strcmp(t->string, type->name))
			return list->items[i];
	}
	return NULL;
}

static struct vb_node *add_device(struct vb_node *overrides, const struct vb_device_type *type,
				  const struct vb_flag *f)
{
	struct vb_node *list = vb_flag_member(overrides, "devices", VB_NODE_LIST, f->long_name);
	struct vb_node *dev = list ? vb_node_new(VB_NODE_TABLE, flag_loc(f)) : NULL;
	if (!dev)
		return NULL;
	if (vb_node_append(list, dev) || put_string(dev, "type", type->name, f))
		return NULL;
	return dev;
}

/* A device type's flag: a new device of the type (or, for an amending
 * flag, the last one), its keys written by the type's parse hook. */
static int device_flag(struct vb_node *overrides, const struct vb_flag *f, char *arg,
		       struct vb_err *err)
{
	const struct vb_device_type *type;
	const struct vb_device_flag *df = device_flag_at((size_t)(f->id - F_DEVICE), &type);
	struct vb_node *dev;
	if (!df)
		return vb_err_set(err, EINVAL, "%s: internal error: no such device flag",
				  f->long_name);
	if (df->amend) {
		dev = last_device(overrides, type);
		if (!dev)
			return vb_err_set(err, EINVAL, "%s: must follow a %s", f->long_name,
					  type->flags[0].long_name);
	} else {
		dev = add_device(overrides, type, f);
		if (!dev)
			return -ENOMEM;
	}
	return df->parse ? df->parse(dev, f->long_name, arg, err) : 0;
}

/* ---- parsing ------------------------------------------------------------ */

static int parse_uint(const char *text, uint64_t max, uint64_t *value)
{
	char *end;
	errno = 0;
	if (!text[0] || text[0] == '-')
		return -EINVAL;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*value = v;
	return 0;
}

static int apply_machine_flag(struct vb_options *opts, const struct vb_flag *f, char *arg,
			      struct vb_err *err)
{
	struct vb_node *o = opts->overrides;
	uint64_t n;

	if (f->id >= F_DEVICE)
		return device_flag(o, f, arg, err);
	switch ((enum flag_id)f->id) {
	case F_NAME: return put_string(o, "name", arg, f);
	case F_CPUS:
		if (parse_uint(arg, INT32_MAX, &n))
			return vb_err_set(err, EINVAL, "%s: \"%s\" is not a number", f->long_name, arg);
		return vb_flag_put_int(o, "cpus", (int64_t)n, f->long_name);
	case F_MEM: return put_string(o, "memory", arg, f);
	case F_KERNEL: return put_string(o, "kernel", arg, f);
	case F_INITRD:
	case F_INITRD_R: return put_string(o, "initrd", arg, f);
	case F_PARAMS: return put_string(o, "params", arg, f);
	case F_CONSOLE: return put_string(o, "console", arg, f);
	case F_TTY: return put_bool(o, "tty", true, f);
	case F_HUGEPAGES: return put_bool(o, "hugepages", true, f);
	case F_NO_HUGEPAGES: return put_bool(o, "hugepages", false, f);
	case F_NO_SECCOMP: return put_bool(o, "seccomp", false, f);
	case F_NO_ACPI: return put_bool(o, "acpi", false, f);
	case F_USER: return put_string(o, "user", arg, f);
	case F_SINGLE_STEP:
	case F_IOPORT: {
		struct vb_node *debug = vb_flag_member(o, "debug", VB_NODE_TABLE, f->long_name);
		const char *key = f->id == F_IOPORT ? "ioport" : "single_step";
		return debug ? put_bool(debug, key, true, f) : -ENOMEM;
	}
	case F_IODELAY: {
		struct vb_node *debug = vb_flag_member(o, "debug", VB_NODE_TABLE, f->long_name);
		if (parse_uint(arg, INT32_MAX, &n))
			return vb_err_set(err, EINVAL, "%s: \"%s\" is not a number", f->long_name, arg);
		return debug ? vb_flag_put_int(debug, "iodelay", (int64_t)n, f->long_name) : -ENOMEM;
	}
	default:
		return vb_err_set(err, EINVAL, "%s: internal error: not a machine flag", f->long_name);
	}
}

static int apply_flag(struct vb_options *opts, const struct vb_flag *f, char *arg,
		      struct vb_err *err)
{
	uint64_t n;
	switch ((enum flag_id)f->id) {
	case F_STRICT: opts->strict = true; return 0;
	case F_JSON: opts->json = true; return 0;
	case F_DEV: opts->kvm_device = arg; return 0;
	case F_DEBUG: opts->verbose = true; return 0;
	case F_ALL: opts->all = true; return 0;
	case F_FORCE: opts->force = true; return 0;
	case F_FORCE_PVM: opts->force_pvm = true; return 0;
	case F_COLOR:
		if (!strcmp(arg, "auto"))
			opts->color = VB_COLOR_AUTO;
		else if (!strcmp(arg, "always"))
			opts->color = VB_COLOR_ALWAYS;
		else if (!strcmp(arg, "never"))
			opts->color = VB_COLOR_NEVER;
		else
			return vb_err_set(err, EINVAL, "--color: \"%s\": expected auto, always or never", arg);
		return 0;
	case F_DETACH:
		opts->detach = true;
		return put_bool(opts->overrides, "tty", true, f);
	case F_TMUX: opts->tmux = true; return 0;
	case F_SPLIT: opts->tmux = opts->split = true; return 0;
	case F_TIMEOUT:
		if (parse_uint(arg, 86400, &n))
			return vb_err_set(err, EINVAL, "--timeout: \"%s\": expected 0 to 86400 seconds", arg);
		opts->timeout_s = (uint32_t)n;
		opts->timeout_set = true;
		return 0;
	case F_INFLATE:
	case F_DEFLATE: {
		const char *why;
		if (opts->balloon_set)
			return vb_err_set(err, EINVAL, "%s: give --inflate or --deflate once", f->long_name);
		if (vb_size_parse(arg, VB_MiB, &opts->balloon_bytes, &why))
			return vb_err_set(err, EINVAL, "%s: \"%s\": %s", f->long_name, arg, why);
		opts->balloon_set = true;
		opts->balloon_deflate = f->id == F_DEFLATE;
		return 0;
	}
	case F_FORMAT:
		if (!strcmp(arg, "conf"))
			opts->format = VB_FORMAT_CONF;
		else if (!strcmp(arg, "yaml") || !strcmp(arg, "yml"))
			opts->format = VB_FORMAT_YAML;
		else
			return vb_err_set(err, EINVAL, "--format: \"%s\": expected conf or yaml", arg);
		return 0;
	case F_HOST_RAM: {
		const char *why;
		if (vb_size_parse(arg, VB_MiB, &opts->host_ram_bytes, &why))
			return vb_err_set(err, EINVAL, "--host-ram: \"%s\": %s", arg, why);
		opts->host_ram_set = true;
		return 0;
	}
	case F_ACPI_DIR:
		opts->acpi_dir = arg;
		return 0;
	case F_HOST_CPUS:
		if (parse_uint(arg, 4096, &n) || n == 0)
			return vb_err_set(err, EINVAL, "--host-cpus: \"%s\": expected 1 to 4096", arg);
		opts->host_cpus = (unsigned)n;
		opts->host_cpus_set = true;
		return 0;
	case F_VNC:
	case F_SDL:
	case F_VIDMODE:
		return vb_err_set(err, ENOTSUP,
				  "%s: not supported: vmboot has no framebuffer; use the serial or virtio console",
				  f->long_name);
	default:
		return apply_machine_flag(opts, f, arg, err);
	}
}

/* ---- reading argv ------------------------------------------------------- */

static const struct {
	const char *name;
	enum vb_command command;
} command_words[] = {
	{ "run", VB_CMD_RUN }, { "check", VB_CMD_CHECK }, { "plan", VB_CMD_PLAN },
	{ "kernel-check", VB_CMD_KERNEL_CHECK }, { "schema", VB_CMD_SCHEMA },
	{ "list", VB_CMD_LIST }, { "stop", VB_CMD_STOP }, { "pause", VB_CMD_PAUSE },
	{ "resume", VB_CMD_RESUME }, { "stat", VB_CMD_STAT }, { "debug", VB_CMD_DEBUG },
	{ "balloon", VB_CMD_BALLOON }, { "console", VB_CMD_CONSOLE },
	{ "help", VB_CMD_HELP }, { "version", VB_CMD_VERSION },
};

#define N_COMMAND_WORDS (sizeof(command_words) / sizeof(command_words[0]))

const char *vb_cli_command_name(enum vb_command command)
{
	for (size_t i = 0; i < N_COMMAND_WORDS; i++)
		if (command_words[i].command == command)
			return command_words[i].name;
	return "?";
}

bool vb_cli_command_find(const char *word, enum vb_command *command)
{
	for (size_t i = 0; i < N_COMMAND_WORDS; i++) {
		if (!strcmp(word, command_words[i].name)) {
			*command = command_words[i].command;
			return true;
		}
	}
	return false;
}

const char *vb_cli_closest_command(const char *word)
{
	const char *names[N_COMMAND_WORDS];
	for (size_t i = 0; i < N_COMMAND_WORDS; i++)
		names[i] = command_words[i].name;
	return vb_did_you_mean(word, names, N_COMMAND_WORDS);
}

struct parse_state {
	struct vb_flag_table table;
	bool help;           /* --help, anywhere */
	const struct vb_flag *given[VB_CLI_MAX_FLAGS]; /* each flag once, in argv order */
	size_t n_given;
};

/* Appends "a", "b" or "c" to buf. */
static void append_choices(char *buf, size_t size, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(buf);
		snprintf(buf + used, size - used, "%s\"%s\"",
			 i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
	}
}

/* True for a word that reads like a multi-word flag name (debug-iopotr),
 * which no glued short-option value (-m512, -kbzImage, -dimg/root.img)
 * resembles. */
static bool looks_like_flag_name(const char *word, size_t len)
{
	if (len >= 64 || !memchr(word, '-', len))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((word[i] >= 'a' && word[i] <= 'z') || (word[i] >= '0' && word[i] <= '9') ||
		      word[i] == '-'))
			return false;
	return true;
}

/* kvmtool's users write -debug-ioport for --debug-ioport; read as -d with
 * "ebug-ioport" glued on, it would add a disk of that name. So a word after
 * one dash that is a long flag's name (-mem, -vnc), the start of one (-deb,
 * -cpu) or a near miss of a multi-word one (-debug-iopotr) is an error that
 * spells the flag with two dashes. Glued short options (-m512, -c2,
 * -kbzImage) name no flag and keep their meaning. */
static int refuse_single_dash_long(const struct vb_flag_table *t, const char *arg,
				   struct vb_err *err)
{
	const struct vb_flag *flags = t->flags;
	const char *word = arg + 1;
	size_t len = strcspn(word, "=");
	const char *hits[VB_CLI_MAX_FLAGS];
	size_t n = 0;
	if (len < 2)
		return 0;
	for (size_t i = 0; i < t->count; i++) {
		const char *name = flags[i].long_name + 2;
		if (strncmp(name, word, len))
			continue;
		if (!name[len]) /* the name itself: the same word with two dashes */
			return vb_err_set(err, EINVAL, "unknown option \"%s\"; did you mean \"-%s\"?",
					  arg, arg);
		hits[n++] = flags[i].long_name;
	}
	if (!n && looks_like_flag_name(word, len)) {
		char typed[64];
		const char *names[VB_CLI_MAX_FLAGS];
		memcpy(typed, word, len);
		typed[len] = 0;
		for (size_t i = 0; i < t->count; i++)
			names[i] = flags[i].long_name + 2;
		const char *hint = vb_did_you_mean(typed, names, t->count);
		for (size_t i = 0; hint && i < t->count; i++)
			if (names[i] == hint)
				hits[n++] = flags[i].long_name;
	}
	if (!n)
		return 0;
	char choices[1024] = "";
	append_choices(choices, sizeof(choices), hits, n);
	return vb_err_set(err, EINVAL, "unknown option \"%s\"; did you mean %s?", arg, choices);
}

static const struct vb_flag *find_long(const struct vb_flag_table *t, const char *arg,
				       const char **inline_value)
{
	const struct vb_flag *flags = t->flags;
	for (size_t i = 0; i < t->count; i++) {
		size_t len = strlen(flags[i].long_name);
		if (!strncmp(arg, flags[i].long_name, len) && (arg[len] == 0 || arg[len] == '=')) {
			*inline_value = arg[len] == '=' ? arg + len + 1 : NULL;
			return &flags[i];
		}
	}
	return NULL;
}

static const struct vb_flag *find_short(const struct vb_flag_table *t, const char *arg,
					const char **inline_value)
{
	const struct vb_flag *flags = t->flags;
	for (size_t i = 0; i < t->count; i++) {
		if (flags[i].short_name && arg[1] == flags[i].short_name) {
			*inline_value = arg[2] ? arg + 2 : NULL;
			return &flags[i];
		}
	}
	return NULL;
}

static int unknown_option(const struct vb_flag_table *t, const char *arg, struct vb_err *err)
{
	const struct vb_flag *flags = t->flags;
	const char *names[VB_CLI_MAX_FLAGS];
	for (size_t i = 0; i < t->count; i++)
		names[i] = flags[i].long_name;
	const char *hint = arg[1] == '-' ? vb_did_you_mean(arg, names, t->count) : NULL;
	if (hint)
		return vb_err_set(err, EINVAL, "unknown option \"%s\"; did you mean \"%s\"?", arg,
				  hint);
	return vb_err_set(err, EINVAL, "unknown option \"%s\" (see vmboot --help)", arg);
}

/* --check, --plan and --version choose a command as its word does; with
 * another command they are an error, not a silent switch. */
static int choose_command(struct vb_options *opts, enum vb_command command,
			  const struct vb_flag *f, struct vb_err *err)
{
	if (opts->command_named && opts->command != command)
		return vb_err_set(err, EINVAL, "%s does not go with %s", f->long_name,
				  vb_cli_command_name(opts->command));
	opts->command = command;
	opts->command_named = true;
	return 0;
}

static int apply_any_flag(struct vb_options *opts, struct parse_state *st,
			  const struct vb_flag *f, char *value, struct vb_err *err)
{
	bool seen = false;
	for (size_t i = 0; i < st->n_given; i++)
		seen = seen || st->given[i] == f;
	if (!seen)
		st->given[st->n_given++] = f;
	switch ((enum flag_id)f->id) {
	case F_CHECK: return choose_command(opts, VB_CMD_CHECK, f, err);
	case F_PLAN: return choose_command(opts, VB_CMD_PLAN, f, err);
	case F_VERSION: return choose_command(opts, VB_CMD_VERSION, f, err);
	case F_HELP: st->help = true; return 0;
	default: return apply_flag(opts, f, value, err);
	}
}

/* argv[*i] starts with a dash: one flag, and its argument if it takes one. */
static int take_flag(int argc, char **argv, int *i, struct vb_options *opts,
		     struct parse_state *st, struct vb_err *err)
{
	const char *arg = argv[*i], *value;
	const struct vb_flag *f;
	if (arg[1] == '-') {
		f = find_long(&st->table, arg, &value);
	} else {
		int rc = refuse_single_dash_long(&st->table, arg, err);
		if (rc)
			return rc;
		f = find_short(&st->table, arg, &value);
	}
	if (!f)
		return unknown_option(&st->table, arg, err);
	if (f->arg && !value) {
		if (*i + 1 >= argc)
			return vb_err_set(err, EINVAL, "%s needs an argument: %s", f->long_name,
					  f->arg);
		value = argv[++*i];
	} else if (!f->arg && value) {
		return vb_err_set(err, EINVAL, "%s takes no argument", f->long_name);
	}
	int rc = apply_any_flag(opts, st, f, (char *)value, err);
	return rc == -ENOMEM ? vb_err_set(err, ENOMEM, "out of memory") : rc;
}

/* --help: the help of the command given (vmboot stop --help), or of the
 * command named after it (vmboot --help stop), or the whole help. */
static void ask_for_help(struct vb_options *opts)
{
	enum vb_command named;
	if (opts->command == VB_CMD_HELP)
		opts->help_topic = opts->help_topic ? opts->help_topic : "help";
	else if (opts->command_named)
		opts->help_topic = vb_cli_command_name(opts->command);
	else if (opts->n_files && vb_cli_command_find(opts->files[0], &named))
		opts->help_topic = opts->files[0];
	opts->command = VB_CMD_HELP;
}

/* The flags given must all be the command's (vmboot list --force is an
 * error, not ignored), and the commands without files take no words. */
static int check_fit(const struct vb_options *opts, const struct parse_state *st,
		     struct vb_err *err)
{
	const char *name = vb_cli_command_name(opts->command);
	for (size_t i = 0; i < st->n_given; i++) {
		const struct vb_flag *f = st->given[i];
		if (f->commands && !(f->commands & (1u << opts->command)))
			return vb_err_set(err, EINVAL, "%s does not go with %s", f->long_name, name);
	}
	if ((opts->command == VB_CMD_VERSION || opts->command == VB_CMD_SCHEMA) && opts->n_files)
		return vb_err_set(err, EINVAL, "%s takes no arguments, got \"%s\"", name,
				  opts->files[0]);
	if (opts->command == VB_CMD_HELP && opts->n_files)
		return vb_err_set(err, EINVAL, "help takes one command name, got \"%s\" too",
				  opts->files[0]);
	return 0;
}

int vb_options_parse(int argc, char **argv, struct vb_options *opts, struct vb_err *err)
{
	struct parse_state st = { .n_given = 0 };
	vb_cli_flags(&st.table);
	memset(opts, 0, sizeof(*opts));
	opts->command = VB_CMD_RUN;
	opts->overrides = vb_node_new(VB_NODE_TABLE, (struct vb_loc){ "command line", 0, 0 });
	opts->files = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*opts->files));
	if (!opts->overrides || !opts->files)
		return vb_err_set(err, ENOMEM, "out of memory");

	int i = 1;
	if (argc > 1 && argv[1][0] != '-') {
		opts->command_named = vb_cli_command_find(argv[1], &opts->command);
		opts->file_first = !opts->command_named;
		i = opts->command_named ? 2 : 1;
	}
	for (; i < argc; i++) {
		char *arg = argv[i];
		if (!strcmp(arg, "--")) {
			/* Everything after it is the guest's command, untouched. */
			if (opts->command != VB_CMD_RUN)
				return vb_err_set(err, EINVAL, "-- COMMAND only goes with run");
			if (i + 1 >= argc)
				return vb_err_set(err, EINVAL, "--: no command after it");
			opts->guest_argv = (const char *const *)&argv[i + 1];
			opts->n_guest_args = (size_t)(argc - i - 1);
			break;
		}
		if (arg[0] != '-' || !arg[1]) {
			if (opts->command == VB_CMD_HELP && !opts->help_topic)
				opts->help_topic = arg;
			else
				opts->files[opts->n_files++] = arg;
			continue;
		}
		int rc = take_flag(argc, argv, &i, opts, &st, err);
		if (rc)
			return rc;
	}
	if (st.help) {
		ask_for_help(opts);
		return 0;
	}
	return check_fit(opts, &st, err);
}

void vb_options_free(struct vb_options *opts)
{
	vb_node_free(opts->overrides);
	free(opts->files);
	memset(opts, 0, sizeof(*opts));
}
