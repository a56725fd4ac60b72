#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/options.h"
#include "cli/pvm.h"
#include "control/cmd.h"
#include "control/sockdir.h"
#include "kcheck/extract.h"
#include "kcheck/kconfig.h"
#include "machine/load.h"
#include "machine/machine.h"
#include "machine/vm.h"
#include "netd/netd.h"
#include "parse/schema.h"
#include "parse/schema_json.h"
#include "util/io.h"
#include "util/json.h"
#include "util/log.h"
#include "util/notify.h"
#include "zeroconf/zeroconf.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "dev"
#endif

/* ---- help ----------------------------------------------------------------
 * Every line fits 80 columns; the whole help lists each flag once, grouped
 * by the commands that take it (the flag table's masks), and
 * `vmboot COMMAND --help` shows that command alone. */

#define HELP_WIDTH 80
#define HELP_FLAG_COLUMN 30 /* where a flag's description starts */

struct command_help {
	enum vb_command command;
	const char *usage[2];    /* synopses; NULL ends */
	const char *summary;     /* for the list of commands: no flag names */
	const char *description; /* one paragraph, for vmboot COMMAND --help */
};

static const struct command_help commands[] = {
	{ VB_CMD_RUN,
	  { "vmboot [run] [FILE] [OPTIONS] [-- COMMAND [ARGS...]]",
	    "vmboot run --detach [FILE] [OPTIONS]" },
	  "boot the machine FILE describes (vmboot FILE: the same)",
	  "Boots the machine that FILE (libconfig .conf, or YAML .yaml or .yml) "
	  "describes; the options override its keys, or describe a machine without "
	  "one. With no kernel anywhere, the zero-config default boots the host's "
	  "own kernel with the host's root read-only at /host, to a shell or to "
	  "COMMAND, whose exit status vmboot then exits with. The console is this "
	  "terminal (Ctrl-A x quits) unless --tty or --detach puts it on a pty." },
	{ VB_CMD_CHECK,
	  { "vmboot check [OPTIONS] FILE...", "vmboot --check [OPTIONS] FILE..." },
	  "validate machine files, without /dev/kvm",
	  "Validates each machine file without touching /dev/kvm and prints every "
	  "problem as FILE:LINE:COL: error: MESSAGE. Files the machine names that do "
	  "not exist are warnings, errors with --strict. Exit status 0 when every "
	  "file is valid, 1 when one is not, 2 for a usage error." },
	{ VB_CMD_PLAN,
	  { "vmboot plan [OPTIONS] [FILE]", "vmboot --plan [OPTIONS] [FILE]" },
	  "print the machine run would build, without /dev/kvm",
	  "Resolves the machine without KVM and prints what run would build: RAM and "
	  "where its size came from, the host mapping and its gap, the memory slots, "
	  "each device with its addresses and interrupt, the vCPUs and the kernel "
	  "command line; with --json, as one JSON object." },
	{ VB_CMD_KERNEL_CHECK, { "vmboot kernel-check [--json] KERNEL" },
	  "tell what KERNEL lacks that vmboot's devices need",
	  "Reads the configuration of KERNEL (a bzImage, a vmlinux, or a configuration "
	  "file; else the config-VERSION file beside it) and prints, option by "
	  "option, whether what vmboot's boot path and devices use is built in, a "
	  "module or missing. Exit status 0 when the kernel can boot to a console "
	  "under vmboot, 1 when not, 2 for a usage error." },
	{ VB_CMD_SCHEMA, { "vmboot schema" },
	  "print the machine file's JSON Schema, for editors",
	  "Prints the JSON Schema (draft 2020-12) of a machine file, generated from "
	  "the key tables check uses: each key's type, range, choices, default and "
	  "description, and each device type's keys. Editors that read JSON Schema "
	  "complete and check YAML machine files with it; make install puts it in "
	  "the data directory as vmboot/machine.schema.json." },
	{ VB_CMD_LIST, { "vmboot list [--json]" }, "list this user's running VMs",
	  "Lists this user's running VMs, one line each: name, process id, state, "
	  "vCPUs, memory, uptime and console. Sockets left by VMs that died are "
	  "removed on the way." },
	{ VB_CMD_STOP, { "vmboot stop NAME... | --all [--force] [--timeout S]" },
	  "ask guests to power off; tear their VMs down",
	  "Asks each guest to shut down (Ctrl-Alt-Del on the keyboard controller) and "
	  "waits until its VM has exited. A paused VM is resumed first. A VM still "
	  "running after the timeout tears itself down." },
	{ VB_CMD_PAUSE, { "vmboot pause NAME... | --all" }, "stop a VM's vCPUs until resume",
	  "Stops every vCPU of each VM and holds them until vmboot resume; the guest "
	  "makes no progress meanwhile." },
	{ VB_CMD_RESUME, { "vmboot resume NAME... | --all" }, "let paused vCPUs run again",
	  "Lets each paused VM run again." },
	{ VB_CMD_STAT, { "vmboot stat NAME... | --all [--json]" }, "print a VM's memory statistics",
	  "Prints memory statistics as KEY VALUE lines: guest RAM, the VM process's "
	  "resident memory and, with a balloon, its target and the guest's own "
	  "numbers (asked for afresh, waiting at most half a second)." },
	{ VB_CMD_DEBUG, { "vmboot debug NAME... | --all [--json]" }, "print the registers of each vCPU",
	  "Prints the registers of each vCPU of each VM, read while the vCPUs are "
	  "briefly held." },
	{ VB_CMD_BALLOON,
	  { "vmboot balloon NAME... | --all --inflate SIZE | --deflate SIZE" },
	  "grow or shrink a VM's memory balloon",
	  "Raises or lowers the target of each VM's virtio balloon by SIZE: the guest "
	  "hands pages to the balloon and vmboot gives their memory back to the host, "
	  "or takes pages back. The target stays between 0 and guest RAM." },
	{ VB_CMD_CONSOLE, { "vmboot console NAME [--tmux [--split]]" },
	  "attach this terminal to a VM's pty console",
	  "Attaches this terminal to the console of NAME, a VM started with --tty or "
	  "--detach; Ctrl-] detaches and the VM keeps running. Only one console may "
	  "be attached at a time." },
	{ VB_CMD_HELP, { "vmboot help [COMMAND]", "vmboot COMMAND --help" },
	  "print usage, or one command's usage and options",
	  "Prints the usage of vmboot, or of one command with the options it takes." },
	{ VB_CMD_VERSION, { "vmboot version", "vmboot --version" },
	  "print the version and the helpers this vmboot uses",
	  "Prints vmboot's version and the vmboot-init and vmboot-net programs it "
	  "would use." },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* Prints text from column col (where the cursor is), breaking lines at
 * spaces so that none passes HELP_WIDTH, each new line starting at column
 * indent; ends the line. */
static void print_wrapped(FILE *out, const char *text, size_t col, size_t indent)
{
	bool line_start = true;
	while (*text) {
		size_t len = strcspn(text, " ");
		if (!line_start && col + 1 + len > HELP_WIDTH) {
			fprintf(out, "\n%*s", (int)indent, "");
			col = indent;
			line_start = true;
		}
		if (!line_start) {
			fputc(' ', out);
			col++;
		}
		fwrite(text, 1, len, out);
		col += len;
		line_start = false;
		text += len;
		text += strspn(text, " ");
	}
	fputc('\n', out);
}

static void print_flag(const struct vb_flag *f, FILE *out)
{
	char left[128];
	snprintf(left, sizeof(left), "%c%c%c %s%s%s", f->short_name ? '-' : ' ',
		 f->short_name ? f->short_name : ' ', f->short_name ? ',' : ' ', f->long_name,
		 f->arg ? " " : "", f->arg ? f->arg : "");
	size_t col = 2 + strlen(left);
	fprintf(out, "  %s", left);
	if (col + 2 > HELP_FLAG_COLUMN) {
		/* Too long for the column: the description goes below it. */
		fputc('\n', out);
		col = 0;
	}
	fprintf(out, "%*s", (int)(HELP_FLAG_COLUMN - col), "");
	print_wrapped(out, f->help, HELP_FLAG_COLUMN, HELP_FLAG_COLUMN);
}

/* "run, check and plan": the commands in a flag mask, in table order. */
static void mask_names(unsigned mask, char *buf, size_t size)
{
	size_t n = 0, total = 0;
	for (size_t i = 0; i < N_COMMANDS; i++)
		total += (mask >> commands[i].command) & 1;
	buf[0] = 0;
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (!((mask >> commands[i].command) & 1))
			continue;
		size_t used = strlen(buf);
		snprintf(buf + used, size - used, "%s%s",
			 n == 0 ? "" : n + 1 == total ? " and " : ", ",
			 vb_cli_command_name(commands[i].command));
		n++;
	}
}

