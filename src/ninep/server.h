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

struct vb_9p_config {
	const char *root_path; /* host directory shared with the guest */
	bool readonly;
	uint32_t max_msize; /* transport limit; 0 = VB_9P_DEFAULT_MSIZE */
	uint32_t max_fids;  /* 0 = VB_9P_DEFAULT_MAX_FIDS */
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
