/* KVM-PVM hosts (cli/pvm.h): the verdict for each kind of host, guest and
 * kernel configuration, the way forward named from where vmboot runs, and
 * the gate gathering its facts from a fake sysfs and a fake kernel. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/pvm.h"
#include "kcheck/extract.h"
#include "kcheck/kconfig.h"

#define WAY "./dev run machines/minimal.conf"

static void load_fixture(const char *name, struct vb_kconfig *cfg)
{
	const char *src = getenv("VB_SRCDIR");
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/tests/cli/fixtures/%s", src ? src : ".", name);
	uint8_t *text;
	size_t len;
	struct vb_err err = { .msg = "" };
	assert_int_equal(vb_kcheck_read_file(path, 1 << 20, &text, &len, &err), 0);
	assert_int_equal(vb_kconfig_parse((const char *)text, len, cfg, &err), 0);
	free(text);
}

static struct vb_pvm_facts pvm_host(const struct vb_kconfig *cfg)
{
	return (struct vb_pvm_facts){
		.host_is_pvm = true,
		.kernel = "/boot/vmlinuz-6.1.0-57-amd64",
		.config = cfg,
		.config_source = "/boot/config-6.1.0-57-amd64",
		.config_error = cfg ? "" : "no IKCONFIG, and there is no config-6.1.0-57-amd64 file beside it",
		.way_forward = WAY,
	};
}

/* Line i of the decision, checked to be at level. */
static const char *line(const struct vb_pvm_decision *d, size_t i, enum vb_log_level level)
{
	assert_true(i < d->n_lines);
	assert_int_equal(d->lines[i].level, level);
	assert_null(strchr(d->lines[i].text, '\n'));
	return d->lines[i].text;
}

static void test_not_pvm_runs(void **state)
{
	(void)state;
	struct vb_kconfig stock;
	load_fixture("stock.config", &stock);
	struct vb_pvm_facts f = pvm_host(&stock);
	f.host_is_pvm = false;
	struct vb_pvm_decision d;
	vb_pvm_decide(&f, &d);
	assert_int_equal(d.verdict, VB_PVM_RUN);
	assert_int_equal(d.n_lines, 0);
	assert_string_equal(d.quiet_note, "");
	vb_kconfig_free(&stock);
}

static void test_flat_guest_runs(void **state)
{
	(void)state;
	struct vb_pvm_facts f = pvm_host(NULL);
	f.flat_guest = true;
	struct vb_pvm_decision d;
	vb_pvm_decide(&f, &d);
	assert_int_equal(d.verdict, VB_PVM_RUN);
	assert_int_equal(d.n_lines, 0);
	assert_string_equal(d.quiet_note, "");
}

static void test_pvm_guest_kernel_runs(void **state)
{
	(void)state;
	struct vb_kconfig cfg;
	load_fixture("pvm-guest.config", &cfg);
	struct vb_pvm_facts f = pvm_host(&cfg);
	struct vb_pvm_decision d;
	vb_pvm_decide(&f, &d);
	assert_int_equal(d.verdict, VB_PVM_RUN);
	assert_int_equal(d.n_lines, 0);
	assert_string_equal(d.quiet_note, "");
	vb_kconfig_free(&cfg);
}

static void test_stock_kernel_refused(void **state)
{
	(void)state;
	struct vb_kconfig stock;
	load_fixture("stock.config", &stock);
	struct vb_pvm_facts f = pvm_host(&stock);
	struct vb_pvm_decision d;
	vb_pvm_decide(&f, &d);
	assert_int_equal(d.verdict, VB_PVM_REFUSE);
	/* The diagnosis on one line, the way forward on the next. */
	assert_int_equal(d.n_lines, 2);
	assert_string_equal(line(&d, 0, VB_LOG_ERROR),
			    "this host's /dev/kvm is KVM-PVM, which cannot run a kernel without CONFIG_PVM_GUEST; /boot/vmlinuz-6.1.0-57-amd64 lacks it according to /boot/config-6.1.0-57-amd64");
	assert_string_equal(line(&d, 1, VB_LOG_NOTE),
			    "boot it under real KVM nested in QEMU instead: " WAY " (or try anyway with --force-pvm)");
	assert_string_equal(d.quiet_note, "");
	vb_kconfig_free(&stock);
}

