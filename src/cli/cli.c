#include "cli/cli.h"

#include <stdio.h>

int vb_cli_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "vmboot: not yet\n");
	return VB_EXIT_USAGE;
}
