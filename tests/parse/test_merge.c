/* Layers merged into one tree (parse/merge.h): a machine file's tree, then
 * a flag layer built as cli/options.c builds one (every node located at
 * its flag). A later layer shadows an earlier one key by key, the debug
 * section merges member by member, devices are appended, the layer itself
 * is left alone, and every merged node keeps its location: a bad value
 * from a flag is reported at the flag, one from the file at its line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "parse/merge.h"
#include "parse/schema.h"

static const char FILE_TEXT[] =
	"name = \"web\";\n"                           /* 1 */
	"cpus = 2;\n"                                 /* 2 */
	"memory = \"512M\";\n"                        /* 3 */
	"kernel = \"bzImage\";\n"                     /* 4 */
	"debug = { ioport = true; iodelay = 5; };\n"  /* 5 */
	"devices = ( { type = \"disk\"; path = \"root.img\"; } );\n"; /* 6 */

static struct vb_node *parse_file(const char *text, struct vb_diags *diags)
{
	struct vb_node *root = vb_parse_conf_buffer("m.conf", text, strlen(text), diags);
	assert_non_null(root);
	assert_int_equal(diags->errors, 0);
	return root;
}

static struct vb_loc at(const char *flag)
{
	return (struct vb_loc){ flag, 0, 0 };
}

static struct vb_node *member(struct vb_node *table, enum vb_node_kind kind, const char *key,
			      const char *flag)
{
	struct vb_node *n = vb_node_new(kind, at(flag));
	assert_non_null(n);
	assert_int_equal(vb_node_set_key(n, key, at(flag)), 0);
	assert_int_equal(vb_node_put(table, n), 0);
	return n;
}

static void put_int(struct vb_node *table, const char *key, int64_t value, const char *flag)
{
	member(table, VB_NODE_INT, key, flag)->integer = value;
}

static void put_string(struct vb_node *table, const char *key, const char *value,
		       const char *flag)
{
	struct vb_node *n = member(table, VB_NODE_STRING, key, flag);
	assert_int_equal(vb_node_set_string(n, value, strlen(value)), 0);
}

static struct vb_node *new_layer(void)
{
	struct vb_node *layer = vb_node_new(VB_NODE_TABLE, at("command line"));
	assert_non_null(layer);
	return layer;
}

/* A disk as --disk adds it: a table in the layer's device list. */
static void add_disk(struct vb_node *layer, const char *path)
{
	struct vb_node *list = vb_node_get(layer, "devices");
	if (!list)
		list = member(layer, VB_NODE_LIST, "devices", "--disk");
	struct vb_node *dev = vb_node_new(VB_NODE_TABLE, at("--disk"));
	assert_non_null(dev);
	assert_int_equal(vb_node_append(list, dev), 0);
	put_string(dev, "type", "disk", "--disk");
	put_string(dev, "path", path, "--disk");
}

static const struct vb_node *get(const struct vb_node *table, const char *key)
{
	const struct vb_node *n = vb_node_get(table, key);
	if (!n)
		fail_msg("no \"%s\" in the merged tree", key);
	return n;
}

static void assert_at_line(const struct vb_node *n, int line)
{
	assert_string_equal(n->loc.file, "m.conf");
	assert_int_equal(n->loc.line, line);
}

/* Later shadows earlier; what the layer does not name keeps the file's
 * value and line; a key the file lacks is added. */
static void test_later_shadows_earlier(void **state)
{
	(void)state;
	struct vb_diags diags;
	vb_diags_init(&diags);
	struct vb_node *root = parse_file(FILE_TEXT, &diags);
	struct vb_node *flags = new_layer();
	put_int(flags, "cpus", 4, "--cpus");
	put_string(flags, "params", "quiet", "--params");
	assert_int_equal(vb_layer_merge(root, flags), 0);

	const struct vb_node *cpus = get(root, "cpus");
	assert_int_equal(cpus->integer, 4);
	assert_string_equal(cpus->loc.file, "--cpus");
	assert_string_equal(get(root, "params")->string, "quiet");
	assert_string_equal(get(root, "memory")->string, "512M");
	assert_at_line(get(root, "memory"), 3);
	/* Replaced in place, not added again: one cpus, in the file's order. */
	assert_int_equal(root->n_items, 7);
	assert_string_equal(root->items[1]->key, "cpus");
	assert_string_equal(root->items[6]->key, "params");

	/* A third layer shadows both. */
	struct vb_node *more = new_layer();
	put_int(more, "cpus", 8, "--cpus");
	assert_int_equal(vb_layer_merge(root, more), 0);
	assert_int_equal(get(root, "cpus")->integer, 8);

	vb_node_free(more);
	vb_node_free(flags);
	vb_node_free(root);
	vb_diags_free(&diags);
}

/* The debug section merges member by member: --debug-iodelay replaces the
 * file's iodelay and leaves its ioport. */
static void test_section_merges_by_member(void **state)
{
	(void)state;
	struct vb_diags diags;
	vb_diags_init(&diags);
	struct vb_node *root = parse_file(FILE_TEXT, &diags);
	struct vb_node *flags = new_layer();
	struct vb_node *debug = member(flags, VB_NODE_TABLE, "debug", "--debug-iodelay");
	put_int(debug, "iodelay", 7, "--debug-iodelay");
	assert_int_equal(vb_layer_merge(root, flags), 0);

	const struct vb_node *merged = get(root, "debug");
	assert_int_equal(merged->n_items, 2);
	assert_true(get(merged, "ioport")->boolean);
	assert_at_line(get(merged, "ioport"), 5);
	assert_int_equal(get(merged, "iodelay")->integer, 7);
	assert_string_equal(get(merged, "iodelay")->loc.file, "--debug-iodelay");
	vb_node_free(flags);
	vb_node_free(root);
	vb_diags_free(&diags);
}

