/* The parse layer takes its device types from the caller (parse/devtype.h):
 * a type made up here, in no registry, gets keys checked with their
 * defaults and ranges, unknown keys with a did-you-mean, its own rule
 * run by vb_desc_validate, its files checked, and a place in vmboot
 * schema; no parse file names it. This is "a new device is one file plus
 * one registry line" seen from below. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse/devtype.h"
#include "parse/schema.h"
#include "parse/schema_json.h"
#include "util/io.h"

#define KERNEL "kernel = \"k\";\n"

static const char *const probe_modes[] = { "fast", "slow", NULL };

static const struct vb_key_schema probe_keys[] = {
	{ .name = "cid", .type = VB_KEY_UINT, .min = 3, .max = 100, .required = true,
	  .help = "context id" },
	{ .name = "mode", .type = VB_KEY_ENUM, .choices = probe_modes, .default_text = "slow",
	  .help = "how it probes" },
	{ .name = "on", .type = VB_KEY_BOOL, .default_text = "true", .help = "whether it probes" },
	{ .name = "window", .type = VB_KEY_SIZE, .size_unit = 1, .help = "how much it probes" },
	{ .name = "names", .type = VB_KEY_STRINGS, .default_text = "none", .help = "what" },
	{ .name = "path", .type = VB_KEY_PATH, .file_kinds = VB_FILE_DIR, .help = "where" },
};

/* Its own rule: cid 42 is taken (as a CID in use would be). */
static void probe_validate(const struct vb_machine_desc *m, size_t i, struct vb_diags *diags)
{
	const struct vb_device_desc *d = &m->devices[i];
	if (vb_device_number(d, "cid") == 42)
		vb_diag_error(diags, vb_device_loc(d, "cid"), "devices[%zu].cid: 42 is taken", i);
}

static const struct vb_device_type probe_type = {
	.name = "probe", .help = "a made-up device", .virtio = true, .single = true,
	.keys = probe_keys, .n_keys = VB_COUNT(probe_keys), .validate = probe_validate,
};

static const struct vb_device_type other_type = { .name = "other", .help = "another" };

static const struct vb_device_type *const types[] = { &probe_type, &other_type };

struct result {
	struct vb_node *root;
	struct vb_machine_desc desc;
	struct vb_diags diags;
	int rc;
};

static void convert(struct result *r, const char *text)
{
	vb_diags_init(&r->diags);
	vb_desc_init(&r->desc);
	r->root = vb_parse_conf_buffer("m.conf", text, strlen(text), &r->diags);
	assert_non_null(r->root);
	r->rc = vb_desc_from_tree(r->root, types, VB_COUNT(types), &r->desc, &r->diags);
	vb_desc_validate(&r->desc, &r->diags);
}

static void release(struct result *r)
{
	vb_desc_free(&r->desc);
	vb_diags_free(&r->diags);
	vb_node_free(r->root);
}

/* The first diagnostic's message contains want. */
static void expect_error(const char *text, const char *want)
{
	struct result r;
	convert(&r, text);
	bool found = false;
	for (size_t i = 0; i < r.diags.count; i++)
		found = found || strstr(r.diags.items[i].message, want);
	if (!found)
		fail_msg("no error \"%s\" among %zu for:\n%s", want, r.diags.count, text);
	release(&r);
}

