/* The 9P server's security model (server.h): what a guest may not do to
 * the host through a share even where vmboot's credentials would let it.
 * No setuid/setgid bits and no device nodes, no chown, a fixed mode of the
 * share root, and no way into a kernel-interface mount below the share
 * (nor into any mount with stop_at_mounts). Mounts are tested twice: with
 * an injected classifier that calls a plain directory "proc", which always
 * runs, and with real mounts in a private mount namespace, which needs
 * CAP_SYS_ADMIN and is skipped without it. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixture.h"

#define ATTR_MODE 0x1u
#define ATTR_UID 0x2u
#define ATTR_GID 0x4u
#define ATTR_SIZE 0x8u
#define ATTR_MTIME 0x20u
#define SETID (S_ISUID | S_ISGID)

static mode_t host_mode(const struct env *e, const char *rel)
{
	char path[256];
	struct stat st;
	host_path(e, rel, path, sizeof(path));
	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode;
}

static bool host_exists(const struct env *e, const char *rel)
{
	char path[256];
	struct stat st;
	host_path(e, rel, path, sizeof(path));
	return lstat(path, &st) == 0;
}

/* A file the host made, with mode (chmod: umask does not apply). */
static void host_file(const struct env *e, const char *rel, mode_t mode)
{
	char path[256];
	host_path(e, rel, path, sizeof(path));
	write_file(path, "0123456789");
	assert_int_equal(chmod(path, mode), 0);
}

/* How many of names a walk from fid to newfid gets through; walk(5):
 * newfid exists only when that is all of them. The first must exist. */
static uint16_t walk_depth(struct client *c, uint32_t fid, uint32_t newfid,
			   const char *const *names)
{
	uint16_t n = 0;
	assert_int_equal(c_walk(c, fid, newfid, names, &n), 0);
	return n;
}

/* ---- modes ---- */

static void test_create_drops_setid(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	assert_int_equal(c_walk(c, ROOT, 2, NULL, NULL), 0);
	assert_int_equal(c_lcreate(c, 2, "suid", O_RDWR_, 04755), 0);
	mode_t m = host_mode(e, "suid");
	assert_int_equal(m & SETID, 0);
	assert_int_equal(m & 0700, 0700);
	assert_int_equal(c_walk(c, ROOT, 3, NULL, NULL), 0);
	assert_int_equal(c_lcreate(c, 3, "sgid", O_RDWR_, 02755), 0);
	assert_int_equal(host_mode(e, "sgid") & SETID, 0);

	/* The share has no setgid bit to inherit: whatever a directory has
	 * is what the guest asked for. The sticky bit may stay. */
	assert_int_equal(c_mkdir(c, ROOT, "dir", 02775), 0);
	assert_int_equal(host_mode(e, "dir") & SETID, 0);
	assert_int_equal(c_mkdir(c, ROOT, "tmp", 01777), 0);
	assert_int_equal(host_mode(e, "tmp") & (SETID | S_ISVTX), S_ISVTX);

	assert_int_equal(c_mknod(c, ROOT, "fifo", S_IFIFO | 06644), 0);
	m = host_mode(e, "fifo");
	assert_true(S_ISFIFO(m));
	assert_int_equal(m & SETID, 0);
	assert_int_equal(c_mknod(c, ROOT, "sock", S_IFSOCK | 04600), 0);
	m = host_mode(e, "sock");
	assert_true(S_ISSOCK(m));
	assert_int_equal(m & SETID, 0);
	assert_int_equal(c_mknod(c, ROOT, "reg", S_IFREG | 04755), 0);
	assert_int_equal(host_mode(e, "reg") & SETID, 0);
}

static void test_no_device_nodes(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	assert_int_equal(c_mknod(c, ROOT, "mem", S_IFCHR | 0666), -EPERM);
	assert_int_equal(c_mknod(c, ROOT, "sda", S_IFBLK | 0666), -EPERM);
	assert_false(host_exists(e, "mem"));
	assert_false(host_exists(e, "sda"));
}

