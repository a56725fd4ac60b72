/* The registry (machine/registry.h) and the descriptors it lists
 * (parse/devtype.h): what every reader of a descriptor relies on, checked
 * for every type, so a new device that gets one wrong fails here rather
 * than in --plan or at boot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "machine/registry.h"
#include "parse/schema.h"

static const struct vb_key_schema *find_key(const struct vb_device_type *t, const char *name)
{
	for (size_t i = 0; i < t->n_keys; i++)
		if (!strcmp(t->keys[i].name, name))
			return &t->keys[i];
	return NULL;
}

/* Names, help, model and ops: the schema, --plan and the builder read
 * them without checking; the builder attaches by the ops' name too. */
static void test_types(void **state)
{
	(void)state;
	size_t n;
	const struct vb_device_type *const *types = vb_device_types(&n);
	assert_true(n >= 7);
	for (size_t i = 0; i < n; i++) {
		const struct vb_device_type *t = types[i];
		assert_non_null(t->name);
		assert_true(t->help && t->help[0]);
		assert_true(t->model && t->model[0]);
		assert_non_null(t->ops);
		assert_string_equal(t->ops->name, t->name);
		assert_ptr_equal(vb_device_find(t->name), t->ops);
		assert_true(!t->dir_root || vb_device_find(t->dir_root->name) == t->dir_root->ops);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(types[j]->name, t->name);
	}
	for (size_t i = 0; vb_pc_devices[i]; i++) {
		assert_ptr_equal(vb_device_find(vb_pc_devices[i]->name), vb_pc_devices[i]);
		for (size_t j = 0; j < n; j++)
			assert_string_not_equal(types[j]->name, vb_pc_devices[i]->name);
	}
	assert_null(vb_device_find("nonesuch"));
}

/* A type's keys: distinct, none a common key, file kinds only on paths,
 * and every literal default is what a new description holds. */
static void test_keys(void **state)
{
	(void)state;
	size_t n, n_common;
	const struct vb_device_type *const *types = vb_device_types(&n);
	const struct vb_key_schema *common = vb_schema_device_common_keys(&n_common);
	for (size_t i = 0; i < n; i++) {
		const struct vb_device_type *t = types[i];
		struct vb_device_desc d;
		assert_int_equal(vb_device_desc_init(&d, t), 0);
		for (size_t k = 0; k < t->n_keys; k++) {
			const struct vb_key_schema *key = &t->keys[k];
			assert_true(key->help && key->help[0]);
			assert_ptr_equal(find_key(t, key->name), key);
			for (size_t c = 0; c < n_common; c++)
				assert_string_not_equal(key->name, common[c].name);
			assert_true(!key->file_kinds || key->type == VB_KEY_PATH);
			assert_false(vb_device_is_set(&d, key->name));
			if (!vb_key_default_literal(key))
				continue;
			char shown[32];
			if (key->type == VB_KEY_BOOL)
				snprintf(shown, sizeof(shown), "%s",
					 vb_device_bool(&d, key->name) ? "true" : "false");
			else if (key->type == VB_KEY_UINT)
				snprintf(shown, sizeof(shown), "%llu",
					 (unsigned long long)vb_device_number(&d, key->name));
			else
				snprintf(shown, sizeof(shown), "%s", vb_device_string(&d, key->name));
			if (strcmp(shown, key->default_text))
				fail_msg("%s.%s: starts as %s, its table says %s", t->name, key->name,
					 shown, key->default_text);
		}
		vb_device_desc_free(&d);
	}
}

/* Plan fields name keys of their type; flags are spelt like the CLI's,
 * each once, and an amending flag follows the flag that adds. */
static void test_plan_and_flags(void **state)
{
	(void)state;
	size_t n;
	const struct vb_device_type *const *types = vb_device_types(&n);
	for (size_t i = 0; i < n; i++) {
		const struct vb_device_type *t = types[i];
		for (size_t p = 0; p < t->n_plan; p++)
			if (!find_key(t, t->plan[p].key))
				fail_msg("%s: plan field \"%s\" is not one of its keys", t->name,
					 t->plan[p].key);
		for (size_t f = 0; f < t->n_flags; f++) {
			const struct vb_device_flag *df = &t->flags[f];
			assert_int_equal(strncmp(df->long_name, "--", 2), 0);
			assert_true(df->help && df->help[0]);
			assert_true(!df->amend || f > 0);
			assert_true(df->amend || !t->flags[0].amend);
			for (size_t j = 0; j <= i; j++)
				for (size_t g = 0; g < types[j]->n_flags; g++)
					if (j != i || g != f)
						assert_string_not_equal(types[j]->flags[g].long_name,
									df->long_name);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_plan_and_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