/* Devices are appended after the file's, in the layer's order. */
static void test_devices_appended(void **state)
{
	(void)state;
	struct vb_diags diags;
	vb_diags_init(&diags);
	struct vb_node *root = parse_file(FILE_TEXT, &diags);
	struct vb_node *flags = new_layer();
	add_disk(flags, "a.img");
	add_disk(flags, "b.img");
	assert_int_equal(vb_layer_merge(root, flags), 0);

	const struct vb_node *devices = get(root, "devices");
	assert_int_equal(devices->n_items, 3);
	assert_string_equal(get(devices->items[0], "path")->string, "root.img");
	assert_at_line(devices->items[0], 6);
	assert_string_equal(get(devices->items[1], "path")->string, "a.img");
	assert_string_equal(get(devices->items[2], "path")->string, "b.img");
	assert_string_equal(devices->items[2]->loc.file, "--disk");
	vb_node_free(flags);
	vb_node_free(root);
	vb_diags_free(&diags);
}

/* A file without devices or debug takes the layer's whole; the layer is a
 * copy (freeing it leaves the merged tree whole: ASan would see it) and is
 * not changed by a later merge into the same base. */
static void test_layer_copied(void **state)
{
	(void)state;
	struct vb_diags diags;
	vb_diags_init(&diags);
	struct vb_node *root = parse_file("kernel = \"k\";\n", &diags);
	struct vb_node *flags = new_layer();
	add_disk(flags, "a.img");
	struct vb_node *debug = member(flags, VB_NODE_TABLE, "debug", "--debug-ioport");
	member(debug, VB_NODE_BOOL, "ioport", "--debug-ioport")->boolean = true;
	assert_int_equal(vb_layer_merge(root, flags), 0);
	assert_int_equal(vb_layer_merge(root, flags), 0);
	assert_int_equal(get(flags, "devices")->n_items, 1);
	vb_node_free(flags);

	assert_int_equal(get(root, "devices")->n_items, 2);
	assert_string_equal(get(get(root, "devices")->items[1], "path")->string, "a.img");
	assert_int_equal(get(root, "debug")->n_items, 1);
	assert_true(get(get(root, "debug"), "ioport")->boolean);
	vb_node_free(root);
	vb_diags_free(&diags);
}

/* A section written as a scalar in the file is replaced by the layer's
 * table (the later, overriding value is the one checked); layers that are
 * not tables are refused. */
static void test_kind_mismatch(void **state)
{
	(void)state;
	struct vb_diags diags;
	vb_diags_init(&diags);
	struct vb_node *root = parse_file("kernel = \"k\";\ndebug = 5;\n", &diags);
	struct vb_node *flags = new_layer();
	struct vb_node *debug = member(flags, VB_NODE_TABLE, "debug", "--debug-ioport");
	member(debug, VB_NODE_BOOL, "ioport", "--debug-ioport")->boolean = true;
	assert_int_equal(vb_layer_merge(root, flags), 0);
	assert_int_equal(get(root, "debug")->kind, VB_NODE_TABLE);

	struct vb_node *list = vb_node_new(VB_NODE_LIST, at("x"));
	assert_non_null(list);
	assert_int_equal(vb_layer_merge(root, list), -EINVAL);
	assert_int_equal(vb_layer_merge(list, flags), -EINVAL);
	vb_node_free(list);
	vb_node_free(flags);
	vb_node_free(root);
	vb_diags_free(&diags);
}

/* Asserts an error whose message holds needle, located in file (line, or
 * any line when line < 0). */
static void expect_error(const struct vb_diags *diags, const char *file, int line,
			 const char *needle)
{
	for (size_t i = 0; i < diags->count; i++) {
		const struct vb_diag *d = &diags->items[i];
		if (d->severity == VB_SEV_ERROR && !strcmp(d->loc.file, file) &&
		    (line < 0 || d->loc.line == line) && strstr(d->message, needle))
			return;
	}
	vb_diags_print(diags, stderr);
	fail_msg("no error \"%s\" at %s:%d", needle, file, line);
}

/* Locations survive the merge into the checks: a flag's bad value is
 * reported at the flag, the file's at its line, both in one pass. */
static void test_errors_located_at_their_layer(void **state)
{
	(void)state;
	struct vb_diags diags;
	vb_diags_init(&diags);
	struct vb_node *root = parse_file("kernel = \"k\";\nmemory = \"lots\";\n", &diags);
	struct vb_node *flags = new_layer();
	put_int(flags, "cpus", 0, "--cpus");
	struct vb_node *debug = member(flags, VB_NODE_TABLE, "debug", "--debug-iodelay");
	put_int(debug, "iodelay", 5000, "--debug-iodelay");
	assert_int_equal(vb_layer_merge(root, flags), 0);
	vb_node_free(flags);

	struct vb_machine_desc desc;
	vb_desc_init(&desc);
	/* No devices here: no device types needed (parse/devtype.h). */
	assert_int_equal(vb_desc_from_tree(root, NULL, 0, &desc, &diags), -EINVAL);
	expect_error(&diags, "--cpus", 0, "cpus: must be between 1 and");
	expect_error(&diags, "--debug-iodelay", 0, "iodelay");
	expect_error(&diags, "m.conf", 2, "memory");
	vb_desc_free(&desc);
	vb_node_free(root);
	vb_diags_free(&diags);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_later_shadows_earlier),
		cmocka_unit_test(test_section_merges_by_member),
		cmocka_unit_test(test_devices_appended),
		cmocka_unit_test(test_layer_copied),
		cmocka_unit_test(test_kind_mismatch),
		cmocka_unit_test(test_errors_located_at_their_layer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
