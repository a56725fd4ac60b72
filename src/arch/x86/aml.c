#include "arch/x86/aml.h"

#include <string.h>

#include "util/le.h"

/* Opcodes and prefixes, ACPI 6.5, 20.3 (AML byte stream byte values). */
enum {
	AML_ZERO_OP = 0x00,
	AML_ONE_OP = 0x01,
	AML_NAME_OP = 0x08,
	AML_BYTE_PREFIX = 0x0A,
	AML_WORD_PREFIX = 0x0B,
	AML_DWORD_PREFIX = 0x0C,
	AML_STRING_PREFIX = 0x0D,
	AML_QWORD_PREFIX = 0x0E,
	AML_SCOPE_OP = 0x10,
	AML_BUFFER_OP = 0x11,
	AML_PACKAGE_OP = 0x12,
	AML_METHOD_OP = 0x14,
	AML_DUAL_NAME_PREFIX = 0x2E,
	AML_MULTI_NAME_PREFIX = 0x2F,
	AML_EXT_OP_PREFIX = 0x5B,
	AML_ROOT_CHAR = 0x5C,
	AML_PARENT_PREFIX_CHAR = 0x5E,
	AML_LOCAL0_OP = 0x60,
	AML_ARG0_OP = 0x68,
	AML_IF_OP = 0xA0,
	AML_ONES_OP = 0xFF,
	/* After AML_EXT_OP_PREFIX. */
	AML_OP_REGION_OP = 0x80,
	AML_FIELD_OP = 0x81,
	AML_DEVICE_OP = 0x82,
};

/* PkgLength: a one-byte form holds 6 bits, each further byte adds 8
 * (20.2.4), at most 3 further bytes. */
#define PKGLENGTH_MAX_BYTES 4u
/* A Buffer's size is an integer: at most a DWord prefix and 4 bytes for
 * a buffer that a 28-bit PkgLength can hold. */
#define BUFFER_SIZE_MAX_BYTES 5u
#define INTEGER_MAX_BYTES 9u
#define NAMESEG_BYTES 4u
#define METHOD_MAX_ARGS 7u
#define METHOD_SERIALIZED 0x08u
#define LOCAL_COUNT 8u
#define ARG_COUNT 7u
#define ISA_IRQS 16u

/* Resource data type tags (6.4.2, 6.4.3): small items carry their length
 * in the tag's low 3 bits, large items in the two bytes after it. */
#define RES_IRQ_NOFLAGS 0x22u     /* IRQ, 2 bytes of mask */
#define RES_IO 0x47u              /* I/O port, 7 bytes */
#define RES_END_TAG 0x79u         /* End tag, 1 byte of checksum */
#define RES_MEMORY32_FIXED 0x86u
#define RES_DWORD_SPACE 0x87u
#define RES_WORD_SPACE 0x88u
#define RES_EXT_IRQ 0x89u
#define RES_IO_DECODE16 0x01u

void vb_x86_aml_init(struct vb_x86_aml *a, uint8_t *buf, size_t size)
{
	*a = (struct vb_x86_aml){ .buf = buf, .size = buf ? size : 0 };
}

bool vb_x86_aml_fits(const struct vb_x86_aml *a)
{
	return !a->overflow;
}

static void advance(struct vb_x86_aml *a, size_t n)
{
	a->pos += n;
	if (a->pos > a->peak_pos)
		a->peak_pos = a->pos;
}

void vb_x86_aml_u8(struct vb_x86_aml *a, uint8_t v)
{
	if (a->pos < a->size)
		a->buf[a->pos] = v;
	else
		a->overflow = true;
	advance(a, 1);
}

void vb_x86_aml_le(struct vb_x86_aml *a, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		vb_x86_aml_u8(a, (uint8_t)(v >> (8 * i)));
}

void vb_x86_aml_zeros(struct vb_x86_aml *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vb_x86_aml_u8(a, 0);
}

static void put_bytes(struct vb_x86_aml *a, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vb_x86_aml_u8(a, p[i]);
}

void vb_x86_aml_text(struct vb_x86_aml *a, const char *s, size_t width, char pad)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < width; i++)
		vb_x86_aml_u8(a, (uint8_t)(i < n ? s[i] : pad));
}

void vb_x86_aml_patch(struct vb_x86_aml *a, size_t at, uint64_t v, unsigned bytes)
{
	if (at > a->pos || bytes > a->pos - at) {
		a->bad = true;
		return;
	}
	if (bytes <= a->size && at <= a->size - bytes)
		vb_le_put(a->buf + at, v, bytes);
}