static unsigned lowest_bit(unsigned mask)
{
	unsigned b = 0;
	while (b < 31 && !((mask >> b) & 1))
		b++;
	return b;
}

/* Group order: by the first command a group serves, wider groups first
 * (machine options, then run's own). */
static bool group_before(unsigned a, unsigned b)
{
	if (lowest_bit(a) != lowest_bit(b))
		return lowest_bit(a) < lowest_bit(b);
	return __builtin_popcount(a) > __builtin_popcount(b);
}

/* The distinct non-zero masks of the flag table (at most max), in group
 * order. */
static size_t flag_groups(const struct vb_flag *flags, size_t n_flags, unsigned *groups,
			  size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < n_flags && n < max; i++) {
		unsigned mask = flags[i].commands;
		bool known = !mask;
		for (size_t g = 0; g < n && !known; g++)
			known = groups[g] == mask;
		if (known)
			continue;
		size_t at = n++;
		while (at > 0 && group_before(mask, groups[at - 1])) {
			groups[at] = groups[at - 1];
			at--;
		}
		groups[at] = mask;
	}
	return n;
}

static void print_general_help(FILE *out)
{
	size_t n_flags;
	const struct vb_flag *flags = vb_cli_flags(&n_flags);
	fputs("vmboot - boot a virtual machine described by a file, on KVM\n\n"
	      "Usage: vmboot [run] [FILE] [OPTIONS] [-- COMMAND [ARGS...]]\n"
	      "       vmboot COMMAND [OPTIONS] [ARGUMENTS]\n"
	      "       vmboot help COMMAND   (usage and options of one command)\n\n",
	      out);
	print_wrapped(out, "FILE is libconfig (.conf) or YAML (.yaml, .yml); vmboot FILE means "
		      "vmboot run FILE. Long options take two dashes, short ones one "
		      "(-c 2, or -c2).", 0, 0);
	fputs("\nCommands:\n", out);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const char *name = vb_cli_command_name(commands[i].command);
		fprintf(out, "  %-14s", name);
		print_wrapped(out, commands[i].summary, 16, 16);
	}
	unsigned groups[64]; /* one per set of commands: far fewer than 2^14 */
	size_t n_groups = flag_groups(flags, n_flags, groups, 64);
	for (size_t g = 0; g < n_groups; g++) {
		char names[256];
		mask_names(groups[g], names, sizeof(names));
		fprintf(out, "\nOptions for %s%s:\n", names,
			groups[g] == VB_IN_MACHINE ? " (they override the machine file)" : "");
		for (size_t i = 0; i < n_flags; i++)
			if (flags[i].commands == groups[g])
				print_flag(&flags[i], out);
	}
	fputs("\nGeneral options:\n", out);
	for (size_t i = 0; i < n_flags; i++)
		if (!flags[i].commands)
			print_flag(&flags[i], out);
	fputs("\nSee vmboot(1) and vmboot.conf(5).\n", out);
}