static void test_not_set_and_module_lines_refused(void **state)
{
	(void)state;
	/* "is not set" and any value but y: PVM_GUEST is a bool. */
	static const char *const texts[] = {
		"CONFIG_KVM_GUEST=y\n# CONFIG_PVM_GUEST is not set\n",
		"CONFIG_KVM_GUEST=y\nCONFIG_PVM_GUEST=m\n",
		"CONFIG_PVM_GUEST=y\nCONFIG_PVM_GUEST=n\n", /* the later line wins */
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct vb_kconfig cfg;
		struct vb_err err = { .msg = "" };
		assert_int_equal(vb_kconfig_parse(texts[i], strlen(texts[i]), &cfg, &err), 0);
		struct vb_pvm_facts f = pvm_host(&cfg);
		struct vb_pvm_decision d;
		vb_pvm_decide(&f, &d);
		assert_int_equal(d.verdict, VB_PVM_REFUSE);
		vb_kconfig_free(&cfg);
	}
}

static void test_force_runs_with_warning_and_note(void **state)
{
	(void)state;
	struct vb_kconfig stock;
	load_fixture("stock.config", &stock);
	struct vb_pvm_facts f = pvm_host(&stock);
	f.force = true;
	struct vb_pvm_decision d;
	vb_pvm_decide(&f, &d);
	assert_int_equal(d.verdict, VB_PVM_WARN);
	assert_int_equal(d.n_lines, 1);
	assert_non_null(strstr(line(&d, 0, VB_LOG_WARNING),
			       "--force-pvm: /boot/vmlinuz-6.1.0-57-amd64 lacks CONFIG_PVM_GUEST"));
	assert_true(!strncmp(d.quiet_note, "no guest output after 10 s (KVM-PVM", 35));
	assert_non_null(strstr(d.quiet_note, "what works here: " WAY));
	assert_null(strchr(d.quiet_note, '\n'));
	vb_kconfig_free(&stock);
}

static void test_force_with_pvm_guest_is_quiet(void **state)
{
	(void)state;
	struct vb_kconfig cfg;
	load_fixture("pvm-guest.config", &cfg);
	struct vb_pvm_facts f = pvm_host(&cfg);
	f.force = true;
	struct vb_pvm_decision d;
	vb_pvm_decide(&f, &d);
	assert_int_equal(d.verdict, VB_PVM_RUN);
	assert_int_equal(d.n_lines, 0);
	vb_kconfig_free(&cfg);
}

static void test_unreadable_config_warns(void **state)
{
	(void)state;
	for (int force = 0; force < 2; force++) {
		struct vb_pvm_facts f = pvm_host(NULL);
		f.force = force;
		struct vb_pvm_decision d;
		vb_pvm_decide(&f, &d);
		assert_int_equal(d.verdict, VB_PVM_WARN);
		assert_int_equal(d.n_lines, 2);
		const char *diagnosis = line(&d, 0, VB_LOG_WARNING);
		assert_non_null(strstr(diagnosis, "this host's /dev/kvm is KVM-PVM"));
		assert_non_null(strstr(diagnosis, "configuration is unreadable (no IKCONFIG, and there is no config-6.1.0-57-amd64 file beside it): trying anyway"));
		assert_string_equal(line(&d, 1, VB_LOG_NOTE), "what works here: " WAY);
		assert_non_null(strstr(d.quiet_note, "no guest output after 10 s"));
	}
}

/* ---- the way forward ---- */

struct tree {
	char root[PATH_MAX];
};

static void make_path(const struct tree *t, const char *rel, const char *text, mode_t mode)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	for (char *p = path + strlen(t->root) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		mkdir(path, 0755);
		*p = '/';
	}
	if (!text) {
		mkdir(path, 0755);
		return;
	}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void tree_init(struct tree *t)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(t->root, sizeof(t->root), "%s/vb-test-pvm.XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(t->root));
	/* Compare against what realpath reports (TMPDIR may be a symlink). */
	char real[PATH_MAX];
	assert_non_null(realpath(t->root, real));
	snprintf(t->root, sizeof(t->root), "%s", real);
}

static void tree_free(struct tree *t)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	assert_int_equal(system(cmd), 0);
}

