/* A 9P2000.L file server for one host directory, independent of transport.
 *
 * The transport (virtio-9p, a test, the fuzzer) hands over one complete
 * T-message and a buffer for the reply; vb_9p_server_handle() writes one
 * R-message there. Requests are answered synchronously and in order, so
 * Tflush has nothing to cancel. One server is not thread-safe: the caller
 * serialises calls (one request queue per server).
 *
 * Confinement (the guest is an attacker): every fid holds an O_PATH file
 * descriptor, never a path string. A walk, create, rename, link or unlink
 * names exactly one component relative to a fid's descriptor; "", ".",
 * ".." and names containing '/' are refused with EINVAL, and lookups use
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
 * with O_NOFOLLOW (plain openat with O_NOFOLLOW where openat2 is missing).
 * A symlink therefore yields a fid for the link itself: Treadlink returns
 * its text for the guest to resolve, and walking through it fails with
 * ENOTDIR. Files are (re)opened through /proc/self/fd/N of the fid's own
 * descriptor, which names the inode the fid already holds, so swapping a
 * path component for a symlink between requests changes nothing.
 * Read-only servers refuse every modifying request with EROFS.
 *
 * Security model (like QEMU's security_model=none, made safe for a VMM
 * that runs as root): the guest acts on the host with vmboot's
 * credentials, so what those credentials could do beyond the share's
 * files is taken away.
 *   - No setuid/setgid bits: the modes of Tlcreate, Tmkdir, Tmknod and a
 *     Tsetattr chmod lose S_ISUID and S_ISGID (S_ISVTX stays), and opening
 *     or truncating a setuid/setgid file for writing clears them first, as
 *     the kernel does for a writer without CAP_FSETID.
 *   - No device nodes: Tmknod of a character or block device is EPERM;
 *     FIFOs and sockets are made as such. Device nodes already on the host
 *     are never opened (Tlopen: ENXIO).
 *   - No chown: ownership is never changed on the host (no chown call
 *     exists here). A Tsetattr that would change the owner or group is
 *     EPERM, one naming the current ones succeeds (tar and cp -p do
 *     that); the gid of Tlcreate, Tmkdir, Tsymlink and Tmknod is ignored,
 *     so new files belong to vmboot's user. EPERM rather than QEMU's
 *     mapped-xattr owners: nothing is stored that a host tool would not
 *     show, and no xattr namespace has to be hidden from the guest.
 *   - The share root's mode is fixed: a Tsetattr changing it is EPERM.
 *   - Mounts below the share root (never the root itself: the user named
 *     it) are classified when a walk enters them, once per crossing
 *     (RESOLVE_NO_XDEV fails with EXDEV there; without openat2, st_dev
 *     differs): a kernel-interface file system (vb_9p_mount_kind) is never
 *     entered, nor is any mount with stop_at_mounts. Such a mount point is
 *     "fenced": the guest sees it as an empty directory (a walk into it is
 *     ENOENT, Treaddir gives . and .., Tgetattr shows the mount's root as
 *     empty, anything modifying it or in it is EACCES, and a file mounted
 *     there is not opened, by Tlopen or by a Tlcreate of its name).
 *     Without openat2, a bind mount of the same file system is not seen as
 *     a mount (its st_dev is the same); with it, every mount is.
 *
 * Errors sent to the guest (Rlerror ecode, Linux errno values):
 *   EPROTO    message shorter than its header, size field < 7, a field or
 *             string running past the end, or trailing bytes
 *   EMSGSIZE  size field larger than the buffer or than the msize
 *   EINVAL    nwname > 16, bad name component, bad flags
 *   EOPNOTSUPP unknown or legacy (9P2000/9P2000.u) message type, Tauth
 *   EBADF     unknown fid or fid in the wrong state
 *   EEXIST    newfid already in use
 *   EMFILE    fid table full
 *   EROFS     modifying request on a read-only server
 *   EPERM     chown to another owner, chmod of the root, Tmknod of a
 *             device node
 *   EACCES    modifying request on or in a fenced mount point, opening
 *             a file that is one (see above)
 *   others    the host syscall's errno
 *
 * Ownership: the server opens the root directory at create and closes every
 * descriptor at destroy. Functions return 0 or -errno; create fills err. */