static void print_command_help(const struct command_help *cmd, FILE *out)
{
	size_t n_flags;
	const struct vb_flag *flags = vb_cli_flags(&n_flags);
	for (size_t u = 0; u < 2 && cmd->usage[u]; u++)
		fprintf(out, "%s %s\n", u == 0 ? "Usage:" : "      ", cmd->usage[u]);
	fputc('\n', out);
	print_wrapped(out, cmd->description, 0, 0);
	fputs("\nOptions:\n", out);
	for (size_t i = 0; i < n_flags; i++)
		if (flags[i].commands & (1u << cmd->command))
			print_flag(&flags[i], out);
	for (size_t i = 0; i < n_flags; i++)
		if (!strcmp(flags[i].long_name, "--help"))
			print_flag(&flags[i], out);
	fputs("\nSee vmboot(1).\n", out);
}

int vb_cli_print_help(const char *topic, FILE *out)
{
	enum vb_command command;
	if (!topic) {
		print_general_help(out);
		return VB_EXIT_OK;
	}
	for (size_t i = 0; vb_cli_command_find(topic, &command) && i < N_COMMANDS; i++) {
		if (commands[i].command == command) {
			print_command_help(&commands[i], out);
			return VB_EXIT_OK;
		}
	}
	const char *hint = vb_cli_closest_command(topic);
	if (hint)
		fprintf(stderr, "vmboot: error: help: unknown command \"%s\"; did you mean \"%s\"?\n",
			topic, hint);
	else
		fprintf(stderr, "vmboot: error: help: unknown command \"%s\" (see vmboot --help)\n",
			topic);
	return VB_EXIT_USAGE;
}

/* vmboot WORD: WORD names a machine file, or is a command mistyped. A word
 * that is neither a file nor close to a command is reported as a missing
 * file would be by run (exit 1); one close to a command is a usage error
 * with the suggestion (exit 2). Names with a dot or slash are plainly
 * files: the loader reports them as usual. Returns 0 to go on. */
static int check_first_word(const struct vb_options *opts)
{
	if (!opts->file_first || opts->command == VB_CMD_HELP || !opts->n_files)
		return 0;
	const char *word = opts->files[0];
	if (access(word, F_OK) == 0 || errno != ENOENT)
		return 0;
	const char *hint = vb_cli_closest_command(word);
	if (hint) {
		fprintf(stderr, "vmboot: error: \"%s\": no such command or file; did you mean \"%s\"?\n",
			word, hint);
		return VB_EXIT_USAGE;
	}
	if (strpbrk(word, "./"))
		return 0;
	fprintf(stderr, "vmboot: error: \"%s\": no such command or file (see vmboot --help)\n",
		word);
	return VB_EXIT_INVALID;
}

/* A machine: the file's tree (or an empty one) with the command-line
 * overrides merged in, converted and resolved. */
struct loaded {
	struct vb_node *root;   /* diagnostics point at its file name */
	struct vb_machine_desc desc;
	struct vb_machine_graph graph;
	bool resolved;
	struct vb_zeroconf_plan zc; /* what the zero-config default filled in */
};

static int get_host(const struct vb_options *opts, struct vb_host_facts *host)
{
	int rc = vb_host_facts_read(host);
	if (rc && (!opts->host_ram_set || !opts->host_cpus_set)) {
		vb_log(VB_LOG_ERROR, "reading host RAM and CPUs: %s", strerror(-rc));
		return rc;
	}
	if (opts->host_ram_set)
		host->ram_bytes = opts->host_ram_bytes;
	if (opts->host_cpus_set)
		host->cpus = opts->host_cpus;
	return 0;
}

