/* The lz4 legacy frame, as `lz4 -l` writes it and the kernel build uses it
 * for CONFIG_KERNEL_LZ4 (scripts/Makefile.lib, cmd_lz4): the magic
 * 0x184C2102, then blocks, each a 4-byte little-endian compressed size and
 * that many bytes of one independent lz4 block that decodes to at most
 * 8 MiB (lz4's doc/lz4_Frame_format.md, "Legacy frame"). No end marker and
 * no checksum: the data ends where the input ends. */
#include "kcheck/codec.h"

#include <errno.h>
#include <lz4.h>

#include "util/le.h"

#define LEGACY_MAGIC 0x184C2102u
#define LEGACY_BLOCK_BYTES (8u << 20)

/* Decodes one block of csize bytes at in into the sink. */
static int block(const uint8_t *in, uint32_t csize, struct vb_kcheck_sink *s,
		 struct vb_err *err)
{
	if (csize == 0 || csize > (uint32_t)LZ4_COMPRESSBOUND(LEGACY_BLOCK_BYTES))
		return vb_err_set(err, EINVAL, "lz4: corrupt stream (block of %u bytes)", csize);
	int rc = vb_kcheck_sink_reserve(s, LEGACY_BLOCK_BYTES);
	if (rc)
		return rc;
	int n = LZ4_decompress_safe((const char *)in, (char *)s->buf + s->len, (int)csize,
				    (int)LEGACY_BLOCK_BYTES);
	if (n < 0)
		return vb_err_set(err, EINVAL, "lz4: corrupt stream (bad block)");
	if (s->len + (size_t)n > s->max)
		return -EFBIG;
	s->len += (size_t)n;
	return 0;
}

static int unlz4(const uint8_t *in, size_t len, struct vb_kcheck_sink *s,
		 struct vb_err *err)
{
	if (len < 4 || (uint32_t)vb_le_get(in, 4) != LEGACY_MAGIC)
		return vb_err_set(err, EINVAL, "lz4: not a legacy lz4 frame");
	size_t pos = 4, blocks = 0;
	while (len - pos >= 4) {
		uint32_t csize = (uint32_t)vb_le_get(in + pos, 4);
		/* The kernel build appends the 4-byte uncompressed size
		 * (size_append): exactly 4 bytes left can never be a block,
		 * which needs a size and at least one byte. */
		if (blocks && len - pos == 4)
			break;
		pos += 4;
		/* lz4 -l output concatenated with another: a new frame. */
		if (csize == LEGACY_MAGIC)
			continue;
		if (csize > len - pos)
			return vb_err_set(err, EINVAL,
					  "lz4: truncated stream (block of %u bytes, %zu left)",
					  csize, len - pos);
		int rc = block(in + pos, csize, s, err);
		if (rc)
			return rc;
		pos += csize;
		blocks++;
	}
	if (!blocks)
		return vb_err_set(err, EINVAL, "lz4: truncated stream (no blocks)");
	return 0;
}

const struct vb_kcheck_codec vb_kcheck_lz4 = { .library = "liblz4", .decode = unlz4 };