#ifndef VB_NINEP_SERVER_H
#define VB_NINEP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Linux's default msize for virtio is 512 KiB; allow up to 1 MiB. */
#define VB_9P_DEFAULT_MSIZE (512u * 1024u)
#define VB_9P_MAX_MSIZE (1024u * 1024u)
/* Tversion with a smaller msize is refused: a reply of a walk of 16 qids
 * (9 + 16 * 13 bytes) must fit. */
#define VB_9P_MIN_MSIZE 256u
#define VB_9P_DEFAULT_MAX_FIDS 4096u

/* What a walk step landed on, for the security model. */
enum vb_9p_mount {
	VB_9P_MOUNT_SAME,     /* the mount of the directory it was walked from */
	VB_9P_MOUNT_ORDINARY, /* another mount, of a file system of files */
	VB_9P_MOUNT_KERNEL,   /* another mount, of a kernel interface: fenced */
};

/* Classifies fd, an O_PATH descriptor a walk step just opened; crossed
 * says whether the server saw it on another mount than its parent. */
typedef enum vb_9p_mount vb_9p_mount_fn(int fd, bool crossed, void *ctx);

/* The classifier servers use by default: VB_9P_MOUNT_SAME unless crossed;
 * then KERNEL for the file systems of kernel interfaces by their statfs
 * f_type (proc, sysfs, devpts, debugfs, tracefs, securityfs, cgroup and
 * cgroup2, bpf, configfs, efivarfs, pstore, selinuxfs, smackfs, fusectl,
 * binfmt_misc, hugetlbfs, mqueue, nsfs and their kin), for a tmpfs whose
 * root holds a character device named "null" (devtmpfs reports tmpfs's
 * magic; a container's /dev is such a tmpfs too), and when fstatfs fails;
 * ORDINARY otherwise. ctx is unused. */
enum vb_9p_mount vb_9p_mount_kind(int fd, bool crossed, void *ctx);

struct vb_9p_config {
	const char *root_path; /* host directory shared with the guest */
	bool readonly;
	/* submounts = false: fence every mount below the root, not only the
	 * kernel-interface ones. */
	bool stop_at_mounts;
	uint32_t max_msize; /* transport limit; 0 = VB_9P_DEFAULT_MSIZE */
	uint32_t max_fids;  /* 0 = VB_9P_DEFAULT_MAX_FIDS */
	/* NULL: vb_9p_mount_kind. Tests pass their own to declare a plain
	 * directory a kernel mount; it is called on every walk step. */
	vb_9p_mount_fn *classify_mount;
	void *classify_ctx;
};

struct vb_9p_server;

int vb_9p_server_create(const struct vb_9p_config *cfg,
			struct vb_9p_server **out, struct vb_err *err);
/* Clunks every fid and frees the server; NULL is accepted. */
void vb_9p_server_destroy(struct vb_9p_server *srv);

/* Answer the T-message req[0..req_bytes) with one R-message (the reply or
 * an Rlerror) in resp[0..resp_bytes); *resp_len is its length. Replies are
 * limited to min(resp_bytes, negotiated msize). Returns 0, or -EMSGSIZE
 * (nothing written) when resp_bytes < VB_9P_RLERROR_BYTES. */
int vb_9p_server_handle(struct vb_9p_server *srv, const uint8_t *req,
			size_t req_bytes, uint8_t *resp, size_t resp_bytes,
			size_t *resp_len);

/* The msize in force (VB_9P config max until a Tversion lowers it). */
uint32_t vb_9p_server_msize(const struct vb_9p_server *srv);

/* Number of fids in use (for tests and leak checks). */
uint32_t vb_9p_server_fid_count(const struct vb_9p_server *srv);

#endif
