#include "util/json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/grow.h"

static void init(struct vb_json *w, FILE *out, unsigned indent_levels)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->indent_levels = indent_levels;
}

void vb_json_init_file(struct vb_json *w, FILE *out, unsigned indent_levels)
{
	init(w, out, indent_levels);
}

void vb_json_init_buffer(struct vb_json *w, unsigned indent_levels)
{
	init(w, NULL, indent_levels);
}

void vb_json_free(struct vb_json *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

static void fail(struct vb_json *w, int error)
{
	if (!w->error)
		w->error = error;
}

static void put(struct vb_json *w, const char *bytes, size_t n)
{
	if (w->error || !n)
		return;
	if (w->out) {
		if (fwrite(bytes, 1, n, w->out) != n)
			fail(w, -EIO);
		return;
	}
	if (vb_text_append(&w->buf, &w->len, &w->cap, bytes, n))
		fail(w, -ENOMEM);
}

static void put_str(struct vb_json *w, const char *s)
{
	put(w, s, strlen(s));
}

/* Whether the containers at nesting level i (0: the top-level one) put
 * each element on its own line. */
static bool breaks(const struct vb_json *w, unsigned i)
{
	return i < w->indent_levels;
}

static void new_line(struct vb_json *w, unsigned indent)
{
	put(w, "\n", 1);
	for (unsigned i = 0; i < indent; i++)
		put(w, "  ", 2);
}

/* Before a key, or a value that is not an object member's: checks that it
 * belongs here and writes the separator. Returns false on misuse. */
static bool begin_item(struct vb_json *w, bool is_key)
{
	if (w->error)
		return false;
	if (w->depth == 0) {
		if (is_key || w->done) {
			fail(w, -EINVAL);
			return false;
		}
		return true;
	}
	struct vb_json_level *l = &w->level[w->depth - 1];
	if (l->object && !is_key) {
		/* A member's value: the key wrote the separator. */
		if (!l->after_key) {
			fail(w, -EINVAL);
			return false;
		}
		l->after_key = false;
		return true;
	}
	if (l->object != is_key || l->after_key) {
		/* A key in an array, or a key where a value is due. */
		fail(w, -EINVAL);
		return false;
	}
	if (l->count)
		put(w, ",", 1);
	if (breaks(w, w->depth - 1))
		new_line(w, w->depth);
	else if (l->count && w->indent_levels)
		put(w, " ", 1);
	l->count++;
	return true;
}

/* After a value: the document is complete when it was the top level. */
static void end_item(struct vb_json *w)
{
	if (w->depth == 0)
		w->done = true;
}

static void begin(struct vb_json *w, bool object)
{
	if (!begin_item(w, false))
		return;
	if (w->depth == VB_JSON_MAX_DEPTH) {
		fail(w, -EINVAL);
		return;
	}
	w->level[w->depth++] = (struct vb_json_level){ .object = object };
	put(w, object ? "{" : "[", 1);
}

static void end(struct vb_json *w, bool object)
{
	if (w->error)
		return;
	if (w->depth == 0 || w->level[w->depth - 1].object != object ||
	    w->level[w->depth - 1].after_key) {
		fail(w, -EINVAL);
		return;
	}
	size_t count = w->level[--w->depth].count;
	if (count && breaks(w, w->depth))
		new_line(w, w->depth);
	put(w, object ? "}" : "]", 1);
	end_item(w);
}

void vb_json_begin_object(struct vb_json *w)
{
	begin(w, true);
}

void vb_json_end_object(struct vb_json *w)
{
	end(w, true);
}

void vb_json_begin_array(struct vb_json *w)
{
	begin(w, false);
}

void vb_json_end_array(struct vb_json *w)
{
	end(w, false);
}

/* ---- strings ------------------------------------------------------------ */

/* The length (1 to 4) of the well-formed UTF-8 sequence at p, n > 0 bytes
 * available; or 0, with *bad set to the length of its maximal ill-formed
 * subpart: the lead byte and the continuation bytes that could still have
 * begun a well-formed sequence. The ranges are the Unicode Standard's
 * table 3-7: they exclude overlong forms (C0, C1, E0 80..9F, F0 80..8F),
 * surrogates (ED A0..BF) and code points past U+10FFFF (F4 90.., F5..FF). */
static size_t utf8_length(const unsigned char *p, size_t n, size_t *bad)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t more;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		more = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		more = 2;
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
	} else if (c >= 0xf0 && c <= 0xf4) {
		more = 3;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
	} else {
		*bad = 1; /* a continuation byte, C0, C1 or F5..FF */
		return 0;
	}
	for (size_t i = 1; i <= more; i++) {
		if (i >= n || p[i] < lo || p[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return more + 1;
}

static void put_escaped(struct vb_json *w, const unsigned char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t plain = 0; /* bytes at s[i - plain, i) to copy as they are */
	size_t i = 0;
	put(w, "\"", 1);
	while (i < len) {
		unsigned char c = s[i];
		size_t bad = 0, n = c >= 0x20 && c != '"' && c != '\\' ? utf8_length(s + i, len - i, &bad)
									 : 0;
		if (n) {
			plain += n;
			i += n;
			continue;
		}
		put(w, (const char *)s + i - plain, plain);
		plain = 0;
		if (bad) {
			put_str(w, "\\ufffd");
			i += bad;
		} else if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };
			put(w, esc, 2);
			i++;
		} else {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			put(w, esc, 6);
			i++;
		}
	}
	put(w, (const char *)s + i - plain, plain);
	put(w, "\"", 1);
}

