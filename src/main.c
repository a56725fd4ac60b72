#include <stdio.h>

#include "cli/cli.h"
#include "sandbox/sandbox.h"

int main(int argc, char **argv)
{
	/* Before anything else, for every thread and every program vmboot
	 * starts (vmboot-net, tmux): nothing it runs may gain privileges. */
	struct vb_err err;
	if (vb_sandbox_no_new_privs(&err) < 0) {
		fprintf(stderr, "vmboot: error: %s\n", err.msg);
		return VB_EXIT_INVALID;
	}
	return vb_cli_main(argc, argv);
}
