/* The command line: subcommands (run, check, plan, help), kvmtool-style
 * flags, and the one place that maps outcomes to exit statuses. */
#ifndef VB_CLI_CLI_H
#define VB_CLI_CLI_H

#include <stdio.h>

enum vb_exit {
	VB_EXIT_OK = 0,      /* valid / guest powered off or rebooted */
	VB_EXIT_INVALID = 1, /* machine file invalid, or the VM failed */
	VB_EXIT_USAGE = 2,   /* bad command line */
};

int vb_cli_main(int argc, char **argv);

/* Prints the whole help (topic NULL) or one command's (`vmboot help stop`)
 * to out: lines of at most 80 columns; the whole help lists each flag once,
 * a command's lists the flags it takes. Returns VB_EXIT_OK, or
 * VB_EXIT_USAGE for an unknown topic (with a message on stderr). */
int vb_cli_print_help(const char *topic, FILE *out);

#endif