void vb_json_string_len(struct vb_json *w, const char *s, size_t len)
{
	if (!begin_item(w, false))
		return;
	put_escaped(w, (const unsigned char *)s, len);
	end_item(w);
}

void vb_json_string(struct vb_json *w, const char *s)
{
	if (!s)
		vb_json_null(w);
	else
		vb_json_string_len(w, s, strlen(s));
}

void vb_json_key(struct vb_json *w, const char *key)
{
	if (!begin_item(w, true))
		return;
	put_escaped(w, (const unsigned char *)key, strlen(key));
	put_str(w, w->indent_levels ? ": " : ":");
	w->level[w->depth - 1].after_key = true;
}

/* ---- other values ------------------------------------------------------- */

static void scalar(struct vb_json *w, const char *text)
{
	if (!begin_item(w, false))
		return;
	put_str(w, text);
	end_item(w);
}

void vb_json_u64(struct vb_json *w, uint64_t value)
{
	char text[24];
	snprintf(text, sizeof(text), "%" PRIu64, value);
	scalar(w, text);
}

void vb_json_i64(struct vb_json *w, int64_t value)
{
	char text[24];
	snprintf(text, sizeof(text), "%" PRId64, value);
	scalar(w, text);
}

void vb_json_bool(struct vb_json *w, bool value)
{
	scalar(w, value ? "true" : "false");
}

void vb_json_null(struct vb_json *w)
{
	scalar(w, "null");
}

void vb_json_key_string(struct vb_json *w, const char *key, const char *s)
{
	vb_json_key(w, key);
	vb_json_string(w, s);
}

void vb_json_key_u64(struct vb_json *w, const char *key, uint64_t value)
{
	vb_json_key(w, key);
	vb_json_u64(w, value);
}

void vb_json_key_bool(struct vb_json *w, const char *key, bool value)
{
	vb_json_key(w, key);
	vb_json_bool(w, value);
}

void vb_json_key_null(struct vb_json *w, const char *key)
{
	vb_json_key(w, key);
	vb_json_null(w);
}

int vb_json_finish(struct vb_json *w)
{
	if (!w->done)
		fail(w, -EINVAL);
	put(w, "\n", 1);
	if (w->out && !w->error && fflush(w->out))
		fail(w, -EIO);
	return w->error;
}
