/* The kernel configuration parser and the kernel-check report. */
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kcheck/extract.h"
#include "kcheck/kconfig.h"

static void parse_text(const char *text, struct vb_kconfig *cfg)
{
	struct vb_err err = { "" };
	assert_int_equal(vb_kconfig_parse(text, strlen(text), cfg, &err), 0);
}

static void test_values(void **state)
{
	(void)state;
	struct vb_kconfig cfg;
	parse_text("# comment\n"
		   "CONFIG_A=y\n"
		   "CONFIG_B=m\r\n"
		   "# CONFIG_C is not set\n"
		   "CONFIG_D=\"console=ttyS0 quiet\"\n"
		   "CONFIG_E=0x1000\n"
		   "CONFIG_9P_FS=m\n"
		   "CONFIG_A_LONGER=m\n"
		   "CONFIG_=y\n"
		   "CONFIG_BAD LINE=y\n"
		   "#CONFIG_F is not set\n"
		   "CONFIG_LAST=y", &cfg);
	assert_string_equal(vb_kconfig_get(&cfg, "A"), "y");
	assert_string_equal(vb_kconfig_get(&cfg, "B"), "m");
	assert_null(vb_kconfig_get(&cfg, "C"));
	assert_string_equal(vb_kconfig_get(&cfg, "D"), "\"console=ttyS0 quiet\"");
	assert_string_equal(vb_kconfig_get(&cfg, "E"), "0x1000");
	assert_string_equal(vb_kconfig_get(&cfg, "LAST"), "y");
	assert_int_equal(vb_kconfig_tristate(&cfg, "A"), 'y');
	assert_int_equal(vb_kconfig_tristate(&cfg, "B"), 'm');
	assert_int_equal(vb_kconfig_tristate(&cfg, "9P_FS"), 'm');
	assert_int_equal(vb_kconfig_tristate(&cfg, "A_LONGER"), 'm');
	assert_int_equal(vb_kconfig_tristate(&cfg, "C"), 'n');
	assert_int_equal(vb_kconfig_tristate(&cfg, "D"), 'n');
	assert_int_equal(vb_kconfig_tristate(&cfg, "NEVER_MENTIONED"), 'n');
	assert_null(vb_kconfig_get(&cfg, "BAD"));
	assert_null(vb_kconfig_get(&cfg, "F"));
	vb_kconfig_free(&cfg);
}

static void test_later_line_wins(void **state)
{
	(void)state;
	struct vb_kconfig cfg;
	parse_text("CONFIG_X=m\nCONFIG_Y=y\n# CONFIG_Y is not set\nCONFIG_X=y\n", &cfg);
	assert_int_equal(cfg.count, 2);
	assert_int_equal(vb_kconfig_tristate(&cfg, "X"), 'y');
	assert_int_equal(vb_kconfig_tristate(&cfg, "Y"), 'n');
	vb_kconfig_free(&cfg);
}

