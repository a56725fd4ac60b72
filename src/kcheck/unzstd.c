/* zstd frames (RFC 8878) through libzstd's streaming decoder. */
#include "kcheck/codec.h"

#include <errno.h>
#include <zstd.h>
#include <zstd_errors.h>

static int unzstd(const uint8_t *in, size_t len, struct vb_kcheck_sink *s,
		  struct vb_err *err)
{
	/* The decoder's default window limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT,
	 * 128 MiB) bounds its own memory and still covers the kernel's
	 * `zstd -22 --ultra` payloads (window log 27). */
	ZSTD_DCtx *d = ZSTD_createDCtx();
	if (!d)
		return -ENOMEM;
	ZSTD_inBuffer src = { in, len, 0 };
	int rc = 0;
	for (;;) {
		rc = vb_kcheck_sink_grow(s);
		if (rc)
			break;
		ZSTD_outBuffer dst = { s->buf + s->len, s->cap - s->len, 0 };
		size_t r = ZSTD_decompressStream(d, &dst, &src);
		s->len += dst.pos;
		if (ZSTD_isError(r)) {
			rc = ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation
				     ? -ENOMEM
				     : vb_err_set(err, EINVAL, "zstd: corrupt stream (%s)",
						  ZSTD_getErrorName(r));
			break;
		}
		/* 0: the first frame is decoded and flushed. What follows (a
		 * bzImage's 4-byte size, another frame) is not ours. */
		if (r == 0)
			break;
		/* Input used up and output room left: the frame needs bytes
		 * that are not there. */
		if (src.pos == src.size && dst.pos < dst.size) {
			rc = vb_err_set(err, EINVAL, "zstd: truncated stream");
			break;
		}
	}
	ZSTD_freeDCtx(d);
	return rc;
}

const struct vb_kcheck_codec vb_kcheck_zstd = { .library = "libzstd", .decode = unzstd };