/* The value v in the PkgLength format with exactly n bytes. */
static void pkg_encode(uint8_t out[4], uint32_t v, size_t n)
{
	if (n == 1) {
		out[0] = (uint8_t)v;
		return;
	}
	out[0] = (uint8_t)(((n - 1) << 6) | (v & 0x0Fu));
	for (size_t i = 1; i < n; i++)
		out[i] = (uint8_t)(v >> (4 + 8 * (i - 1)));
}

/* The largest value a PkgLength of n bytes holds. */
static uint32_t pkg_max(size_t n)
{
	return n == 1 ? 0x3Fu : (1u << (4 + 8 * (n - 1))) - 1;
}

size_t vb_x86_aml_pkglength(uint8_t out[4], size_t content)
{
	for (size_t n = 1; n <= PKGLENGTH_MAX_BYTES; n++) {
		if (content + n <= pkg_max(n)) {
			pkg_encode(out, (uint32_t)(content + n), n);
			return n;
		}
	}
	return 0;
}

/* Reserve room for a header that is known only when the object ends. */
static size_t reserve(struct vb_x86_aml *a, size_t bytes)
{
	size_t mark = a->pos;
	vb_x86_aml_zeros(a, bytes);
	return mark;
}

/* Replace the reserved bytes at mark with hdr and move what follows them
 * down; the freed bytes at the end are zeroed again. When the writer
 * overflowed the contents are incomplete anyway, so only pos moves. */
static void settle(struct vb_x86_aml *a, size_t mark, size_t reserved, const uint8_t *hdr,
		   size_t hdr_bytes)
{
	if (hdr_bytes == 0 || hdr_bytes > reserved || mark > a->pos || reserved > a->pos - mark) {
		a->bad = true;
		return;
	}
	size_t body = mark + reserved;
	size_t body_bytes = a->pos - body;
	size_t shift = reserved - hdr_bytes;
	if (a->pos <= a->size) {
		memcpy(a->buf + mark, hdr, hdr_bytes);
		memmove(a->buf + mark + hdr_bytes, a->buf + body, body_bytes);
		memset(a->buf + a->pos - shift, 0, shift);
	}
	a->pos -= shift;
}

void vb_x86_aml_close(struct vb_x86_aml *a, size_t mark)
{
	if (mark > a->pos || a->pos - mark < PKGLENGTH_MAX_BYTES) {
		a->bad = true;
		return;
	}
	uint8_t hdr[PKGLENGTH_MAX_BYTES];
	size_t n = vb_x86_aml_pkglength(hdr, a->pos - mark - PKGLENGTH_MAX_BYTES);
	settle(a, mark, PKGLENGTH_MAX_BYTES, hdr, n);
}

static bool seg_char_ok(char c, bool lead)
{
	return (c >= 'A' && c <= 'Z') || c == '_' || (!lead && c >= '0' && c <= '9');
}

/* One NameSeg of 1 to 4 characters at s (ended by '.' or NUL), padded
 * with '_' (20.2.2); returns its length, 0 if the grammar refuses it. */
static size_t seg_length(const char *s)
{
	size_t n = 0;
	while (s[n] != '\0' && s[n] != '.') {
		if (n == NAMESEG_BYTES || !seg_char_ok(s[n], n == 0))
			return 0;
		n++;
	}
	return n;
}

static size_t seg_count(const char *s, bool *ok)
{
	size_t count = 0;
	*ok = true;
	if (*s == '\0')
		return 0;
	for (;;) {
		size_t n = seg_length(s);
		if (n == 0) {
			*ok = false;
			return 0;
		}
		count++;
		s += n;
		if (*s == '\0')
			return count;
		s++; /* '.' */
	}
}

static void put_segs(struct vb_x86_aml *a, const char *s)
{
	while (*s != '\0') {
		size_t n = seg_length(s);
		char seg[NAMESEG_BYTES + 1] = { 0 };
		memcpy(seg, s, n);
		vb_x86_aml_text(a, seg, NAMESEG_BYTES, '_');
		s += n;
		if (*s == '.')
			s++;
	}
}