/* No kernel in the file nor the flags: the zero-config default. Without a
 * kernel in /boot the path it would have is used, so the file checks report
 * it like any missing kernel (a warning for --check, an error for run). */
static int apply_default(const struct vb_options *opts, struct loaded *m)
{
	char kernel[VB_ZEROCONF_PATH_MAX] = "";
	struct vb_err err = { "" };
	if (vb_zeroconf_wanted(m->root) &&
	    vb_zeroconf_find_kernel(NULL, kernel, sizeof(kernel), &err)) {
		struct utsname u;
		vb_log(VB_LOG_NOTE, "%s", err.msg);
		snprintf(kernel, sizeof(kernel), "/boot/vmlinuz-%s",
			 uname(&u) == 0 ? u.release : "RELEASE");
	}
	struct vb_zeroconf_request req = {
		.kernel_path = kernel,
		.argv = opts->guest_argv,
		.argc = opts->n_guest_args,
		.share_host = vb_device_find("9p") != NULL,
	};
	int rc = vb_zeroconf_apply(m->root, &req, &m->zc, &err);
	if (rc)
		vb_log(VB_LOG_ERROR, "%s", err.msg);
	return rc;
}

static int load(const struct vb_options *opts, const char *path, enum vb_severity missing,
		struct loaded *m, struct vb_diags *diags)
{
	struct vb_host_facts host;

	vb_desc_init(&m->desc);
	m->resolved = false;
	memset(&m->zc, 0, sizeof(m->zc));
	if (path)
		m->root = vb_parse_file(path, opts->format, diags);
	else
		m->root = vb_node_new(VB_NODE_TABLE, (struct vb_loc){ "command line", 0, 0 });
	if (!m->root)
		return -EINVAL;
	int rc = vb_overrides_apply(m->root, opts->overrides);
	if (rc)
		return rc;
	rc = apply_default(opts, m);
	if (rc)
		return rc;
	rc = vb_desc_from_tree(m->root, &m->desc, diags);
	/* Report missing files alongside other errors: every problem at once. */
	vb_desc_check_files(&m->desc, missing, diags);
	if (rc || diags->errors)
		return -EINVAL;
	rc = get_host(opts, &host);
	if (rc)
		return rc;
	rc = vb_resolve(&m->desc, &host, &m->graph, diags);
	m->resolved = !rc;
	if (m->resolved && m->zc.initramfs)
		m->graph.initrd_label = "(built in memory: vmboot's init and the kernel's modules)";
	return rc ? rc : (diags->errors ? -EINVAL : 0);
}

static void unload(struct loaded *m)
{
	if (m->resolved)
		vb_graph_free(&m->graph);
	vb_desc_free(&m->desc);
	vb_node_free(m->root);
	m->root = NULL;
}

/* Ends a --json document; a write that failed (a full disk, a closed
 * pipe) is an error, not a truncated document passed off as whole.
 * Returns 0 or -errno. */
static int json_done(struct vb_json *w, const char *what)
{
	int rc = vb_json_finish(w);
	if (rc)
		vb_log(VB_LOG_ERROR, "%s: writing the JSON: %s", what, strerror(-rc));
	return rc;
}

/* GCC-style, with the source line and caret (util/diag.h); colour as
 * --color and the terminal say, never beside --json. Under journald the
 * priority prefixes, and no excerpt: one line per message (util/log.h). */
static void report(const struct vb_options *opts, struct vb_diags *diags)
{
	bool journal = vb_log_fd_is_journal(STDERR_FILENO);
	struct vb_diag_style style = {
		.color = vb_diag_color_wanted(opts->json ? VB_COLOR_NEVER : opts->color,
					      STDERR_FILENO),
		.excerpt = !journal,
		.priority = journal,
	};
	vb_diags_sort(diags);
	vb_diags_render(diags, &style, stderr);
}

/* --check --json: one diagnostic (vmboot(1), JSON OUTPUT). input is the
 * machine file being checked; loc.file is where the problem is, which for
 * a flag's value is the flag (--cpus). */
static void diag_json(struct vb_json *w, const char *input, const struct vb_diag *d)
{
	vb_json_begin_object(w);
	vb_json_key_string(w, "file", d->loc.file);
	vb_json_key(w, "line");
	if (d->loc.line > 0)
		vb_json_u64(w, (uint64_t)d->loc.line);
	else
		vb_json_null(w);
	vb_json_key(w, "column");
	if (d->loc.line > 0 && d->loc.col > 0)
		vb_json_u64(w, (uint64_t)d->loc.col);
	else
		vb_json_null(w);
	vb_json_key_string(w, "severity", d->severity == VB_SEV_ERROR ? "error" : "warning");
	vb_json_key_string(w, "message", d->message);
	vb_json_key_string(w, "suggestion", d->suggestion);
	vb_json_key_string(w, "input", input);
	vb_json_end_object(w);
}

/* A file's diagnostics: printed, or into the --json array. A failure
 * that left no diagnostic (reading the host's RAM, memory) was logged on
 * stderr; the array still needs an error for that file. */
