/* The "newc" cpio format the kernel unpacks as an initramfs, in memory.
 *
 * Format (Documentation/driver-api/early-userspace/buffer-format.rst): each
 * entry is the 6-byte magic "070701", thirteen 8-digit hex fields (ino, mode,
 * uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
 * rdevminor, namesize including the NUL, check = 0), the name and its NUL
 * padded to a multiple of 4 bytes, then the data padded likewise. The archive
 * ends with an entry named "TRAILER!!!". Names carry no leading '/': the
 * kernel extracts them relative to the root.
 *
 * The writer is pure (no I/O). Every entry is owned by root with mtime 0, so
 * the same inputs give the same bytes. Parents must be added before their
 * children; the writer does not invent directories. */
#ifndef VB_INITRAMFS_CPIO_H
#define VB_INITRAMFS_CPIO_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct vb_cpio_entry {
	const char *name;     /* "init", "lib/modules/virtio.ko" */
	uint32_t mode;        /* file type and permissions, as st_mode */
	const uint8_t *data;  /* file contents or symlink target; NULL when size is 0 */
	uint64_t size;
	uint32_t rdev_major, rdev_minor; /* device nodes */
};

struct vb_cpio {
	uint8_t *buf;
	size_t len, cap;
	uint32_t next_ino;
};

void vb_cpio_init(struct vb_cpio *c);
void vb_cpio_free(struct vb_cpio *c);

/* Appends one entry. Returns 0, -EINVAL for an empty or absolute name, a
 * name with a ".." component, or a file larger than the format's 32-bit
 * size field, -ENOMEM. On failure the archive is unchanged. */
int vb_cpio_add(struct vb_cpio *c, const struct vb_cpio_entry *e, struct vb_err *err);

int vb_cpio_add_dir(struct vb_cpio *c, const char *name, uint32_t perm, struct vb_err *err);
int vb_cpio_add_file(struct vb_cpio *c, const char *name, uint32_t perm, const uint8_t *data,
		     uint64_t size, struct vb_err *err);

/* Appends the trailer and hands the buffer to the caller (free()); the
 * writer is left empty. Returns 0 or -ENOMEM. */
int vb_cpio_finish(struct vb_cpio *c, uint8_t **buf, size_t *len, struct vb_err *err);

/* Reads the entry at *offset and advances it. Returns 1 with *e filled
 * (pointers into buf), 0 at the trailer, -EINVAL for a malformed archive
 * (bad magic, sizes past the end, a name without its NUL). */
int vb_cpio_next(const uint8_t *buf, size_t len, size_t *offset, struct vb_cpio_entry *e);

#endif