void vb_x86_aml_namestring(struct vb_x86_aml *a, const char *path)
{
	const char *s = path;
	if (*s == '\\') {
		vb_x86_aml_u8(a, AML_ROOT_CHAR);
		s++;
	} else {
		for (; *s == '^'; s++)
			vb_x86_aml_u8(a, AML_PARENT_PREFIX_CHAR);
	}
	bool ok;
	size_t count = seg_count(s, &ok);
	if (!ok || count > UINT8_MAX || (count == 0 && s == path)) {
		a->bad = true;
		return;
	}
	if (count == 0) {
		vb_x86_aml_u8(a, AML_ZERO_OP); /* NullName: the prefix alone */
		return;
	}
	if (count == 2)
		vb_x86_aml_u8(a, AML_DUAL_NAME_PREFIX);
	if (count > 2) {
		vb_x86_aml_u8(a, AML_MULTI_NAME_PREFIX);
		vb_x86_aml_u8(a, (uint8_t)count);
	}
	put_segs(a, s);
}

static size_t integer_encode(uint8_t out[INTEGER_MAX_BYTES], uint64_t v)
{
	if (v == 0 || v == 1 || v == UINT64_MAX) {
		out[0] = v == 0 ? AML_ZERO_OP : v == 1 ? AML_ONE_OP : AML_ONES_OP;
		return 1;
	}
	unsigned bytes = v <= UINT8_MAX ? 1 : v <= UINT16_MAX ? 2 : v <= UINT32_MAX ? 4 : 8;
	out[0] = bytes == 1 ? AML_BYTE_PREFIX
		 : bytes == 2 ? AML_WORD_PREFIX
		 : bytes == 4 ? AML_DWORD_PREFIX
			      : AML_QWORD_PREFIX;
	vb_le_put(out + 1, v, bytes);
	return 1 + bytes;
}

void vb_x86_aml_integer(struct vb_x86_aml *a, uint64_t v)
{
	uint8_t enc[INTEGER_MAX_BYTES];
	put_bytes(a, enc, integer_encode(enc, v));
}

