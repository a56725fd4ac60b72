/* The command line: subcommands (run, check, plan, help), kvmtool-style
 * flags, and the one place that maps outcomes to exit statuses. */
#ifndef VB_CLI_CLI_H
#define VB_CLI_CLI_H

enum vb_exit {
	VB_EXIT_OK = 0,      /* valid / guest powered off or rebooted */
	VB_EXIT_INVALID = 1, /* machine file invalid, or the VM failed */
	VB_EXIT_USAGE = 2,   /* bad command line */
};

int vb_cli_main(int argc, char **argv);

#endif