static void check_report(const struct vb_options *opts, struct vb_json *w, const char *path,
			 int rc, struct vb_diags *diags)
{
	if (!w) {
		report(opts, diags);
		return;
	}
	if (rc && !diags->errors)
		vb_diag_error(diags, (struct vb_loc){ path, 0, 0 }, "not checked: %s", strerror(-rc));
	vb_diags_sort(diags);
	for (size_t i = 0; i < diags->count; i++)
		diag_json(w, path, &diags->items[i]);
}

static int cmd_check(const struct vb_options *opts)
{
	int status = VB_EXIT_OK;
	struct vb_json json;
	if (!opts->n_files) {
		fputs("vmboot: error: --check needs at least one machine file\n", stderr);
		return VB_EXIT_USAGE;
	}
	if (opts->json) {
		/* One array over all files, one diagnostic per line. */
		vb_json_init_file(&json, stdout, 1);
		vb_json_begin_array(&json);
	}
	for (size_t i = 0; i < opts->n_files; i++) {
		struct vb_diags diags;
		struct loaded m;
		vb_diags_init(&diags);
		int rc = load(opts, opts->files[i], opts->strict ? VB_SEV_ERROR : VB_SEV_WARNING,
			      &m, &diags);
		/* The builder's loading stage on scratch memory: a kernel or
		 * initrd that does not fit is refused here, not at run. */
		if (!rc && m.resolved)
			vb_machine_check_load(&m.graph, &diags);
		check_report(opts, opts->json ? &json : NULL, opts->files[i], rc, &diags);
		if (rc || diags.errors)
			status = VB_EXIT_INVALID;
		unload(&m);
		vb_diags_free(&diags);
	}
	if (opts->json) {
		vb_json_end_array(&json);
		status = json_done(&json, "check") ? VB_EXIT_INVALID : status;
	}
	return status;
}

static int single_file(const struct vb_options *opts, const char *command, const char **path)
{
	if (opts->n_files > 1) {
		vb_log(VB_LOG_ERROR, "%s takes one machine file, got %zu", command, opts->n_files);
		return VB_EXIT_USAGE;
	}
	*path = opts->n_files ? opts->files[0] : NULL;
	return 0;
}

/* The version, and the helper programs this vmboot would run (or where it
 * looked for them): how to tell what an installation will use without
 * booting anything. */
static void print_version(void)
{
	char path[VB_ZEROCONF_PATH_MAX];
	struct vb_err err = { .msg = "" };
	printf("vmboot %s\n", PACKAGE_VERSION);
	printf("vmboot-init  %s\n", vb_zeroconf_find_init(path, sizeof(path), &err) ? err.msg : path);
	printf("vmboot-net   %s\n", vb_netd_find_helper(path, sizeof(path), &err) ? err.msg : path);
}

static int cmd_plan(const struct vb_options *opts)
{
	const char *path;
	int status = single_file(opts, "--plan", &path);
	if (status)
		return status;
	struct vb_diags diags;
	struct loaded m;
	vb_diags_init(&diags);
	int rc = load(opts, path, VB_SEV_WARNING, &m, &diags);
	report(opts, &diags);
	if (rc) {
		status = VB_EXIT_INVALID;
	} else if (opts->json) {
		vb_plan_print_json(&m.graph, stdout);
	} else {
		vb_plan_print_text(&m.graph, stdout);
	}
	unload(&m);
	vb_diags_free(&diags);
	return status;
}

/* Where to look when this host cannot run the guest. */
static void explain_kvm_failure(int rc, const struct vb_pvm_request *req)
{
	if (rc != -ENOENT && rc != -ENODEV && rc != -EACCES && rc != -EPERM)
		return;
	char way[1024];
	vb_pvm_way_forward_here(req, way, sizeof(way));
	vb_log(VB_LOG_NOTE, "no usable /dev/kvm here: this host cannot run the machine directly");
	vb_log(VB_LOG_NOTE, "boot it under real KVM nested in QEMU's emulator instead: %s", way);
}

/* The zero-config pieces of a run: vmboot's initramfs, and the filter that
 * takes the guest's VMBOOT-STATUS line out of the console output. */
struct zc_run {
	uint8_t *initramfs;
	size_t initramfs_bytes;
	struct vb_console tty, filtered;
	struct vb_zeroconf_status status;
};

static int zc_prepare(const struct vb_options *opts, const struct loaded *m,
		      struct vb_vm_options *vm_opts, struct zc_run *zc)
{
	char init[VB_ZEROCONF_PATH_MAX];
	struct vb_err err = { "" };
	if (!m->zc.initramfs)
		return 0;
	if (m->zc.host_kernel && opts->verbose)
		vb_log(VB_LOG_DEBUG, "zero-config: kernel %s", m->desc.kernel);
	int rc = vb_zeroconf_find_init(init, sizeof(init), &err);
	if (!rc)
		rc = vb_zeroconf_initramfs(m->desc.kernel, init, &zc->initramfs,
					   &zc->initramfs_bytes, &err);
	if (rc) {
		vb_log(VB_LOG_ERROR, "%s", err.msg);
		return rc;
	}
	vm_opts->initrd_data = zc->initramfs;
	vm_opts->initrd_bytes = zc->initramfs_bytes;
	zc->tty = (struct vb_console){ vb_console_write_fd, &vm_opts->console_out_fd };
	/* A command's output may end without a newline, so its status line
	 * can start mid-line; a shell's ends with the echoed "exit". */
	vb_zeroconf_status_init(&zc->status, &zc->tty, opts->n_guest_args > 0);
	zc->filtered = (struct vb_console){ vb_zeroconf_status_write, &zc->status };
	vm_opts->console_out = &zc->filtered;
	return 0;
}