static void test_values_and_defaults(void **state)
{
	(void)state;
	struct result r;
	convert(&r, KERNEL "devices = ( { type = \"probe\"; cid = 7; window = \"4K\"; "
			   "names = [\"a\", \"b\"]; transport = \"mmio\"; } );\n");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.diags.errors, 0);
	const struct vb_device_desc *d = &r.desc.devices[0];
	assert_ptr_equal(d->type, &probe_type);
	assert_int_equal(d->transport, VB_TRANSPORT_MMIO);
	assert_true(vb_device_number(d, "cid") == 7);
	assert_true(vb_device_is_set(d, "cid"));
	assert_int_equal(vb_device_loc(d, "cid").line, 2);
	assert_true(vb_device_number(d, "window") == 4096);
	/* Defaults come from the table's literal default_text. */
	assert_string_equal(vb_device_string(d, "mode"), "slow");
	assert_false(vb_device_is_set(d, "mode"));
	assert_true(vb_device_bool(d, "on"));
	assert_int_equal(vb_device_value(d, "names")->strings.count, 2);
	assert_null(vb_device_string(d, "path"));
	/* A key the type does not have reads as nothing. */
	assert_null(vb_device_value(d, "tag"));
	assert_false(vb_device_bool(d, "readonly"));
	release(&r);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error(KERNEL "devices = ( { type = \"probe\"; } );\n", "devices[0].cid: missing (required)");
	expect_error(KERNEL "devices = ( { type = \"probe\"; cid = 2; } );\n",
		     "devices[0].cid: must be between 3 and 100, got 2");
	expect_error(KERNEL "devices = ( { type = \"probe\"; cid = 5; cdi = 4; } );\n",
		     "unknown key \"cdi\"; did you mean \"cid\"?");
	expect_error(KERNEL "devices = ( { type = \"probe\"; cid = 5; mode = \"fsat\"; } );\n",
		     "did you mean \"fast\"? (expected \"fast\" or \"slow\")");
	expect_error(KERNEL "devices = ( { type = \"prboe\"; } );\n",
		     "unknown device type \"prboe\"; did you mean \"probe\"?");
	expect_error(KERNEL "devices = ( { type = \"zzzzzzz\"; } );\n",
		     "(expected probe or other)");
	expect_error(KERNEL "devices = ( { cid = 5; } );\n", "missing \"type\" (probe or other)");
	/* Not virtio: no transport key. */
	expect_error(KERNEL "devices = ( { type = \"other\"; transport = \"pci\"; } );\n",
		     "unknown key \"transport\"");
	/* single, and the type's own rule, through vb_desc_validate. */
	expect_error(KERNEL "devices = ( { type = \"probe\"; cid = 5; }, { type = \"probe\"; cid = 6; } );\n",
		     "devices[1]: only one probe device is allowed (devices[0] is one)");
	expect_error(KERNEL "devices = ( { type = \"probe\"; cid = 42; } );\n",
		     "devices[0].cid: 42 is taken");
}

/* A path key with file_kinds is checked by vb_desc_check_files. */
static void test_files(void **state)
{
	(void)state;
	struct result r;
	convert(&r, KERNEL "devices = ( { type = \"probe\"; cid = 5; path = \"/nonexistent/vb\"; } );\n");
	assert_int_equal(r.diags.errors, 0);
	vb_desc_check_files(&r.desc, VB_SEV_ERROR, &r.diags);
	bool found = false;
	for (size_t i = 0; i < r.diags.count; i++)
		found = found || !strncmp(r.diags.items[i].message, "devices[0].path: ", 17);
	assert_true(found);
	release(&r);
}

static void test_equal(void **state)
{
	(void)state;
	struct result a, b, c;
	convert(&a, KERNEL "devices = ( { type = \"probe\"; cid = 5; names = [\"x\"]; } );\n");
	convert(&b, KERNEL "devices = ( { type = \"probe\"; cid = 5; names = [\"x\"]; } );\n");
	convert(&c, KERNEL "devices = ( { type = \"probe\"; cid = 5; names = [\"y\"]; } );\n");
	assert_true(vb_desc_equal(&a.desc, &b.desc));
	assert_false(vb_desc_equal(&a.desc, &c.desc));
	release(&a);
	release(&b);
	release(&c);
}

static void test_set_api(void **state)
{
	(void)state;
	struct vb_device_desc d;
	assert_int_equal(vb_device_desc_init(&d, &probe_type), 0);
	assert_int_equal(vb_device_set_number(&d, "cid", 9), 0);
	assert_int_equal(vb_device_set_string(&d, "mode", "fast"), 0);
	assert_int_equal(vb_device_set_string(&d, "mode", "warp"), -ENOENT);
	assert_int_equal(vb_device_set_bool(&d, "cid", true), -ENOENT); /* wrong kind */
	assert_int_equal(vb_device_set_string(&d, "nonesuch", "x"), -ENOENT);
	assert_true(vb_device_number(&d, "cid") == 9);
	assert_string_equal(vb_device_string(&d, "mode"), "fast");
	assert_true(vb_device_is_set(&d, "mode"));
	vb_device_desc_free(&d);
}

/* vmboot schema offers the types it is given, and only those. */
static void test_schema(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	assert_int_equal(vb_schema_write_json(out, types, VB_COUNT(types)), 0);
	fclose(out);
	assert_non_null(strstr(text, "\"const\": \"probe\""));
	assert_non_null(strstr(text, "\"const\": \"other\""));
	assert_non_null(strstr(text, "Device type: probe or other."));
	assert_non_null(strstr(text, "\"cid\""));
	assert_null(strstr(text, "\"const\": \"disk\""));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_and_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_set_api),
		cmocka_unit_test(test_schema),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
