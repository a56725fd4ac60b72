/* 9P2000.L server: round trips of every operation, confinement attacks and
 * malformed messages, on a fresh temporary directory per test. */
#include <dirent.h>
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

#include "fixture.h"

/* ---- round trips ---- */

static void test_version(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	assert_int_equal(c_version(c, 8192, "9P2000.L"), 0);
	assert_int_equal(vb_9p_get_u32(&c->r), 8192);
	struct vb_9p_str v;
	vb_9p_get_str(&c->r, &v);
	assert_int_equal(v.len, 8);
	assert_memory_equal(v.p, "9P2000.L", 8);
	/* Clamped to the transport's limit; fids were reset. */
	assert_int_equal(c_version(c, 1u << 30, "9P2000.L"), 0);
	assert_int_equal(vb_9p_get_u32(&c->r), CLIENT_BUF_BYTES);
	assert_int_equal(vb_9p_server_fid_count(c->srv), 0);
	assert_int_equal(c_version(c, 8192, "9P2000.u"), 0);
	vb_9p_get_u32(&c->r);
	vb_9p_get_str(&c->r, &v);
	assert_int_equal(v.len, 7);
	assert_memory_equal(v.p, "unknown", 7);
	assert_int_equal(c_version(c, 100, "9P2000.L"), -EINVAL);
}