static void test_not_a_config(void **state)
{
	(void)state;
	struct vb_kconfig cfg;
	struct vb_err err = { "" };
	const char *text = "hello\nworld\n";
	assert_int_equal(vb_kconfig_parse(text, strlen(text), &cfg, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a kernel configuration"));
	vb_kconfig_free(&cfg);
	/* Not NUL-terminated: the parser must stop at len. */
	char buf[10];
	memcpy(buf, "CONFIG_Z=y", 10);
	assert_int_equal(vb_kconfig_parse(buf, 10, &cfg, &err), 0);
	assert_int_equal(vb_kconfig_tristate(&cfg, "Z"), 'y');
	vb_kconfig_free(&cfg);
}

/* Runs the report into a string. */
static bool report(const struct vb_kconfig *cfg, char *out, size_t size,
		   struct vb_kcheck_summary *sum)
{
	FILE *f = fmemopen(out, size, "w");
	assert_non_null(f);
	bool ok = vb_kcheck_report(cfg, f, sum);
	fclose(f);
	return ok;
}

static void load_fixture(const char *name, struct vb_kconfig *cfg)
{
	const char *srcdir = getenv("VB_SRCDIR");
	char path[4096], source[4200];
	snprintf(path, sizeof(path), "%s/tests/kcheck/fixtures/%s", srcdir ? srcdir : ".", name);
	char *text;
	size_t len;
	struct vb_err err = { "" };
	if (vb_kcheck_load_config(path, &text, &len, source, sizeof(source), &err))
		fail_msg("%s", err.msg);
	assert_string_equal(source, path);
	assert_int_equal(vb_kconfig_parse(text, len, cfg, &err), 0);
	free(text);
}

static void test_stripped(void **state)
{
	(void)state;
	struct vb_kconfig cfg;
	struct vb_kcheck_summary sum;
	static char out[8192];
	load_fixture("stripped.config", &cfg);
	assert_false(report(&cfg, out, sizeof(out), &sum));
	assert_int_equal(sum.essential_missing, 2); /* 8250 and its console */
	assert_int_equal(sum.builtin, 1);           /* BLK_DEV_INITRD */
	assert_int_equal(sum.modules, 2);           /* EXT4_FS, VIRTIO_BLK */
	assert_non_null(strstr(out, "CONFIG_SERIAL_8250 is not set "));
	assert_non_null(strstr(out, "[essential]"));
	assert_non_null(strstr(out, "CONFIG_VIRTIO_BLK=m "));
	assert_non_null(strstr(out, "virtio-blk disks: module (the initramfs must load it)\n"));
	assert_non_null(strstr(out, "CONFIG_VIRTIO is not set "));
	assert_non_null(strstr(out, "summary: 1 built in, 2 modules, 15 missing (2 essential)"));
	vb_kconfig_free(&cfg);
}

static void test_full(void **state)
{
	(void)state;
	struct vb_kconfig cfg;
	struct vb_kcheck_summary sum;
	static char out[8192];
	load_fixture("full.config", &cfg);
	assert_true(report(&cfg, out, sizeof(out), &sum));
	assert_int_equal(sum.missing, 0);
	assert_int_equal(sum.builtin, 10);
	assert_int_equal(sum.modules, 8);
	assert_non_null(strstr(out, "everything vmboot can use is available"));
	vb_kconfig_free(&cfg);
}

/* A module cannot provide the early serial console. */
static void test_builtin_only(void **state)
{
	(void)state;
	struct vb_kconfig cfg;
	struct vb_kcheck_summary sum;
	static char out[8192];
	parse_text("CONFIG_SERIAL_8250=m\nCONFIG_SERIAL_8250_CONSOLE=y\nCONFIG_BLK_DEV_INITRD=y\n",
		   &cfg);
	assert_false(report(&cfg, out, sizeof(out), &sum));
	assert_int_equal(sum.essential_missing, 1);
	assert_non_null(strstr(out, "CONFIG_SERIAL_8250=m "));
	assert_non_null(strstr(out, "only a module, needs to be built in"));
	vb_kconfig_free(&cfg);
}

/* The Debian kernel's own configuration: boots to a console, with virtio,
 * 9p and ext4 as modules. */
static void test_debian_config(void **state)
{
	(void)state;
	glob_t g;
	if (glob("/boot/config-*", 0, NULL, &g) || !g.gl_pathc) {
		globfree(&g);
		skip();
	}
	char *text, source[4200];
	size_t len;
	struct vb_err err = { "" };
	if (vb_kcheck_load_config(g.gl_pathv[0], &text, &len, source, sizeof(source), &err))
		fail_msg("%s", err.msg);
	struct vb_kconfig cfg;
	assert_int_equal(vb_kconfig_parse(text, len, &cfg, &err), 0);
	free(text);
	assert_true(cfg.count > 1000);
	assert_int_equal(vb_kconfig_tristate(&cfg, "SERIAL_8250_CONSOLE"), 'y');
	assert_int_not_equal(vb_kconfig_tristate(&cfg, "VIRTIO_BLK"), 'n');
	static char out[16384];
	assert_true(report(&cfg, out, sizeof(out), NULL));
	vb_kconfig_free(&cfg);
	globfree(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_later_line_wins),
		cmocka_unit_test(test_not_a_config),
		cmocka_unit_test(test_stripped),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_builtin_only),
		cmocka_unit_test(test_debian_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
