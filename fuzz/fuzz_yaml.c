/* libFuzzer target: the yaml front end must turn any bytes into a tree or
 * diagnostics, never a crash, leak or hang. Built by fuzz/run. */
#include <stddef.h>
#include <stdint.h>

#include "parse/node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vb_diags diags;
	struct vb_node *tree;

	vb_diags_init(&diags);
	tree = vb_parse_yaml_buffer("fuzz.yaml", (const char *)data, size, &diags);
	/* The contract: NULL exactly when an error was reported. */
	if (!tree && diags.errors == 0 && !diags.out_of_memory)
		__builtin_trap();
	if (tree && diags.errors != 0)
		__builtin_trap();
	vb_node_free(tree);
	vb_diags_free(&diags);
	return 0;
}