static void way(const struct tree *t, const char *exe_rel, const char *cwd_rel,
		const char *file, const char *const *argv, size_t argc, char *out, size_t size)
{
	char exe_dir[PATH_MAX * 2], cwd[PATH_MAX * 2];
	snprintf(exe_dir, sizeof(exe_dir), "%s/%s", t->root, exe_rel);
	snprintf(cwd, sizeof(cwd), "%s/%s", t->root, cwd_rel);
	vb_pvm_way_forward(exe_dir, cwd, file, argv, argc, out, size);
}

static void test_way_from_dev_build_tree(void **state)
{
	(void)state;
	struct tree t;
	tree_init(&t);
	make_path(&t, "src/dev", "#!/bin/sh\n", 0755);
	make_path(&t, "src/tests/nested/run", "#!/bin/sh\n", 0755);
	make_path(&t, "src/build", NULL, 0);
	char out[1024], want[PATH_MAX * 3];

	/* In the source tree: ./dev, and the default written out. */
	way(&t, "src/build", "src", NULL, NULL, 0, out, sizeof(out));
	assert_string_equal(out, "./dev run machines/minimal.conf");
	way(&t, "src/build", "src", "m/web.conf", NULL, 0, out, sizeof(out));
	assert_string_equal(out, "./dev run m/web.conf");

	/* Elsewhere: the absolute paths, and the command shell-quoted. */
	static const char *const argv[] = { "sh", "-c", "echo it's; exit 3" };
	way(&t, "src/build", ".", NULL, argv, 3, out, sizeof(out));
	snprintf(want, sizeof(want),
		 "%s/src/dev run %s/src/machines/minimal.conf -- sh -c 'echo it'\\''s; exit 3'",
		 t.root, t.root);
	assert_string_equal(out, want);

	/* An in-tree build: vmboot in the source directory itself. */
	way(&t, "src", "src", "a.conf", NULL, 0, out, sizeof(out));
	assert_string_equal(out, "./dev run a.conf");
	tree_free(&t);
}

static void test_way_from_vpath_build_tree(void **state)
{
	(void)state;
	struct tree t;
	tree_init(&t);
	make_path(&t, "src/dev", "#!/bin/sh\n", 0755);
	make_path(&t, "src/tests/nested/run", "#!/bin/sh\n", 0755);
	char makefile[PATH_MAX + 64], out[1024];
	snprintf(makefile, sizeof(makefile), "abs_srcdir = x\nabs_top_srcdir = %s/src\nall:\n", t.root);
	make_path(&t, "b/Makefile", makefile, 0644);
	way(&t, "b", "src", NULL, NULL, 0, out, sizeof(out));
	assert_string_equal(out, "./dev run machines/minimal.conf");
	tree_free(&t);
}

static void test_way_from_installed_tree(void **state)
{
	(void)state;
	struct tree t;
	tree_init(&t);
	make_path(&t, "usr/bin", NULL, 0);
	make_path(&t, "usr/share/vmboot/nested/run", "#!/bin/sh\n", 0755);
	make_path(&t, "usr/share/doc/vmboot/examples/minimal.conf", "\n", 0644);
	char out[1024], want[PATH_MAX * 3];
	static const char *const argv[] = { "true" };
	way(&t, "usr/bin", ".", NULL, argv, 1, out, sizeof(out));
	snprintf(want, sizeof(want),
		 "%s/usr/share/vmboot/nested/run --interactive %s/usr/share/doc/vmboot/examples/minimal.conf -- -- true",
		 t.root, t.root);
	assert_string_equal(out, want);
	tree_free(&t);
}

static void test_way_from_nowhere_known(void **state)
{
	(void)state;
	struct tree t;
	tree_init(&t);
	make_path(&t, "opt/bin", NULL, 0);
	char out[1024];
	way(&t, "opt/bin", ".", "web.conf", NULL, 0, out, sizeof(out));
	assert_string_equal(out, "tests/nested/run --interactive web.conf");
	way(&t, "opt/bin", ".", NULL, NULL, 0, out, sizeof(out));
	assert_string_equal(out, "tests/nested/run --interactive MACHINE-FILE");
	/* Never past the end of a small buffer. */
	way(&t, "opt/bin", ".", "web.conf", NULL, 0, out, 12);
	assert_string_equal(out, "tests/neste");
	tree_free(&t);
}

/* ---- the gate, with a fake sysfs and a fake kernel ---- */

/* A bzImage as far as the magic goes ("HdrS" at 0x202), with no payload:
 * its configuration comes from config-VERSION beside it. */
