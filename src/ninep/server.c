#include "ninep/server.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ninep/wire.h"

#define FID_BUCKETS 256

/* Tlopen/Tlcreate flags: 9P2000.L defines its own values (Linux's
 * include/net/9p/9p.h P9_DOTL_*), equal to x86 open(2) flags but mapped
 * explicitly so the host's values never leak into the protocol. */
#define DOTL_ACCMODE 03u
#define DOTL_EXCL 0200u
#define DOTL_TRUNC 01000u
#define DOTL_APPEND 02000u
#define DOTL_DSYNC 010000u
#define DOTL_SYNC 04000000u

/* Tsetattr valid bits (P9_ATTR_*). */
#define ATTR_MODE 0x1u
#define ATTR_UID 0x2u
#define ATTR_GID 0x4u
#define ATTR_SIZE 0x8u
#define ATTR_ATIME 0x10u
#define ATTR_MTIME 0x20u
#define ATTR_ATIME_SET 0x80u
#define ATTR_MTIME_SET 0x100u

/* Rgetattr valid mask: P9_GETATTR_BASIC (everything up to blocks). */
#define GETATTR_BASIC 0x7ffull

/* Tunlinkat flag: AT_REMOVEDIR as Linux numbers it. */
#define DOTL_AT_REMOVEDIR 0x200u

/* Tlock status and Tgetlock type values. */
#define LOCK_SUCCESS 0
#define LOCK_TYPE_UNLCK 2

struct fid {
	uint32_t num;
	int path_fd;   /* O_PATH, never -1 */
	int open_fd;   /* after Tlopen/Tlcreate, else -1 */
	int parent_fd; /* O_PATH of the directory it was walked from, or -1 */
	mode_t type;   /* S_IFMT bits: an fd's inode never changes type */
	bool xattr;    /* an (empty) xattr list from Txattrwalk */
	char name[NAME_MAX + 1];
	struct fid *next;
};

struct vb_9p_server {
	int root_fd;
	int proc_fd; /* /proc/self/fd, to reopen O_PATH descriptors */
	bool readonly;
	bool have_openat2;
	uint32_t max_msize;
	uint32_t msize;
	uint32_t max_fids;
	uint32_t nfids;
	uint8_t *scratch; /* max_msize bytes for getdents64 */
	struct fid *buckets[FID_BUCKETS];
};

typedef int (*op_fn)(struct vb_9p_server *srv, struct vb_9p_in *in,
		     struct vb_9p_out *out);

/* ---- fid table ---- */

static struct fid **fid_slot(struct vb_9p_server *srv, uint32_t num)
{
	struct fid **pp = &srv->buckets[num % FID_BUCKETS];
	while (*pp && (*pp)->num != num)
		pp = &(*pp)->next;
	return pp;
}

