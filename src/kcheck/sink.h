/* The growing output buffer kernel-check's decoders append to (codec.h).
 * unpack.c owns it and frees buf; the decoders (unzstd.c, unlz4.c) and
 * unpack.c's own gunzip and unxz grow it. A file of its own, below all of
 * them: in unpack.c, which calls the decoders, it made each decoder call
 * back into its caller. */
#ifndef VB_KCHECK_SINK_H
#define VB_KCHECK_SINK_H

#include <stddef.h>
#include <stdint.h>

struct vb_kcheck_sink {
	uint8_t *buf;
	size_t len, cap;
	uint64_t max; /* the caller's output cap: more than this is -EFBIG */
};

/* Room for at least one more byte, growing geometrically up to max;
 * -EFBIG when len has reached max, -ENOMEM. */
int vb_kcheck_sink_grow(struct vb_kcheck_sink *s);

/* Room for n more bytes whatever max says (a block decoder needs its
 * whole worst case); the decoder checks len against max afterwards. */
int vb_kcheck_sink_reserve(struct vb_kcheck_sink *s, size_t n);

#endif