static void test_chmod_masks_setid(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	host_file(e, "f", 0644);
	assert_int_equal(c_walk1(c, ROOT, 2, "f"), 0);
	assert_int_equal(c_setattr(c, 2, ATTR_MODE, 06755, 0), 0);
	assert_int_equal(host_mode(e, "f") & 07777, 0755);
	assert_int_equal(c_mkdir(c, ROOT, "d", 0755), 0);
	assert_int_equal(c_walk1(c, ROOT, 3, "d"), 0);
	assert_int_equal(c_setattr(c, 3, ATTR_MODE, 03775, 0), 0);
	assert_int_equal(host_mode(e, "d") & 07777, 01775);
}

/* A setuid file already on the host loses the bits when the guest opens
 * it for writing or truncates it, not when it only reads it. */
static void test_write_drops_setid(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	host_file(e, "ro", 04755);
	assert_int_equal(c_walk1(c, ROOT, 2, "ro"), 0);
	assert_int_equal(c_lopen(c, 2, O_RDONLY_), 0);
	assert_int_equal(host_mode(e, "ro") & 07777, 04755);

	host_file(e, "rw", 06755);
	assert_int_equal(c_walk1(c, ROOT, 3, "rw"), 0);
	assert_int_equal(c_lopen(c, 3, O_RDWR_), 0);
	assert_int_equal(host_mode(e, "rw") & 07777, 0755);

	host_file(e, "trunc", 02755);
	assert_int_equal(c_walk1(c, ROOT, 4, "trunc"), 0);
	assert_int_equal(c_setattr(c, 4, ATTR_SIZE, 0, 3), 0);
	assert_int_equal(host_mode(e, "trunc") & 07777, 0755);

	/* Tlcreate of an existing name opens that file. */
	host_file(e, "again", 04755);
	assert_int_equal(c_walk(c, ROOT, 5, NULL, NULL), 0);
	assert_int_equal(c_lcreate(c, 5, "again", O_WRONLY_, 0644), 0);
	assert_int_equal(host_mode(e, "again") & 07777, 0755);
}

/* ---- owners ---- */

static void test_chown_refused(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	host_file(e, "f", 0644);
	char path[256];
	struct stat before, after;
	host_path(e, "f", path, sizeof(path));
	assert_int_equal(stat(path, &before), 0);
	uint32_t uid = before.st_uid, gid = before.st_gid;
	assert_int_equal(c_walk1(c, ROOT, 2, "f"), 0);
	assert_int_equal(c_setattr_owner(c, 2, ATTR_UID, 0, uid + 1, 0, 0),
			 -EPERM);
	assert_int_equal(c_setattr_owner(c, 2, ATTR_GID, 0, 0, gid + 1, 0),
			 -EPERM);
	/* Refused as a whole: the mode that came with it is not applied. */
	assert_int_equal(c_setattr_owner(c, 2, ATTR_MODE | ATTR_UID, 0600,
					 uid + 1, 0, 0),
			 -EPERM);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(after.st_uid, uid);
	assert_int_equal(after.st_gid, gid);
	assert_int_equal(after.st_mode, before.st_mode);
	/* Naming the owner it has is fine (tar, cp -p), with a chmod too. */
	assert_int_equal(c_setattr_owner(c, 2, ATTR_UID | ATTR_GID, 0, uid,
					 gid, 0),
			 0);
	assert_int_equal(c_setattr_owner(c, 2, ATTR_MODE | ATTR_GID, 0600, 0,
					 gid, 0),
			 0);
	assert_int_equal(host_mode(e, "f") & 07777, 0600);
}

/* ---- the share root ---- */

