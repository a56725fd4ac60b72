#include "kcheck/unpack.h"

#include "kcheck/codec.h"

#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int gunzip(const uint8_t *in, size_t len, struct vb_kcheck_sink *s, struct vb_err *err)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	/* 16 + MAX_WBITS: expect the gzip wrapper (zlib manual, inflateInit2). */
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return vb_err_set(err, ENOMEM, "gzip: cannot start the decoder");
	int rc = 0;
	size_t consumed = 0;
	for (;;) {
		rc = vb_kcheck_sink_grow(s);
		if (rc)
			break;
		/* avail_in/avail_out are 32-bit: feed large buffers in pieces. */
		size_t in_left = len - consumed, out_left = s->cap - s->len;
		z.next_in = (Bytef *)(uintptr_t)(in + consumed);
		z.avail_in = in_left > UINT32_MAX ? UINT32_MAX : (uInt)in_left;
		z.next_out = s->buf + s->len;
		z.avail_out = out_left > UINT32_MAX ? UINT32_MAX : (uInt)out_left;
		uInt before_in = z.avail_in, before_out = z.avail_out;
		int zr = inflate(&z, Z_NO_FLUSH);
		consumed += before_in - z.avail_in;
		s->len += before_out - z.avail_out;
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_BUF_ERROR && consumed == len) {
			rc = vb_err_set(err, EINVAL, "gzip: truncated stream");
			break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			rc = vb_err_set(err, EINVAL, "gzip: corrupt stream (%s)",
					z.msg ? z.msg : "inflate failed");
			break;
		}
	}
	inflateEnd(&z);
	return rc;
}

static int unxz(const uint8_t *in, size_t len, struct vb_kcheck_sink *s, struct vb_err *err)
{
	lzma_stream z = LZMA_STREAM_INIT;
	/* No LZMA_CONCATENATED: stop after the first stream (see header). */
	if (lzma_stream_decoder(&z, UINT64_MAX, 0) != LZMA_OK)
		return vb_err_set(err, ENOMEM, "xz: cannot start the decoder");
	z.next_in = in;
	z.avail_in = len;
	int rc = 0;
	for (;;) {
		rc = vb_kcheck_sink_grow(s);
		if (rc)
			break;
		z.next_out = s->buf + s->len;
		z.avail_out = s->cap - s->len;
		size_t before_out = z.avail_out;
		lzma_ret lr = lzma_code(&z, z.avail_in ? LZMA_RUN : LZMA_FINISH);
		s->len += before_out - z.avail_out;
		if (lr == LZMA_STREAM_END)
			break;
		if (lr == LZMA_BUF_ERROR) {
			rc = vb_err_set(err, EINVAL, "xz: truncated stream");
			break;
		}
		if (lr == LZMA_MEM_ERROR) {
			rc = -ENOMEM;
			break;
		}
		if (lr != LZMA_OK) {
			rc = vb_err_set(err, EINVAL, "xz: corrupt stream (liblzma error %d)", (int)lr);
			break;
		}
	}
	lzma_end(&z);
	return rc;
}

/* zlib and liblzma are always linked in. */
static const struct vb_kcheck_codec gzip_codec = { .library = "zlib", .decode = gunzip };
static const struct vb_kcheck_codec xz_codec = { .library = "liblzma", .decode = unxz };

/* The formats kernel-check recognises, one row each, tried in this order. */
static const struct format {
	enum vb_compression c;
	const char *name;
	uint8_t magic[6]; /* what its data starts with */
	size_t magic_len;
	const struct vb_kcheck_codec *codec;
} formats[] = {
	{ VB_COMP_GZIP, "gzip", { 0x1f, 0x8b }, 2, &gzip_codec },
	{ VB_COMP_XZ, "xz", { 0xfd, '7', 'z', 'X', 'Z', 0x00 }, 6, &xz_codec },
	{ VB_COMP_ZSTD, "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4, &vb_kcheck_zstd },
	{ VB_COMP_LZ4, "lz4", { 0x02, 0x21, 0x4c, 0x18 }, 4, &vb_kcheck_lz4 }, /* legacy frame */
};

#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))

/* NULL for VB_COMP_NONE. */
static const struct format *format_of(enum vb_compression c)
{
	for (const struct format *f = formats; f < formats + N_FORMATS; f++)
		if (f->c == c)
			return f;
	return NULL;
}

enum vb_compression vb_kcheck_detect(const uint8_t *buf, size_t len)
{
	for (const struct format *f = formats; f < formats + N_FORMATS; f++)
		if (len >= f->magic_len && !memcmp(buf, f->magic, f->magic_len))
			return f->c;
	return VB_COMP_NONE;
}

const char *vb_kcheck_compression_name(enum vb_compression c)
{
	const struct format *f = format_of(c);
	return f ? f->name : "uncompressed";
}

bool vb_kcheck_can_unpack(enum vb_compression c)
{
	const struct format *f = format_of(c);
	return f && f->codec->decode;
}

int vb_kcheck_unpack(const uint8_t *buf, size_t len, uint64_t max_out_bytes, uint8_t **out,
		     size_t *out_len, struct vb_err *err)
{
	struct vb_kcheck_sink s = { NULL, 0, 0, max_out_bytes ? max_out_bytes : 1 };
	const struct format *f = format_of(vb_kcheck_detect(buf, len));

	*out = NULL;
	*out_len = 0;
	if (!f)
		return vb_err_set(err, EINVAL, "not gzip, xz, zstd or lz4 data");
	if (!f->codec->decode)
		return vb_err_set(err, ENOTSUP,
				  "%s support not built in (vmboot was configured without %s)",
				  f->name, f->codec->library);
	int rc = f->codec->decode(buf, len, &s, err);
	if (rc == -EFBIG)
		vb_err_set(err, EFBIG, "%s: decompressed data larger than %llu bytes", f->name,
			   (unsigned long long)max_out_bytes);
	else if (rc == -ENOMEM)
		vb_err_set(err, ENOMEM, "%s: out of memory", f->name);
	if (rc) {
		free(s.buf);
		return rc;
	}
	*out = s.buf;
	*out_len = s.len;
	return 0;
}