static struct fid *fid_get(struct vb_9p_server *srv, uint32_t num)
{
	return *fid_slot(srv, num);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Takes ownership of path_fd and parent_fd (closed on failure). */
static int fid_add(struct vb_9p_server *srv, uint32_t num, int path_fd,
		   int parent_fd, struct fid **out)
{
	int rc = 0;
	struct fid **pp = fid_slot(srv, num);
	struct fid *f = NULL;
	if (num == VB_9P_NOFID || *pp)
		rc = num == VB_9P_NOFID ? -EBADF : -EEXIST;
	else if (srv->nfids >= srv->max_fids)
		rc = -EMFILE;
	else if (!(f = calloc(1, sizeof(*f))))
		rc = -ENOMEM;
	if (rc) {
		close_fd(&path_fd);
		close_fd(&parent_fd);
		return rc;
	}
	f->num = num;
	f->path_fd = path_fd;
	f->parent_fd = parent_fd;
	f->open_fd = -1;
	*pp = f;
	srv->nfids++;
	if (out)
		*out = f;
	return 0;
}

static void fid_remove(struct vb_9p_server *srv, struct fid *f)
{
	struct fid **pp = fid_slot(srv, f->num);
	*pp = f->next;
	close_fd(&f->path_fd);
	close_fd(&f->open_fd);
	close_fd(&f->parent_fd);
	free(f);
	srv->nfids--;
}

static void fid_clear_all(struct vb_9p_server *srv)
{
	for (size_t i = 0; i < FID_BUCKETS; i++)
		while (srv->buckets[i])
			fid_remove(srv, srv->buckets[i]);
}

static int lookup_fid(struct vb_9p_server *srv, uint32_t num, struct fid **f)
{
	*f = fid_get(srv, num);
	return *f ? 0 : -EBADF;
}

/* ---- host helpers ---- */

static int dup_fd(int fd)
{
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	return nfd < 0 ? -errno : nfd;
}

/* One guest-supplied path component: never empty, ".", ".." or with '/'
 * (the server never lets the guest name anything but a direct child). */
static int get_name(const struct vb_9p_str *s, char name[NAME_MAX + 1])
{
	int rc = vb_9p_str_copy(s, name, NAME_MAX + 1);
	if (rc)
		return rc;
	if (!name[0] || !strcmp(name, ".") || !strcmp(name, "..") ||
	    strchr(name, '/'))
		return -EINVAL;
	return 0;
}

/* Open the child `name` of dirfd as O_PATH without following a symlink. */
static int lookup(struct vb_9p_server *srv, int dirfd, const char *name)
{
	if (srv->have_openat2) {
		struct open_how how = {
			.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
				   RESOLVE_NO_MAGICLINKS,
		};
		long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != ENOSYS)
			return -errno;
		srv->have_openat2 = false;
	}
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Open the inode held by an O_PATH fd through its /proc/self/fd entry. The
 * magic link names that inode itself, never a path re-resolved. */
static int reopen(struct vb_9p_server *srv, int path_fd, int flags)
{
	char num[16];
	snprintf(num, sizeof(num), "%d", path_fd);
	int fd = openat(srv->proc_fd, num, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void qid_from_stat(const struct stat *st, struct vb_9p_qid *qid)
{
	qid->type = S_ISDIR(st->st_mode)   ? VB_9P_QTDIR
		    : S_ISLNK(st->st_mode) ? VB_9P_QTSYMLINK
					   : VB_9P_QTFILE;
	/* Linux v9fs treats a changed qid.version as a different inode, so
	 * a constant keeps inodes stable; the path is the host inode. */
	qid->version = 0;
	qid->path = st->st_ino;
}

static int stat_fd(int fd, struct stat *st)
{
	if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

static int qid_of_fd(int fd, struct vb_9p_qid *qid, mode_t *type)
{
	struct stat st;
	int rc = stat_fd(fd, &st);
	if (rc)
		return rc;
	qid_from_stat(&st, qid);
	if (type)
		*type = st.st_mode & S_IFMT;
	return 0;
}

static int qid_of_child(int dirfd, const char *name, struct vb_9p_qid *qid)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	qid_from_stat(&st, qid);
	return 0;
}

static bool same_inode(int a, int b)
{
	struct stat sa, sb;
	return !stat_fd(a, &sa) && !stat_fd(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* Check that fid's (parent, name) still names fid's inode before acting
 * on the name: a stale entry (renamed by the host or another fid) must not
 * hit whatever now has that name. */
static int check_entry(struct vb_9p_server *srv, struct fid *f)
{
	if (f->parent_fd < 0)
		return -EBUSY; /* the attach root has no entry to act on */
	int fd = lookup(srv, f->parent_fd, f->name);
	if (fd < 0)
		return fd;
	bool same = same_inode(fd, f->path_fd);
	close(fd);
	return same ? 0 : -ENOENT;
}

/* The reply of the create-style operations (mkdir, symlink, mknod): the
 * qid of the entry just made. */
static int reply_child_qid(int dirfd, const char *name, struct vb_9p_out *out)
{
	struct vb_9p_qid qid;
	int rc = qid_of_child(dirfd, name, &qid);
	if (!rc)
		vb_9p_put_qid(out, &qid);
	return rc;
}

static int deny_readonly(const struct vb_9p_server *srv)
{
	return srv->readonly ? -EROFS : 0;
}

static int open_flags(uint32_t dotl, int *flags)
{
	static const int acc[] = { O_RDONLY, O_WRONLY, O_RDWR };
	if ((dotl & DOTL_ACCMODE) > 2)
		return -EINVAL;
	*flags = acc[dotl & DOTL_ACCMODE];
	if (dotl & DOTL_TRUNC)
		*flags |= O_TRUNC;
	if (dotl & DOTL_APPEND)
		*flags |= O_APPEND;
	if (dotl & DOTL_DSYNC)
		*flags |= O_DSYNC;
	if (dotl & DOTL_SYNC)
		*flags |= O_SYNC;
	return 0;
}

static bool flags_write(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

/* ---- session ---- */

static int op_version(struct vb_9p_server *srv, struct vb_9p_in *in,
		      struct vb_9p_out *out)
{
	uint32_t msize = vb_9p_get_u32(in);
	struct vb_9p_str version;
	vb_9p_get_str(in, &version);
	int rc = vb_9p_in_done(in);
	if (rc)
		return rc;
	if (msize < VB_9P_MIN_MSIZE)
		return -EINVAL;
	/* intro(5)/version(5): a Tversion aborts all outstanding fids. */
	fid_clear_all(srv);
	srv->msize = msize < srv->max_msize ? msize : srv->max_msize;
	static const char dotl[] = "9P2000.L";
	bool ok = version.len == sizeof(dotl) - 1 &&
		  !memcmp(version.p, dotl, sizeof(dotl) - 1);
	const char *reply = ok ? dotl : "unknown";
	vb_9p_put_u32(out, srv->msize);
	vb_9p_put_str(out, reply, strlen(reply));
	return 0;
}

static int op_auth(struct vb_9p_server *srv, struct vb_9p_in *in,
		   struct vb_9p_out *out)
{
	(void)srv;
	(void)out;
	struct vb_9p_str uname, aname;
	vb_9p_get_u32(in);
	vb_9p_get_str(in, &uname);
	vb_9p_get_str(in, &aname);
	vb_9p_get_u32(in);
	int rc = vb_9p_in_done(in);
	return rc ? rc : -EOPNOTSUPP; /* no authentication: attach directly */
}

static int op_attach(struct vb_9p_server *srv, struct vb_9p_in *in,
		     struct vb_9p_out *out)
{
	struct vb_9p_str uname, aname;
	uint32_t fid = vb_9p_get_u32(in);
	uint32_t afid = vb_9p_get_u32(in);
	vb_9p_get_str(in, &uname);
	vb_9p_get_str(in, &aname);
	vb_9p_get_u32(in); /* n_uname: requests run as the vmboot user */
	int rc = vb_9p_in_done(in);
	if (rc)
		return rc;
	if (afid != VB_9P_NOFID)
		return -EBADF;
	struct vb_9p_qid qid;
	mode_t type;
	rc = qid_of_fd(srv->root_fd, &qid, &type);
	if (rc)
		return rc;
	int fd = dup_fd(srv->root_fd);
	if (fd < 0)
		return fd;
	struct fid *f;
	rc = fid_add(srv, fid, fd, -1, &f);
	if (rc)
		return rc;
	f->type = type;
	vb_9p_put_qid(out, &qid);
	return 0;
}

static int op_flush(struct vb_9p_server *srv, struct vb_9p_in *in,
		    struct vb_9p_out *out)
{
	(void)srv;
	(void)out;
	vb_9p_get_u16(in);
	return vb_9p_in_done(in);
}

static int op_clunk(struct vb_9p_server *srv, struct vb_9p_in *in,
		    struct vb_9p_out *out)
{
	(void)out;
	uint32_t num = vb_9p_get_u32(in);
	int rc = vb_9p_in_done(in);
	struct fid *f;
	if (rc || (rc = lookup_fid(srv, num, &f)))
		return rc;
	fid_remove(srv, f);
	return 0;
}

/* ---- walk ---- */

struct walk_names {
	uint16_t n;
	char name[VB_9P_MAXWELEM][NAME_MAX + 1];
};

static int parse_walk(struct vb_9p_in *in, uint32_t *fid, uint32_t *newfid,
		      struct walk_names *w)
{
	*fid = vb_9p_get_u32(in);
	*newfid = vb_9p_get_u32(in);
	w->n = vb_9p_get_u16(in);
	if (in->err)
		return in->err;
	if (w->n > VB_9P_MAXWELEM)
		return -EINVAL;
	int bad = 0;
	for (uint16_t i = 0; i < w->n; i++) {
		struct vb_9p_str s;
		vb_9p_get_str(in, &s);
		int rc = get_name(&s, w->name[i]);
		if (rc && !bad)
			bad = rc;
	}
	int rc = vb_9p_in_done(in);
	return rc ? rc : bad;
}

/* Install the walk's result as newfid (replacing fid when they are equal). */
static int walk_install(struct vb_9p_server *srv, struct fid *src,
			uint32_t newfid, int path_fd, int parent_fd,
			const char *name)
{
	struct stat st;
	int rc = stat_fd(path_fd, &st);
	if (rc) {
		close_fd(&path_fd);
		close_fd(&parent_fd);
		return rc;
	}
	if (newfid == src->num) {
		close_fd(&src->path_fd);
		close_fd(&src->parent_fd);
		close_fd(&src->open_fd);
		src->path_fd = path_fd;
		src->parent_fd = parent_fd;
		src->xattr = false;
		src->type = st.st_mode & S_IFMT;
		snprintf(src->name, sizeof(src->name), "%s", name);
		return 0;
	}
	struct fid *f;
	rc = fid_add(srv, newfid, path_fd, parent_fd, &f);
	if (rc)
		return rc;
	f->type = st.st_mode & S_IFMT;
	snprintf(f->name, sizeof(f->name), "%s", name);
	return 0;
}

static int op_walk(struct vb_9p_server *srv, struct vb_9p_in *in,
		   struct vb_9p_out *out)
{
	uint32_t fidnum, newfid;
	struct walk_names w;
	int rc = parse_walk(in, &fidnum, &newfid, &w);
	struct fid *src;
	if (rc || (rc = lookup_fid(srv, fidnum, &src)))
		return rc;
	if (src->xattr)
		return -EBADF;
	if (newfid != fidnum && (newfid == VB_9P_NOFID || fid_get(srv, newfid)))
		return newfid == VB_9P_NOFID ? -EBADF : -EEXIST;

	struct vb_9p_qid qids[VB_9P_MAXWELEM];
	int cur = -1, parent = -1;
	uint16_t done = 0;
	for (; done < w.n; done++) {
		int fd = lookup(srv, cur >= 0 ? cur : src->path_fd,
				w.name[done]);
		if (fd >= 0 && (rc = qid_of_fd(fd, &qids[done], NULL))) {
			close(fd);
			fd = rc;
		}
		if (fd < 0) {
			rc = fd;
			break;
		}
		close_fd(&parent);
		parent = cur >= 0 ? cur : dup_fd(src->path_fd);
		cur = fd;
		if (parent < 0) {
			rc = parent;
			break;
		}
	}
	if (done < w.n) {
		close_fd(&cur);
		close_fd(&parent);
		if (done == 0)
			return rc;
		rc = 0;
		/* walk(5): a partial walk returns the qids that succeeded and
		 * leaves newfid unaffected. */
	} else if (w.n == 0) {
		cur = dup_fd(src->path_fd);
		parent = src->parent_fd >= 0 ? dup_fd(src->parent_fd) : -1;
		if (cur < 0 || (src->parent_fd >= 0 && parent < 0)) {
			rc = cur < 0 ? cur : parent;
			close_fd(&cur);
			close_fd(&parent);
			return rc;
		}
		char name[NAME_MAX + 1];
		snprintf(name, sizeof(name), "%s", src->name);
		rc = walk_install(srv, src, newfid, cur, parent, name);
	} else {
		rc = walk_install(srv, src, newfid, cur, parent,
				  w.name[w.n - 1]);
	}
	if (rc)
		return rc;
	vb_9p_put_u16(out, done);
	for (uint16_t i = 0; i < done; i++)
		vb_9p_put_qid(out, &qids[i]);
	return 0;
}

/* ---- open, read, write ---- */

static int op_lopen(struct vb_9p_server *srv, struct vb_9p_in *in,
		    struct vb_9p_out *out)
{
	uint32_t num = vb_9p_get_u32(in);
	uint32_t dotl = vb_9p_get_u32(in);
	int rc = vb_9p_in_done(in);
	struct fid *f;
	int flags;
	if (rc || (rc = lookup_fid(srv, num, &f)) ||
	    (rc = open_flags(dotl, &flags)))
		return rc;
	if (f->open_fd >= 0 || f->xattr)
		return -EBADF;
	if (flags_write(flags) && (rc = deny_readonly(srv)))
		return rc;
	if (S_ISDIR(f->type)) {
		if ((flags & O_ACCMODE) != O_RDONLY)
			return -EISDIR;
		flags = O_RDONLY | O_DIRECTORY;
	} else if (S_ISLNK(f->type)) {
		return -ELOOP;
	} else if (!S_ISREG(f->type)) {
		/* FIFOs, sockets and device nodes are the guest kernel's
		 * business; opening them on the host could block or reach
		 * host devices. */
		return -ENXIO;
	}
	struct vb_9p_qid qid;
	if ((rc = qid_of_fd(f->path_fd, &qid, NULL)))
		return rc;
	int fd = reopen(srv, f->path_fd, flags);
	if (fd < 0)
		return fd;
	f->open_fd = fd;
	vb_9p_put_qid(out, &qid);
	vb_9p_put_u32(out, 0); /* iounit 0: the client uses msize - 24 */
	return 0;
}

static int op_lcreate(struct vb_9p_server *srv, struct vb_9p_in *in,
		      struct vb_9p_out *out)
{
	struct vb_9p_str s;
	char name[NAME_MAX + 1];
	uint32_t num = vb_9p_get_u32(in);
	vb_9p_get_str(in, &s);
	uint32_t dotl = vb_9p_get_u32(in);
	uint32_t mode = vb_9p_get_u32(in);
	vb_9p_get_u32(in); /* gid: files belong to the vmboot user */
	int rc = vb_9p_in_done(in);
	struct fid *f;
	int flags;
	if (rc || (rc = get_name(&s, name)) || (rc = lookup_fid(srv, num, &f)) ||
	    (rc = open_flags(dotl, &flags)) || (rc = deny_readonly(srv)))
		return rc;
	if (!S_ISDIR(f->type) || f->open_fd >= 0 || f->xattr)
		return f->open_fd >= 0 || f->xattr ? -EBADF : -ENOTDIR;
	flags |= O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
	if (dotl & DOTL_EXCL)
		flags |= O_EXCL;
	/* O_NONBLOCK: an existing FIFO of that name must not block us. */
	int fd = openat(f->path_fd, name, flags, (mode_t)(mode & 07777));
	if (fd < 0)
		return -errno;
	struct vb_9p_qid qid;
	mode_t type;
	int path_fd = -1;
	if ((rc = qid_of_fd(fd, &qid, &type)) == 0 && !S_ISREG(type))
		rc = -EEXIST;
	if (rc == 0 && fcntl(fd, F_SETFL, flags & O_APPEND) < 0)
		rc = -errno;
	if (rc == 0 && (path_fd = reopen(srv, fd, O_PATH)) < 0)
		rc = path_fd;
	if (rc) {
		close(fd);
		return rc;
	}
	/* The fid now stands for the new file (lcreate semantics). */
	close_fd(&f->parent_fd);
	f->parent_fd = f->path_fd;
	f->path_fd = path_fd;
	f->open_fd = fd;
	f->type = type;
	snprintf(f->name, sizeof(f->name), "%s", name);
	vb_9p_put_qid(out, &qid);
	vb_9p_put_u32(out, 0);
	return 0;
}

static int op_read(struct vb_9p_server *srv, struct vb_9p_in *in,
		   struct vb_9p_out *out)
{
	uint32_t num = vb_9p_get_u32(in);
	uint64_t offset = vb_9p_get_u64(in);
	uint32_t count = vb_9p_get_u32(in);
	int rc = vb_9p_in_done(in);
	struct fid *f;
	if (rc || (rc = lookup_fid(srv, num, &f)))
		return rc;
	if (f->xattr) {
		vb_9p_put_u32(out, 0); /* the empty xattr list */
		return 0;
	}
	if (f->open_fd < 0)
		return -EBADF;
	if (offset > INT64_MAX)
		return -EINVAL;
	size_t room = out->cap - out->pos;
	room = room > 4 ? room - 4 : 0;
	if (count > room)
		count = (uint32_t)room;
	size_t start = out->pos;
	vb_9p_put_u32(out, 0);
	uint8_t *data = vb_9p_put_reserve(out, count);
	if (!data)
		return out->err;
	ssize_t n = pread(f->open_fd, data, count, (off_t)offset);
	if (n < 0)
		return -errno;
	out->pos = start;
	vb_9p_put_u32(out, (uint32_t)n);
	out->pos += (size_t)n;
	return 0;
}

static int op_write(struct vb_9p_server *srv, struct vb_9p_in *in,
		    struct vb_9p_out *out)
{
	uint32_t num = vb_9p_get_u32(in);
	uint64_t offset = vb_9p_get_u64(in);
	uint32_t count = vb_9p_get_u32(in);
	const uint8_t *data = vb_9p_get_bytes(in, count);
	int rc = vb_9p_in_done(in);
	struct fid *f;
	if (rc || (rc = lookup_fid(srv, num, &f)) || (rc = deny_readonly(srv)))
		return rc;
	if (f->open_fd < 0 || f->xattr)
		return -EBADF;
	if (offset > INT64_MAX)
		return -EINVAL;
	ssize_t n = pwrite(f->open_fd, data, count, (off_t)offset);
	if (n < 0)
		return -errno;
	vb_9p_put_u32(out, (uint32_t)n);
	return 0;
}

/* Rreaddir entries: qid[13] offset[8] type[1] name[s]. Each request seeks
 * to the offset the guest sent (a d_off the kernel gave us), so an entry
 * that does not fit is simply read again next time. */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int op_readdir(struct vb_9p_server *srv, struct vb_9p_in *in,
		      struct vb_9p_out *out)
{
	uint32_t num = vb_9p_get_u32(in);
	uint64_t offset = vb_9p_get_u64(in);
	uint32_t count = vb_9p_get_u32(in);
	int rc = vb_9p_in_done(in);
	struct fid *f;
	if (rc || (rc = lookup_fid(srv, num, &f)))
		return rc;
	if (f->open_fd < 0 || !S_ISDIR(f->type))
		return -EBADF;
	if (offset > INT64_MAX)
		return -EINVAL;
	size_t room = out->cap - out->pos;
	room = room > 4 ? room - 4 : 0;
	if (count > room)
		count = (uint32_t)room;
	if (lseek(f->open_fd, (off_t)offset, SEEK_SET) < 0)
		return -errno;
	long n = syscall(SYS_getdents64, f->open_fd, srv->scratch,
			 count < srv->max_msize ? count : srv->max_msize);
	if (n < 0)
		return errno == EINVAL ? -ENOBUFS : -errno;
	size_t start = out->pos;
	vb_9p_put_u32(out, 0);
	size_t used = 0;
	const size_t name_at = offsetof(struct linux_dirent64, d_name);
	for (long pos = 0; pos + (long)name_at <= n;) {
		struct linux_dirent64 *d = (void *)(srv->scratch + pos);
		if (d->d_reclen <= name_at || pos + d->d_reclen > n)
			break;
		size_t len = strnlen(d->d_name, d->d_reclen - name_at);
		size_t need = VB_9P_QID_BYTES + 8 + 1 + 2 + len;
		if (used + need > count)
			break;
		struct vb_9p_qid qid = {
			.type = d->d_type == DT_DIR   ? VB_9P_QTDIR
				: d->d_type == DT_LNK ? VB_9P_QTSYMLINK
						      : VB_9P_QTFILE,
			.path = d->d_ino,
		};
		vb_9p_put_qid(out, &qid);
		vb_9p_put_u64(out, (uint64_t)d->d_off);
		vb_9p_put_u8(out, d->d_type);
		vb_9p_put_str(out, d->d_name, len);
		used += need;
		pos += d->d_reclen;
	}
	if (out->err)
		return out->err;
	size_t end = out->pos;
	out->pos = start;
	vb_9p_put_u32(out, (uint32_t)used);
	out->pos = end;
	return 0;
}

/* ---- attributes ---- */

static uint64_t encode_dev(dev_t dev)
{
	/* Linux's new_encode_dev(): what v9fs decodes st_rdev with. */
	uint64_t ma = major(dev), mi = minor(dev);
	return (mi & 0xff) | (ma << 8) | ((mi & ~0xffull) << 12);
}

static int op_getattr(struct vb_9p_server *srv, struct vb_9p_in *in,
		      struct vb_9p_out *out)
{
	uint32_t num = vb_9p_get_u32(in);
	vb_9p_get_u64(in); /* request_mask: we always answer the basic set */
	int rc = vb_9p_in_done(in);
	struct fid *f;
	struct stat st;
	if (rc || (rc = lookup_fid(srv, num, &f)) ||
	    (rc = stat_fd(f->path_fd, &st)))
		return rc;
	struct vb_9p_qid qid;
	qid_from_stat(&st, &qid);
	vb_9p_put_u64(out, GETATTR_BASIC);
	vb_9p_put_qid(out, &qid);
	vb_9p_put_u32(out, st.st_mode);
	vb_9p_put_u32(out, st.st_uid);
	vb_9p_put_u32(out, st.st_gid);
	vb_9p_put_u64(out, st.st_nlink);
	vb_9p_put_u64(out, encode_dev(st.st_rdev));
	vb_9p_put_u64(out, (uint64_t)st.st_size);
	vb_9p_put_u64(out, (uint64_t)st.st_blksize);
	vb_9p_put_u64(out, (uint64_t)st.st_blocks);
	vb_9p_put_u64(out, (uint64_t)st.st_atim.tv_sec);
	vb_9p_put_u64(out, (uint64_t)st.st_atim.tv_nsec);
	vb_9p_put_u64(out, (uint64_t)st.st_mtim.tv_sec);
	vb_9p_put_u64(out, (uint64_t)st.st_mtim.tv_nsec);
	vb_9p_put_u64(out, (uint64_t)st.st_ctim.tv_sec);
	vb_9p_put_u64(out, (uint64_t)st.st_ctim.tv_nsec);
	for (int i = 0; i < 4; i++)
		vb_9p_put_u64(out, 0); /* btime, gen, data_version: unset */
	return 0;
}

struct setattr {
	uint32_t valid, mode, uid, gid;
	uint64_t size, atime_sec, atime_nsec, mtime_sec, mtime_nsec;
};

static int set_size(struct vb_9p_server *srv, struct fid *f, uint64_t size)
{
	if (size > INT64_MAX)
		return -EFBIG;
	if (S_ISDIR(f->type))
		return -EISDIR;
	if (!S_ISREG(f->type))
		return -EINVAL;
	int fd = reopen(srv, f->path_fd, O_WRONLY);
	if (fd < 0)
		return fd;
	int rc = ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

static struct timespec set_time(bool set, bool given, uint64_t sec,
				uint64_t nsec)
{
	struct timespec ts = { .tv_nsec = UTIME_OMIT };
	if (set && !given)
		ts.tv_nsec = UTIME_NOW;
	else if (set) {
		ts.tv_sec = (time_t)sec;
		ts.tv_nsec = (long)(nsec % 1000000000u);
	}
	return ts;
}

static int apply_setattr(struct vb_9p_server *srv, struct fid *f,
			 const struct setattr *a)
{
	char num[16];
	snprintf(num, sizeof(num), "%d", f->path_fd);
	bool link = S_ISLNK(f->type);
	if ((a->valid & ATTR_MODE) && !link &&
	    fchmodat(srv->proc_fd, num, a->mode & 07777, 0) < 0)
		return -errno;
	if (a->valid & (ATTR_UID | ATTR_GID)) {
		uid_t uid = a->valid & ATTR_UID ? a->uid : (uid_t)-1;
		gid_t gid = a->valid & ATTR_GID ? a->gid : (gid_t)-1;
		if (fchownat(f->path_fd, "", uid, gid,
			     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	}
	int rc;
	if ((a->valid & ATTR_SIZE) && (rc = set_size(srv, f, a->size)))
		return rc;
	if ((a->valid & (ATTR_ATIME | ATTR_MTIME)) && !link) {
		struct timespec ts[2] = {
			set_time(a->valid & ATTR_ATIME, a->valid & ATTR_ATIME_SET,
				 a->atime_sec, a->atime_nsec),
			set_time(a->valid & ATTR_MTIME, a->valid & ATTR_MTIME_SET,
				 a->mtime_sec, a->mtime_nsec),
		};
		if (utimensat(srv->proc_fd, num, ts, 0) < 0)
			return -errno;
	}
	return 0;
}

static int op_setattr(struct vb_9p_server *srv, struct vb_9p_in *in,
		      struct vb_9p_out *out)
{
	(void)out;
	struct setattr a;
	uint32_t num = vb_9p_get_u32(in);
	a.valid = vb_9p_get_u32(in);
	a.mode = vb_9p_get_u32(in);
	a.uid = vb_9p_get_u32(in);
	a.gid = vb_9p_get_u32(in);
	a.size = vb_9p_get_u64(in);
	a.atime_sec = vb_9p_get_u64(in);
	a.atime_nsec = vb_9p_get_u64(in);
	a.mtime_sec = vb_9p_get_u64(in);
	a.mtime_nsec = vb_9p_get_u64(in);
	int rc = vb_9p_in_done(in);
	struct fid *f;
	if (rc || (rc = lookup_fid(srv, num, &f)) || (rc = deny_readonly(srv)))
		return rc;
	if (f->xattr)
		return -EBADF;
	return apply_setattr(srv, f, &a);
}

static int op_statfs(struct vb_9p_server *srv, struct vb_9p_in *in,
		     struct vb_9p_out *out)
{
	uint32_t num = vb_9p_get_u32(in);
	int rc = vb_9p_in_done(in);
	struct fid *f;
	if (rc || (rc = lookup_fid(srv, num, &f)))
		return rc;
	struct statfs s;
	if (fstatfs(f->path_fd, &s) < 0)
		return -errno;
	uint64_t fsid = (uint32_t)s.f_fsid.__val[0] |
			((uint64_t)(uint32_t)s.f_fsid.__val[1] << 32);
	vb_9p_put_u32(out, (uint32_t)s.f_type);
	vb_9p_put_u32(out, (uint32_t)s.f_bsize);
	vb_9p_put_u64(out, s.f_blocks);
	vb_9p_put_u64(out, s.f_bfree);
	vb_9p_put_u64(out, s.f_bavail);
	vb_9p_put_u64(out, s.f_files);
	vb_9p_put_u64(out, s.f_ffree);
	vb_9p_put_u64(out, fsid);
	vb_9p_put_u32(out, (uint32_t)s.f_namelen);
	return 0;
}

static int op_fsync(struct vb_9p_server *srv, struct vb_9p_in *in,
		    struct vb_9p_out *out)
{
	(void)out;
	uint32_t num = vb_9p_get_u32(in);
	uint32_t datasync = vb_9p_get_u32(in);
	int rc = vb_9p_in_done(in);
	struct fid *f;
	if (rc || (rc = lookup_fid(srv, num, &f)))
		return rc;
	if (f->open_fd < 0)
		return 0;
	rc = datasync ? fdatasync(f->open_fd) : fsync(f->open_fd);
	return rc < 0 ? -errno : 0;
}

/* ---- directory entries ---- */

/* Parses "dfid name" and returns the directory fid and the checked name. */
static int get_dir_name(struct vb_9p_server *srv, struct vb_9p_in *in,
			struct fid **dir, char name[NAME_MAX + 1])
{
	struct vb_9p_str s;
	uint32_t num = vb_9p_get_u32(in);
	vb_9p_get_str(in, &s);
	if (in->err)
		return in->err;
	*dir = fid_get(srv, num);
	int rc = get_name(&s, name);
	if (rc)
		return rc;
	return *dir && !(*dir)->xattr ? 0 : -EBADF;
}

static int op_mkdir(struct vb_9p_server *srv, struct vb_9p_in *in,
		    struct vb_9p_out *out)
{
	struct fid *d;
	char name[NAME_MAX + 1];
	int rc = get_dir_name(srv, in, &d, name);
	uint32_t mode = vb_9p_get_u32(in);
	vb_9p_get_u32(in); /* gid */
	int done = vb_9p_in_done(in);
	if (done || rc || (rc = deny_readonly(srv)))
		return done ? done : rc;
	if (mkdirat(d->path_fd, name, (mode_t)(mode & 07777)) < 0)
		return -errno;
	return reply_child_qid(d->path_fd, name, out);
}

static int op_symlink(struct vb_9p_server *srv, struct vb_9p_in *in,
		      struct vb_9p_out *out)
{
	struct fid *d;
	char name[NAME_MAX + 1], target[PATH_MAX];
	struct vb_9p_str t;
	int rc = get_dir_name(srv, in, &d, name);
	vb_9p_get_str(in, &t);
	vb_9p_get_u32(in); /* gid */
	int done = vb_9p_in_done(in);
	if (done || rc)
		return done ? done : rc;
	/* The target is text for the guest to resolve; the host never
	 * follows it, so any string without NUL is fine. */
	if ((rc = vb_9p_str_copy(&t, target, sizeof(target))) ||
	    (rc = deny_readonly(srv)))
		return rc;
	if (symlinkat(target, d->path_fd, name) < 0)
		return -errno;
	return reply_child_qid(d->path_fd, name, out);
}

static int op_mknod(struct vb_9p_server *srv, struct vb_9p_in *in,
		    struct vb_9p_out *out)
{
	struct fid *d;
	char name[NAME_MAX + 1];
	int rc = get_dir_name(srv, in, &d, name);
	uint32_t mode = vb_9p_get_u32(in);
	vb_9p_get_u32(in); /* major */
	vb_9p_get_u32(in); /* minor */
	vb_9p_get_u32(in); /* gid */
	int done = vb_9p_in_done(in);
	if (done || rc || (rc = deny_readonly(srv)))
		return done ? done : rc;
	mode_t type = mode & S_IFMT;
	/* Device nodes would give the guest host devices. */
	if (type == S_IFCHR || type == S_IFBLK)
		return -EPERM;
	if (type != S_IFIFO && type != S_IFSOCK && type != S_IFREG && type)
		return -EINVAL;
	if (mknodat(d->path_fd, name, type | (mode & 07777), 0) < 0)
		return -errno;
	return reply_child_qid(d->path_fd, name, out);
}

static int op_readlink(struct vb_9p_server *srv, struct vb_9p_in *in,
		       struct vb_9p_out *out)
{
	uint32_t num = vb_9p_get_u32(in);
	int rc = vb_9p_in_done(in);
	struct fid *f;
	if (rc || (rc = lookup_fid(srv, num, &f)))
		return rc;
	if (!S_ISLNK(f->type))
		return -EINVAL;
	char target[PATH_MAX];
	ssize_t n = readlinkat(f->path_fd, "", target, sizeof(target));
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(target))
		return -ENAMETOOLONG;
	vb_9p_put_str(out, target, (size_t)n);
	return 0;
}

static int op_link(struct vb_9p_server *srv, struct vb_9p_in *in,
		   struct vb_9p_out *out)
{
	(void)out;
	struct fid *d, *src;
	char name[NAME_MAX + 1];
	uint32_t dnum = vb_9p_get_u32(in);
	uint32_t snum = vb_9p_get_u32(in);
	struct vb_9p_str s;
	vb_9p_get_str(in, &s);
	int rc = vb_9p_in_done(in);
	if (rc || (rc = get_name(&s, name)) ||
	    (rc = lookup_fid(srv, dnum, &d)) ||
	    (rc = lookup_fid(srv, snum, &src)) || (rc = deny_readonly(srv)))
		return rc;
	if (S_ISDIR(src->type) || src->xattr || d->xattr)
		return -EPERM;
	/* The source is the inode the fid holds, which is inside the share
	 * by construction. A symlink is linked as itself (AT_EMPTY_PATH, which
	 * needs CAP_DAC_READ_SEARCH), never through /proc, where following
	 * could reach its target. */
	if (S_ISLNK(src->type))
		rc = linkat(src->path_fd, "", d->path_fd, name, AT_EMPTY_PATH);
	else {
		char num[16];
		snprintf(num, sizeof(num), "%d", src->path_fd);
		rc = linkat(srv->proc_fd, num, d->path_fd, name,
			    AT_SYMLINK_FOLLOW);
	}
	return rc < 0 ? -errno : 0;
}

static int rename_fid(struct vb_9p_server *srv, struct fid *f, struct fid *d,
		      const char *name)
{
	int rc = check_entry(srv, f);
	if (rc)
		return rc;
	int parent = dup_fd(d->path_fd);
	if (parent < 0)
		return parent;
	if (renameat(f->parent_fd, f->name, d->path_fd, name) < 0) {
		rc = -errno;
		close(parent);
		return rc;
	}
	close_fd(&f->parent_fd);
	f->parent_fd = parent;
	snprintf(f->name, sizeof(f->name), "%s", name);
	return 0;
}

static int op_rename(struct vb_9p_server *srv, struct vb_9p_in *in,
		     struct vb_9p_out *out)
{
	(void)out;
	struct fid *f, *d;
	char name[NAME_MAX + 1];
	uint32_t num = vb_9p_get_u32(in);
	int rc = get_dir_name(srv, in, &d, name);
	int done = vb_9p_in_done(in);
	if (done || rc)
		return done ? done : rc;
	if ((rc = lookup_fid(srv, num, &f)) || (rc = deny_readonly(srv)))
		return rc;
	if (f->xattr)
		return -EBADF;
	return rename_fid(srv, f, d, name);
}

static int op_renameat(struct vb_9p_server *srv, struct vb_9p_in *in,
		       struct vb_9p_out *out)
{
	(void)out;
	struct fid *od, *nd;
	char oname[NAME_MAX + 1], nname[NAME_MAX + 1];
	int rc = get_dir_name(srv, in, &od, oname);
	int rc2 = get_dir_name(srv, in, &nd, nname);
	int done = vb_9p_in_done(in);
	if (done || rc || rc2 || (rc = deny_readonly(srv)))
		return done ? done : rc ? rc : rc2 ? rc2 : rc;
	if (renameat(od->path_fd, oname, nd->path_fd, nname) < 0)
		return -errno;
	return 0;
}

static int op_unlinkat(struct vb_9p_server *srv, struct vb_9p_in *in,
		       struct vb_9p_out *out)
{
	(void)out;
	struct fid *d;
	char name[NAME_MAX + 1];
	int rc = get_dir_name(srv, in, &d, name);
	uint32_t flags = vb_9p_get_u32(in);
	int done = vb_9p_in_done(in);
	if (done || rc || (rc = deny_readonly(srv)))
		return done ? done : rc;
	if (flags & ~DOTL_AT_REMOVEDIR)
		return -EINVAL;
	int at = flags & DOTL_AT_REMOVEDIR ? AT_REMOVEDIR : 0;
	return unlinkat(d->path_fd, name, at) < 0 ? -errno : 0;
}

static int op_remove(struct vb_9p_server *srv, struct vb_9p_in *in,
		     struct vb_9p_out *out)
{
	(void)out;
	uint32_t num = vb_9p_get_u32(in);
	int rc = vb_9p_in_done(in);
	struct fid *f;
	if (rc || (rc = lookup_fid(srv, num, &f)))
		return rc;
	/* remove(5): the fid is clunked even when the remove fails. */
	if (!(rc = deny_readonly(srv)) && !(rc = check_entry(srv, f)) &&
	    unlinkat(f->parent_fd, f->name,
		     S_ISDIR(f->type) ? AT_REMOVEDIR : 0) < 0)
		rc = -errno;
	fid_remove(srv, f);
	return rc;
}

/* ---- xattrs and locks ---- */

static int op_xattrwalk(struct vb_9p_server *srv, struct vb_9p_in *in,
			struct vb_9p_out *out)
{
	uint32_t num = vb_9p_get_u32(in);
	uint32_t newnum = vb_9p_get_u32(in);
	struct vb_9p_str name;
	vb_9p_get_str(in, &name);
	int rc = vb_9p_in_done(in);
	struct fid *f;
	if (rc || (rc = lookup_fid(srv, num, &f)))
		return rc;
	/* No xattrs are exported: the list is empty and every name is
	 * absent (ENODATA is what getxattr(2) reports for that). */
	if (name.len)
		return -ENODATA;
	int fd = dup_fd(f->path_fd);
	if (fd < 0)
		return fd;
	struct fid *x;
	if ((rc = fid_add(srv, newnum, fd, -1, &x)))
		return rc;
	x->xattr = true;
	x->type = f->type;
	vb_9p_put_u64(out, 0);
	return 0;
}

static int op_xattrcreate(struct vb_9p_server *srv, struct vb_9p_in *in,
			  struct vb_9p_out *out)
{
	(void)out;
	struct vb_9p_str name;
	uint32_t num = vb_9p_get_u32(in);
	vb_9p_get_str(in, &name);
	vb_9p_get_u64(in);
	vb_9p_get_u32(in);
	int rc = vb_9p_in_done(in);
	struct fid *f;
	if (rc || (rc = lookup_fid(srv, num, &f)) || (rc = deny_readonly(srv)))
		return rc;
	return -EOPNOTSUPP;
}

/* Locks are advisory and granted at once: the guest kernel already
 * serialises its own processes, and nothing else shares the lock space. */
static int op_lock(struct vb_9p_server *srv, struct vb_9p_in *in,
		   struct vb_9p_out *out)
{
	struct vb_9p_str client;
	uint32_t num = vb_9p_get_u32(in);
	vb_9p_get_u8(in);  /* type */
	vb_9p_get_u32(in); /* flags */
	vb_9p_get_u64(in); /* start */
	vb_9p_get_u64(in); /* length */
	vb_9p_get_u32(in); /* proc_id */
	vb_9p_get_str(in, &client);
	int rc = vb_9p_in_done(in);
	struct fid *f;
	if (rc || (rc = lookup_fid(srv, num, &f)))
		return rc;
	vb_9p_put_u8(out, LOCK_SUCCESS);
	return 0;
}

static int op_getlock(struct vb_9p_server *srv, struct vb_9p_in *in,
		      struct vb_9p_out *out)
{
	struct vb_9p_str client;
	uint32_t num = vb_9p_get_u32(in);
	vb_9p_get_u8(in);
	uint64_t start = vb_9p_get_u64(in);
	uint64_t length = vb_9p_get_u64(in);
	uint32_t proc_id = vb_9p_get_u32(in);
	vb_9p_get_str(in, &client);
	int rc = vb_9p_in_done(in);
	struct fid *f;
	if (rc || (rc = lookup_fid(srv, num, &f)))
		return rc;
	vb_9p_put_u8(out, LOCK_TYPE_UNLCK); /* no conflicting lock */
	vb_9p_put_u64(out, start);
	vb_9p_put_u64(out, length);
	vb_9p_put_u32(out, proc_id);
	vb_9p_put_str(out, client.p, client.len);
	return 0;
}

/* ---- dispatch ---- */

struct op {
	uint8_t type;
	op_fn fn;
};

static const struct op ops[] = {
	{ VB_9P_TSTATFS, op_statfs },	  { VB_9P_TLOPEN, op_lopen },
	{ VB_9P_TLCREATE, op_lcreate },	  { VB_9P_TSYMLINK, op_symlink },
	{ VB_9P_TMKNOD, op_mknod },	  { VB_9P_TRENAME, op_rename },
	{ VB_9P_TREADLINK, op_readlink }, { VB_9P_TGETATTR, op_getattr },
	{ VB_9P_TSETATTR, op_setattr },	  { VB_9P_TXATTRWALK, op_xattrwalk },
	{ VB_9P_TXATTRCREATE, op_xattrcreate },
	{ VB_9P_TREADDIR, op_readdir },	  { VB_9P_TFSYNC, op_fsync },
	{ VB_9P_TLOCK, op_lock },	  { VB_9P_TGETLOCK, op_getlock },
	{ VB_9P_TLINK, op_link },	  { VB_9P_TMKDIR, op_mkdir },
	{ VB_9P_TRENAMEAT, op_renameat }, { VB_9P_TUNLINKAT, op_unlinkat },
	{ VB_9P_TVERSION, op_version },	  { VB_9P_TAUTH, op_auth },
	{ VB_9P_TATTACH, op_attach },	  { VB_9P_TFLUSH, op_flush },
	{ VB_9P_TWALK, op_walk },	  { VB_9P_TREAD, op_read },
	{ VB_9P_TWRITE, op_write },	  { VB_9P_TCLUNK, op_clunk },
	{ VB_9P_TREMOVE, op_remove },
};

static op_fn find_op(uint8_t type)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].type == type)
			return ops[i].fn;
	return NULL;
}

int vb_9p_server_handle(struct vb_9p_server *srv, const uint8_t *req,
			size_t req_bytes, uint8_t *resp, size_t resp_bytes,
			size_t *resp_len)
{
	*resp_len = 0;
	if (resp_bytes < VB_9P_RLERROR_BYTES)
		return -EMSGSIZE;
	size_t cap = resp_bytes < srv->msize ? resp_bytes : srv->msize;
	struct vb_9p_header hdr;
	struct vb_9p_in in;
	int rc = vb_9p_header_parse(req, req_bytes, srv->msize, &hdr, &in);
	if (rc == 0) {
		op_fn fn = find_op(hdr.type);
		struct vb_9p_out out;
		vb_9p_out_init(&out, resp, cap);
		rc = fn ? fn(srv, &in, &out) : -EOPNOTSUPP;
		if (rc == 0 && (rc = vb_9p_out_finish(&out, hdr.type + 1,
						      hdr.tag)) > 0) {
			*resp_len = (size_t)rc;
			return 0;
		}
	}
	rc = vb_9p_put_rlerror(resp, cap, hdr.tag, (uint32_t)-rc);
	*resp_len = (size_t)rc;
	return 0;
}

/* ---- lifetime ---- */

static bool probe_openat2(int dirfd)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH };
	long fd = syscall(SYS_openat2, dirfd, ".", &how, sizeof(how));
	if (fd >= 0)
		close((int)fd);
	return !(fd < 0 && errno == ENOSYS);
}

int vb_9p_server_create(const struct vb_9p_config *cfg,
			struct vb_9p_server **out, struct vb_err *err)
{
	*out = NULL;
	uint32_t msize = cfg->max_msize ? cfg->max_msize : VB_9P_DEFAULT_MSIZE;
	if (msize < VB_9P_MIN_MSIZE || msize > VB_9P_MAX_MSIZE)
		return vb_err_set(err, EINVAL,
				  "9p: msize %u outside %u..%u", msize,
				  VB_9P_MIN_MSIZE, VB_9P_MAX_MSIZE);
	struct vb_9p_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return vb_err_errno(err, ENOMEM, "9p: server");
	srv->root_fd = srv->proc_fd = -1;
	srv->readonly = cfg->readonly;
	srv->max_msize = srv->msize = msize;
	srv->max_fids = cfg->max_fids ? cfg->max_fids : VB_9P_DEFAULT_MAX_FIDS;
	int rc = 0;
	srv->root_fd = open(cfg->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (srv->root_fd < 0) {
		rc = vb_err_errno(err, errno, "9p: open %s", cfg->root_path);
		goto fail;
	}
	srv->proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (srv->proc_fd < 0) {
		rc = vb_err_errno(err, errno,
				  "9p: open /proc/self/fd (is /proc mounted?)");
		goto fail;
	}
	srv->scratch = malloc(msize);
	if (!srv->scratch) {
		rc = vb_err_errno(err, ENOMEM, "9p: buffer");
		goto fail;
	}
	srv->have_openat2 = probe_openat2(srv->root_fd);
	*out = srv;
	return 0;
fail:
	vb_9p_server_destroy(srv);
	return rc;
}

void vb_9p_server_destroy(struct vb_9p_server *srv)
{
	if (!srv)
		return;
	fid_clear_all(srv);
	close_fd(&srv->root_fd);
	close_fd(&srv->proc_fd);
	free(srv->scratch);
	free(srv);
}

uint32_t vb_9p_server_msize(const struct vb_9p_server *srv)
{
	return srv->msize;
}

uint32_t vb_9p_server_fid_count(const struct vb_9p_server *srv)
{
	return srv->nfids;
}