static void test_root_mode_fixed(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	struct stat st;
	assert_int_equal(stat(e->share, &st), 0);
	mode_t mode = st.st_mode & 07777;
	assert_int_equal(c_setattr(c, ROOT, ATTR_MODE, 0777, 0), -EPERM);
	/* A clone of the root fid is the same directory. */
	assert_int_equal(c_walk(c, ROOT, 2, NULL, NULL), 0);
	assert_int_equal(c_setattr(c, 2, ATTR_MODE, 0700, 0), -EPERM);
	assert_int_equal(stat(e->share, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
	/* Leaving the mode as it is, or setting times, is allowed. */
	assert_int_equal(c_setattr(c, ROOT, ATTR_MODE, mode, 0), 0);
	assert_int_equal(c_setattr(c, ROOT, ATTR_MTIME, 0, 0), 0);
	/* Its subdirectories' modes are the guest's. */
	assert_int_equal(c_mkdir(c, ROOT, "d", 0755), 0);
	assert_int_equal(c_walk1(c, ROOT, 3, "d"), 0);
	assert_int_equal(c_setattr(c, 3, ATTR_MODE, 0700, 0), 0);
}

/* ---- mounts, injected ---- */

/* Calls the directories and files at these inodes of share's file system
 * mounts of the given kind; everything else is as the server sees it. */
struct fake_mounts {
	dev_t dev;
	ino_t kernel[2];
	ino_t ordinary;
};

static enum vb_9p_mount fake_kind(int fd, bool crossed, void *ctx)
{
	const struct fake_mounts *m = ctx;
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	if (st.st_dev == m->dev && st.st_ino &&
	    (st.st_ino == m->kernel[0] || st.st_ino == m->kernel[1]))
		return VB_9P_MOUNT_KERNEL;
	if (st.st_dev == m->dev && st.st_ino == m->ordinary)
		return VB_9P_MOUNT_ORDINARY;
	return vb_9p_mount_kind(fd, crossed, NULL);
}

static void fake_mount_at(const struct env *e, const char *rel, dev_t *dev,
			  ino_t *ino)
{
	char path[256];
	struct stat st;
	host_path(e, rel, path, sizeof(path));
	assert_int_equal(lstat(path, &st), 0);
	*dev = st.st_dev;
	*ino = st.st_ino;
}

/* share/proc holds "secret" and share/bound "data"; share/procfile is a
 * file. The server restarts with fake_kind and, with stop, submounts =
 * false. */
static void fake_share(struct env *e, struct fake_mounts *m, bool stop)
{
	char path[256];
	host_path(e, "proc", path, sizeof(path));
	assert_int_equal(mkdir(path, 0755), 0);
	host_path(e, "proc/secret", path, sizeof(path));
	write_file(path, "kernel state\n");
	host_path(e, "bound", path, sizeof(path));
	assert_int_equal(mkdir(path, 0755), 0);
	host_path(e, "bound/data", path, sizeof(path));
	write_file(path, "data\n");
	host_file(e, "procfile", 0644);
	fake_mount_at(e, "proc", &m->dev, &m->kernel[0]);
	fake_mount_at(e, "procfile", &m->dev, &m->kernel[1]);
	fake_mount_at(e, "bound", &m->dev, &m->ordinary);
	vb_9p_server_destroy(e->c->srv);
	struct vb_9p_config cfg = { .root_path = e->share,
				    .stop_at_mounts = stop,
				    .classify_mount = fake_kind,
				    .classify_ctx = m };
	e->c->srv = make_server_cfg(cfg);
	assert_int_equal(c_attach(e->c, ROOT), 0);
}

/* fid is a fenced directory: empty to every look, closed to change. */
static void assert_fenced_dir(struct client *c, uint32_t fid)
{
	const uint32_t clone = 90, file = 91, opened = 92;
	uint32_t mode;
	uint64_t size, nlink;
	assert_int_equal(c_getattr(c, fid, &mode, &size, &nlink), 0);
	assert_true(S_ISDIR(mode));
	assert_int_equal(size, 0);
	assert_int_equal(nlink, 2);
	assert_int_equal(c_walk1(c, fid, 93, "secret"), -ENOENT);
	assert_int_equal(c_walk1(c, fid, 93, "anything"), -ENOENT);
	/* A clone is fenced as well. */
	assert_int_equal(c_walk(c, fid, clone, NULL, NULL), 0);
	assert_int_equal(c_walk1(c, clone, 93, "secret"), -ENOENT);
	assert_int_equal(c_walk(c, fid, opened, NULL, NULL), 0);
	assert_int_equal(c_lopen(c, opened, O_RDONLY_), 0);
	char list[256];
	assert_int_equal(c_readdir_all(c, opened, list, sizeof(list)), 0);
	assert_string_equal(list, ". .. ");
	uint32_t namelen;
	assert_int_equal(c_statfs(c, fid, &namelen), 0);

	assert_int_equal(c_lcreate(c, clone, "new", O_RDWR_, 0644), -EACCES);
	assert_int_equal(c_mkdir(c, fid, "new", 0755), -EACCES);
	assert_int_equal(c_symlink(c, fid, "new", "x"), -EACCES);
	assert_int_equal(c_mknod(c, fid, "new", S_IFIFO | 0644), -EACCES);
	assert_int_equal(c_unlinkat(c, fid, "secret", 0), -EACCES);
	assert_int_equal(c_renameat(c, fid, "secret", ROOT, "stolen"),
			 -EACCES);
	assert_int_equal(c_setattr(c, fid, ATTR_MODE, 0777, 0), -EACCES);
	assert_int_equal(c_setattr(c, fid, ATTR_MTIME, 0, 0), -EACCES);
	assert_int_equal(c_walk(c, ROOT, file, NULL, NULL), 0);
	assert_int_equal(c_lcreate(c, file, "plain", O_RDWR_, 0644), 0);
	assert_int_equal(c_link(c, fid, file, "new"), -EACCES);
	assert_int_equal(c_lopen(c, fid, O_WRONLY_), -EACCES);
	assert_int_equal(c_clunk(c, file), 0);
	assert_int_equal(c_clunk(c, opened), 0);
	assert_int_equal(c_remove(c, clone), -EACCES);
}

static void test_fake_kernel_mount(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	struct fake_mounts m;
	fake_share(e, &m, false);
	const char *through[] = { "proc", "secret", NULL };
	/* walk(5): the mount point is there, nothing below it. */
	assert_int_equal(walk_depth(c, ROOT, 2, through), 1);
	assert_int_equal(c_clunk(c, 2), -EBADF);
	assert_int_equal(c_walk1(c, ROOT, 2, "proc"), 0);
	assert_fenced_dir(c, 2);
	assert_true(host_exists(e, "proc/secret"));
	assert_false(host_exists(e, "proc/new"));
	assert_false(host_exists(e, "stolen"));
	assert_int_equal(host_mode(e, "proc") & 07777, 0755);
	/* A file mounted from a kernel interface is not opened, nor by
	 * Tlcreate of its name, which opens what exists (O_TRUNC: 01000). */
	assert_int_equal(c_walk1(c, ROOT, 3, "procfile"), 0);
	assert_int_equal(c_lopen(c, 3, O_RDONLY_), -EACCES);
	assert_int_equal(c_walk(c, ROOT, 5, NULL, NULL), 0);
	assert_int_equal(c_lcreate(c, 5, "procfile", O_RDWR_ | 01000, 0644),
			 -EACCES);
	char path[256];
	struct stat st;
	host_path(e, "procfile", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 10);
	/* An ordinary mount is entered. */
	const char *bound[] = { "bound", "data", NULL };
	assert_int_equal(walk_depth(c, ROOT, 4, bound), 2);
	assert_int_equal(c_lopen(c, 4, O_RDONLY_), 0);
}

static void test_fake_stop_at_mounts(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	struct fake_mounts m;
	fake_share(e, &m, true);
	const char *bound[] = { "bound", "data", NULL };
	assert_int_equal(walk_depth(c, ROOT, 2, bound), 1);
	assert_int_equal(c_walk1(c, ROOT, 2, "bound"), 0);
	assert_int_equal(c_walk1(c, 2, 3, "data"), -ENOENT);
	assert_int_equal(c_walk1(c, ROOT, 4, "proc"), 0);
	assert_int_equal(c_walk1(c, 4, 5, "secret"), -ENOENT);
	/* What is not a mount stays as it was. */
	assert_int_equal(c_mkdir(c, ROOT, "plain", 0755), 0);
	const char *plain[] = { "plain", NULL };
	assert_int_equal(walk_depth(c, ROOT, 6, plain), 1);
	assert_int_equal(c_mkdir(c, 6, "sub", 0755), 0);
	assert_true(host_exists(e, "plain/sub"));
}

/* ---- the default classifier on the host's own mounts ---- */

static int open_path(const char *path)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static bool is_fs(const char *path, long magic)
{
	struct statfs s;
	return statfs(path, &s) == 0 && s.f_type == magic;
}

/* A mount of its own, not a directory of the root file system. */
static bool own_mount(const char *path)
{
	struct stat root, st;
	return stat("/", &root) == 0 && stat(path, &st) == 0 &&
	       st.st_dev != root.st_dev;
}

/* What the default classifier takes for /dev (server.h). */
static bool dev_like(const char *dir)
{
	char null[160];
	struct stat st;
	snprintf(null, sizeof(null), "%s/null", dir);
	return is_fs(dir, TMPFS_MAGIC) && lstat(null, &st) == 0 &&
	       S_ISCHR(st.st_mode);
}

static void test_mount_kind(void **state)
{
	struct env *e = *state;
	int fd = open_path("/proc");
	assert_int_equal(vb_9p_mount_kind(fd, true, NULL), VB_9P_MOUNT_KERNEL);
	assert_int_equal(vb_9p_mount_kind(fd, false, NULL), VB_9P_MOUNT_SAME);
	close(fd);
	fd = open_path(e->share);
	assert_int_equal(vb_9p_mount_kind(fd, true, NULL),
			 dev_like(e->share) ? VB_9P_MOUNT_KERNEL
					    : VB_9P_MOUNT_ORDINARY);
	close(fd);
	if (is_fs("/sys", SYSFS_MAGIC)) {
		fd = open_path("/sys");
		assert_int_equal(vb_9p_mount_kind(fd, true, NULL),
				 VB_9P_MOUNT_KERNEL);
		close(fd);
	}
	if (dev_like("/dev")) {
		fd = open_path("/dev");
		assert_int_equal(vb_9p_mount_kind(fd, true, NULL),
				 VB_9P_MOUNT_KERNEL);
		close(fd);
	}
}

/* The zero-config default shares / read-only: the host's /proc, /sys and
 * /dev look empty, its real file systems do not. */
static void test_share_of_host_root(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	vb_9p_server_destroy(c->srv);
	c->srv = make_server("/", true, 0);
	assert_int_equal(c_attach(c, ROOT), 0);
	const char *environ_[] = { "proc", "self", "environ", NULL };
	assert_int_equal(walk_depth(c, ROOT, 2, environ_), 1);
	assert_int_equal(c_walk1(c, ROOT, 2, "proc"), 0);
	assert_int_equal(c_walk1(c, 2, 3, "self"), -ENOENT);
	const char *mem[] = { "1", "mem", NULL };
	assert_int_equal(c_walk(c, 2, 3, mem, NULL), -ENOENT);
	assert_int_equal(c_lopen(c, 2, O_RDONLY_), 0);
	char list[256];
	assert_int_equal(c_readdir_all(c, 2, list, sizeof(list)), 0);
	assert_string_equal(list, ". .. ");

	const char *usr_bin[] = { "usr", "bin", NULL };
	assert_int_equal(walk_depth(c, ROOT, 4, usr_bin), 2);
	char copy[64];
	snprintf(copy, sizeof(copy), "%s", e->base);
	const char *tmp[] = { "tmp", basename(copy), "outside", "secret",
			      NULL };
	assert_int_equal(walk_depth(c, ROOT, 5, tmp), 4);
	if (is_fs("/sys", SYSFS_MAGIC) && own_mount("/sys")) {
		const char *sys[] = { "sys", "kernel", NULL };
		assert_int_equal(walk_depth(c, ROOT, 6, sys), 1);
	}
	if (dev_like("/dev") && own_mount("/dev")) {
		const char *dev[] = { "dev", "null", NULL };
		assert_int_equal(walk_depth(c, ROOT, 6, dev), 1);
	}
}

/* ---- real mounts, in a private mount namespace ---- */

/* Mounts src (of type) on share/rel, a directory made for it or, for a
 * bind mount of a file, a file; recorded for teardown. */
static int mount_below(struct env *e, const char *rel, const char *type,
		       const char *src, unsigned long flags)
{
	char path[256];
	struct stat st;
	host_path(e, rel, path, sizeof(path));
	if (stat(src, &st) == 0 && !S_ISDIR(st.st_mode))
		write_file(path, "");
	else if (mkdir(path, 0755) < 0)
		return -errno;
	if (mount(src, path, type, flags, NULL) < 0)
		return -errno;
	assert_true(e->nmounts < ENV_MAX_MOUNTS);
	snprintf(e->mounts[e->nmounts++], sizeof(e->mounts[0]), "%s", path);
	return 0;
}

/* share/p: proc; share/pf: /proc/version, bound on a file; share/b: a
 * bind mount of outside (same file system); share/t: a tmpfs; share/d: a
 * tmpfs with a "null" character device, as /dev is. Skips the test when
 * this process may not mount. */
static void mount_all_or_skip(struct env *e)
{
	int rc = 0;
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		rc = -errno;
	if (!rc)
		rc = mount_below(e, "p", "proc", "proc", 0);
	if (!rc)
		rc = mount_below(e, "pf", NULL, "/proc/version", MS_BIND);
	if (!rc)
		rc = mount_below(e, "b", NULL, e->outside, MS_BIND);
	if (!rc)
		rc = mount_below(e, "t", "tmpfs", "vb9p", 0);
	if (!rc)
		rc = mount_below(e, "d", "tmpfs", "vb9p", 0);
	char null[256];
	host_path(e, "d/null", null, sizeof(null));
	if (!rc && mknod(null, S_IFCHR | 0666, makedev(1, 3)) < 0)
		rc = -errno;
	if (rc) {
		print_message("SKIP: real mounts below a share need "
			      "CAP_SYS_ADMIN and CAP_MKNOD (%s); the injected "
			      "classifier tests cover the server's logic\n",
			      strerror(-rc));
		skip();
	}
}

static void restart(struct env *e, bool stop)
{
	vb_9p_server_destroy(e->c->srv);
	struct vb_9p_config cfg = { .root_path = e->share,
				    .stop_at_mounts = stop };
	e->c->srv = make_server_cfg(cfg);
	assert_int_equal(c_attach(e->c, ROOT), 0);
}

/* Without openat2 (kernels before 5.6; valgrind, which does not know
 * it) the server sees a mount only where st_dev changes (server.h). */
static bool kernel_has_openat2(void)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC };
	long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));
	if (fd >= 0)
		close((int)fd);
	return !(fd < 0 && errno == ENOSYS);
}