/* The guest command's status when the guest reported one. */
static int zc_finish(const struct vb_options *opts, const struct loaded *m, struct zc_run *zc,
		     int status)
{
	if (!m->zc.initramfs)
		return status;
	vb_zeroconf_status_flush(&zc->status);
	free(zc->initramfs);
	zc->initramfs = NULL;
	int guest = vb_zeroconf_status_exit(&zc->status);
	if (status != VB_EXIT_OK)
		return status;
	if (guest >= 0)
		return guest;
	if (opts->n_guest_args) {
		vb_log(VB_LOG_ERROR, "the guest stopped without reporting the command's exit status");
		return VB_EXIT_INVALID;
	}
	return status;
}

static int outcome_status(const struct vb_options *opts, const struct vb_vm_outcome *outcome)
{
	if (opts->verbose)
		vb_log(VB_LOG_DEBUG, "%s", outcome->why);
	switch (outcome->end) {
	case VB_VM_SIGNALLED:
		return 128 + outcome->signal;
	case VB_VM_GUEST_STOPPED:
	case VB_VM_CONSOLE_QUIT:
	default:
		return VB_EXIT_OK;
	}
}

/* run --detach: the VM is built in a child in its own session; the
 * parent waits until the child says the VM is ready (the name and pty on
 * a pipe), prints them and exits 0. Until then the child's errors go to
 * the user's terminal as usual; if it exits without a word, the parent
 * exits with its status. */
struct detach {
	int fd; /* the pipe's write end in the child; -1 once used */
};

/* Where a detached VM's later messages go: NAME.log beside its control
 * socket (same directory, same owner, mode 0600), so a VM that fails after
 * the user got the prompt back leaves its reason somewhere. Returns the fd
 * or -1 (then the messages are lost, as with no terminal at all). */
static int open_detach_log(const char *name, char *path, size_t size)
{
	struct vb_err err;
	char dir[256];
	if (vb_ctl_dir(dir, sizeof(dir), &err) < 0)
		return -1;
	int n = snprintf(path, size, "%s/%s.log", dir, name);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
}

static void detach_ready(void *ctx, const char *name, const char *console_path)
{
	struct detach *d = ctx;
	char log_path[320] = "none";
	int log = open_detach_log(name, log_path, sizeof(log_path));
	if (log < 0)
		snprintf(log_path, sizeof(log_path), "none");
	char line[VB_NAME_MAX + 4 + 160 + sizeof(log_path)];
	int n = snprintf(line, sizeof(line), "%s %s %s\n", name,
			 console_path ? console_path : "none", log_path);
	if (n > 0 && (size_t)n < sizeof(line))
		(void)vb_write_all(d->fd, (const uint8_t *)line, (size_t)n);
	close(d->fd);
	d->fd = -1;
	/* Let go of the user's terminal: nobody is there to read later
	 * messages, and holding it would keep a pipe open after the parent. */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		(void)dup2(null, 0);
		(void)dup2(null, 1);
		(void)dup2(null, 2);
		close(null);
	}
	if (log >= 0) {
		(void)dup2(log, 2);
		close(log);
	}
}

/* In the parent: returns the exit status. */
static int detach_wait(pid_t child, int fd)
{
	char buf[512];
	size_t used = 0;
	for (;;) {
		ssize_t n = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (used += (size_t)n) == sizeof(buf) - 1)
			break;
	}
	close(fd);
	buf[used] = 0;
	char *space = strchr(buf, ' '), *nl = strchr(buf, '\n');
	if (!space || !nl || nl < space) {
		int status;
		while (waitpid(child, &status, 0) < 0)
			if (errno != EINTR)
				return VB_EXIT_INVALID;
		if (WIFEXITED(status))
			return WEXITSTATUS(status) ? WEXITSTATUS(status) : VB_EXIT_INVALID;
		return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
	*nl = 0;
	char *console = space + 1, *log = strchr(console, ' ');
	*space = 0;
	if (log)
		*log++ = 0;
	printf("name %s\npid %ld\nconsole %s\nlog %s\n", buf, (long)child, console,
	       log ? log : "none");
	return VB_EXIT_OK;
}

/* Returns -1 in the child (go on building, with d->fd set), or the
 * parent's exit status. */
static int detach_fork(struct detach *d)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		vb_log(VB_LOG_ERROR, "--detach: pipe: %s", strerror(errno));
		return VB_EXIT_INVALID;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		vb_log(VB_LOG_ERROR, "--detach: fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return VB_EXIT_INVALID;
	}
	if (pid > 0) {
		close(p[1]);
		return detach_wait(pid, p[0]);
	}
	close(p[0]);
	/* A session of its own: the terminal's Ctrl-C and hang-up are not
	 * the VM's business any more. */
	(void)setsid();
	d->fd = p[1];
	return -1;
}

