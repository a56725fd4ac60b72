/* vmboot help and COMMAND --help (cli.h: vb_cli_print_help). */
#include "cli/cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/options.h"

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
	struct vb_flag_table table;
	vb_cli_flags(&table);
	const struct vb_flag *flags = table.flags;
	size_t n_flags = table.count;
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
	struct vb_flag_table table;
	vb_cli_flags(&table);
	const struct vb_flag *flags = table.flags;
	size_t n_flags = table.count;
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
