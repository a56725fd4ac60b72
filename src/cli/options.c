#include "cli/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/schema.h"
#include "util/size.h"

enum flag_id {
	F_CHECK, F_PLAN, F_STRICT, F_JSON, F_FORMAT, F_HOST_RAM, F_HOST_CPUS,
	F_NAME, F_CPUS, F_MEM, F_KERNEL, F_INITRD, F_INITRD_R, F_PARAMS, F_DISK,
	F_NET, F_NO_DHCP, F_9P, F_BALLOON, F_RNG, F_CONSOLE, F_TTY, F_SHMEM,
	F_HUGEPAGES, F_DEV, F_DEBUG, F_SINGLE_STEP, F_IOPORT, F_IODELAY,
	F_VNC, F_SDL, F_VIDMODE, F_HELP, F_VERSION, F_ALL, F_FORCE, F_TIMEOUT, F_INFLATE, F_DEFLATE,
	F_DETACH, F_TMUX, F_SPLIT, F_FORCE_PVM, F_COLOR,
};

static const struct vb_flag flags[] = {
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
	{ "--name", 0, "NAME", VB_IN_MACHINE, "machine name", F_NAME },
	{ "--cpus", 'c', "N", VB_IN_MACHINE, "number of virtual CPUs", F_CPUS },
	{ "--mem", 'm', "SIZE", VB_IN_MACHINE, "guest RAM, in MiB or with a suffix (512M, 2G)", F_MEM },
	{ "--kernel", 'k', "KERNEL", VB_IN_MACHINE, "bzImage, vmlinux with a PVH note, or flat binary", F_KERNEL },
	{ "--initrd", 'i', "INITRD", VB_IN_MACHINE, "initial RAM disk", F_INITRD },
	{ "--ramdisk", 'r', "INITRD", VB_IN_MACHINE, "the same as -i (kvmtool's spelling)", F_INITRD_R },
	{ "--params", 'p', "PARAMS", VB_IN_MACHINE, "extra kernel command line", F_PARAMS },
	{ "--disk", 'd', "PATH[,ro]", VB_IN_MACHINE, "add a disk image or directory; repeatable", F_DISK },
	{ "--network", 'n', "MODE[,tap=IF][,mac=MAC][,dhcp=on|off][,forward=SPEC]", VB_IN_MACHINE,
	  "add a NIC; MODE is user or tap; repeatable", F_NET },
	{ "--no-dhcp", 0, NULL, VB_IN_MACHINE, "no DHCP on the NIC given last", F_NO_DHCP },
	{ "--9p", 0, "DIR,TAG[,ro]", VB_IN_MACHINE, "share a host directory over virtio-9p; repeatable", F_9P },
	{ "--balloon", 0, NULL, VB_IN_MACHINE, "add a virtio memory balloon", F_BALLOON },
	{ "--rng", 0, NULL, VB_IN_MACHINE, "add a virtio entropy source", F_RNG },
	{ "--console", 0, "serial|virtio|none", VB_IN_MACHINE, "guest console", F_CONSOLE },
	{ "--tty", 0, NULL, VB_IN_MACHINE, "put the console on a new pty", F_TTY },
	{ "--shmem", 0, "PATH,SIZE[,ADDRESS]", VB_IN_MACHINE, "add an ivshmem shared memory device; repeatable", F_SHMEM },
	{ "--hugepages", 0, NULL, VB_IN_MACHINE, "back guest RAM with transparent huge pages", F_HUGEPAGES },
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

const struct vb_flag *vb_cli_flags(size_t *count)
{
	*count = sizeof(flags) / sizeof(flags[0]);
	return flags;
}

/* ---- building the override tree ---------------------------------------- */

static struct vb_loc flag_loc(const struct vb_flag *f)
{
	return (struct vb_loc){ f->long_name, 0, 0 };
}

static struct vb_node *new_member(enum vb_node_kind kind, const char *key, struct vb_loc loc)
{
	struct vb_node *n = vb_node_new(kind, loc);
	if (n && vb_node_set_key(n, key, loc)) {
		vb_node_free(n);
		return NULL;
	}
	return n;
}

/* Replaces an existing member with the same key, or appends. */
static int put_member(struct vb_node *table, struct vb_node *member)
{
	if (!member)
		return -ENOMEM;
	for (size_t i = 0; i < table->n_items; i++) {
		if (table->items[i]->key && !strcmp(table->items[i]->key, member->key)) {
			vb_node_free(table->items[i]);
			table->items[i] = member;
			return 0;
		}
	}
	return vb_node_append(table, member);
}

static int put_string(struct vb_node *table, const char *key, const char *value,
		      struct vb_loc loc)
{
	struct vb_node *n = new_member(VB_NODE_STRING, key, loc);
	if (n && vb_node_set_string(n, value, strlen(value))) {
		vb_node_free(n);
		return -ENOMEM;
	}
	return put_member(table, n);
}

static int put_bool(struct vb_node *table, const char *key, bool value, struct vb_loc loc)
{
	struct vb_node *n = new_member(VB_NODE_BOOL, key, loc);
	if (n)
		n->boolean = value;
	return put_member(table, n);
}

static int put_int(struct vb_node *table, const char *key, int64_t value, struct vb_loc loc)
{
	struct vb_node *n = new_member(VB_NODE_INT, key, loc);
	if (n)
		n->integer = value;
	return put_member(table, n);
}

static struct vb_node *get_or_add(struct vb_node *table, const char *key,
				  enum vb_node_kind kind, struct vb_loc loc)
{
	struct vb_node *n = vb_node_get(table, key);
	if (n && n->kind == kind)
		return n;
	n = new_member(kind, key, loc);
	if (!n || put_member(table, n))
		return NULL;
	return n;
}

static struct vb_node *add_device(struct vb_node *overrides, const char *type,
				  struct vb_loc loc)
{
	struct vb_node *list = get_or_add(overrides, "devices", VB_NODE_LIST, loc);
	struct vb_node *dev = list ? vb_node_new(VB_NODE_TABLE, loc) : NULL;
	if (!dev)
		return NULL;
	if (vb_node_append(list, dev) || put_string(dev, "type", type, loc))
		return NULL;
	return dev;
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

/* Splits "a,b,c" in place into at most max fields. */
static size_t split_commas(char *text, char **fields, size_t max)
{
	size_t n = 0;
	while (n < max) {
		fields[n++] = text;
		char *comma = strchr(text, ',');
		if (!comma)
			break;
		*comma = 0;
		text = comma + 1;
	}
	return n;
}

static int flag_disk(struct vb_node *o, const struct vb_flag *f, char *arg, struct vb_err *err)
{
	char *fields[3];
	size_t n = split_commas(arg, fields, 3);
	struct vb_loc loc = flag_loc(f);
	struct vb_node *dev = add_device(o, "disk", loc);
	if (!dev || put_string(dev, "path", fields[0], loc))
		return -ENOMEM;
	for (size_t i = 1; i < n; i++) {
		if (strcmp(fields[i], "ro"))
			return vb_err_set(err, EINVAL, "%s: unknown option \"%s\" (only \"ro\")",
					  f->long_name, fields[i]);
		if (put_bool(dev, "readonly", true, loc))
			return -ENOMEM;
	}
	return 0;
}

static int flag_net(struct vb_node *o, const struct vb_flag *f, char *arg, struct vb_err *err)
{
	char *fields[8];
	size_t n = split_commas(arg, fields, 8);
	struct vb_loc loc = flag_loc(f);
	struct vb_node *dev = add_device(o, "net", loc);
	struct vb_node *forwards = NULL;
	if (!dev)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char *key = fields[i], *value = strchr(fields[i], '=');
		int rc = 0;
		if (value)
			*value++ = 0;
		if (!value && (!strcmp(key, "user") || !strcmp(key, "tap")))
			rc = put_string(dev, "mode", key, loc);
		else if (value && !strcmp(key, "mode"))
			rc = put_string(dev, "mode", value, loc);
		else if (value && (!strcmp(key, "tap") || !strcmp(key, "tapif")))
			rc = put_string(dev, "tap", value, loc);
		else if (value && (!strcmp(key, "mac") || !strcmp(key, "guest_mac")))
			rc = put_string(dev, "mac", value, loc);
		else if (value && !strcmp(key, "dhcp") && (!strcmp(value, "on") || !strcmp(value, "off")))
			rc = put_bool(dev, "dhcp", !strcmp(value, "on"), loc);
		else if (value && !strcmp(key, "forward")) {
			forwards = forwards ? forwards : get_or_add(dev, "forward", VB_NODE_LIST, loc);
			struct vb_node *s = forwards ? vb_node_new(VB_NODE_STRING, loc) : NULL;
			rc = s ? vb_node_set_string(s, value, strlen(value)) : -ENOMEM;
			rc = rc ? rc : vb_node_append(forwards, s);
		} else
			return vb_err_set(err, EINVAL,
					  "%s: unknown option \"%s\" (expected user, tap, tap=IF, mac=MAC, dhcp=on|off, forward=SPEC)",
					  f->long_name, key);
		if (rc)
			return -ENOMEM;
	}
	return 0;
}

static int flag_9p(struct vb_node *o, const struct vb_flag *f, char *arg, struct vb_err *err)
{
	char *fields[4];
	size_t n = split_commas(arg, fields, 4);
	struct vb_loc loc = flag_loc(f);
	if (n < 2 || n > 3 || (n == 3 && strcmp(fields[2], "ro")))
		return vb_err_set(err, EINVAL, "%s: expected DIR,TAG[,ro]", f->long_name);
	struct vb_node *dev = add_device(o, "9p", loc);
	if (!dev || put_string(dev, "path", fields[0], loc) ||
	    put_string(dev, "tag", fields[1], loc) ||
	    (n == 3 && put_bool(dev, "readonly", true, loc)))
		return -ENOMEM;
	return 0;
}

static int flag_shmem(struct vb_node *o, const struct vb_flag *f, char *arg, struct vb_err *err)
{
	char *fields[4];
	size_t n = split_commas(arg, fields, 4);
	struct vb_loc loc = flag_loc(f);
	if (n < 2 || n > 3)
		return vb_err_set(err, EINVAL, "%s: expected PATH,SIZE[,ADDRESS]", f->long_name);
	struct vb_node *dev = add_device(o, "shmem", loc);
	if (!dev || put_string(dev, "path", fields[0], loc) ||
	    put_string(dev, "size", fields[1], loc))
		return -ENOMEM;
	if (n == 3) {
		char *end;
		errno = 0;
		unsigned long long address = strtoull(fields[2], &end, 0);
		if (errno || *end || address > INT64_MAX)
			return vb_err_set(err, EINVAL, "%s: \"%s\" is not an address", f->long_name,
					  fields[2]);
		if (put_int(dev, "address", (int64_t)address, loc))
			return -ENOMEM;
	}
	return 0;
}

static int flag_no_dhcp(struct vb_node *o, const struct vb_flag *f, struct vb_err *err)
{
	struct vb_node *list = vb_node_get(o, "devices");
	for (size_t i = list ? list->n_items : 0; i-- > 0;) {
		struct vb_node *type = vb_node_get(list->items[i], "type");
		if (type && type->string && !strcmp(type->string, "net"))
			return put_bool(list->items[i], "dhcp", false, flag_loc(f));
	}
	return vb_err_set(err, EINVAL, "%s: must follow a --network", f->long_name);
}

static int apply_machine_flag(struct vb_options *opts, const struct vb_flag *f, char *arg,
			      struct vb_err *err)
{
	struct vb_node *o = opts->overrides;
	struct vb_loc loc = flag_loc(f);
	uint64_t n;

	switch ((enum flag_id)f->id) {
	case F_NAME: return put_string(o, "name", arg, loc);
	case F_CPUS:
		if (parse_uint(arg, INT32_MAX, &n))
			return vb_err_set(err, EINVAL, "%s: \"%s\" is not a number", f->long_name, arg);
		return put_int(o, "cpus", (int64_t)n, loc);
	case F_MEM: return put_string(o, "memory", arg, loc);
	case F_KERNEL: return put_string(o, "kernel", arg, loc);
	case F_INITRD:
	case F_INITRD_R: return put_string(o, "initrd", arg, loc);
	case F_PARAMS: return put_string(o, "params", arg, loc);
	case F_CONSOLE: return put_string(o, "console", arg, loc);
	case F_TTY: return put_bool(o, "tty", true, loc);
	case F_HUGEPAGES: return put_bool(o, "hugepages", true, loc);
	case F_DISK: return flag_disk(o, f, arg, err);
	case F_NET: return flag_net(o, f, arg, err);
	case F_NO_DHCP: return flag_no_dhcp(o, f, err);
	case F_9P: return flag_9p(o, f, arg, err);
	case F_SHMEM: return flag_shmem(o, f, arg, err);
	case F_BALLOON: return add_device(o, "balloon", loc) ? 0 : -ENOMEM;
	case F_RNG: return add_device(o, "rng", loc) ? 0 : -ENOMEM;
	case F_SINGLE_STEP:
	case F_IOPORT: {
		struct vb_node *debug = get_or_add(o, "debug", VB_NODE_TABLE, loc);
		const char *key = f->id == F_IOPORT ? "ioport" : "single_step";
		return debug ? put_bool(debug, key, true, loc) : -ENOMEM;
	}
	case F_IODELAY: {
		struct vb_node *debug = get_or_add(o, "debug", VB_NODE_TABLE, loc);
		if (parse_uint(arg, INT32_MAX, &n))
			return vb_err_set(err, EINVAL, "%s: \"%s\" is not a number", f->long_name, arg);
		return debug ? put_int(debug, "iodelay", (int64_t)n, loc) : -ENOMEM;
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
		return put_bool(opts->overrides, "tty", true, flag_loc(f));
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

#define N_FLAGS (sizeof(flags) / sizeof(flags[0]))

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
	bool help;           /* --help, anywhere */
	const struct vb_flag *given[N_FLAGS]; /* each flag once, in argv order */
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
static int refuse_single_dash_long(const char *arg, struct vb_err *err)
{
	const char *word = arg + 1;
	size_t len = strcspn(word, "=");
	const char *hits[N_FLAGS];
	size_t n = 0;
	if (len < 2)
		return 0;
	for (size_t i = 0; i < N_FLAGS; i++) {
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
		const char *names[N_FLAGS];
		memcpy(typed, word, len);
		typed[len] = 0;
		for (size_t i = 0; i < N_FLAGS; i++)
			names[i] = flags[i].long_name + 2;
		const char *hint = vb_did_you_mean(typed, names, N_FLAGS);
		for (size_t i = 0; hint && i < N_FLAGS; i++)
			if (names[i] == hint)
				hits[n++] = flags[i].long_name;
	}
	if (!n)
		return 0;
	char choices[1024] = "";
	append_choices(choices, sizeof(choices), hits, n);
	return vb_err_set(err, EINVAL, "unknown option \"%s\"; did you mean %s?", arg, choices);
}

static const struct vb_flag *find_long(const char *arg, const char **inline_value)
{
	for (size_t i = 0; i < N_FLAGS; i++) {
		size_t len = strlen(flags[i].long_name);
		if (!strncmp(arg, flags[i].long_name, len) && (arg[len] == 0 || arg[len] == '=')) {
			*inline_value = arg[len] == '=' ? arg + len + 1 : NULL;
			return &flags[i];
		}
	}
	return NULL;
}

static const struct vb_flag *find_short(const char *arg, const char **inline_value)
{
	for (size_t i = 0; i < N_FLAGS; i++) {
		if (flags[i].short_name && arg[1] == flags[i].short_name) {
			*inline_value = arg[2] ? arg + 2 : NULL;
			return &flags[i];
		}
	}
	return NULL;
}

static int unknown_option(const char *arg, struct vb_err *err)
{
	const char *names[N_FLAGS];
	for (size_t i = 0; i < N_FLAGS; i++)
		names[i] = flags[i].long_name;
	const char *hint = arg[1] == '-' ? vb_did_you_mean(arg, names, N_FLAGS) : NULL;
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
		f = find_long(arg, &value);
	} else {
		int rc = refuse_single_dash_long(arg, err);
		if (rc)
			return rc;
		f = find_short(arg, &value);
	}
	if (!f)
		return unknown_option(arg, err);
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

static struct vb_node *clone_node(const struct vb_node *n)
{
	struct vb_node *copy = vb_node_new(n->kind, n->loc);
	if (!copy)
		return NULL;
	copy->boolean = n->boolean;
	copy->integer = n->integer;
	copy->real = n->real;
	if ((n->key && vb_node_set_key(copy, n->key, n->key_loc)) ||
	    (n->string && vb_node_set_string(copy, n->string, strlen(n->string)))) {
		vb_node_free(copy);
		return NULL;
	}
	for (size_t i = 0; i < n->n_items; i++) {
		struct vb_node *item = clone_node(n->items[i]);
		if (!item || vb_node_append(copy, item)) {
			vb_node_free(copy);
			return NULL;
		}
	}
	return copy;
}

int vb_overrides_apply(struct vb_node *root, const struct vb_node *overrides)
{
	for (size_t i = 0; i < overrides->n_items; i++) {
		const struct vb_node *member = overrides->items[i];
		struct vb_node *mine = vb_node_get(root, member->key);
		bool merge_items = mine && mine->kind == member->kind &&
				   (!strcmp(member->key, "devices") || !strcmp(member->key, "debug"));
		if (!merge_items) {
			if (put_member(root, clone_node(member)))
				return -ENOMEM;
			continue;
		}
		for (size_t j = 0; j < member->n_items; j++) {
			struct vb_node *item = clone_node(member->items[j]);
			int rc = !item ? -ENOMEM
				       : mine->kind == VB_NODE_LIST ? vb_node_append(mine, item)
								    : put_member(mine, item);
			if (rc)
				return -ENOMEM;
		}
	}
	return 0;
}