/* Telling a service manager (util/notify.h, contrib/systemd): READY=1
 * when the vCPUs start, STOPPING=1 when the run ends, with a STATUS= line
 * for `systemctl status`. */
struct service {
	struct vb_notifier notifier;
	bool detached; /* run --detach: this is the child that stays */
};

static void service_send(struct service *s, const char *message)
{
	struct vb_err err = { "" };
	if (vb_notify_send(&s->notifier, message, &err))
		vb_log(VB_LOG_WARNING, "%s", err.msg);
}

static void service_running(void *ctx, const char *name, unsigned n_vcpus)
{
	struct service *s = ctx;
	char message[160];
	int n = snprintf(message, sizeof(message), "READY=1\nSTATUS=running %s, %u vCPU%s", name,
			 n_vcpus, n_vcpus == 1 ? "" : "s");
	/* run --detach: the process the manager started exits once this
	 * child is ready, so the child names itself the main process (the
	 * unit then needs NotifyAccess=all: vmboot(1)). */
	if (s->detached && n > 0 && (size_t)n < sizeof(message))
		snprintf(message + n, sizeof(message) - (size_t)n, "\nMAINPID=%ld", (long)getpid());
	service_send(s, message);
}

static void service_stopping(void *ctx, const char *why)
{
	static const char head[] = "STOPPING=1\nSTATUS=";
	char message[VB_ERR_MSG_BYTES + 32];
	snprintf(message, sizeof(message), "%sstopping: %s", head, why);
	/* One assignment per line: a newline in the reason would start
	 * another. */
	for (char *p = message + sizeof(head) - 1; *p; p++)
		if (*p == '\n')
			*p = ' ';
	service_send(ctx, message);
}

static int boot(const struct vb_options *opts, const struct loaded *m)
{
	/* On KVM-PVM, before anything is built (cli/pvm.h). */
	struct vb_pvm_decision pvm;
	struct vb_pvm_request pvm_req = {
		.kernel = m->desc.kernel,
		.force = opts->force_pvm,
		.machine_file = opts->n_files ? opts->files[0] : NULL,
		.flags_only = !opts->n_files && !m->zc.host_kernel,
		.guest_argv = opts->guest_argv,
		.n_guest_args = opts->n_guest_args,
	};
	if (vb_pvm_gate(&pvm_req, &pvm) == VB_PVM_REFUSE)
		return VB_EXIT_INVALID;
	struct vb_vm_options vm_opts = {
		.kvm_device = opts->kvm_device,
		.verbose = opts->verbose,
		.console_in_fd = 0,
		.console_out_fd = 1,
		.quiet_note = pvm.quiet_note[0] ? pvm.quiet_note : NULL,
		.quiet_note_s = VB_PVM_QUIET_S,
	};
	struct detach detach = { -1 };
	if (opts->detach) {
		int status = detach_fork(&detach);
		if (status >= 0)
			return status;
		vm_opts.on_ready = detach_ready;
		vm_opts.ready_ctx = &detach;
	}
	/* Before anything is started, which then cannot inherit
	 * $NOTIFY_SOCKET; in the process that stays. */
	struct service service = { .detached = opts->detach };
	struct vb_err notify_err = { "" };
	if (vb_notify_open_env(&service.notifier, &notify_err))
		vb_log(VB_LOG_WARNING, "%s: no readiness notification", notify_err.msg);
	vm_opts.on_running = service_running;
	vm_opts.on_stopping = service_stopping;
	vm_opts.notify_ctx = &service;
	struct zc_run zc = { .initramfs = NULL };
	if (zc_prepare(opts, m, &vm_opts, &zc)) {
		vb_notify_close(&service.notifier);
		return VB_EXIT_INVALID;
	}
	struct vb_vm_outcome outcome;
	struct vb_err err = { "" };
	int rc = vb_vm_run(&m->graph, &vm_opts, &outcome, &err);
	vb_notify_close(&service.notifier);
	if (detach.fd >= 0)
		close(detach.fd);
	if (rc) {
		zc_finish(opts, m, &zc, VB_EXIT_INVALID);
		vb_log(VB_LOG_ERROR, "%s", err.msg);
		explain_kvm_failure(rc, &pvm_req);
		return VB_EXIT_INVALID;
	}
	return zc_finish(opts, m, &zc, outcome_status(opts, &outcome));
}

/* Commands on running VMs: the names are the positional arguments. */
static int cmd_control(const struct vb_options *opts, const char *name)
{
	struct vb_ctl_cmd_args args = {
		.names = opts->files,
		.n_names = opts->n_files,
		.all = opts->all,
		.json = opts->json,
		.force = opts->force,
		.timeout_set = opts->timeout_set,
		.timeout_s = opts->timeout_s,
		.balloon_set = opts->balloon_set,
		.balloon_deflate = opts->balloon_deflate,
		.balloon_bytes = opts->balloon_bytes,
		.tmux = opts->tmux,
		.split = opts->split,
		.out = stdout,
	};
	return vb_ctl_cmd_run(name, &args);
}

