/* Command-line options: one table of flags drives parsing, `vmboot help`
 * and the test that keeps man/vmboot.1 in step. The device flags in it
 * (-d, -n, --9p ...) are the device types' own (parse/devtype.h), listed
 * by the registry: options.c names no device.
 *
 * Flags that describe the machine (kvmtool's -c, -m, -k, -d, ...) become a
 * tree of their own (parse/node.h): one more layer over the machine file's,
 * merged by parse/merge.h (a flag shadows the file's key, a device flag
 * adds a device), so they pass through exactly the same schema checks as
 * the file. Their locations name the flag ("--cpus: error: ..."). */
#ifndef VB_CLI_OPTIONS_H
#define VB_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse/node.h"
#include "util/err.h"

enum vb_command {
	VB_CMD_RUN,
	VB_CMD_CHECK,
	VB_CMD_PLAN,
	VB_CMD_HELP,
	VB_CMD_VERSION,
	VB_CMD_KERNEL_CHECK,
	/* Commands on running VMs (control/cmd.h). */
	VB_CMD_LIST,
	VB_CMD_STOP,
	VB_CMD_PAUSE,
	VB_CMD_RESUME,
	VB_CMD_STAT,
	VB_CMD_DEBUG,
	VB_CMD_BALLOON,
	VB_CMD_CONSOLE,
	VB_CMD_SCHEMA,      /* the machine file's JSON Schema (parse/schema_json.h) */
};

/* Which commands a flag belongs to (bit mask of 1 << enum vb_command). */
#define VB_IN_RUN (1u << VB_CMD_RUN)
#define VB_IN_CHECK (1u << VB_CMD_CHECK)
#define VB_IN_PLAN (1u << VB_CMD_PLAN)
#define VB_IN_MACHINE (VB_IN_RUN | VB_IN_CHECK | VB_IN_PLAN)
#define VB_IN_LIST (1u << VB_CMD_LIST)
#define VB_IN_KERNEL_CHECK (1u << VB_CMD_KERNEL_CHECK)
#define VB_IN_STAT (1u << VB_CMD_STAT)
#define VB_IN_DEBUG (1u << VB_CMD_DEBUG)
#define VB_IN_STOP (1u << VB_CMD_STOP)
#define VB_IN_BALLOON (1u << VB_CMD_BALLOON)
#define VB_IN_CONSOLE (1u << VB_CMD_CONSOLE)
#define VB_IN_CONTROL (VB_IN_STOP | (1u << VB_CMD_PAUSE) | (1u << VB_CMD_RESUME) | \
		       (1u << VB_CMD_STAT) | (1u << VB_CMD_DEBUG) | VB_IN_BALLOON)

struct vb_flag {
	const char *long_name;   /* "--cpus" */
	char short_name;         /* 'c', or 0 */
	const char *arg;         /* "N", or NULL for a switch */
	unsigned commands;       /* VB_IN_*: the commands that take it; any other
				  * is a usage error. 0: general (--help, and the
				  * flags that choose a command: --check ...) */
	const char *help;        /* one line; the group heading gives the command */
	int id;                  /* options.c's; a device type's flag has one too */
};

/* Room for every flag: options.c's own and the device types'. */
#define VB_CLI_MAX_FLAGS 96

struct vb_flag_table {
	struct vb_flag flags[VB_CLI_MAX_FLAGS];
	size_t count;
};

/* The flag table: options.c's own flags, with every device type's flags
 * (the registry, machine/registry.h, in its order) after --params. */
void vb_cli_flags(struct vb_flag_table *table);

/* The word that names a command ("list"), and back. */
const char *vb_cli_command_name(enum vb_command command);
bool vb_cli_command_find(const char *word, enum vb_command *command);

/* The command a mistyped word most likely meant ("lst", "stpo"), or NULL
 * when none is within a typo's reach. */
const char *vb_cli_closest_command(const char *word);

struct vb_options {
	enum vb_command command;
	const char *help_topic;   /* vmboot help COMMAND, vmboot COMMAND --help */
	bool command_named;       /* by its word or --check, --plan, --version */
	bool file_first;          /* vmboot WORD: the first word was taken as a file */
	const char **files;       /* machine files (borrowed from argv) */
	size_t n_files;
	enum vb_format format;
	bool strict;
	bool json;
	bool host_ram_set;
	uint64_t host_ram_bytes;
	bool host_cpus_set;
	unsigned host_cpus;
	const char *acpi_dir;     /* plan --acpi-dir */
	const char *kvm_device;   /* --dev */
	bool all;                 /* --all: every running VM */
	bool force;               /* stop --force */
	bool timeout_set;         /* stop --timeout */
	uint32_t timeout_s;
	bool balloon_set;         /* balloon --inflate / --deflate */
	bool balloon_deflate;
	uint64_t balloon_bytes;
	bool detach;              /* run --detach (implies --tty) */
	bool force_pvm;           /* run --force-pvm (cli/pvm.h) */
	bool tmux;                /* console --tmux: open a tmux window */
	bool split;               /* console --split: a tmux pane instead */
	bool verbose;             /* --debug */
	enum vb_color_when color; /* --color (util/diag.h) */
	struct vb_node *overrides;/* the flags' layer: a TABLE, owned */
	const char *const *guest_argv; /* run -- CMD ARGS (borrowed from argv) */
	size_t n_guest_args;      /* 0: no command (the guest gets a shell) */
};

/* Parses argv (argv[0] is the program). Returns 0, or -EINVAL with a
 * message in err for a usage error: an unknown option, a long option
 * written with one dash (-debug-ioport), an option the command does not
 * take (each flag's `commands` mask), two commands at once. With --help
 * the command becomes VB_CMD_HELP and help_topic names the command asked
 * about (NULL: the whole help). Free with vb_options_free(). */
int vb_options_parse(int argc, char **argv, struct vb_options *opts, struct vb_err *err);
void vb_options_free(struct vb_options *opts);

#endif
