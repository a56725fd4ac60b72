/* Where vmboot finds its helper programs (util/helper.h): the environment
 * first and alone, then a build tree, an installed tree relative to the
 * executable (DESTDIR), the configured directory; the error names every
 * path tried. Each test lays out a tree in a temporary directory. */
#include <errno.h>
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

#include "util/helper.h"

#define ENV "VB_TEST_HELPER_PATH"

static const struct vb_helper data_helper = {
	.name = "vb-test-init", .env = ENV, .build_rel = "sub/vb-test-init",
};
static const struct vb_helper exec_helper = {
	.name = "vb-test-init", .env = ENV, .build_rel = "sub/vb-test-init", .executable = true,
};

struct tree {
	char root[64];
	char bin[128];     /* the "executable's directory": ROOT/prefix/bin */
	char conf[128];    /* the "configured directory": ROOT/conf/vmboot */
	char build[256];   /* BIN/sub/vb-test-init */
	char inst[256];    /* ROOT/prefix/libexec/vmboot/vb-test-init */
	char in_conf[256]; /* CONF/vb-test-init */
};

static void mkdirs(const char *path)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		(void)mkdir(buf, 0755);
		*p = '/';
	}
	(void)mkdir(buf, 0755);
}

static void make_file(const char *path, mode_t mode)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\n", f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	snprintf(t->root, sizeof(t->root), "/tmp/vb-test-helper.XXXXXX");
	assert_non_null(mkdtemp(t->root));
	snprintf(t->bin, sizeof(t->bin), "%s/prefix/bin", t->root);
	snprintf(t->conf, sizeof(t->conf), "%s/conf/vmboot", t->root);
	snprintf(t->build, sizeof(t->build), "%s/sub/vb-test-init", t->bin);
	snprintf(t->inst, sizeof(t->inst), "%s/prefix/libexec/vmboot/vb-test-init", t->root);
	snprintf(t->in_conf, sizeof(t->in_conf), "%s/vb-test-init", t->conf);
	mkdirs(t->bin);
	unsetenv(ENV);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	assert_int_equal(system(cmd), 0);
	unsetenv(ENV);
	free(t);
	return 0;
}

static void finds(const struct vb_helper *h, const struct tree *t, const char *want)
{
	char path[PATH_MAX];
	struct vb_err err = { .msg = "" };
	int rc = vb_helper_find_in(h, t->bin, t->conf, path, sizeof(path), &err);
	if (rc)
		fail_msg("not found (%s), wanted %s", err.msg, want);
	assert_string_equal(path, want);
}

static int misses(const struct vb_helper *h, const char *bin, const char *conf,
		  struct vb_err *err)
{
	char path[PATH_MAX];
	int rc = vb_helper_find_in(h, bin, conf, path, sizeof(path), err);
	assert_true(rc < 0);
	return rc;
}

static void test_build_tree_first(void **state)
{
	struct tree *t = *state;
	make_file(t->build, 0755);
	make_file(t->inst, 0755);
	make_file(t->in_conf, 0755);
	finds(&exec_helper, t, t->build);
}

/* make install DESTDIR=...: the configured directory does not exist,
 * the tree beside the executable does. */
static void test_installed_relative(void **state)
{
	struct tree *t = *state;
	make_file(t->inst, 0755);
	finds(&exec_helper, t, t->inst);
	make_file(t->in_conf, 0755);
	finds(&exec_helper, t, t->inst);
}

static void test_configured_dir(void **state)
{
	struct tree *t = *state;
	make_file(t->in_conf, 0755);
	finds(&exec_helper, t, t->in_conf);
	/* No executable directory (/proc/self/exe unreadable): still found. */
	char path[PATH_MAX];
	struct vb_err err = { .msg = "" };
	assert_int_equal(vb_helper_find_in(&exec_helper, NULL, t->conf, path, sizeof(path), &err),
			 0);
	assert_string_equal(path, t->in_conf);
}

/* The error names every path, in the order they were tried. */
static void test_error_lists_every_place(void **state)
{
	struct tree *t = *state;
	struct vb_err err = { .msg = "" };
	assert_int_equal(misses(&exec_helper, t->bin, t->conf, &err), -ENOENT);
	char want[4 * PATH_MAX];
	snprintf(want, sizeof(want), "no vb-test-init at %s, %s or %s (set " ENV " to its path)",
		 t->build, t->inst, t->in_conf);
	assert_string_equal(err.msg, want);
}

/* An installed vmboot reaches the configured directory both ways: it is
 * listed once. */
static void test_error_without_duplicates(void **state)
{
	struct tree *t = *state;
	char conf[PATH_MAX + 32];
	snprintf(conf, sizeof(conf), "%s/prefix/libexec/vmboot", t->root);
	struct vb_err err = { .msg = "" };
	misses(&exec_helper, t->bin, conf, &err);
	char want[3 * PATH_MAX];
	snprintf(want, sizeof(want), "no vb-test-init at %s or %s (set " ENV " to its path)",
		 t->build, t->inst);
	assert_string_equal(err.msg, want);
	misses(&exec_helper, NULL, NULL, &err);
	assert_string_equal(err.msg, "no vb-test-init at any known place (set " ENV " to its path)");
}

/* A file that cannot be executed, or a directory of the name, is not the
 * helper: the search goes on. A data helper needs no execute bit. */
static void test_unusable_skipped(void **state)
{
	struct tree *t = *state;
	make_file(t->build, 0644);
	mkdirs(t->inst);
	make_file(t->in_conf, 0755);
	finds(&data_helper, t, t->build);
	/* Even for root: access(X_OK) wants at least one execute bit. */
	finds(&exec_helper, t, t->in_conf);
}

/* The environment wins over every place, and is the only place when set:
 * a wrong path is an error naming it, not a silent fallback. */
static void test_env_alone(void **state)
{
	struct tree *t = *state;
	char other[PATH_MAX + 16];
	snprintf(other, sizeof(other), "%s/elsewhere", t->root);
	make_file(other, 0755);
	make_file(t->build, 0755);
	setenv(ENV, other, 1);
	finds(&exec_helper, t, other);

	struct vb_err err = { .msg = "" };
	char missing[PATH_MAX + 16];
	snprintf(missing, sizeof(missing), "%s/missing", t->root);
	setenv(ENV, missing, 1);
	assert_int_equal(misses(&exec_helper, t->bin, t->conf, &err), -ENOENT);
	assert_non_null(strstr(err.msg, ENV "="));
	assert_non_null(strstr(err.msg, missing));

	setenv(ENV, t->bin, 1); /* a directory */
	assert_int_equal(misses(&exec_helper, t->bin, t->conf, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "not a regular file"));

	setenv(ENV, "", 1); /* empty: as if unset */
	finds(&exec_helper, t, t->build);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_build_tree_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_installed_relative, setup, teardown),
		cmocka_unit_test_setup_teardown(test_configured_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_lists_every_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_without_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unusable_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_alone, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