static void test_create_write_read(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	assert_int_equal(c_walk(c, ROOT, 2, NULL, NULL), 0);
	assert_int_equal(c_lcreate(c, 2, "hello.txt", O_RDWR_, 0640), 0);
	assert_int_equal(vb_9p_get_u8(&c->r), VB_9P_QTFILE);
	assert_int_equal(c_write(c, 2, 0, "hello, 9p", 9), 9);
	assert_int_equal(c_write(c, 2, 9, "!", 1), 1);
	char buf[64] = { 0 };
	assert_int_equal(c_read(c, 2, 0, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "hello, 9p!");
	assert_int_equal(c_read(c, 2, 7, buf, 2), 2);
	assert_memory_equal(buf, "9p", 2);
	assert_int_equal(c_read(c, 2, 100, buf, 8), 0);
	assert_int_equal(c_fsync(c, 2), 0);
	assert_int_equal(c_clunk(c, 2), 0);

	/* The host sees the file, with its mode. */
	char path[256];
	struct stat st;
	host_path(e, "hello.txt", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 10);
	assert_int_equal(st.st_mode & 0700, 0600); /* group bits depend on umask */

	/* Walk and read it again through a fresh fid. */
	assert_int_equal(c_walk1(c, ROOT, 3, "hello.txt"), 0);
	assert_int_equal(c_lopen(c, 3, O_RDONLY_), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(c_read(c, 3, 0, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "hello, 9p!");
	assert_int_equal(c_write(c, 3, 0, "x", 1), -EBADF);
	assert_int_equal(c_lopen(c, 3, O_RDONLY_), -EBADF);
	/* Exclusive create of an existing name fails. */
	assert_int_equal(c_walk(c, ROOT, 4, NULL, NULL), 0);
	assert_int_equal(c_lcreate(c, 4, "hello.txt", O_RDWR_ | O_EXCL_, 0600),
			 -EEXIST);
}

static void test_readdir_getattr_setattr(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	char path[256];
	/* Enough entries that a 300-byte count needs several requests. */
	for (int i = 0; i < 20; i++) {
		char name[32];
		snprintf(name, sizeof(name), "file-%02d", i);
		host_path(e, name, path, sizeof(path));
		write_file(path, "0123456789");
	}
	assert_int_equal(c_walk(c, ROOT, 2, NULL, NULL), 0);
	assert_int_equal(c_lopen(c, 2, O_RDONLY_), 0);
	char list[4096];
	assert_int_equal(c_readdir_all(c, 2, list, sizeof(list)), 0);
	int seen = 0;
	for (int i = 0; i < 20; i++) {
		char name[32];
		snprintf(name, sizeof(name), "file-%02d ", i);
		seen += strstr(list, name) != NULL;
	}
	assert_int_equal(seen, 20);
	assert_non_null(strstr(list, ". "));
	assert_null(strstr(list, "  ")); /* no empty names */
	assert_int_equal(c_read(c, 2, 0, list, 16), -EISDIR);

	uint32_t mode;
	uint64_t size, nlink;
	assert_int_equal(c_walk1(c, ROOT, 3, "file-07"), 0);
	assert_int_equal(c_getattr(c, 3, &mode, &size, &nlink), 0);
	assert_true(S_ISREG(mode));
	assert_int_equal(size, 10);
	assert_int_equal(nlink, 1);
	assert_int_equal(c_getattr(c, ROOT, &mode, &size, &nlink), 0);
	assert_true(S_ISDIR(mode));

	/* setattr: truncate and chmod. */
	assert_int_equal(c_setattr(c, 3, 0x8, 0, 4), 0);
	assert_int_equal(c_setattr(c, 3, 0x1, 0600, 0), 0);
	assert_int_equal(c_getattr(c, 3, &mode, &size, &nlink), 0);
	assert_int_equal(size, 4);
	assert_int_equal(mode & 07777, 0600);
	host_path(e, "file-07", path, sizeof(path));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 4);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* Times: set mtime to "now" must succeed. */
	assert_int_equal(c_setattr(c, 3, 0x20, 0, 0), 0);
	assert_int_equal(c_setattr(c, ROOT, 0x8, 0, 0), -EISDIR);
}

static void test_mkdir_rename_unlink(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	char path[256];
	struct stat st;
	assert_int_equal(c_mkdir(c, ROOT, "dir", 0755), 0);
	assert_int_equal(vb_9p_get_u8(&c->r), VB_9P_QTDIR);
	assert_int_equal(c_mkdir(c, ROOT, "dir", 0755), -EEXIST);
	assert_int_equal(c_walk1(c, ROOT, 2, "dir"), 0);
	assert_int_equal(c_lcreate(c, 2, "a", O_WRONLY_, 0644), 0);
	assert_int_equal(c_write(c, 2, 0, "abc", 3), 3);
	/* Trename moves the fid's file; the fid follows it. */
	assert_int_equal(c_rename(c, 2, ROOT, "b"), 0);
	host_path(e, "b", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	host_path(e, "dir/a", path, sizeof(path));
	assert_int_equal(stat(path, &st), -1);
	/* Trenameat by names. */
	assert_int_equal(c_walk1(c, ROOT, 3, "dir"), 0);
	assert_int_equal(c_renameat(c, ROOT, "b", 3, "c"), 0);
	host_path(e, "dir/c", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	/* fid 2 still thinks it is "b" in the root: a stale entry is
	 * refused, never applied to whatever has that name now. */
	host_path(e, "b", path, sizeof(path));
	write_file(path, "other");
	assert_int_equal(c_remove(c, 2), -ENOENT);
	assert_int_equal(stat(path, &st), 0);
	/* Tunlinkat of a file and of the now-empty directory. */
	assert_int_equal(c_unlinkat(c, 3, "c", 0), 0);
	assert_int_equal(c_unlinkat(c, ROOT, "dir", 0), -EISDIR);
	assert_int_equal(c_unlinkat(c, ROOT, "dir", 0x200), 0);
	host_path(e, "dir", path, sizeof(path));
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(c_unlinkat(c, ROOT, "b", 0x1), -EINVAL);
	/* Tremove of a walked fid removes the file and clunks the fid. */
	assert_int_equal(c_walk1(c, ROOT, 4, "b"), 0);
	uint32_t before = vb_9p_server_fid_count(c->srv);
	assert_int_equal(c_remove(c, 4), 0);
	assert_int_equal(vb_9p_server_fid_count(c->srv), before - 1);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(c_remove(c, ROOT), -EBUSY);
}

static void test_symlink_link_statfs_mknod(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	char path[256], target[256];
	struct stat st;
	assert_int_equal(c_symlink(c, ROOT, "sl", "some/where/../else"), 0);
	assert_int_equal(vb_9p_get_u8(&c->r), VB_9P_QTSYMLINK);
	assert_int_equal(c_walk1(c, ROOT, 2, "sl"), 0);
	assert_int_equal(c_readlink(c, 2, target, sizeof(target)), 0);
	assert_string_equal(target, "some/where/../else");
	assert_int_equal(c_readlink(c, ROOT, target, sizeof(target)), -EINVAL);
	host_path(e, "sl", path, sizeof(path));
	assert_int_equal(readlink(path, target, sizeof(target)), 18);

	host_path(e, "f", path, sizeof(path));
	write_file(path, "data");
	assert_int_equal(c_walk1(c, ROOT, 3, "f"), 0);
	assert_int_equal(c_link(c, ROOT, 3, "g"), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(c_link(c, ROOT, ROOT, "rootlink"), -EPERM);

	uint32_t namelen = 0;
	assert_int_equal(c_statfs(c, ROOT, &namelen), 0);
	assert_true(namelen > 0);

	assert_int_equal(c_mknod(c, ROOT, "fifo", S_IFIFO | 0644), 0);
	host_path(e, "fifo", path, sizeof(path));
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	/* Opening a FIFO on the host could block the server: refused. */
	assert_int_equal(c_walk1(c, ROOT, 4, "fifo"), 0);
	assert_int_equal(c_lopen(c, 4, O_RDONLY_), -ENXIO);
	assert_int_equal(c_mknod(c, ROOT, "null", S_IFCHR | 0666), -EPERM);
	assert_int_equal(c_mknod(c, ROOT, "blk", S_IFBLK | 0666), -EPERM);
	/* lcreate over an existing FIFO name must not block or open it. */
	assert_int_equal(c_walk(c, ROOT, 5, NULL, NULL), 0);
	int rc = c_lcreate(c, 5, "fifo", O_WRONLY_, 0644);
	assert_true(rc == -ENXIO || rc == -EEXIST);
}

static void test_xattr_lock_flush(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	client_begin(c);
	vb_9p_put_u32(&c->o, ROOT);
	vb_9p_put_u32(&c->o, 9);
	vb_9p_put_str(&c->o, "", 0);
	assert_int_equal(client_send(c, VB_9P_TXATTRWALK), 0);
	assert_int_equal(vb_9p_get_u64(&c->r), 0);
	char buf[8];
	assert_int_equal(c_read(c, 9, 0, buf, sizeof(buf)), 0);
	assert_int_equal(c_clunk(c, 9), 0);
	client_begin(c);
	vb_9p_put_u32(&c->o, ROOT);
	vb_9p_put_u32(&c->o, 9);
	vb_9p_put_str(&c->o, "user.x", 6);
	assert_int_equal(client_send(c, VB_9P_TXATTRWALK), -ENODATA);

	client_begin(c);
	vb_9p_put_u32(&c->o, ROOT);
	vb_9p_put_u8(&c->o, 1);
	vb_9p_put_u32(&c->o, 0);
	vb_9p_put_u64(&c->o, 0);
	vb_9p_put_u64(&c->o, 10);
	vb_9p_put_u32(&c->o, 42);
	vb_9p_put_str(&c->o, "guest", 5);
	assert_int_equal(client_send(c, VB_9P_TLOCK), 0);
	assert_int_equal(vb_9p_get_u8(&c->r), 0);

	client_begin(c);
	vb_9p_put_u16(&c->o, 7);
	assert_int_equal(client_send(c, VB_9P_TFLUSH), 0);

	client_begin(c);
	vb_9p_put_u32(&c->o, 5);
	vb_9p_put_str(&c->o, "u", 1);
	vb_9p_put_str(&c->o, "", 0);
	vb_9p_put_u32(&c->o, 0);
	assert_int_equal(client_send(c, VB_9P_TAUTH), -EOPNOTSUPP);
}

/* ---- confinement ---- */

static void test_walk_dotdot_and_slash(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	assert_int_equal(c_walk1(c, ROOT, 2, ".."), -EINVAL);
	assert_int_equal(c_walk1(c, ROOT, 2, "."), -EINVAL);
	assert_int_equal(c_walk1(c, ROOT, 2, ""), -EINVAL);
	assert_int_equal(c_walk1(c, ROOT, 2, "../outside"), -EINVAL);
	assert_int_equal(c_walk1(c, ROOT, 2, "/etc"), -EINVAL);
	assert_int_equal(c_mkdir(c, ROOT, "d", 0755), 0);
	const char *names[] = { "d", "..", "..", "outside", NULL };
	assert_int_equal(c_walk(c, ROOT, 2, names, NULL), -EINVAL);
	assert_int_equal(c_lcreate(c, ROOT, "../evil", O_RDWR_, 0644), -EINVAL);
	assert_int_equal(c_symlink(c, ROOT, "a/b", "x"), -EINVAL);
	assert_int_equal(vb_9p_server_fid_count(c->srv), 1); /* no leaked fid */
}

static void test_walk_symlink_outside(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	char path[256];
	host_path(e, "abs", path, sizeof(path));
	assert_int_equal(symlink(e->outside, path), 0);
	host_path(e, "rel", path, sizeof(path));
	assert_int_equal(symlink("../outside", path), 0);
	char abs_secret[160];
	snprintf(abs_secret, sizeof(abs_secret), "%s/secret", e->outside);
	host_path(e, "file", path, sizeof(path));
	assert_int_equal(symlink(abs_secret, path), 0);

	const char *via_abs[] = { "abs", "secret", NULL };
	const char *via_rel[] = { "rel", "secret", NULL };
	uint16_t n = 99;
	/* walk(5): the first element succeeds (the link itself), the second
	 * fails, so the reply has one qid and newfid is not created. */
	assert_int_equal(c_walk(c, ROOT, 2, via_abs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(c_walk(c, ROOT, 2, via_rel, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(c_clunk(c, 2), -EBADF);
	/* The link itself is reachable, but not through it. */
	assert_int_equal(c_walk1(c, ROOT, 3, "abs"), 0);
	assert_int_equal(c_walk1(c, 3, 4, "secret"), -ENOTDIR);
	assert_int_equal(c_lopen(c, 3, O_RDONLY_), -ELOOP);
	assert_int_equal(c_walk1(c, ROOT, 5, "file"), 0);
	assert_int_equal(c_lopen(c, 5, O_RDONLY_), -ELOOP);
	assert_int_equal(c_setattr(c, 5, 0x8, 0, 0), -EINVAL);
	struct stat st;
	assert_int_equal(stat(abs_secret, &st), 0);
	assert_int_equal(st.st_size, 12);
	char target[256];
	assert_int_equal(c_readlink(c, 5, target, sizeof(target)), 0);
	assert_string_equal(target, abs_secret);
	/* Creating through a symlinked directory is refused too. */
	assert_int_equal(c_lcreate(c, 3, "x", O_RDWR_, 0644), -ENOTDIR);
	assert_int_equal(c_mkdir(c, 3, "x", 0755), -ENOTDIR);
}

static void test_rename_dotdot(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	char path[256];
	host_path(e, "f", path, sizeof(path));
	write_file(path, "x");
	assert_int_equal(c_renameat(c, ROOT, "f", ROOT, "../escaped"), -EINVAL);
	assert_int_equal(c_renameat(c, ROOT, "..", ROOT, "in"), -EINVAL);
	assert_int_equal(c_renameat(c, ROOT, "../outside", ROOT, "in"),
			 -EINVAL);
	assert_int_equal(c_walk1(c, ROOT, 2, "f"), 0);
	assert_int_equal(c_rename(c, 2, ROOT, ".."), -EINVAL);
	assert_int_equal(c_rename(c, ROOT, ROOT, "x"), -EBUSY);
	struct stat st;
	char out[200];
	snprintf(out, sizeof(out), "%s/escaped", e->base);
	assert_int_equal(stat(out, &st), -1);
	assert_int_equal(stat(path, &st), 0);
	/* Renaming onto a symlink name replaces the link, never its target. */
	char link[256];
	host_path(e, "ln", link, sizeof(link));
	assert_int_equal(symlink(e->outside, link), 0);
	assert_int_equal(c_renameat(c, ROOT, "f", ROOT, "ln"), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	snprintf(out, sizeof(out), "%s/secret", e->outside);
	assert_int_equal(stat(out, &st), 0);
}

static void test_symlink_swap_race(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	char dir[256], moved[256];
	host_path(e, "d", dir, sizeof(dir));
	host_path(e, "d.real", moved, sizeof(moved));
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(c_walk1(c, ROOT, 2, "d"), 0);
	/* The host (or another guest process via a second share) swaps the
	 * directory for a symlink to the outside between two walks. */
	assert_int_equal(rename(dir, moved), 0);
	assert_int_equal(symlink(e->outside, dir), 0);
	/* fid 2 still holds the real directory: no "secret" there. */
	assert_int_equal(c_walk1(c, 2, 3, "secret"), -ENOENT);
	/* Creating through fid 2 lands in d.real, not outside. */
	assert_int_equal(c_walk(c, 2, 4, NULL, NULL), 0);
	assert_int_equal(c_lcreate(c, 4, "new", O_RDWR_, 0644), 0);
	char path[300];
	struct stat st;
	snprintf(path, sizeof(path), "%s/new", moved);
	assert_int_equal(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/new", e->outside);
	assert_int_equal(stat(path, &st), -1);
	/* A fresh walk by name stops at the symlink. */
	const char *names[] = { "d", "secret", NULL };
	uint16_t n = 0;
	assert_int_equal(c_walk(c, ROOT, 5, names, &n), 0);
	assert_int_equal(n, 1);
	/* Swapping a file for a symlink after walking: lopen opens the
	 * inode the fid holds. */
	char f[256], fmoved[256];
	host_path(e, "f", f, sizeof(f));
	host_path(e, "f.real", fmoved, sizeof(fmoved));
	write_file(f, "inside");
	assert_int_equal(c_walk1(c, ROOT, 6, "f"), 0);
	assert_int_equal(rename(f, fmoved), 0);
	snprintf(path, sizeof(path), "%s/secret", e->outside);
	assert_int_equal(symlink(path, f), 0);
	assert_int_equal(c_lopen(c, 6, O_RDONLY_), 0);
	char buf[32] = { 0 };
	assert_int_equal(c_read(c, 6, 0, buf, sizeof(buf) - 1), 6);
	assert_string_equal(buf, "inside");
	/* Tremove of a fid whose name now is the symlink: refused, neither
	 * the link nor its target is removed. */
	assert_int_equal(c_remove(c, 6), -ENOENT);
	assert_int_equal(lstat(f, &st), 0);
	assert_int_equal(stat(path, &st), 0);
}

static void test_hardlink_trick(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	char secret[160], lnk[256], hl[256];
	struct stat st;
	snprintf(secret, sizeof(secret), "%s/secret", e->outside);
	host_path(e, "lnk", lnk, sizeof(lnk));
	host_path(e, "hl", hl, sizeof(hl));
	assert_int_equal(symlink(secret, lnk), 0);
	assert_int_equal(c_walk1(c, ROOT, 2, "lnk"), 0);
	/* Linking the symlink fid links the symlink itself (with
	 * CAP_DAC_READ_SEARCH) or fails; it never links its target. */
	int rc = c_link(c, ROOT, 2, "hl");
	assert_true(rc == 0 || rc == -ENOENT || rc == -EPERM);
	assert_int_equal(stat(secret, &st), 0);
	assert_int_equal(st.st_nlink, 1);
	if (rc == 0) {
		assert_int_equal(lstat(hl, &st), 0);
		assert_true(S_ISLNK(st.st_mode));
	}
	/* Names cannot point elsewhere either. */
	host_path(e, "f", lnk, sizeof(lnk));
	write_file(lnk, "x");
	assert_int_equal(c_walk1(c, ROOT, 3, "f"), 0);
	assert_int_equal(c_link(c, ROOT, 3, "../outside/f"), -EINVAL);
	char out[200];
	snprintf(out, sizeof(out), "%s/f", e->outside);
	assert_int_equal(stat(out, &st), -1);
	/* A link whose directory fid is a symlink to outside fails. */
	assert_int_equal(c_symlink(c, ROOT, "out", e->outside), 0);
	assert_int_equal(c_walk1(c, ROOT, 4, "out"), 0);
	assert_int_equal(c_link(c, 4, 3, "f"), -ENOTDIR);
	assert_int_equal(stat(out, &st), -1);
}

static void test_readonly(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	char path[256];
	host_path(e, "f", path, sizeof(path));
	write_file(path, "read me");
	vb_9p_server_destroy(c->srv);
	c->srv = make_server(e->share, true, 0);
	assert_int_equal(c_attach(c, ROOT), 0);
	assert_int_equal(c_walk1(c, ROOT, 2, "f"), 0);
	assert_int_equal(c_lopen(c, 2, O_WRONLY_), -EROFS);
	assert_int_equal(c_lopen(c, 2, O_RDONLY_ | 01000), -EROFS);
	assert_int_equal(c_lopen(c, 2, O_RDONLY_), 0);
	char buf[16] = { 0 };
	assert_int_equal(c_read(c, 2, 0, buf, sizeof(buf) - 1), 7);
	assert_int_equal(c_write(c, 2, 0, "x", 1), -EROFS);
	assert_int_equal(c_setattr(c, 2, 0x8, 0, 0), -EROFS);
	assert_int_equal(c_walk(c, ROOT, 3, NULL, NULL), 0);
	assert_int_equal(c_lcreate(c, 3, "new", O_RDWR_, 0644), -EROFS);
	assert_int_equal(c_mkdir(c, ROOT, "d", 0755), -EROFS);
	assert_int_equal(c_symlink(c, ROOT, "s", "t"), -EROFS);
	assert_int_equal(c_mknod(c, ROOT, "p", S_IFIFO | 0644), -EROFS);
	assert_int_equal(c_link(c, ROOT, 2, "h"), -EROFS);
	assert_int_equal(c_renameat(c, ROOT, "f", ROOT, "g"), -EROFS);
	assert_int_equal(c_unlinkat(c, ROOT, "f", 0), -EROFS);
	assert_int_equal(c_remove(c, 2), -EROFS);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 7);
}

/* ---- malformed messages ---- */

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t rlerror_of(struct client *c, const uint8_t *msg, size_t len)
{
	size_t rlen = 0;
	assert_int_equal(vb_9p_server_handle(c->srv, msg, len, c->resp,
					     sizeof(c->resp), &rlen), 0);
	assert_int_equal(rlen, VB_9P_RLERROR_BYTES);
	assert_int_equal(c->resp[4], VB_9P_RLERROR);
	return c->resp[7] | c->resp[8] << 8 | c->resp[9] << 16 |
	       (uint32_t)c->resp[10] << 24;
}

static void test_bad_messages(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	uint8_t m[64] = { 0 };
	/* Short: fewer bytes than a header; the tag is unknown. */
	assert_int_equal(rlerror_of(c, m, 3), EPROTO);
	assert_int_equal(c->resp[5] | c->resp[6] << 8, VB_9P_NOTAG);
	/* Size field larger than the buffer. */
	le32(m, 1000);
	m[4] = VB_9P_TCLUNK;
	m[5] = 0x34;
	assert_int_equal(rlerror_of(c, m, 11), EMSGSIZE);
	assert_int_equal(c->resp[5], 0x34);
	/* Size field smaller than a header. */
	le32(m, 5);
	assert_int_equal(rlerror_of(c, m, 11), EPROTO);
	/* Body cut short: Tclunk with 2 of its 4 fid bytes. */
	le32(m, 9);
	assert_int_equal(rlerror_of(c, m, 9), EPROTO);
	/* Trailing garbage inside the declared size. */
	le32(m, 12);
	le32(m + 7, ROOT);
	assert_int_equal(rlerror_of(c, m, 12), EPROTO);
	assert_int_equal(vb_9p_server_fid_count(c->srv), 1);
	/* String length past the end: Tattach whose uname claims 500 bytes. */
	memset(m, 0, sizeof(m));
	le32(m, 25);
	m[4] = VB_9P_TATTACH;
	le32(m + 7, 7);
	le32(m + 11, VB_9P_NOFID);
	m[15] = 0xf4;
	m[16] = 0x01;
	assert_int_equal(rlerror_of(c, m, 25), EPROTO);
	/* Unknown and legacy types. */
	le32(m, 11);
	m[4] = 200;
	assert_int_equal(rlerror_of(c, m, 11), EOPNOTSUPP);
	m[4] = 112; /* 9P2000 Topen */
	assert_int_equal(rlerror_of(c, m, 11), EOPNOTSUPP);
	m[4] = VB_9P_RLERROR;
	assert_int_equal(rlerror_of(c, m, 11), EOPNOTSUPP);
	/* Unknown fid. */
	assert_int_equal(c_clunk(c, 99), -EBADF);
	assert_int_equal(c_lopen(c, 99, 0), -EBADF);
	assert_int_equal(c_walk1(c, 99, 100, "x"), -EBADF);
	/* Fid reuse. */
	assert_int_equal(c_attach(c, ROOT), -EEXIST);
	assert_int_equal(c_walk(c, ROOT, 2, NULL, NULL), 0);
	assert_int_equal(c_walk(c, ROOT, 2, NULL, NULL), -EEXIST);
	assert_int_equal(c_walk(c, ROOT, VB_9P_NOFID, NULL, NULL), -EBADF);
	/* nwname 17. */
	const char *names[18];
	for (int i = 0; i < 17; i++)
		names[i] = "a";
	names[17] = NULL;
	assert_int_equal(c_walk(c, ROOT, 3, names, NULL), -EINVAL);
	names[16] = NULL;
	uint16_t n = 99;
	assert_int_equal(c_walk(c, ROOT, 3, names, &n), -ENOENT);
	/* Name with an embedded NUL. */
	client_begin(c);
	vb_9p_put_u32(&c->o, ROOT);
	vb_9p_put_u32(&c->o, 3);
	vb_9p_put_u16(&c->o, 1);
	vb_9p_put_str(&c->o, "a\0b", 3);
	assert_int_equal(client_send(c, VB_9P_TWALK), -EINVAL);
	/* Bad open flags (access mode 3). */
	assert_int_equal(c_lopen(c, 2, 3), -EINVAL);
	/* Larger than the negotiated msize. */
	assert_int_equal(c_version(c, 512, "9P2000.L"), 0);
	assert_int_equal(c_attach(c, ROOT), 0);
	uint8_t big[600] = { 0 };
	assert_int_equal(c_walk(c, ROOT, 2, NULL, NULL), 0);
	assert_int_equal(c_lopen(c, 2, 0), 0);
	le32(big, sizeof(big));
	big[4] = VB_9P_TWRITE;
	assert_int_equal(rlerror_of(c, big, sizeof(big)), EMSGSIZE);
	/* A read asking for more than msize is clamped, never overflows. */
	char buf[1024];
	assert_true(c_read(c, 2, 0, buf, sizeof(buf)) == -EISDIR);
	/* A reply buffer too small for even an Rlerror. */
	size_t rlen = 99;
	assert_int_equal(vb_9p_server_handle(c->srv, m, 11, c->resp, 10, &rlen),
			 -EMSGSIZE);
	assert_int_equal(rlen, 0);
}

static void test_fid_limit(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	vb_9p_server_destroy(c->srv);
	c->srv = make_server(e->share, false, 3);
	assert_int_equal(c_attach(c, ROOT), 0);
	assert_int_equal(c_walk(c, ROOT, 2, NULL, NULL), 0);
	assert_int_equal(c_walk(c, ROOT, 3, NULL, NULL), 0);
	assert_int_equal(c_walk(c, ROOT, 4, NULL, NULL), -EMFILE);
	assert_int_equal(c_clunk(c, 3), 0);
	assert_int_equal(c_walk(c, ROOT, 4, NULL, NULL), 0);
	/* A read clamps to the room in a small reply buffer. */
	char path[256];
	host_path(e, "big", path, sizeof(path));
	char data[3000];
	memset(data, 'z', sizeof(data) - 1);
	data[sizeof(data) - 1] = '\0';
	write_file(path, data);
	assert_int_equal(c_walk1(c, ROOT, 4, "big"), -EEXIST);
	assert_int_equal(c_walk1(c, 4, 4, "big"), 0);
	assert_int_equal(c_lopen(c, 4, 0), 0);
	uint8_t req[64];
	struct vb_9p_out o;
	vb_9p_out_init(&o, req, sizeof(req));
	vb_9p_put_u32(&o, 4);
	vb_9p_put_u64(&o, 0);
	vb_9p_put_u32(&o, 100000);
	int len = vb_9p_out_finish(&o, VB_9P_TREAD, 1);
	size_t rlen = 0;
	assert_int_equal(vb_9p_server_handle(c->srv, req, (size_t)len, c->resp,
					     1000, &rlen), 0);
	assert_int_equal(rlen, 1000);
	assert_int_equal(c->resp[4], VB_9P_TREAD + 1);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Every descriptor a fid holds is closed by clunk, Tversion or destroy. */
static void test_no_fd_leak(void **state)
{
	struct env *e = *state;
	struct client *c = e->c;
	vb_9p_server_destroy(c->srv);
	int before = count_fds();
	c->srv = make_server(e->share, false, 0);
	assert_int_equal(c_attach(c, ROOT), 0);
	assert_int_equal(c_mkdir(c, ROOT, "d", 0755), 0);
	const char *names[] = { "d", NULL };
	assert_int_equal(c_walk(c, ROOT, 2, names, NULL), 0);
	assert_int_equal(c_lcreate(c, 2, "f", O_RDWR_, 0644), 0);
	assert_int_equal(c_walk1(c, ROOT, 3, "d"), 0);
	assert_int_equal(c_lopen(c, 3, O_RDONLY_), 0);
	assert_int_equal(c_walk1(c, 3, 3, "f"), 0); /* fid replaced in place */
	assert_int_equal(c_walk1(c, ROOT, 4, "d"), 0);
	assert_int_equal(c_clunk(c, 4), 0);
	const char *partial[] = { "d", "nope", NULL };
	uint16_t n = 0;
	assert_int_equal(c_walk(c, ROOT, 5, partial, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(c_version(c, 8192, "9P2000.L"), 0);
	assert_int_equal(c_attach(c, ROOT), 0);
	assert_int_equal(c_walk1(c, ROOT, 2, "d"), 0);
	vb_9p_server_destroy(c->srv);
	assert_int_equal(count_fds(), before);
	c->srv = make_server(e->share, false, 0);
}

static void test_create_errors(void **state)
{
	(void)state;
	struct vb_9p_config cfg = { .root_path = "/nonexistent/vb9p" };
	struct vb_err err = { { 0 } };
	struct vb_9p_server *srv = NULL;
	assert_int_equal(vb_9p_server_create(&cfg, &srv, &err), -ENOENT);
	assert_null(srv);
	assert_non_null(strstr(err.msg, "/nonexistent/vb9p"));
	cfg.root_path = "/";
	cfg.max_msize = 16;
	assert_int_equal(vb_9p_server_create(&cfg, &srv, &err), -EINVAL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_version),
		T(test_create_write_read),
		T(test_readdir_getattr_setattr),
		T(test_mkdir_rename_unlink),
		T(test_symlink_link_statfs_mknod),
		T(test_xattr_lock_flush),
		T(test_walk_dotdot_and_slash),
		T(test_walk_symlink_outside),
		T(test_rename_dotdot),
		T(test_symlink_swap_race),
		T(test_hardlink_trick),
		T(test_readonly),
		T(test_bad_messages),
		T(test_fid_limit),
		T(test_no_fd_leak),
		cmocka_unit_test(test_create_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
