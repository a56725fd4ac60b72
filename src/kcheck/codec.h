/* kernel-check's decoders, internal to src/kcheck: the contract between
 * unpack.c (which recognises a format and words size errors) and one file
 * per format. zstd and lz4 are optional at configure time; when a library
 * is missing its *_none.c twin is built instead (chosen in local.mk): the
 * same codec with no decode function, so unpack.c reports "not built in"
 * and vb_kcheck_can_unpack() says no.
 *
 * A decoder appends to a sink that unpack.c owns and frees. It returns 0,
 * -EFBIG (the sink's cap was reached) or -ENOMEM without a message (unpack.c
 * words those), or another -errno with err filled. Input is untrusted: a
 * decoder never reads past in + len and never writes past the sink's room. */
#ifndef VB_KCHECK_CODEC_H
#define VB_KCHECK_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kcheck/sink.h"
#include "util/err.h"

/* One optional decoder. decode is NULL when configure left its library
 * out: unpack.c then says "not built in", naming library. */
struct vb_kcheck_codec {
	const char *library; /* "libzstd" */
	int (*decode)(const uint8_t *in, size_t len, struct vb_kcheck_sink *s,
		      struct vb_err *err);
};

extern const struct vb_kcheck_codec vb_kcheck_zstd;
extern const struct vb_kcheck_codec vb_kcheck_lz4;

#endif
