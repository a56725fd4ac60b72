/* The socket directory (control/sockdir.h): names, permissions, stale
 * sockets, a live name refused. No KVM. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/sockdir.h"

struct fixture {
	char base[64];
	char dir[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	strcpy(f->base, "/tmp/vb-sockdir-XXXXXX");
	if (!mkdtemp(f->base))
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/vmboot", f->base);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->base);
	int rc = system(cmd);
	free(f);
	return rc == 0 ? 0 : -1;
}

/* A socket file with nobody listening, as a crashed VM leaves it. */
static void make_stale(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
}

static void test_names(void **state)
{
	(void)state;
	struct vb_err err = { "" };
	assert_int_equal(vb_ctl_name_check("web-1.test_a", &err), 0);
	assert_int_equal(vb_ctl_name_check("", &err), -EINVAL);
	assert_int_equal(vb_ctl_name_check("../etc", &err), -EINVAL);
	assert_int_equal(vb_ctl_name_check("a/b", &err), -EINVAL);
	assert_int_equal(vb_ctl_name_check("-x", &err), -EINVAL);
	assert_int_equal(vb_ctl_name_check("sp ace", &err), -EINVAL);
	char longname[VB_CTL_NAME_MAX + 2];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	assert_int_equal(vb_ctl_name_check(longname, &err), -EINVAL);
	char path[VB_CTL_PATH_MAX];
	assert_int_equal(vb_ctl_sock_path("/tmp/x", "web", path, sizeof(path), &err), 0);
	assert_string_equal(path, "/tmp/x/web.sock");
	char deep[100];
	memset(deep, 'd', sizeof(deep) - 1);
	deep[0] = '/';
	deep[sizeof(deep) - 1] = 0;
	assert_int_equal(vb_ctl_sock_path(deep, "web", path, sizeof(path), &err), -ENAMETOOLONG);
}

static void test_dir_env(void **state)
{
	(void)state;
	struct vb_err err = { "" };
	char dir[VB_CTL_PATH_MAX];
	char *saved = getenv("XDG_RUNTIME_DIR") ? strdup(getenv("XDG_RUNTIME_DIR")) : NULL;
	setenv("XDG_RUNTIME_DIR", "/run/user/1234", 1);
	assert_int_equal(vb_ctl_dir(dir, sizeof(dir), &err), 0);
	assert_string_equal(dir, "/run/user/1234/vmboot");
	unsetenv("XDG_RUNTIME_DIR");
	assert_int_equal(vb_ctl_dir(dir, sizeof(dir), &err), 0);
	if (geteuid() == 0)
		assert_string_equal(dir, "/run/vmboot");
	else
		assert_non_null(strstr(dir, "/tmp/vmboot-"));
	if (saved)
		setenv("XDG_RUNTIME_DIR", saved, 1);
	free(saved);
}

static void test_permissions(void **state)
{
	struct fixture *f = *state;
	struct vb_err err = { "" };
	struct stat st;
	assert_int_equal(vb_ctl_dir_prepare(f->dir, &err), 0);
	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* Too open: tightened. */
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(vb_ctl_dir_prepare(f->dir, &err), 0);
	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* Missing parents are made. */
	char nested[160];
	snprintf(nested, sizeof(nested), "%s/a/b/vmboot", f->base);
	assert_int_equal(vb_ctl_dir_prepare(nested, &err), 0);
	/* A file in the way. */
	char file[160];
	snprintf(file, sizeof(file), "%s/file", f->base);
	FILE *fp = fopen(file, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(vb_ctl_dir_prepare(file, &err), -ENOTDIR);

	int fd = -1;
	char path[VB_CTL_PATH_MAX];
	assert_int_equal(vb_ctl_listen(f->dir, "perm", &fd, path, sizeof(path), &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	close(fd);
	unlink(path);
}

static void test_foreign_dir(void **state)
{
	struct fixture *f = *state;
	struct vb_err err = { "" };
	if (geteuid() != 0) {
		print_message("SKIP part: a directory of another owner needs root to make\n");
		return;
	}
	assert_int_equal(mkdir(f->dir, 0700), 0);
	assert_int_equal(chown(f->dir, 65534, 65534), 0);
	assert_int_equal(vb_ctl_dir_prepare(f->dir, &err), -EPERM);
	assert_non_null(strstr(err.msg, "owned by uid 65534"));
}

static void test_stale_and_live(void **state)
{
	struct fixture *f = *state;
	struct vb_err err = { "" };
	char path[VB_CTL_PATH_MAX];
	assert_int_equal(vb_ctl_dir_prepare(f->dir, &err), 0);
	assert_int_equal(vb_ctl_sock_path(f->dir, "web", path, sizeof(path), &err), 0);
	assert_int_equal(vb_ctl_probe(path, &err), VB_CTL_ABSENT);

	make_stale(path);
	assert_int_equal(vb_ctl_probe(path, &err), VB_CTL_STALE);
	assert_int_equal(access(path, F_OK), -1);

	/* Listening on a name whose socket is stale takes it over. */
	make_stale(path);
	int fd = -1, fd2 = -1;
	char p1[VB_CTL_PATH_MAX], p2[VB_CTL_PATH_MAX];
	assert_int_equal(vb_ctl_listen(f->dir, "web", &fd, p1, sizeof(p1), &err), 0);
	assert_int_equal(vb_ctl_probe(path, &err), VB_CTL_LIVE);
	/* A second VM of the same name is refused, clearly. */
	assert_int_equal(vb_ctl_listen(f->dir, "web", &fd2, p2, sizeof(p2), &err), -EADDRINUSE);
	assert_int_equal(fd2, -1);
	assert_non_null(strstr(err.msg, "a VM named \"web\" is already running"));
	close(fd);
	/* The first VM died without cleaning up: its socket is stale now. */
	assert_int_equal(vb_ctl_listen(f->dir, "web", &fd2, p2, sizeof(p2), &err), 0);
	close(fd2);
	unlink(p2);

	/* Not a socket: left alone and reported. */
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(vb_ctl_probe(path, &err), -ENOTSOCK);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
}

static int collect(void *ctx, const char *name, const char *path)
{
	(void)path;
	char *names = ctx;
	strcat(names, name);
	strcat(names, ";");
	return 0;
}

static void test_scan(void **state)
{
	struct fixture *f = *state;
	struct vb_err err = { "" };
	char names[256] = "";
	/* A missing directory holds no VMs. */
	assert_int_equal(vb_ctl_dir_scan(f->dir, collect, names, &err), 0);
	assert_string_equal(names, "");

	int a = -1, b = -1;
	char pa[VB_CTL_PATH_MAX], pb[VB_CTL_PATH_MAX], stale[VB_CTL_PATH_MAX];
	assert_int_equal(vb_ctl_listen(f->dir, "beta", &b, pb, sizeof(pb), &err), 0);
	assert_int_equal(vb_ctl_listen(f->dir, "alpha", &a, pa, sizeof(pa), &err), 0);
	assert_int_equal(vb_ctl_sock_path(f->dir, "crashed", stale, sizeof(stale), &err), 0);
	make_stale(stale);
	assert_int_equal(vb_ctl_dir_scan(f->dir, collect, names, &err), 0);
	assert_string_equal(names, "alpha;beta;");
	assert_int_equal(access(stale, F_OK), -1);
	close(a);
	close(b);
	unlink(pa);
	unlink(pb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_dir_env),
		cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_and_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
