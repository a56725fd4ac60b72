/* Decompressing kernel payloads and modules in memory.
 *
 * Formats are recognised by their magic bytes, never by file name:
 *   gzip  1f 8b            (RFC 1952; zlib)
 *   xz    fd 37 7a 58 5a 00 (the .xz container; liblzma). Debian's bzImage
 *                           payload is xz with the x86 BCJ filter.
 *   zstd  28 b5 2f fd       (RFC 8878; libzstd, optional)
 *   lz4   02 21 4c 18       (lz4 legacy frame, CONFIG_KERNEL_LZ4; liblz4,
 *                           optional)
 * Only the first stream is decoded: a bzImage payload is followed by its
 * 4-byte decompressed size, which is not a second stream. (A legacy lz4
 * frame has no end marker: it runs to the end of the input, skipping those
 * 4 bytes, and continues through concatenated frames as lz4 -d does.)
 *
 * The input is untrusted (any file the user names), so output is capped at
 * max_out_bytes and a truncated or corrupt stream is an error, not a crash.
 * On success *out is malloc'd (caller frees) and holds *out_len bytes. */
#ifndef VB_KCHECK_UNPACK_H
#define VB_KCHECK_UNPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum vb_compression {
	VB_COMP_NONE,
	VB_COMP_GZIP,
	VB_COMP_XZ,
	VB_COMP_ZSTD, /* RFC 8878 frame; needs libzstd at configure time */
	VB_COMP_LZ4,  /* the legacy lz4 frame the kernel build writes; needs liblz4 */
};

/* Which format the bytes start with (VB_COMP_NONE if none we know). */
enum vb_compression vb_kcheck_detect(const uint8_t *buf, size_t len);

const char *vb_kcheck_compression_name(enum vb_compression c);

/* Whether this build decodes c (zstd and lz4 depend on configure). */
bool vb_kcheck_can_unpack(enum vb_compression c);

/* Returns 0, -EFBIG when the output would exceed max_out_bytes, -EINVAL for
 * a corrupt stream or an unknown format, -ENOTSUP for a format this build
 * cannot decode (vb_kcheck_can_unpack), -ENOMEM. */
int vb_kcheck_unpack(const uint8_t *buf, size_t len, uint64_t max_out_bytes, uint8_t **out,
		     size_t *out_len, struct vb_err *err);

#endif
