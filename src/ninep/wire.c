#include "ninep/wire.h"

#include <errno.h>
#include <string.h>

static uint64_t load_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void store_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int vb_9p_header_parse(const uint8_t *buf, size_t len, uint32_t max_bytes,
		       struct vb_9p_header *hdr, struct vb_9p_in *in)
{
	memset(hdr, 0, sizeof(*hdr));
	memset(in, 0, sizeof(*in));
	hdr->tag = VB_9P_NOTAG;
	if (len < VB_9P_HEADER_BYTES)
		return -EPROTO;
	hdr->size = (uint32_t)load_le(buf, 4);
	hdr->type = buf[4];
	hdr->tag = (uint16_t)load_le(buf + 5, 2);
	if (hdr->size < VB_9P_HEADER_BYTES)
		return -EPROTO;
	if (hdr->size > len || hdr->size > max_bytes)
		return -EMSGSIZE;
	in->buf = buf;
	in->len = hdr->size;
	in->pos = VB_9P_HEADER_BYTES;
	return 0;
}

static const uint8_t *take(struct vb_9p_in *in, size_t n)
{
	if (in->err || n > in->len - in->pos) {
		in->err = -EPROTO;
		return NULL;
	}
	const uint8_t *p = in->buf + in->pos;
	in->pos += n;
	return p;
}

static uint64_t get_le(struct vb_9p_in *in, unsigned bytes)
{
	const uint8_t *p = take(in, bytes);
	return p ? load_le(p, bytes) : 0;
}

uint8_t vb_9p_get_u8(struct vb_9p_in *in)
{
	return (uint8_t)get_le(in, 1);
}

uint16_t vb_9p_get_u16(struct vb_9p_in *in)
{
	return (uint16_t)get_le(in, 2);
}

uint32_t vb_9p_get_u32(struct vb_9p_in *in)
{
	return (uint32_t)get_le(in, 4);
}

uint64_t vb_9p_get_u64(struct vb_9p_in *in)
{
	return get_le(in, 8);
}

uint64_t vb_9p_get_uint(struct vb_9p_in *in, unsigned bytes)
{
	if (bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8) {
		in->err = -EPROTO;
		return 0;
	}
	return get_le(in, bytes);
}

void vb_9p_get_str(struct vb_9p_in *in, struct vb_9p_str *s)
{
	uint16_t len = vb_9p_get_u16(in);
	const uint8_t *p = take(in, len);
	s->p = p ? (const char *)p : "";
	s->len = p ? len : 0;
}

const uint8_t *vb_9p_get_bytes(struct vb_9p_in *in, size_t n)
{
	return take(in, n);
}

int vb_9p_in_done(const struct vb_9p_in *in)
{
	if (in->err)
		return in->err;
	return in->pos == in->len ? 0 : -EPROTO;
}

int vb_9p_str_copy(const struct vb_9p_str *s, char *dst, size_t dst_bytes)
{
	if ((size_t)s->len >= dst_bytes)
		return -ENAMETOOLONG;
	if (memchr(s->p, '\0', s->len))
		return -EINVAL;
	memcpy(dst, s->p, s->len);
	dst[s->len] = '\0';
	return 0;
}

void vb_9p_out_init(struct vb_9p_out *out, uint8_t *buf, size_t cap)
{
	out->buf = buf;
	out->cap = cap;
	out->pos = VB_9P_HEADER_BYTES;
	out->err = cap < VB_9P_HEADER_BYTES ? -EMSGSIZE : 0;
}

uint8_t *vb_9p_put_reserve(struct vb_9p_out *out, size_t n)
{
	if (out->err || n > out->cap - out->pos) {
		out->err = -EMSGSIZE;
		return NULL;
	}
	uint8_t *p = out->buf + out->pos;
	out->pos += n;
	return p;
}

static void put_le(struct vb_9p_out *out, uint64_t v, unsigned bytes)
{
	uint8_t *p = vb_9p_put_reserve(out, bytes);
	if (p)
		store_le(p, v, bytes);
}

void vb_9p_put_u8(struct vb_9p_out *out, uint8_t v)
{
	put_le(out, v, 1);
}

void vb_9p_put_u16(struct vb_9p_out *out, uint16_t v)
{
	put_le(out, v, 2);
}

void vb_9p_put_u32(struct vb_9p_out *out, uint32_t v)
{
	put_le(out, v, 4);
}

void vb_9p_put_u64(struct vb_9p_out *out, uint64_t v)
{
	put_le(out, v, 8);
}

void vb_9p_put_str(struct vb_9p_out *out, const char *s, size_t len)
{
	if (len > UINT16_MAX) {
		out->err = -EMSGSIZE;
		return;
	}
	vb_9p_put_u16(out, (uint16_t)len);
	uint8_t *p = vb_9p_put_reserve(out, len);
	if (p && len)
		memcpy(p, s, len);
}

void vb_9p_put_qid(struct vb_9p_out *out, const struct vb_9p_qid *qid)
{
	vb_9p_put_u8(out, qid->type);
	vb_9p_put_u32(out, qid->version);
	vb_9p_put_u64(out, qid->path);
}

int vb_9p_out_finish(struct vb_9p_out *out, uint8_t type, uint16_t tag)
{
	if (out->err)
		return out->err;
	store_le(out->buf, out->pos, 4);
	out->buf[4] = type;
	store_le(out->buf + 5, tag, 2);
	return (int)out->pos;
}

int vb_9p_put_rlerror(uint8_t *buf, size_t cap, uint16_t tag, uint32_t ecode)
{
	struct vb_9p_out out;
	vb_9p_out_init(&out, buf, cap);
	vb_9p_put_u32(&out, ecode);
	return vb_9p_out_finish(&out, VB_9P_RLERROR, tag);
}