static int cmd_run(const struct vb_options *opts)
{
	const char *path;
	int status = single_file(opts, "run", &path);
	if (status)
		return status;
	const struct vb_node *tty = vb_node_get(opts->overrides, "tty");
	if (opts->n_guest_args && tty && tty->boolean) {
		vb_log(VB_LOG_ERROR, "--tty and --detach do not go with -- COMMAND");
		return VB_EXIT_USAGE;
	}
	struct vb_diags diags;
	struct loaded m;
	vb_diags_init(&diags);
	int rc = load(opts, path, VB_SEV_ERROR, &m, &diags);
	report(opts, &diags);
	if (rc) {
		status = VB_EXIT_INVALID;
	} else if (m.desc.tty && opts->n_guest_args) {
		/* The command's exit status comes back through the console
		 * vmboot reads, which a pty console bypasses. */
		vb_log(VB_LOG_ERROR, "--tty and --detach do not go with -- COMMAND");
		status = VB_EXIT_USAGE;
	} else {
		status = boot(opts, &m);
	}
	unload(&m);
	vb_diags_free(&diags);
	return status;
}

static int cmd_kernel_check(const struct vb_options *opts)
{
	if (opts->n_files != 1) {
		fputs("vmboot: error: kernel-check takes one kernel (bzImage, vmlinux or config file)\n",
		      stderr);
		return VB_EXIT_USAGE;
	}
	char *text, source[4200];
	size_t len;
	struct vb_err err = { "" };
	if (vb_kcheck_load_config(opts->files[0], &text, &len, source, sizeof(source), &err)) {
		fprintf(stderr, "vmboot: error: kernel-check: %s\n", err.msg);
		return VB_EXIT_INVALID;
	}
	struct vb_kconfig cfg;
	int rc = vb_kconfig_parse(text, len, &cfg, &err);
	free(text);
	if (rc) {
		fprintf(stderr, "vmboot: error: kernel-check: %s: %s\n", source, err.msg);
		vb_kconfig_free(&cfg);
		return VB_EXIT_INVALID;
	}
	bool ok;
	if (opts->json) {
		/* The options one per line. */
		struct vb_json json;
		vb_json_init_file(&json, stdout, 2);
		ok = vb_kcheck_report_json(&cfg, source, &json);
		ok = !json_done(&json, "kernel-check") && ok;
	} else {
		printf("configuration: %s\n", source);
		ok = vb_kcheck_report(&cfg, stdout, NULL);
	}
	vb_kconfig_free(&cfg);
	return ok ? VB_EXIT_OK : VB_EXIT_INVALID;
}

/* A full disk or a closed pipe is a failure, not a truncated schema. */
static int cmd_schema(void)
{
	int rc = vb_schema_write_json(stdout);
	if (rc) {
		vb_log(VB_LOG_ERROR, "schema: writing standard output: %s", strerror(-rc));
		return VB_EXIT_INVALID;
	}
	return VB_EXIT_OK;
}

int vb_cli_main(int argc, char **argv)
{
	struct vb_options opts;
	struct vb_err err = { "" };
	int status;

	if (argc < 2) {
		vb_cli_print_help(NULL, stderr);
		return VB_EXIT_USAGE;
	}
	if (vb_options_parse(argc, argv, &opts, &err)) {
		bool named = opts.command_named && opts.command != VB_CMD_HELP;
		fprintf(stderr, "vmboot: error: %s\nTry 'vmboot %s%s--help'.\n", err.msg,
			named ? vb_cli_command_name(opts.command) : "", named ? " " : "");
		vb_options_free(&opts);
		return VB_EXIT_USAGE;
	}
	status = check_first_word(&opts);
	if (status) {
		vb_options_free(&opts);
		return status;
	}
	switch (opts.command) {
	case VB_CMD_HELP:
		status = vb_cli_print_help(opts.help_topic, stdout);
		break;
	case VB_CMD_VERSION:
		print_version();
		status = VB_EXIT_OK;
		break;
	case VB_CMD_CHECK:
		status = cmd_check(&opts);
		break;
	case VB_CMD_PLAN:
		status = cmd_plan(&opts);
		break;
	case VB_CMD_LIST: status = cmd_control(&opts, "list"); break;
	case VB_CMD_STOP: status = cmd_control(&opts, "stop"); break;
	case VB_CMD_PAUSE: status = cmd_control(&opts, "pause"); break;
	case VB_CMD_RESUME: status = cmd_control(&opts, "resume"); break;
	case VB_CMD_STAT: status = cmd_control(&opts, "stat"); break;
	case VB_CMD_DEBUG: status = cmd_control(&opts, "debug"); break;
	case VB_CMD_BALLOON: status = cmd_control(&opts, "balloon"); break;
	case VB_CMD_CONSOLE: status = cmd_control(&opts, "console"); break;
	case VB_CMD_KERNEL_CHECK:
		status = cmd_kernel_check(&opts);
		break;
	case VB_CMD_SCHEMA:
		status = cmd_schema();
		break;
	case VB_CMD_RUN:
	default:
		status = cmd_run(&opts);
		break;
	}
	vb_options_free(&opts);
	return status;
}