static void test_real_mounts(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	mount_all_or_skip(e);
	restart(e, false);
	const char *p_self[] = { "p", "self", "environ", NULL };
	assert_int_equal(walk_depth(c, ROOT, 2, p_self), 1);
	assert_int_equal(c_walk1(c, ROOT, 2, "p"), 0);
	assert_fenced_dir(c, 2);
	const char *d_null[] = { "d", "null", NULL };
	assert_int_equal(walk_depth(c, ROOT, 3, d_null), 1);
	assert_int_equal(c_walk1(c, ROOT, 3, "pf"), 0);
	assert_int_equal(c_lopen(c, 3, O_RDONLY_), -EACCES);
	assert_int_equal(c_walk(c, ROOT, 6, NULL, NULL), 0);
	assert_int_equal(c_lcreate(c, 6, "pf", O_RDONLY_, 0644), -EACCES);
	/* Ordinary mounts, bind mounts included, are entered. */
	const char *b_secret[] = { "b", "secret", NULL };
	assert_int_equal(walk_depth(c, ROOT, 4, b_secret), 2);
	assert_int_equal(c_lopen(c, 4, O_RDONLY_), 0);
	char buf[32] = { 0 };
	assert_int_equal(c_read(c, 4, 0, buf, sizeof(buf) - 1), 12);
	assert_string_equal(buf, "host secret\n");
	assert_int_equal(c_walk1(c, ROOT, 5, "t"), 0);
	assert_int_equal(c_lcreate(c, 5, "file", O_RDWR_, 0644), 0);
	assert_true(host_exists(e, "t/file"));

	/* submounts = false: every one of them is an empty directory. */
	restart(e, true);
	const char *t_file[] = { "t", "file", NULL };
	assert_int_equal(walk_depth(c, ROOT, 2, t_file), 1);
	assert_int_equal(walk_depth(c, ROOT, 2, p_self), 1);
	if (!kernel_has_openat2()) {
		print_message("note: no openat2: a bind mount of the same file "
			      "system is not seen as a mount, not tested\n");
		return;
	}
	assert_int_equal(walk_depth(c, ROOT, 2, b_secret), 1);
	assert_int_equal(c_walk1(c, ROOT, 2, "b"), 0);
	assert_int_equal(c_mkdir(c, 2, "x", 0755), -EACCES);
	char x[160];
	snprintf(x, sizeof(x), "%s/x", e->outside);
	struct stat st;
	assert_int_equal(stat(x, &st), -1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_create_drops_setid),
		T(test_no_device_nodes),
		T(test_chmod_masks_setid),
		T(test_write_drops_setid),
		T(test_chown_refused),
		T(test_root_mode_fixed),
		T(test_fake_kernel_mount),
		T(test_fake_stop_at_mounts),
		T(test_mount_kind),
		T(test_share_of_host_root),
		T(test_real_mounts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
