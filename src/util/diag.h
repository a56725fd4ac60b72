/* Located diagnostics for machine files and command lines.
 *
 * Validation collects every problem instead of stopping at the first; each
 * is printed GCC-style, "FILE:LINE:COL: error: MESSAGE", so editors and CI
 * annotate it. Line and column are 1-based; 0 means unknown (the printer
 * then omits them). The file string is borrowed: it must outlive the list. */
#ifndef VB_UTIL_DIAG_H
#define VB_UTIL_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct vb_loc {
	const char *file;
	int line;
	int col;
};

enum vb_severity { VB_SEV_WARNING, VB_SEV_ERROR };

struct vb_diag {
	enum vb_severity severity;
	struct vb_loc loc;
	char *message;
	char *suggestion; /* the did-you-mean word the message offers, or NULL */
};

/* A value or key that ends on the line it starts on: columns
 * [col, end_col). */
struct vb_diag_span {
	int line, col, end_col;
};

struct vb_diag_source {
	char *name; /* matched against vb_loc.file */
	char *text;
	size_t len;
	struct vb_diag_span *spans; /* sorted by line, col */
	size_t n_spans, spans_capacity;
};

struct vb_diags {
	struct vb_diag *items;
	size_t count;
	size_t capacity;
	size_t errors;
	size_t warnings;
	/* Set when an allocation failed; the list is then incomplete. */
	bool out_of_memory;
	/* The text of the files parsed, for the source line under each
	 * diagnostic (vb_diags_add_source). */
	struct vb_diag_source *sources;
	size_t n_sources;
};

void vb_diags_init(struct vb_diags *d);
void vb_diags_free(struct vb_diags *d);

void vb_diag_error(struct vb_diags *d, struct vb_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vb_diag_warning(struct vb_diags *d, struct vb_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An error whose message suggests a correction ("did you mean "memory"?"),
 * the suggestion also kept on its own for --check --json. */
void vb_diag_error_suggesting(struct vb_diags *d, struct vb_loc loc, const char *suggestion,
			      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Warnings become errors (--strict). */
void vb_diags_promote_warnings(struct vb_diags *d);

/* Order by file, line, column, keeping insertion order for ties, so output
 * reads top to bottom whatever order the checks ran in. */
void vb_diags_sort(struct vb_diags *d);

void vb_diag_format(const struct vb_diag *diag, char *buf, size_t size);
/* Every diagnostic with its source excerpt, no colour, no prefixes. */
void vb_diags_print(const struct vb_diags *d, FILE *out);

/* ---- printing like GCC (diag_render.c) ----
 *
 * After each located diagnostic, the source line it points into and a
 * caret under the column, with `~` under the rest of the value when its
 * end is known:
 *
 *   bad.conf:5:11: error: console: unknown value "serail"; ...
 *       5 | console = "serail";
 *         |           ^~~~~~~~
 *
 * Columns count characters; tabs in the source line are expanded to
 * 8-column stops so the caret stays under its character. A location
 * with no file, no line, a file whose text was not kept (a command-line
 * flag) or a line past the end of the text gets the first line only; a
 * column past the end of its line puts the caret just after the line. */

/* Keeps a copy of a parsed file's text under its name. Returns 0 or
 * -ENOMEM (then that file's diagnostics print without source lines). */
int vb_diags_add_source(struct vb_diags *d, const char *name, const char *text, size_t len);

/* The front ends record where each scalar and key ends (libyaml's end
 * mark; the libconfig front end's own tokens), so that a diagnostic
 * located at line:col of that file gets `~` under the rest of it. An
 * end_col not past col records "a caret only": a YAML block mapping
 * starts where its first key does, and a problem with the whole mapping
 * must not underline that key; the first record for a position wins.
 * Ignored when no source of that name was added (a buffer parsed by a
 * test or a fuzzer) or without memory. */
void vb_diags_add_span(struct vb_diags *d, const char *name, int line, int col, int end_col);

struct vb_diag_style {
	bool color;    /* GCC's colours: bold location, red error, magenta
			* warning, green caret (SGR escape sequences) */
	bool excerpt;  /* the source line and caret */
	bool priority; /* sd-daemon "<3>"/"<4>" prefixes for journald (util/log.h) */
};

void vb_diags_render(const struct vb_diags *d, const struct vb_diag_style *style, FILE *out);

/* --color=WHEN */
enum vb_color_when { VB_COLOR_AUTO, VB_COLOR_ALWAYS, VB_COLOR_NEVER };

/* Whether diagnostics written to fd get colour. AUTO: only when fd is a
 * terminal, $NO_COLOR is unset or empty (https://no-color.org) and $TERM
 * is not "dumb"; ALWAYS overrides NO_COLOR. Never when fd is the journal
 * (util/log.h). --json output is never coloured: its caller asks for
 * NEVER. */
bool vb_diag_color_wanted(enum vb_color_when when, int fd);

/* True if some diagnostic's message contains needle (tests). */
bool vb_diags_contains(const struct vb_diags *d, const char *needle);

#endif
