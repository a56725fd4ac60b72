#include "ninep/server.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <linux/magic.h>
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
#include "util/io.h"

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

/* The permission bits a guest may set on the host: never S_ISUID or
 * S_ISGID (vmboot may run as root; the guest must not make or keep
 * programs that run as vmboot's user), S_ISVTX is harmless. */
#define SAFE_MODE_BITS 01777u

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
	bool fenced;   /* a mount point the guest sees as an empty directory */
	char name[NAME_MAX + 1];
	struct fid *next;
};

struct vb_9p_server {
	int root_fd;
	int proc_fd; /* /proc/self/fd, to reopen O_PATH descriptors */
	bool readonly;
	bool stop_at_mounts;
	bool have_openat2;
	vb_9p_mount_fn *classify_mount;
	void *classify_ctx;
	dev_t root_dev; /* the root's inode, which keeps its mode */
	ino_t root_ino;
	uint32_t max_msize;
	uint32_t msize;
	uint32_t max_fids;
	uint32_t nfids;
	uint8_t *scratch; /* max_msize bytes for getdents64 */
	struct fid *buckets[FID_BUCKETS];
};

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

static int stat_fd(int fd, struct stat *st)
{
	if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

/* openat2 of dirfd's child name, never leaving dirfd nor following a
 * symlink; resolve adds to that. */
static long openat2_child(int dirfd, const char *name, int flags, mode_t mode,
			  uint64_t resolve)
{
	struct open_how how = {
		.flags = (uint64_t)flags,
		.mode = mode,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS | resolve,
	};
	return syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
}

/* Without openat2, a mount is where st_dev changes (a bind mount of the
 * same file system goes unseen). */
static int crossed_by_dev(int dirfd, int fd, bool *crossed)
{
	struct stat dir, child;
	int rc = stat_fd(dirfd, &dir);
	if (!rc)
		rc = stat_fd(fd, &child);
	*crossed = !rc && dir.st_dev != child.st_dev;
	return rc;
}

/* Open the child `name` of dirfd as O_PATH without following a symlink.
 * With crossed, also tell whether the child is on another mount than
 * dirfd: RESOLVE_NO_XDEV makes that cost nothing until it is so. */
static int lookup(struct vb_9p_server *srv, int dirfd, const char *name,
		  bool *crossed)
{
	if (crossed)
		*crossed = false;
	const int flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
	if (srv->have_openat2) {
		long fd = openat2_child(dirfd, name, flags, 0,
					crossed ? RESOLVE_NO_XDEV : 0);
		if (fd < 0 && errno == EXDEV && crossed) {
			*crossed = true;
			fd = openat2_child(dirfd, name, flags, 0, 0);
		}
		if (fd >= 0)
			return (int)fd;
		if (errno != ENOSYS)
			return -errno;
		srv->have_openat2 = false;
	}
	int fd = openat(dirfd, name, flags);
	if (fd < 0)
		return -errno;
	int rc = crossed ? crossed_by_dev(dirfd, fd, crossed) : 0;
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

/* ---- mounts below the share ---- */

/* Magic numbers <linux/magic.h> lacks: fs/configfs/mount.c,
 * ipc/mqueue.c, fs/fuse/control.c, net/sunrpc/rpc_pipe.c, fs/nfsd and
 * drivers/usb/gadget (legacy/inode.c, function/f_fs.c). */
#define CONFIGFS_MAGIC_ 0x62656570
#define MQUEUE_MAGIC_ 0x19800202
#define FUSE_CTL_SUPER_MAGIC_ 0x65735543
#define RPC_PIPEFS_MAGIC_ 0x67596969
#define NFSD_MAGIC_ 0x6e667364
#define GADGETFS_MAGIC_ 0xaee71ee7
#define FUNCTIONFS_MAGIC_ 0xa647361

/* File systems whose files are kernel objects and interfaces rather than
 * data: reading or writing them reaches into the host kernel, its
 * processes (proc's mem and environ) and its devices. */
static bool kernel_fs(uint64_t magic)
{
	static const uint64_t kernel[] = {
		PROC_SUPER_MAGIC, SYSFS_MAGIC, DEVPTS_SUPER_MAGIC,
		DEBUGFS_MAGIC, TRACEFS_MAGIC, SECURITYFS_MAGIC,
		CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, BPF_FS_MAGIC,
		CONFIGFS_MAGIC_, EFIVARFS_MAGIC, PSTOREFS_MAGIC, SELINUX_MAGIC,
		SMACK_MAGIC, FUSE_CTL_SUPER_MAGIC_, BINFMTFS_MAGIC,
		HUGETLBFS_MAGIC, MQUEUE_MAGIC_, NSFS_MAGIC, AAFS_MAGIC,
		RDTGROUP_SUPER_MAGIC, BINDERFS_SUPER_MAGIC, XENFS_SUPER_MAGIC,
		USBDEVICE_SUPER_MAGIC, OPENPROM_SUPER_MAGIC, RPC_PIPEFS_MAGIC_,
		NFSD_MAGIC_, GADGETFS_MAGIC_, FUNCTIONFS_MAGIC_,
		/* Not mountable, but bind mounts of their files exist. */
		PIPEFS_MAGIC, SOCKFS_MAGIC, ANON_INODE_FS_MAGIC, BDEVFS_MAGIC,
		DMA_BUF_MAGIC, DEVMEM_MAGIC, SECRETMEM_MAGIC, DAXFS_MAGIC,
	};
	for (size_t i = 0; i < sizeof(kernel) / sizeof(kernel[0]); i++)
		if (magic == kernel[i])
			return true;
	return false;
}

/* devtmpfs reports TMPFS_MAGIC, and a container's /dev is a plain tmpfs:
 * either is known by the character device "null" at its root. */
static bool dev_tmpfs(int fd)
{
	struct stat st;
	return fstatat(fd, "null", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISCHR(st.st_mode);
}

enum vb_9p_mount vb_9p_mount_kind(int fd, bool crossed, void *ctx)
{
	(void)ctx;
	if (!crossed)
		return VB_9P_MOUNT_SAME;
	struct statfs s;
	if (fstatfs(fd, &s) < 0)
		return VB_9P_MOUNT_KERNEL; /* cannot tell: stay out */
	uint64_t magic = (uint64_t)(unsigned long)s.f_type;
	if (kernel_fs(magic) || (magic == TMPFS_MAGIC && dev_tmpfs(fd)))
		return VB_9P_MOUNT_KERNEL;
	return VB_9P_MOUNT_ORDINARY;
}

/* Whether the walk step that opened fd must stop there. */
static bool fence_here(const struct vb_9p_server *srv, int fd, bool crossed)
{
	enum vb_9p_mount kind = srv->classify_mount(fd, crossed,
						    srv->classify_ctx);
	return kind == VB_9P_MOUNT_KERNEL ||
	       (kind == VB_9P_MOUNT_ORDINARY && srv->stop_at_mounts);
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
	int fd = lookup(srv, f->parent_fd, f->name, NULL);
	if (fd < 0)
		return fd;
	bool same = same_inode(fd, f->path_fd);
	close(fd);
	return same ? 0 : -ENOENT;
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

/* ---- request prologue ---- */

/* Every operation starts the same way: decode its fields, check the names,
 * find the fids, convert its flags and decide whether it is allowed. The
 * ops[] table at the end gives each T-message a layout, one character per
 * field in wire order, and begin_op() does all of that from it, so an
 * operation's own function starts with everything checked:
 *
 *   '1' '2' '4' '8'  an integer of that many bytes           -> num[]
 *   's'              a string, borrowed unchecked            -> str[]
 *   'f'              fid[4] of an existing fid               -> fid[]
 *   'D'              dfid[4] name[s]: an existing fid that is
 *                    not an xattr fid, and one component     -> fid[], name[]
 *   'N'              name[s]: one component                  -> name[]
 *   'W'              nwname[2] nwname*(wname[s]), at most 16 -> name[]
 *   'c'              count[4] data[count]                    -> num[], data
 *   'o'              Tlopen/Tlcreate flags[4]                -> flags
 *   'T'              a symlink target[s]                     -> target
 *
 * Each array fills in the order its fields come on the wire ('f' and 'D'
 * share fid[]). The errors come in a fixed order, the one the guest has
 * always seen: malformed message, then names (each 'D' directory right
 * after its name), then 'f' fids, then flags and target, then access. */
#define REQ_FIDS 2 /* Tlink, Trename */
#define REQ_NUMS 9 /* Tsetattr */
#define REQ_STRS 2 /* Tauth, Tattach */

struct req {
	/* as decoded, for the checks */
	uint8_t nfid, nnum, nstr, nname;
	uint32_t fidnum[REQ_FIDS];
	struct vb_9p_str name_in[VB_9P_MAXWELEM];
	struct vb_9p_str target_in;
	uint32_t dotl;
	/* for the operation */
	struct fid *fid[REQ_FIDS];
	uint64_t num[REQ_NUMS];
	struct vb_9p_str str[REQ_STRS];
	const uint8_t *data;
	int flags; /* open(2) flags from 'o' */
	char name[VB_9P_MAXWELEM][NAME_MAX + 1];
	char target[PATH_MAX];
};

/* What an operation does to the share, which decides whether it may. */
enum access {
	ACCESS_NONE,   /* session bookkeeping: touches no file */
	ACCESS_READ,   /* looks at files, directories or attributes */
	ACCESS_MODIFY, /* changes a file, its attributes or a directory */
	/* The operation calls check_access() itself, where its errors are
	 * ordered differently (Tlopen) or it must clunk anyway (Tremove). */
	ACCESS_IN_OP,
};

typedef int (*op_fn)(struct vb_9p_server *srv, const struct req *r,
		     struct vb_9p_out *out);

struct op {
	uint8_t type;
	const char *layout;
	enum access access;
	op_fn fn; /* NULL: begin_op's checks are all there is to it */
};

/* The one place that decides whether a request may touch the share, per
 * kind of access, with the request's fids and names at hand. Mount
 * crossings are a matter of each walk step (walk_step); modes and owners
 * of the values a request sets, in the operations that set them. A fenced
 * mount point is nothing the guest may change, nor change anything in. */
static int check_access(const struct vb_9p_server *srv, enum access kind,
			const struct req *r)
{
	if (kind != ACCESS_MODIFY)
		return 0;
	if (srv->readonly)
		return -EROFS;
	for (uint8_t i = 0; i < r->nfid; i++)
		if (r->fid[i]->fenced)
			return -EACCES;
	return 0;
}

/* Whether layout's fields fit the arrays of struct req, which are sized
 * for the largest layout in ops[]: one that does not is a bug, refused
 * rather than let overflow. */
static bool layout_fits(const char *layout)
{
	unsigned fids = 0, nums = 0, strs = 0, names = 0;
	for (const char *k = layout; *k; k++) {
		fids += *k == 'f' || *k == 'D';
		nums += strchr("1248c", *k) != NULL;
		strs += *k == 's';
		names += *k == 'N' || *k == 'D' ? 1u
			 : *k == 'W'		? VB_9P_MAXWELEM
						: 0u;
	}
	return fids <= REQ_FIDS && nums <= REQ_NUMS && strs <= REQ_STRS &&
	       names <= VB_9P_MAXWELEM;
}

/* walk(5) allows sixteen names; more is EINVAL before the names are read,
 * whatever follows. */
static int decode_walk(struct vb_9p_in *in, struct req *r)
{
	uint16_t n = vb_9p_get_u16(in);
	if (!in->err && n > VB_9P_MAXWELEM)
		return -EINVAL;
	for (uint16_t i = 0; i < n; i++)
		vb_9p_get_str(in, &r->name_in[r->nname++]);
	return 0;
}

/* Reads one field; a short message only sets in->err (vb_9p_in_done). */
static int decode_field(char kind, struct vb_9p_in *in, struct req *r)
{
	switch (kind) {
	case '1':
	case '2':
	case '4':
	case '8':
		r->num[r->nnum++] = vb_9p_get_uint(in, (unsigned)(kind - '0'));
		return 0;
	case 'c': {
		uint32_t count = vb_9p_get_u32(in);
		r->data = vb_9p_get_bytes(in, count);
		r->num[r->nnum++] = count;
		return 0;
	}
	case 's':
		vb_9p_get_str(in, &r->str[r->nstr++]);
		return 0;
	case 'f':
		r->fidnum[r->nfid++] = vb_9p_get_u32(in);
		return 0;
	case 'D':
		r->fidnum[r->nfid++] = vb_9p_get_u32(in);
		vb_9p_get_str(in, &r->name_in[r->nname++]);
		return 0;
	case 'N':
		vb_9p_get_str(in, &r->name_in[r->nname++]);
		return 0;
	case 'W':
		return decode_walk(in, r);
	case 'o':
		r->dotl = vb_9p_get_u32(in);
		return 0;
	case 'T':
		vb_9p_get_str(in, &r->target_in);
		return 0;
	}
	return -EPROTO; /* not a layout character: a bug in ops[] */
}

/* A 'D' fid: an xattr fid has no directory to act in. */
static int lookup_dir(struct vb_9p_server *srv, uint32_t num, struct fid **f)
{
	*f = fid_get(srv, num);
	return *f && !(*f)->xattr ? 0 : -EBADF;
}

static int check_name(struct req *r, uint8_t i)
{
	return get_name(&r->name_in[i], r->name[i]);
}

/* Names in wire order, each 'D' directory right after its own name. */
static int check_names(struct vb_9p_server *srv, const char *layout,
		       struct req *r)
{
	uint8_t fid = 0, name = 0;
	int rc = 0;
	for (const char *k = layout; *k && !rc; k++) {
		switch (*k) {
		case 'W':
			while (!rc && name < r->nname)
				rc = check_name(r, name++);
			break;
		case 'N':
			rc = check_name(r, name++);
			break;
		case 'D':
			rc = check_name(r, name++);
			if (!rc)
				rc = lookup_dir(srv, r->fidnum[fid],
						&r->fid[fid]);
			fid++;
			break;
		case 'f':
			fid++;
			break;
		}
	}
	return rc;
}

static int check_fids(struct vb_9p_server *srv, const char *layout,
		      struct req *r)
{
	uint8_t fid = 0;
	int rc = 0;
	for (const char *k = layout; *k && !rc; k++) {
		if (*k == 'f')
			rc = lookup_fid(srv, r->fidnum[fid], &r->fid[fid]);
		fid += *k == 'f' || *k == 'D';
	}
	return rc;
}

static int convert_args(const char *layout, struct req *r)
{
	int rc = 0;
	if (strchr(layout, 'o'))
		rc = open_flags(r->dotl, &r->flags);
	/* The target is text for the guest to resolve; the host never
	 * follows it, so any string without NUL is fine. */
	if (!rc && strchr(layout, 'T'))
		rc = vb_9p_str_copy(&r->target_in, r->target,
				    sizeof(r->target));
	return rc;
}

/* Decode and check the request in `in` as op describes it. */
static int begin_op(struct vb_9p_server *srv, const struct op *op,
		    struct vb_9p_in *in, struct req *r)
{
	if (!layout_fits(op->layout))
		return -EPROTO;
	r->nfid = r->nnum = r->nstr = r->nname = 0;
	int rc = 0;
	for (const char *k = op->layout; *k && !rc; k++)
		rc = decode_field(*k, in, r);
	if (rc || (rc = vb_9p_in_done(in)) ||
	    (rc = check_names(srv, op->layout, r)) ||
	    (rc = check_fids(srv, op->layout, r)) ||
	    (rc = convert_args(op->layout, r)))
		return rc;
	return op->access == ACCESS_IN_OP ? 0
					  : check_access(srv, op->access, r);
}

/* ---- session ---- */

static int op_version(struct vb_9p_server *srv, const struct req *r,
		      struct vb_9p_out *out)
{
	uint64_t msize = r->num[0];
	const struct vb_9p_str *version = &r->str[0];
	if (msize < VB_9P_MIN_MSIZE)
		return -EINVAL;
	/* intro(5)/version(5): a Tversion aborts all outstanding fids. */
	fid_clear_all(srv);
	srv->msize = msize < srv->max_msize ? (uint32_t)msize : srv->max_msize;
	static const char dotl[] = "9P2000.L";
	bool ok = version->len == sizeof(dotl) - 1 &&
		  !memcmp(version->p, dotl, sizeof(dotl) - 1);
	const char *reply = ok ? dotl : "unknown";
	vb_9p_put_u32(out, srv->msize);
	vb_9p_put_str(out, reply, strlen(reply));
	return 0;
}

/* Tauth (no authentication: attach directly) and Txattrcreate (no xattrs
 * are exported), once their requests are found well-formed. */
static int op_unsupported(struct vb_9p_server *srv, const struct req *r,
			  struct vb_9p_out *out)
{
	(void)srv;
	(void)r;
	(void)out;
	return -EOPNOTSUPP;
}

static int op_attach(struct vb_9p_server *srv, const struct req *r,
		     struct vb_9p_out *out)
{
	uint32_t fid = (uint32_t)r->num[0];
	if (r->num[1] != VB_9P_NOFID) /* afid */
		return -EBADF;
	struct vb_9p_qid qid;
	mode_t type;
	int rc = qid_of_fd(srv->root_fd, &qid, &type);
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

static int op_clunk(struct vb_9p_server *srv, const struct req *r,
		    struct vb_9p_out *out)
{
	(void)out;
	fid_remove(srv, r->fid[0]);
	return 0;
}

/* ---- walk ---- */

/* Where a walk stands: the directory it is in, the one before, and
 * whether the current one is a fenced mount point. */
struct walk_pos {
	int cur, parent;
	bool fenced;
};

/* Install the walk's result as newfid (replacing fid when they are
 * equal); takes pos's descriptors. */
static int walk_install(struct vb_9p_server *srv, struct fid *src,
			uint32_t newfid, struct walk_pos *pos, const char *name)
{
	struct stat st;
	int rc = stat_fd(pos->cur, &st);
	if (rc) {
		close_fd(&pos->cur);
		close_fd(&pos->parent);
		return rc;
	}
	struct fid *f = src;
	if (newfid == src->num) {
		close_fd(&src->path_fd);
		close_fd(&src->parent_fd);
		close_fd(&src->open_fd);
		src->path_fd = pos->cur;
		src->parent_fd = pos->parent;
		src->xattr = false;
	} else if ((rc = fid_add(srv, newfid, pos->cur, pos->parent, &f))) {
		return rc;
	}
	f->type = st.st_mode & S_IFMT;
	f->fenced = pos->fenced;
	snprintf(f->name, sizeof(f->name), "%s", name);
	return 0;
}

/* One walk step to name from pos, its qid in *qid. A fenced mount point
 * has no names: ENOENT, as in an empty directory. */
static int walk_step(struct vb_9p_server *srv, const struct fid *src,
		     struct walk_pos *pos, const char *name,
		     struct vb_9p_qid *qid)
{
	if (pos->fenced)
		return -ENOENT;
	bool crossed;
	int fd = lookup(srv, pos->cur >= 0 ? pos->cur : src->path_fd, name,
			&crossed);
	if (fd < 0)
		return fd;
	int rc = qid_of_fd(fd, qid, NULL);
	int parent = pos->cur >= 0 ? pos->cur : dup_fd(src->path_fd);
	if (!rc && parent < 0)
		rc = parent;
	if (rc) {
		close(fd);
		if (parent != pos->cur)
			close_fd(&parent);
		return rc;
	}
	close_fd(&pos->parent);
	pos->parent = parent;
	pos->cur = fd;
	pos->fenced = fence_here(srv, fd, crossed);
	return 0;
}

/* nwname 0: newfid is a clone of fid. */
static int walk_clone(struct vb_9p_server *srv, struct fid *src,
		      uint32_t newfid)
{
	struct walk_pos pos = { .cur = dup_fd(src->path_fd), .parent = -1,
				.fenced = src->fenced };
	if (src->parent_fd >= 0)
		pos.parent = dup_fd(src->parent_fd);
	if (pos.cur < 0 || (src->parent_fd >= 0 && pos.parent < 0)) {
		int rc = pos.cur < 0 ? pos.cur : pos.parent;
		close_fd(&pos.cur);
		close_fd(&pos.parent);
		return rc;
	}
	char name[NAME_MAX + 1];
	snprintf(name, sizeof(name), "%s", src->name);
	return walk_install(srv, src, newfid, &pos, name);
}

static int op_walk(struct vb_9p_server *srv, const struct req *r,
		   struct vb_9p_out *out)
{
	struct fid *src = r->fid[0];
	uint32_t newfid = (uint32_t)r->num[0];
	uint16_t nwname = r->nname;
	if (src->xattr)
		return -EBADF;
	if (newfid != src->num &&
	    (newfid == VB_9P_NOFID || fid_get(srv, newfid)))
		return newfid == VB_9P_NOFID ? -EBADF : -EEXIST;

	struct vb_9p_qid qids[VB_9P_MAXWELEM];
	struct walk_pos pos = { .cur = -1, .parent = -1,
				.fenced = src->fenced };
	uint16_t done = 0;
	int rc = 0;
	while (done < nwname &&
	       !(rc = walk_step(srv, src, &pos, r->name[done], &qids[done])))
		done++;
	if (done < nwname) {
		close_fd(&pos.cur);
		close_fd(&pos.parent);
		if (done == 0)
			return rc;
		rc = 0;
		/* walk(5): a partial walk returns the qids that succeeded and
		 * leaves newfid unaffected. */
	} else if (nwname == 0) {
		rc = walk_clone(srv, src, newfid);
	} else {
		rc = walk_install(srv, src, newfid, &pos, r->name[nwname - 1]);
	}
	if (rc)
		return rc;
	vb_9p_put_u16(out, done);
	for (uint16_t i = 0; i < done; i++)
		vb_9p_put_qid(out, &qids[i]);
	return 0;
}

/* ---- open, read, write ---- */

/* chmod the inode fd holds (O_PATH or open), through its /proc entry:
 * fchmod(2) refuses O_PATH descriptors. */
static int chmod_fd(struct vb_9p_server *srv, int fd, mode_t mode)
{
	char num[16];
	snprintf(num, sizeof(num), "%d", fd);
	return fchmodat(srv->proc_fd, num, mode, 0) < 0 ? -errno : 0;
}

/* Before a write to a setuid or setgid file: clear those bits, as the
 * kernel does for a writer without CAP_FSETID. vmboot may hold that
 * capability; the guest must not get its effect and rewrite a program
 * that runs as someone else on the host. */
static int drop_setid(struct vb_9p_server *srv, int fd, mode_t mode)
{
	if (S_ISDIR(mode) || !(mode & (S_ISUID | S_ISGID)))
		return 0;
	return chmod_fd(srv, fd, mode & SAFE_MODE_BITS);
}

static int op_lopen(struct vb_9p_server *srv, const struct req *r,
		    struct vb_9p_out *out)
{
	struct fid *f = r->fid[0];
	int flags = r->flags;
	if (f->open_fd >= 0 || f->xattr)
		return -EBADF;
	int rc = check_access(srv, flags_write(flags) ? ACCESS_MODIFY
						       : ACCESS_READ, r);
	if (rc)
		return rc;
	if (f->fenced && !S_ISDIR(f->type))
		return -EACCES; /* a file mounted from a kernel interface */
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
	struct stat st;
	if ((rc = stat_fd(f->path_fd, &st)) ||
	    (flags_write(flags) && (rc = drop_setid(srv, f->path_fd,
						     st.st_mode))))
		return rc;
	struct vb_9p_qid qid;
	qid_from_stat(&st, &qid);
	int fd = reopen(srv, f->path_fd, flags);
	if (fd < 0)
		return fd;
	f->open_fd = fd;
	vb_9p_put_qid(out, &qid);
	vb_9p_put_u32(out, 0); /* iounit 0: the client uses msize - 24 */
	return 0;
}

/* Tlcreate's open of dirfd's child name: made, or without O_EXCL an
 * existing one, which a walk never looked at. A mount point there (a file
 * bind-mounted from /proc, say) is opened only where a walk would enter
 * it: the O_PATH lookup decides before anything is opened (or truncated),
 * and RESOLVE_NO_XDEV refuses a mount that appeared since. */
static int open_child(struct vb_9p_server *srv, int dirfd, const char *name,
		      int flags, mode_t mode)
{
	bool crossed = false;
	int fd = lookup(srv, dirfd, name, &crossed);
	if (fd >= 0) {
		bool fenced = fence_here(srv, fd, crossed);
		close(fd);
		if (fenced)
			return -EACCES;
	}
	if (srv->have_openat2) {
		long nfd = openat2_child(dirfd, name, flags, mode,
					 crossed ? 0 : RESOLVE_NO_XDEV);
		if (nfd >= 0)
			return (int)nfd;
		return errno == EXDEV ? -EACCES : -errno;
	}
	fd = openat(dirfd, name, flags, mode);
	return fd < 0 ? -errno : fd;
}

static int op_lcreate(struct vb_9p_server *srv, const struct req *r,
		      struct vb_9p_out *out)
{
	struct fid *f = r->fid[0];
	const char *name = r->name[0];
	/* num[1], the gid, is ignored: files belong to the vmboot user. */
	uint32_t mode = (uint32_t)r->num[0];
	if (!S_ISDIR(f->type) || f->open_fd >= 0 || f->xattr)
		return f->open_fd >= 0 || f->xattr ? -EBADF : -ENOTDIR;
	int flags = r->flags | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
	if (r->dotl & DOTL_EXCL)
		flags |= O_EXCL;
	/* O_NONBLOCK: an existing FIFO of that name must not block us. */
	int fd = open_child(srv, f->path_fd, name, flags,
			    (mode_t)(mode & SAFE_MODE_BITS));
	if (fd < 0)
		return fd;
	struct stat st;
	int path_fd = -1;
	int rc = stat_fd(fd, &st);
	if (rc == 0 && !S_ISREG(st.st_mode))
		rc = -EEXIST;
	/* An existing file of that name is opened, not made. */
	if (rc == 0 && flags_write(flags))
		rc = drop_setid(srv, fd, st.st_mode);
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
	f->type = st.st_mode & S_IFMT;
	snprintf(f->name, sizeof(f->name), "%s", name);
	struct vb_9p_qid qid;
	qid_from_stat(&st, &qid);
	vb_9p_put_qid(out, &qid);
	vb_9p_put_u32(out, 0);
	return 0;
}

/* The count of an Rread or Rreaddir: what the guest asked for, cut to what
 * fits in the reply after its count[4]. */
static uint32_t reply_count(const struct vb_9p_out *out, uint64_t count)
{
	size_t room = out->cap - out->pos;
	room = room > 4 ? room - 4 : 0;
	return (uint32_t)(count < room ? count : room);
}

/* Rewrite the count[4] at `at` once the data after it is known. */
static void patch_count(struct vb_9p_out *out, size_t at, uint32_t count)
{
	size_t end = out->pos;
	out->pos = at;
	vb_9p_put_u32(out, count);
	out->pos = end;
}

static int op_read(struct vb_9p_server *srv, const struct req *r,
		   struct vb_9p_out *out)
{
	(void)srv;
	struct fid *f = r->fid[0];
	uint64_t offset = r->num[0];
	if (f->xattr) {
		vb_9p_put_u32(out, 0); /* the empty xattr list */
		return 0;
	}
	if (f->open_fd < 0)
		return -EBADF;
	if (offset > INT64_MAX)
		return -EINVAL;
	uint32_t count = reply_count(out, r->num[1]);
	size_t start = out->pos;
	vb_9p_put_u32(out, 0);
	uint8_t *data = vb_9p_put_reserve(out, count);
	if (!data)
		return out->err;
	ssize_t n = pread(f->open_fd, data, count, (off_t)offset);
	if (n < 0)
		return -errno;
	out->pos = start + 4 + (size_t)n;
	patch_count(out, start, (uint32_t)n);
	return 0;
}

static int op_write(struct vb_9p_server *srv, const struct req *r,
		    struct vb_9p_out *out)
{
	(void)srv;
	struct fid *f = r->fid[0];
	uint64_t offset = r->num[0];
	if (f->open_fd < 0 || f->xattr)
		return -EBADF;
	if (offset > INT64_MAX)
		return -EINVAL;
	ssize_t n = pwrite(f->open_fd, r->data, r->num[1], (off_t)offset);
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

/* Copy the entries of buf[0..n) that fit in count bytes; returns the
 * bytes used. */
static uint32_t put_dirents(struct vb_9p_out *out, const uint8_t *buf,
			    long n, uint32_t count)
{
	size_t used = 0;
	const size_t name_at = offsetof(struct linux_dirent64, d_name);
	for (long pos = 0; pos + (long)name_at <= n;) {
		const struct linux_dirent64 *d = (const void *)(buf + pos);
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
	return (uint32_t)used;
}

/* The directory's entries from offset on, as getdents64 writes them into
 * srv->scratch; returns their bytes or -errno. */
static long host_dirents(struct vb_9p_server *srv, const struct fid *f,
			 uint64_t offset, uint32_t count)
{
	if (lseek(f->open_fd, (off_t)offset, SEEK_SET) < 0)
		return -errno;
	long n = syscall(SYS_getdents64, f->open_fd, srv->scratch,
			 count < srv->max_msize ? count : srv->max_msize);
	if (n < 0)
		return errno == EINVAL ? -ENOBUFS : -errno;
	return n;
}

/* A fenced mount point reads as an empty directory: "." and "..", made up
 * the way host_dirents would give them (offsets 1 and 2). Both fit in
 * scratch, which is at least VB_9P_MIN_MSIZE bytes; put_dirents keeps to
 * the guest's count. */
static long empty_dirents(struct vb_9p_server *srv, const struct fid *f,
			  uint64_t offset)
{
	static const char *const names[] = { ".", ".." };
	const size_t name_at = offsetof(struct linux_dirent64, d_name);
	struct stat st;
	int rc = stat_fd(f->path_fd, &st);
	if (rc)
		return rc;
	long n = 0;
	for (uint64_t i = offset; i < 2; i++) {
		struct linux_dirent64 *d = (void *)(srv->scratch + n);
		size_t len = strlen(names[i]) + 1;
		size_t reclen = (name_at + len + 7) & ~(size_t)7;
		d->d_ino = st.st_ino;
		d->d_off = (int64_t)i + 1;
		d->d_reclen = (unsigned short)reclen;
		d->d_type = DT_DIR;
		memcpy(d->d_name, names[i], len);
		n += (long)reclen;
	}
	return n;
}

static int op_readdir(struct vb_9p_server *srv, const struct req *r,
		      struct vb_9p_out *out)
{
	struct fid *f = r->fid[0];
	uint64_t offset = r->num[0];
	if (f->open_fd < 0 || !S_ISDIR(f->type))
		return -EBADF;
	if (offset > INT64_MAX)
		return -EINVAL;
	uint32_t count = reply_count(out, r->num[1]);
	long n = f->fenced ? empty_dirents(srv, f, offset)
			   : host_dirents(srv, f, offset, count);
	if (n < 0)
		return (int)n;
	size_t start = out->pos;
	vb_9p_put_u32(out, 0);
	uint32_t used = put_dirents(out, srv->scratch, n, count);
	if (out->err)
		return out->err;
	patch_count(out, start, used);
	return 0;
}

/* ---- attributes ---- */

static uint64_t encode_dev(dev_t dev)
{
	/* Linux's new_encode_dev(): what v9fs decodes st_rdev with. */
	uint64_t ma = major(dev), mi = minor(dev);
	return (mi & 0xff) | (ma << 8) | ((mi & ~0xffull) << 12);
}

/* num[0], request_mask: we always answer the basic set. */
static int op_getattr(struct vb_9p_server *srv, const struct req *r,
		      struct vb_9p_out *out)
{
	(void)srv;
	struct stat st;
	int rc = stat_fd(r->fid[0]->path_fd, &st);
	if (rc)
		return rc;
	if (r->fid[0]->fenced) {
		/* The mount's root, emptied: proc's link count, for one,
		 * would tell how many processes the host runs. */
		st.st_nlink = S_ISDIR(st.st_mode) ? 2 : 1;
		st.st_size = 0;
		st.st_blocks = 0;
	}
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

/* Tsetattr's fields after the fid, as they stand in req.num[]. */
enum { SA_VALID, SA_MODE, SA_UID, SA_GID, SA_SIZE, SA_ATIME_SEC,
       SA_ATIME_NSEC, SA_MTIME_SEC, SA_MTIME_NSEC };

static int set_size(struct vb_9p_server *srv, struct fid *f,
		    const struct stat *st, uint64_t size)
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
	int rc = drop_setid(srv, fd, st->st_mode);
	if (!rc && ftruncate(fd, (off_t)size) < 0)
		rc = -errno;
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

/* What a Tsetattr may not do, refused before any of it is done: change
 * an owner (never chown on the host: EPERM, the answer a chown without
 * CAP_CHOWN gets; naming the current owner is fine, tar and cp -p do) or
 * the share root's mode. */
static int check_setattr(const struct vb_9p_server *srv, const struct stat *st,
			 const uint64_t a[REQ_NUMS])
{
	uint64_t valid = a[SA_VALID];
	if ((valid & ATTR_UID) && (uid_t)a[SA_UID] != st->st_uid)
		return -EPERM;
	if ((valid & ATTR_GID) && (gid_t)a[SA_GID] != st->st_gid)
		return -EPERM;
	bool root = st->st_dev == srv->root_dev && st->st_ino == srv->root_ino;
	if ((valid & ATTR_MODE) && root &&
	    (a[SA_MODE] & 07777) != (st->st_mode & 07777))
		return -EPERM;
	return 0;
}

static int apply_setattr(struct vb_9p_server *srv, struct fid *f,
			 const uint64_t a[REQ_NUMS])
{
	bool link = S_ISLNK(f->type);
	uint64_t valid = a[SA_VALID];
	struct stat st;
	int rc = stat_fd(f->path_fd, &st);
	if (rc || (rc = check_setattr(srv, &st, a)))
		return rc;
	if ((valid & ATTR_MODE) && !link &&
	    (rc = chmod_fd(srv, f->path_fd, (mode_t)(a[SA_MODE] & SAFE_MODE_BITS))))
		return rc;
	if ((valid & ATTR_SIZE) && (rc = set_size(srv, f, &st, a[SA_SIZE])))
		return rc;
	if ((valid & (ATTR_ATIME | ATTR_MTIME)) && !link) {
		struct timespec ts[2] = {
			set_time(valid & ATTR_ATIME, valid & ATTR_ATIME_SET,
				 a[SA_ATIME_SEC], a[SA_ATIME_NSEC]),
			set_time(valid & ATTR_MTIME, valid & ATTR_MTIME_SET,
				 a[SA_MTIME_SEC], a[SA_MTIME_NSEC]),
		};
		char num[16];
		snprintf(num, sizeof(num), "%d", f->path_fd);
		if (utimensat(srv->proc_fd, num, ts, 0) < 0)
			return -errno;
	}
	return 0;
}

static int op_setattr(struct vb_9p_server *srv, const struct req *r,
		      struct vb_9p_out *out)
{
	(void)out;
	if (r->fid[0]->xattr)
		return -EBADF;
	return apply_setattr(srv, r->fid[0], r->num);
}

static int op_statfs(struct vb_9p_server *srv, const struct req *r,
		     struct vb_9p_out *out)
{
	(void)srv;
	const struct fid *f = r->fid[0];
	/* A fenced mount point is a directory of the file system around it. */
	int fd = f->fenced && f->parent_fd >= 0 ? f->parent_fd : f->path_fd;
	struct statfs s;
	if (fstatfs(fd, &s) < 0)
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

static int op_fsync(struct vb_9p_server *srv, const struct req *r,
		    struct vb_9p_out *out)
{
	(void)srv;
	(void)out;
	int fd = r->fid[0]->open_fd;
	if (fd < 0)
		return 0;
	int rc = r->num[0] ? fdatasync(fd) : fsync(fd); /* num[0]: datasync */
	return rc < 0 ? -errno : 0;
}

/* ---- directory entries ---- */

/* The reply of the create-style operations (mkdir, symlink, mknod), given
 * what the call that made dfid's entry `name` returned: the entry's qid. */
static int reply_made(int made, const struct req *r, struct vb_9p_out *out)
{
	if (made < 0)
		return -errno;
	struct vb_9p_qid qid;
	int rc = qid_of_child(r->fid[0]->path_fd, r->name[0], &qid);
	if (!rc)
		vb_9p_put_qid(out, &qid);
	return rc;
}

/* num[0] is the mode; the gid after it is ignored (files belong to the
 * vmboot user). A setgid directory makes its subdirectories setgid on the
 * host's own account; the guest never asks for it. */
static int op_mkdir(struct vb_9p_server *srv, const struct req *r,
		    struct vb_9p_out *out)
{
	(void)srv;
	mode_t mode = (mode_t)(r->num[0] & SAFE_MODE_BITS);
	return reply_made(mkdirat(r->fid[0]->path_fd, r->name[0], mode), r,
			  out);
}

static int op_symlink(struct vb_9p_server *srv, const struct req *r,
		      struct vb_9p_out *out)
{
	(void)srv;
	return reply_made(symlinkat(r->target, r->fid[0]->path_fd, r->name[0]),
			  r, out);
}

/* Tmknod: mode[4] major[4] minor[4] gid[4] after dfid and name. */
static int op_mknod(struct vb_9p_server *srv, const struct req *r,
		    struct vb_9p_out *out)
{
	(void)srv;
	uint32_t mode = (uint32_t)r->num[0];
	mode_t type = mode & S_IFMT;
	/* Device nodes would give the guest host devices. */
	if (type == S_IFCHR || type == S_IFBLK)
		return -EPERM;
	if (type != S_IFIFO && type != S_IFSOCK && type != S_IFREG && type)
		return -EINVAL;
	return reply_made(mknodat(r->fid[0]->path_fd, r->name[0],
				  type | (mode & SAFE_MODE_BITS), 0),
			  r, out);
}

static int op_readlink(struct vb_9p_server *srv, const struct req *r,
		       struct vb_9p_out *out)
{
	(void)srv;
	struct fid *f = r->fid[0];
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

static int op_link(struct vb_9p_server *srv, const struct req *r,
		   struct vb_9p_out *out)
{
	(void)out;
	struct fid *d = r->fid[0], *src = r->fid[1];
	const char *name = r->name[0];
	if (S_ISDIR(src->type) || src->xattr || d->xattr)
		return -EPERM;
	/* The source is the inode the fid holds, which is inside the share
	 * by construction. A symlink is linked as itself (AT_EMPTY_PATH, which
	 * needs CAP_DAC_READ_SEARCH), never through /proc, where following
	 * could reach its target. */
	int rc;
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

static int op_rename(struct vb_9p_server *srv, const struct req *r,
		     struct vb_9p_out *out)
{
	(void)out;
	struct fid *f = r->fid[0], *d = r->fid[1];
	const char *name = r->name[0];
	if (f->xattr)
		return -EBADF;
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

static int op_renameat(struct vb_9p_server *srv, const struct req *r,
		       struct vb_9p_out *out)
{
	(void)srv;
	(void)out;
	if (renameat(r->fid[0]->path_fd, r->name[0], r->fid[1]->path_fd,
		     r->name[1]) < 0)
		return -errno;
	return 0;
}

static int op_unlinkat(struct vb_9p_server *srv, const struct req *r,
		       struct vb_9p_out *out)
{
	(void)srv;
	(void)out;
	uint64_t flags = r->num[0];
	if (flags & ~(uint64_t)DOTL_AT_REMOVEDIR)
		return -EINVAL;
	int at = flags & DOTL_AT_REMOVEDIR ? AT_REMOVEDIR : 0;
	return unlinkat(r->fid[0]->path_fd, r->name[0], at) < 0 ? -errno : 0;
}

static int op_remove(struct vb_9p_server *srv, const struct req *r,
		     struct vb_9p_out *out)
{
	(void)out;
	struct fid *f = r->fid[0];
	/* remove(5): the fid is clunked even when the remove fails. */
	int rc = check_access(srv, ACCESS_MODIFY, r);
	if (!rc && !(rc = check_entry(srv, f)) &&
	    unlinkat(f->parent_fd, f->name,
		     S_ISDIR(f->type) ? AT_REMOVEDIR : 0) < 0)
		rc = -errno;
	fid_remove(srv, f);
	return rc;
}

/* ---- xattrs and locks ---- */

static int op_xattrwalk(struct vb_9p_server *srv, const struct req *r,
			struct vb_9p_out *out)
{
	struct fid *f = r->fid[0];
	/* No xattrs are exported: the list is empty and every name is
	 * absent (ENODATA is what getxattr(2) reports for that). */
	if (r->str[0].len)
		return -ENODATA;
	int fd = dup_fd(f->path_fd);
	if (fd < 0)
		return fd;
	struct fid *x;
	int rc = fid_add(srv, (uint32_t)r->num[0], fd, -1, &x);
	if (rc)
		return rc;
	x->xattr = true;
	x->type = f->type;
	x->fenced = f->fenced;
	vb_9p_put_u64(out, 0);
	return 0;
}

/* Locks are advisory and granted at once: the guest kernel already
 * serialises its own processes, and nothing else shares the lock space. */
static int op_lock(struct vb_9p_server *srv, const struct req *r,
		   struct vb_9p_out *out)
{
	(void)srv;
	(void)r;
	vb_9p_put_u8(out, LOCK_SUCCESS);
	return 0;
}

/* Tgetlock: type[1] start[8] length[8] proc_id[4] client_id[s]. */
static int op_getlock(struct vb_9p_server *srv, const struct req *r,
		      struct vb_9p_out *out)
{
	(void)srv;
	vb_9p_put_u8(out, LOCK_TYPE_UNLCK); /* no conflicting lock */
	vb_9p_put_u64(out, r->num[1]);
	vb_9p_put_u64(out, r->num[2]);
	vb_9p_put_u32(out, (uint32_t)r->num[3]);
	vb_9p_put_str(out, r->str[0].p, r->str[0].len);
	return 0;
}

/* ---- dispatch ---- */

/* Layouts after the header, in wire order (see begin_op). */
static const struct op ops[] = {
	{ VB_9P_TVERSION, "4s", ACCESS_NONE, op_version },
	/* afid uname aname n_uname */
	{ VB_9P_TAUTH, "4ss4", ACCESS_NONE, op_unsupported },
	/* fid afid uname aname n_uname: requests run as the vmboot user */
	{ VB_9P_TATTACH, "44ss4", ACCESS_NONE, op_attach },
	/* oldtag: requests are answered in order, so nothing is left to
	 * cancel */
	{ VB_9P_TFLUSH, "2", ACCESS_NONE, NULL },
	{ VB_9P_TCLUNK, "f", ACCESS_NONE, op_clunk },
	/* fid newfid nwname*wname */
	{ VB_9P_TWALK, "f4W", ACCESS_READ, op_walk },
	{ VB_9P_TLOPEN, "fo", ACCESS_IN_OP, op_lopen },
	/* fid name flags mode gid */
	{ VB_9P_TLCREATE, "fNo44", ACCESS_MODIFY, op_lcreate },
	/* fid offset count */
	{ VB_9P_TREAD, "f84", ACCESS_READ, op_read },
	/* fid offset count data */
	{ VB_9P_TWRITE, "f8c", ACCESS_MODIFY, op_write },
	/* fid offset count */
	{ VB_9P_TREADDIR, "f84", ACCESS_READ, op_readdir },
	/* fid request_mask */
	{ VB_9P_TGETATTR, "f8", ACCESS_READ, op_getattr },
	/* fid valid mode uid gid size atime mtime (sec, nsec each) */
	{ VB_9P_TSETATTR, "f444488888", ACCESS_MODIFY, op_setattr },
	{ VB_9P_TSTATFS, "f", ACCESS_READ, op_statfs },
	/* fid datasync */
	{ VB_9P_TFSYNC, "f4", ACCESS_READ, op_fsync },
	/* dfid name mode gid */
	{ VB_9P_TMKDIR, "D44", ACCESS_MODIFY, op_mkdir },
	/* dfid name target gid */
	{ VB_9P_TSYMLINK, "DT4", ACCESS_MODIFY, op_symlink },
	/* dfid name mode major minor gid */
	{ VB_9P_TMKNOD, "D4444", ACCESS_MODIFY, op_mknod },
	{ VB_9P_TREADLINK, "f", ACCESS_READ, op_readlink },
	/* dfid fid name */
	{ VB_9P_TLINK, "ffN", ACCESS_MODIFY, op_link },
	/* fid dfid name */
	{ VB_9P_TRENAME, "fD", ACCESS_MODIFY, op_rename },
	/* olddfid oldname newdfid newname */
	{ VB_9P_TRENAMEAT, "DD", ACCESS_MODIFY, op_renameat },
	/* dfid name flags */
	{ VB_9P_TUNLINKAT, "D4", ACCESS_MODIFY, op_unlinkat },
	{ VB_9P_TREMOVE, "f", ACCESS_IN_OP, op_remove },
	/* fid newfid name */
	{ VB_9P_TXATTRWALK, "f4s", ACCESS_READ, op_xattrwalk },
	/* fid name attr_size flags */
	{ VB_9P_TXATTRCREATE, "fs84", ACCESS_MODIFY, op_unsupported },
	/* fid type flags start length proc_id client_id */
	{ VB_9P_TLOCK, "f14884s", ACCESS_READ, op_lock },
	/* fid type start length proc_id client_id */
	{ VB_9P_TGETLOCK, "f1884s", ACCESS_READ, op_getlock },
};

static const struct op *find_op(uint8_t type)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].type == type)
			return &ops[i];
	return NULL;
}

static int run_op(struct vb_9p_server *srv, const struct op *op,
		  struct vb_9p_in *in, struct vb_9p_out *out)
{
	struct req r;
	int rc = begin_op(srv, op, in, &r);
	return rc || !op->fn ? rc : op->fn(srv, &r, out);
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
		const struct op *op = find_op(hdr.type);
		struct vb_9p_out out;
		vb_9p_out_init(&out, resp, cap);
		rc = op ? run_op(srv, op, &in, &out) : -EOPNOTSUPP;
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
	srv->stop_at_mounts = cfg->stop_at_mounts;
	srv->classify_mount = cfg->classify_mount ? cfg->classify_mount
						  : vb_9p_mount_kind;
	srv->classify_ctx = cfg->classify_ctx;
	srv->max_msize = srv->msize = msize;
	srv->max_fids = cfg->max_fids ? cfg->max_fids : VB_9P_DEFAULT_MAX_FIDS;
	int rc = 0;
	srv->root_fd = vb_open_expect(cfg->root_path, O_PATH, VB_FILE_DIR, NULL, err);
	if (srv->root_fd < 0) {
		rc = srv->root_fd;
		vb_err_prefix(err, "9p: open");
		goto fail;
	}
	struct stat root;
	if ((rc = stat_fd(srv->root_fd, &root))) {
		vb_err_errno(err, -rc, "9p: stat %s", cfg->root_path);
		goto fail;
	}
	srv->root_dev = root.st_dev;
	srv->root_ino = root.st_ino;
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
