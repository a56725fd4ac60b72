#include "cli/cli.h"

int main(int argc, char **argv)
{
	return vb_cli_main(argc, argv);
}