void vb_x86_aml_string(struct vb_x86_aml *a, const char *s)
{
	vb_x86_aml_u8(a, AML_STRING_PREFIX);
	for (; *s != '\0'; s++) {
		/* AsciiCharList: 0x01-0x7F. */
		if ((unsigned char)*s > 0x7F)
			a->bad = true;
		vb_x86_aml_u8(a, (uint8_t)*s);
	}
	vb_x86_aml_u8(a, 0);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A compressed EISA id: three 5-bit letters ('A' = 1) and four hex
 * digits, most significant first in memory, so the little-endian DWord
 * has its bytes swapped (6.1.5). */
uint32_t vb_x86_aml_eisaid_value(const char *id, bool *ok)
{
	*ok = strlen(id) == 7;
	uint32_t v = 0;
	for (size_t i = 0; *ok && i < 3; i++) {
		*ok = id[i] >= 'A' && id[i] <= 'Z';
		v = v << 5 | (uint32_t)(id[i] - '@');
	}
	for (size_t i = 3; *ok && i < 7; i++) {
		int d = hex_digit(id[i]);
		*ok = d >= 0;
		v = v << 4 | (uint32_t)d;
	}
	if (!*ok)
		return 0;
	return (v >> 24) | ((v >> 8) & 0xFF00u) | ((v << 8) & 0xFF0000u) | (v << 24);
}

void vb_x86_aml_eisaid(struct vb_x86_aml *a, const char *id)
{
	bool ok;
	uint32_t v = vb_x86_aml_eisaid_value(id, &ok);
	if (!ok)
		a->bad = true;
	vb_x86_aml_u8(a, AML_DWORD_PREFIX);
	vb_x86_aml_le(a, v, 4);
}

void vb_x86_aml_name(struct vb_x86_aml *a, const char *name)
{
	vb_x86_aml_u8(a, AML_NAME_OP);
	vb_x86_aml_namestring(a, name);
}

void vb_x86_aml_name_integer(struct vb_x86_aml *a, const char *name, uint64_t v)
{
	vb_x86_aml_name(a, name);
	vb_x86_aml_integer(a, v);
}

void vb_x86_aml_name_string(struct vb_x86_aml *a, const char *name, const char *s)
{
	vb_x86_aml_name(a, name);
	vb_x86_aml_string(a, s);
}

void vb_x86_aml_name_eisaid(struct vb_x86_aml *a, const char *name, const char *id)
{
	vb_x86_aml_name(a, name);
	vb_x86_aml_eisaid(a, id);
}

static size_t open_named(struct vb_x86_aml *a, const char *name)
{
	size_t mark = reserve(a, PKGLENGTH_MAX_BYTES);
	vb_x86_aml_namestring(a, name);
	return mark;
}

size_t vb_x86_aml_scope_open(struct vb_x86_aml *a, const char *name)
{
	vb_x86_aml_u8(a, AML_SCOPE_OP);
	return open_named(a, name);
}

size_t vb_x86_aml_device_open(struct vb_x86_aml *a, const char *name)
{
	vb_x86_aml_u8(a, AML_EXT_OP_PREFIX);
	vb_x86_aml_u8(a, AML_DEVICE_OP);
	return open_named(a, name);
}

size_t vb_x86_aml_method_open(struct vb_x86_aml *a, const char *name, unsigned args,
			      bool serialized)
{
	if (args > METHOD_MAX_ARGS)
		a->bad = true;
	vb_x86_aml_u8(a, AML_METHOD_OP);
	size_t mark = open_named(a, name);
	/* MethodFlags: ArgCount in bits 0-2, SerializeFlag bit 3, SyncLevel 0. */
	vb_x86_aml_u8(a, (uint8_t)((args & METHOD_MAX_ARGS) | (serialized ? METHOD_SERIALIZED : 0)));
	return mark;
}

size_t vb_x86_aml_if_open(struct vb_x86_aml *a)
{
	vb_x86_aml_u8(a, AML_IF_OP);
	return reserve(a, PKGLENGTH_MAX_BYTES);
}

size_t vb_x86_aml_package_open(struct vb_x86_aml *a, uint8_t n)
{
	vb_x86_aml_u8(a, AML_PACKAGE_OP);
	size_t mark = reserve(a, PKGLENGTH_MAX_BYTES);
	vb_x86_aml_u8(a, n); /* NumElements */
	return mark;
}

size_t vb_x86_aml_buffer_open(struct vb_x86_aml *a)
{
	vb_x86_aml_u8(a, AML_BUFFER_OP);
	return reserve(a, PKGLENGTH_MAX_BYTES + BUFFER_SIZE_MAX_BYTES);
}

/* Buffer := BufferOp PkgLength BufferSize ByteList, with BufferSize the
 * byte count of the list as an integer. */
void vb_x86_aml_buffer_close(struct vb_x86_aml *a, size_t mark)
{
	const size_t reserved = PKGLENGTH_MAX_BYTES + BUFFER_SIZE_MAX_BYTES;
	if (mark > a->pos || a->pos - mark < reserved) {
		a->bad = true;
		return;
	}
	size_t bytes = a->pos - mark - reserved;
	uint8_t size_enc[INTEGER_MAX_BYTES];
	size_t size_len = integer_encode(size_enc, bytes);
	uint8_t hdr[PKGLENGTH_MAX_BYTES + INTEGER_MAX_BYTES];
	size_t pkg_len = vb_x86_aml_pkglength(hdr, size_len + bytes);
	if (size_len > BUFFER_SIZE_MAX_BYTES)
		pkg_len = 0; /* settle() refuses it */
	memcpy(hdr + pkg_len, size_enc, size_len);
	settle(a, mark, reserved, hdr, pkg_len == 0 ? 0 : pkg_len + size_len);
}

size_t vb_x86_aml_restemplate_open(struct vb_x86_aml *a)
{
	return vb_x86_aml_buffer_open(a);
}

void vb_x86_aml_restemplate_close(struct vb_x86_aml *a, size_t mark)
{
	/* End tag with checksum 0: "the checksum is treated as correct"
	 * (6.4.2.9). */
	vb_x86_aml_u8(a, RES_END_TAG);
	vb_x86_aml_u8(a, 0);
	vb_x86_aml_buffer_close(a, mark);
}

void vb_x86_aml_opregion(struct vb_x86_aml *a, const char *name, enum vb_x86_aml_region_space space,
			 uint64_t offset, uint64_t bytes)
{
	vb_x86_aml_u8(a, AML_EXT_OP_PREFIX);
	vb_x86_aml_u8(a, AML_OP_REGION_OP);
	vb_x86_aml_namestring(a, name);
	vb_x86_aml_u8(a, (uint8_t)space);
	vb_x86_aml_integer(a, offset);
	vb_x86_aml_integer(a, bytes);
}

size_t vb_x86_aml_field_open(struct vb_x86_aml *a, const char *region, uint8_t flags)
{
	vb_x86_aml_u8(a, AML_EXT_OP_PREFIX);
	vb_x86_aml_u8(a, AML_FIELD_OP);
	size_t mark = open_named(a, region);
	vb_x86_aml_u8(a, flags);
	return mark;
}

/* NamedField := NameSeg PkgLength, the PkgLength format holding the
 * unit's width in bits (its own bytes not counted). */
void vb_x86_aml_field_unit(struct vb_x86_aml *a, const char *name, uint32_t bits)
{
	size_t n = 1;
	while (n < PKGLENGTH_MAX_BYTES && bits > pkg_max(n))
		n++;
	if (seg_length(name) == 0 || name[seg_length(name)] != '\0' || bits > pkg_max(n)) {
		a->bad = true;
		return;
	}
	vb_x86_aml_namestring(a, name);
	uint8_t enc[PKGLENGTH_MAX_BYTES];
	pkg_encode(enc, bits, n);
	put_bytes(a, enc, n);
}

void vb_x86_aml_op(struct vb_x86_aml *a, enum vb_x86_aml_op op)
{
	vb_x86_aml_u8(a, (uint8_t)op);
}

void vb_x86_aml_local(struct vb_x86_aml *a, unsigned n)
{
	if (n >= LOCAL_COUNT)
		a->bad = true;
	vb_x86_aml_u8(a, (uint8_t)(AML_LOCAL0_OP + n % LOCAL_COUNT));
}

void vb_x86_aml_arg(struct vb_x86_aml *a, unsigned n)
{
	if (n >= ARG_COUNT)
		a->bad = true;
	vb_x86_aml_u8(a, (uint8_t)(AML_ARG0_OP + n % ARG_COUNT));
}

void vb_x86_aml_no_target(struct vb_x86_aml *a)
{
	vb_x86_aml_u8(a, AML_ZERO_OP);
}

void vb_x86_aml_io(struct vb_x86_aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t bytes)
{
	vb_x86_aml_u8(a, RES_IO);
	vb_x86_aml_u8(a, RES_IO_DECODE16);
	vb_x86_aml_le(a, min, 2);
	vb_x86_aml_le(a, max, 2);
	vb_x86_aml_u8(a, align);
	vb_x86_aml_u8(a, bytes);
}

void vb_x86_aml_irq_noflags(struct vb_x86_aml *a, unsigned irq)
{
	if (irq >= ISA_IRQS)
		a->bad = true;
	vb_x86_aml_u8(a, RES_IRQ_NOFLAGS);
	vb_x86_aml_le(a, (uint16_t)(1u << (irq % ISA_IRQS)), 2);
}

/* Large resource items: the tag, then the length of what follows. */
static void large_item(struct vb_x86_aml *a, uint8_t tag, uint16_t bytes)
{
	vb_x86_aml_u8(a, tag);
	vb_x86_aml_le(a, bytes, 2);
}

void vb_x86_aml_memory32_fixed(struct vb_x86_aml *a, bool writable, uint32_t base,
			       uint32_t bytes)
{
	large_item(a, RES_MEMORY32_FIXED, 9);
	vb_x86_aml_u8(a, writable ? 1 : 0);
	vb_x86_aml_le(a, base, 4);
	vb_x86_aml_le(a, bytes, 4);
}

void vb_x86_aml_interrupt(struct vb_x86_aml *a, uint8_t flags, uint32_t gsi)
{
	large_item(a, RES_EXT_IRQ, 6);
	vb_x86_aml_u8(a, flags);
	vb_x86_aml_u8(a, 1); /* interrupt table length */
	vb_x86_aml_le(a, gsi, 4);
}

/* Address space descriptor: type, flags, then five fields of width bytes
 * (granularity, minimum, maximum, translation offset, length). */
static void addr_space(struct vb_x86_aml *a, uint8_t tag, unsigned width,
		       const struct vb_x86_aml_addr_space *s)
{
	const uint64_t fields[] = { s->granularity, s->min, s->max, s->translation, s->length };
	uint64_t limit = UINT64_MAX >> (64 - 8 * width);
	large_item(a, tag, (uint16_t)(3 + 5 * width));
	vb_x86_aml_u8(a, (uint8_t)s->type);
	vb_x86_aml_u8(a, s->general_flags);
	vb_x86_aml_u8(a, s->type_flags);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (fields[i] > limit)
			a->bad = true;
		vb_x86_aml_le(a, fields[i], width);
	}
}

void vb_x86_aml_word_space(struct vb_x86_aml *a, const struct vb_x86_aml_addr_space *s)
{
	addr_space(a, RES_WORD_SPACE, 2, s);
}

void vb_x86_aml_dword_space(struct vb_x86_aml *a, const struct vb_x86_aml_addr_space *s)
{
	addr_space(a, RES_DWORD_SPACE, 4, s);
}
