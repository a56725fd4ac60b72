/* The one JSON writer: every --json output (plan, list, stat, debug,
 * kernel-check, check) goes through it, so escaping and layout are decided
 * once.
 *
 * A streaming writer: begin/end objects and arrays, keys, and scalar
 * values, into a FILE or a growing buffer. It puts the commas, the colons
 * and (with indentation) the line breaks itself. Misuse (a value in an
 * object without its key, a key in an array, an end that does not match,
 * nesting deeper than VB_JSON_MAX_DEPTH, a second top-level value) is not
 * written: it sets the error, as a failed write or allocation does. The
 * first error sticks and later calls do nothing; vb_json_finish() reports
 * it.
 *
 * Strings (RFC 8259 section 7): '"' and '\' are escaped with a backslash,
 * the control characters U+0000 to U+001F as \u00XX (lower-case hex; also
 * \n and \t, one rule for all), everything else is written as it is.
 * JSON text is Unicode (RFC 8259 section 8.1: UTF-8), and vmboot's strings
 * are bytes (paths, names from files): a byte sequence that is not
 * well-formed UTF-8 (a stray continuation byte, a truncated sequence, an
 * overlong form, a surrogate U+D800..U+DFFF, a code point past U+10FFFF,
 * bytes F5..FF) is never written raw. Each maximal ill-formed subpart
 * becomes one \ufffd (U+FFFD REPLACEMENT CHARACTER), the practice the
 * Unicode Standard recommends (section 3.9, "U+FFFD Substitution of
 * Maximal Subparts") and Python's bytes.decode("utf-8", "replace")
 * follows. This loses the exact bytes; the lossless alternative, lone
 * surrogate escapes (\udcXX, Python's surrogateescape), is rejected by
 * strict parsers (Rust's serde_json), so one odd path would make a whole
 * document unreadable to them. vmboot(1) documents the rule.
 *
 * Layout: indent_levels says how many levels of containers put each
 * element on its own line, indented two spaces per level; containers
 * nested deeper stay on one line. With indent_levels 0
 * (VB_JSON_COMPACT) nothing is added: {"a":1,"b":[1,2]}. With any
 * indentation, keys are followed by ": " and inline elements by ", ";
 * VB_JSON_PRETTY lays everything out as Python's json.dumps(indent=2)
 * does, and indent_levels 1 gives one element of a top-level array per
 * line:
 *     [
 *       {"name": "web", "pid": 42}
 *     ]
 * An empty container is always [] or {}. */
#ifndef VB_UTIL_JSON_H
#define VB_UTIL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define VB_JSON_MAX_DEPTH 32
#define VB_JSON_COMPACT 0u
#define VB_JSON_PRETTY VB_JSON_MAX_DEPTH

struct vb_json_level {
	bool object;    /* else an array */
	bool after_key; /* an object's key is written, its value is due */
	size_t count;   /* elements (members) begun */
};

struct vb_json {
	FILE *out;   /* the stream, or NULL: into buf */
	char *buf;   /* the buffer's text, NUL-terminated (owned; vb_json_free) */
	size_t len, cap;
	unsigned indent_levels;
	unsigned depth; /* open containers */
	struct vb_json_level level[VB_JSON_MAX_DEPTH];
	bool done;   /* the top-level value is complete */
	int error;   /* 0, or the first error: -EINVAL misuse, -ENOMEM, -EIO */
};

/* A writer onto out, or into a buffer that grows as needed. */
void vb_json_init_file(struct vb_json *w, FILE *out, unsigned indent_levels);
void vb_json_init_buffer(struct vb_json *w, unsigned indent_levels);

void vb_json_begin_object(struct vb_json *w);
void vb_json_end_object(struct vb_json *w);
void vb_json_begin_array(struct vb_json *w);
void vb_json_end_array(struct vb_json *w);

/* An object member's key; its value comes next. */
void vb_json_key(struct vb_json *w, const char *key);

/* A string (NUL-terminated; NULL writes null), or len bytes that may hold
 * NULs (written as \u0000). */
void vb_json_string(struct vb_json *w, const char *s);
void vb_json_string_len(struct vb_json *w, const char *s, size_t len);
void vb_json_u64(struct vb_json *w, uint64_t value);
void vb_json_i64(struct vb_json *w, int64_t value);
void vb_json_bool(struct vb_json *w, bool value);
void vb_json_null(struct vb_json *w);

/* A key and its value at once. */
void vb_json_key_string(struct vb_json *w, const char *key, const char *s);
void vb_json_key_u64(struct vb_json *w, const char *key, uint64_t value);
void vb_json_key_bool(struct vb_json *w, const char *key, bool value);
void vb_json_key_null(struct vb_json *w, const char *key);

/* Ends the document: a newline after the top-level value, and the
 * stream flushed. Returns 0, the first error, or -EINVAL when the value
 * is not complete (a container left open, nothing written). */
int vb_json_finish(struct vb_json *w);

/* Frees a buffer writer's text (nothing for a stream). */
void vb_json_free(struct vb_json *w);

#endif
