/* 9P2000.L wire format: little-endian integers and length-prefixed strings.
 *
 * Every message is size[4] type[1] tag[2] body, all integers little endian
 * (9P2000 intro(5); the 9P2000.L additions are described in the Linux
 * kernel's Documentation/filesystems/9p.rst and diod's protocol.md).
 * Strings are len[2] bytes, not NUL-terminated; a qid is type[1]
 * version[4] path[8].
 *
 * The reader never reads past the buffer it was given: the first short
 * read sets a sticky error (-EPROTO) and every later get returns zero, so a
 * decoder can read all fields and check the error once. The writer works
 * the same way with -EMSGSIZE when the reply does not fit. No allocation,
 * no state outside the structs. */
#ifndef VB_NINEP_WIRE_H
#define VB_NINEP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define VB_9P_HEADER_BYTES 7
#define VB_9P_QID_BYTES 13
/* Rlerror: header + ecode[4]; the smallest buffer a reply can go into. */
#define VB_9P_RLERROR_BYTES 11
#define VB_9P_NOTAG 0xffffu
#define VB_9P_NOFID 0xffffffffu
/* intro(5): "a maximum of sixteen elements may be walked per message". */
#define VB_9P_MAXWELEM 16

/* Message types (T = request, R = T + 1). */
enum {
	VB_9P_TLERROR = 6, VB_9P_RLERROR = 7,
	VB_9P_TSTATFS = 8, VB_9P_TLOPEN = 12, VB_9P_TLCREATE = 14,
	VB_9P_TSYMLINK = 16, VB_9P_TMKNOD = 18, VB_9P_TRENAME = 20,
	VB_9P_TREADLINK = 22, VB_9P_TGETATTR = 24, VB_9P_TSETATTR = 26,
	VB_9P_TXATTRWALK = 30, VB_9P_TXATTRCREATE = 32, VB_9P_TREADDIR = 40,
	VB_9P_TFSYNC = 50, VB_9P_TLOCK = 52, VB_9P_TGETLOCK = 54,
	VB_9P_TLINK = 70, VB_9P_TMKDIR = 72, VB_9P_TRENAMEAT = 74,
	VB_9P_TUNLINKAT = 76, VB_9P_TVERSION = 100, VB_9P_TAUTH = 102,
	VB_9P_TATTACH = 104, VB_9P_TFLUSH = 108, VB_9P_TWALK = 110,
	VB_9P_TREAD = 116, VB_9P_TWRITE = 118, VB_9P_TCLUNK = 120,
	VB_9P_TREMOVE = 122,
};

/* qid.type bits (intro(5)). */
#define VB_9P_QTDIR 0x80
#define VB_9P_QTSYMLINK 0x02
#define VB_9P_QTFILE 0x00

struct vb_9p_qid {
	uint8_t type;
	uint32_t version;
	uint64_t path;
};

/* A string inside the message buffer (borrowed, not NUL-terminated). */
struct vb_9p_str {
	const char *p;
	uint16_t len;
};

struct vb_9p_in {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	int err; /* 0 or -EPROTO after the first read past the end */
};

struct vb_9p_out {
	uint8_t *buf;
	size_t cap;
	size_t pos;
	int err; /* 0 or -EMSGSIZE after the first write past cap */
};

struct vb_9p_header {
	uint32_t size;
	uint8_t type;
	uint16_t tag;
};

/* Check the header of the T-message in buf[0..len) and set *in to its body
 * (the size field, not len, bounds the body: a transport buffer may be
 * longer than the message). hdr->tag is VB_9P_NOTAG when len < 7.
 * Returns 0, -EPROTO (shorter than a header, or size < 7) or -EMSGSIZE
 * (size larger than len or than max_bytes). */
int vb_9p_header_parse(const uint8_t *buf, size_t len, uint32_t max_bytes,
		       struct vb_9p_header *hdr, struct vb_9p_in *in);

uint8_t vb_9p_get_u8(struct vb_9p_in *in);
uint16_t vb_9p_get_u16(struct vb_9p_in *in);
uint32_t vb_9p_get_u32(struct vb_9p_in *in);
uint64_t vb_9p_get_u64(struct vb_9p_in *in);
/* An integer of 1, 2, 4 or 8 bytes (any other size is a protocol error):
 * for decoders that take field sizes from a table. */
uint64_t vb_9p_get_uint(struct vb_9p_in *in, unsigned bytes);
void vb_9p_get_str(struct vb_9p_in *in, struct vb_9p_str *s);
/* Borrow n raw bytes; NULL (and the sticky error) when they are not there. */
const uint8_t *vb_9p_get_bytes(struct vb_9p_in *in, size_t n);
/* 0 when every byte was consumed without error; -EPROTO otherwise
 * (truncated fields or trailing garbage inside the declared size). */
int vb_9p_in_done(const struct vb_9p_in *in);

/* Copy s into dst (dst_bytes includes the NUL). -ENAMETOOLONG when it does
 * not fit, -EINVAL when it contains a NUL byte. */
int vb_9p_str_copy(const struct vb_9p_str *s, char *dst, size_t dst_bytes);

/* Start a reply: leaves room for the header, filled by vb_9p_out_finish. */
void vb_9p_out_init(struct vb_9p_out *out, uint8_t *buf, size_t cap);
void vb_9p_put_u8(struct vb_9p_out *out, uint8_t v);
void vb_9p_put_u16(struct vb_9p_out *out, uint16_t v);
void vb_9p_put_u32(struct vb_9p_out *out, uint32_t v);
void vb_9p_put_u64(struct vb_9p_out *out, uint64_t v);
void vb_9p_put_str(struct vb_9p_out *out, const char *s, size_t len);
void vb_9p_put_qid(struct vb_9p_out *out, const struct vb_9p_qid *qid);
/* Reserve n bytes and return them for the caller to fill, or NULL. */
uint8_t *vb_9p_put_reserve(struct vb_9p_out *out, size_t n);
/* Write the header; returns the message length or out->err. */
int vb_9p_out_finish(struct vb_9p_out *out, uint8_t type, uint16_t tag);

/* Write an Rlerror with ecode (a positive Linux errno) into buf;
 * returns its length (11) or -EMSGSIZE when cap < 11. */
int vb_9p_put_rlerror(uint8_t *buf, size_t cap, uint16_t tag, uint32_t ecode);

#endif