static void fake_bzimage(const struct tree *t, const char *rel)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	uint8_t image[4096] = { 0 };
	memcpy(image + 0x202, "HdrS", 4);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(image, 1, sizeof(image), f), sizeof(image));
	fclose(f);
}

static void copy_fixture(const struct tree *t, const char *name, const char *rel)
{
	struct vb_kconfig unused;
	load_fixture(name, &unused); /* proves the fixture parses */
	vb_kconfig_free(&unused);
	const char *src = getenv("VB_SRCDIR");
	char cmd[PATH_MAX * 3];
	snprintf(cmd, sizeof(cmd), "cp '%s/tests/cli/fixtures/%s' '%s/%s'", src ? src : ".", name,
		 t->root, rel);
	assert_int_equal(system(cmd), 0);
}

static enum vb_pvm_verdict gate(const struct tree *t, const char *kernel_rel, bool force,
				struct vb_pvm_decision *d)
{
	char kernel[PATH_MAX * 2];
	snprintf(kernel, sizeof(kernel), "%s/%s", t->root, kernel_rel);
	struct vb_pvm_request req = { .kernel = kernel, .force = force };
	return vb_pvm_gate(&req, d);
}

static void test_gate(void **state)
{
	(void)state;
	struct tree t;
	tree_init(&t);
	make_path(&t, "sys/module/kvm_pvm", NULL, 0);
	make_path(&t, "plain-sys/module/kvm_intel", NULL, 0);
	make_path(&t, "boot", NULL, 0);
	fake_bzimage(&t, "boot/vmlinuz-stock");
	copy_fixture(&t, "stock.config", "boot/config-stock");
	fake_bzimage(&t, "boot/vmlinuz-pvm");
	copy_fixture(&t, "pvm-guest.config", "boot/config-pvm");
	fake_bzimage(&t, "boot/vmlinuz-noconfig");
	make_path(&t, "boot/flat.bin", "\xf4", 0644); /* hlt */
	char sys[PATH_MAX * 2];
	struct vb_pvm_decision d;

	snprintf(sys, sizeof(sys), "%s/plain-sys", t.root);
	setenv("VMBOOT_SYSFS", sys, 1);
	assert_int_equal(gate(&t, "boot/vmlinuz-stock", false, &d), VB_PVM_RUN);

	snprintf(sys, sizeof(sys), "%s/sys", t.root);
	setenv("VMBOOT_SYSFS", sys, 1);
	assert_int_equal(gate(&t, "boot/vmlinuz-stock", false, &d), VB_PVM_REFUSE);
	assert_non_null(strstr(line(&d, 0, VB_LOG_ERROR),
			       "boot/config-stock (the kernel embeds no configuration)"));
	assert_int_equal(gate(&t, "boot/vmlinuz-stock", true, &d), VB_PVM_WARN);
	assert_int_equal(gate(&t, "boot/vmlinuz-pvm", false, &d), VB_PVM_RUN);
	assert_int_equal(gate(&t, "boot/vmlinuz-noconfig", false, &d), VB_PVM_WARN);
	assert_non_null(strstr(line(&d, 0, VB_LOG_WARNING), "no config-VERSION file beside it"));
	assert_int_equal(gate(&t, "boot/flat.bin", false, &d), VB_PVM_RUN);
	/* Not there, or not a regular file: the build reports it. */
	assert_int_equal(gate(&t, "boot/missing", false, &d), VB_PVM_RUN);
	assert_int_equal(gate(&t, "boot", false, &d), VB_PVM_RUN);
	unsetenv("VMBOOT_SYSFS");
	tree_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_pvm_runs),
		cmocka_unit_test(test_flat_guest_runs),
		cmocka_unit_test(test_pvm_guest_kernel_runs),
		cmocka_unit_test(test_stock_kernel_refused),
		cmocka_unit_test(test_not_set_and_module_lines_refused),
		cmocka_unit_test(test_force_runs_with_warning_and_note),
		cmocka_unit_test(test_force_with_pvm_guest_is_quiet),
		cmocka_unit_test(test_unreadable_config_warns),
		cmocka_unit_test(test_way_from_dev_build_tree),
		cmocka_unit_test(test_way_from_vpath_build_tree),
		cmocka_unit_test(test_way_from_installed_tree),
		cmocka_unit_test(test_way_from_nowhere_known),
		cmocka_unit_test(test_gate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
