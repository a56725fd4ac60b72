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
};

struct vb_diags {
	struct vb_diag *items;
	size_t count;
	size_t capacity;
	size_t errors;
	size_t warnings;
	/* Set when an allocation failed; the list is then incomplete. */
	bool out_of_memory;
};

void vb_diags_init(struct vb_diags *d);
void vb_diags_free(struct vb_diags *d);

void vb_diag_error(struct vb_diags *d, struct vb_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vb_diag_warning(struct vb_diags *d, struct vb_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Warnings become errors (--strict). */
void vb_diags_promote_warnings(struct vb_diags *d);

/* Order by file, line, column, keeping insertion order for ties, so output
 * reads top to bottom whatever order the checks ran in. */
void vb_diags_sort(struct vb_diags *d);

void vb_diag_format(const struct vb_diag *diag, char *buf, size_t size);
void vb_diags_print(const struct vb_diags *d, FILE *out);

/* True if some diagnostic's message contains needle (tests). */
bool vb_diags_contains(const struct vb_diags *d, const char *needle);

#endif
