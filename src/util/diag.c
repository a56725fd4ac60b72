#include "util/diag.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void vb_diags_init(struct vb_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void vb_diags_free(struct vb_diags *d)
{
	for (size_t i = 0; i < d->count; i++) {
		free(d->items[i].message);
		free(d->items[i].suggestion);
	}
	free(d->items);
	for (size_t i = 0; i < d->n_sources; i++) {
		free(d->sources[i].name);
		free(d->sources[i].text);
		free(d->sources[i].spans);
	}
	free(d->sources);
	vb_diags_init(d);
}

__attribute__((format(printf, 5, 0)))
static void vadd(struct vb_diags *d, enum vb_severity sev, struct vb_loc loc,
		 const char *suggestion, const char *fmt, va_list ap)
{
	if (d->count == d->capacity) {
		size_t cap = d->capacity ? d->capacity * 2 : 8;
		struct vb_diag *items = realloc(d->items, cap * sizeof(*items));
		if (!items) {
			d->out_of_memory = true;
			return;
		}
		d->items = items;
		d->capacity = cap;
	}
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0) {
		d->out_of_memory = true;
		return;
	}
	char *hint = suggestion ? strdup(suggestion) : NULL;
	if (suggestion && !hint)
		d->out_of_memory = true; /* the message still says it */
	d->items[d->count++] = (struct vb_diag){ sev, loc, msg, hint };
	if (sev == VB_SEV_ERROR)
		d->errors++;
	else
		d->warnings++;
}

void vb_diag_error(struct vb_diags *d, struct vb_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vadd(d, VB_SEV_ERROR, loc, NULL, fmt, ap);
	va_end(ap);
}

void vb_diag_error_suggesting(struct vb_diags *d, struct vb_loc loc, const char *suggestion,
			      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vadd(d, VB_SEV_ERROR, loc, suggestion, fmt, ap);
	va_end(ap);
}

void vb_diag_warning(struct vb_diags *d, struct vb_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vadd(d, VB_SEV_WARNING, loc, NULL, fmt, ap);
	va_end(ap);
}

void vb_diags_promote_warnings(struct vb_diags *d)
{
	for (size_t i = 0; i < d->count; i++)
		d->items[i].severity = VB_SEV_ERROR;
	d->errors += d->warnings;
	d->warnings = 0;
}

static int loc_compare(const struct vb_loc *a, const struct vb_loc *b)
{
	int files = strcmp(a->file ? a->file : "", b->file ? b->file : "");
	if (files)
		return files;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

void vb_diags_sort(struct vb_diags *d)
{
	/* Insertion sort: stable, and lists are short. */
	for (size_t i = 1; i < d->count; i++) {
		struct vb_diag item = d->items[i];
		size_t j = i;
		while (j > 0 && loc_compare(&d->items[j - 1].loc, &item.loc) > 0) {
			d->items[j] = d->items[j - 1];
			j--;
		}
		d->items[j] = item;
	}
}

void vb_diag_format(const struct vb_diag *diag, char *buf, size_t size)
{
	const char *sev = diag->severity == VB_SEV_ERROR ? "error" : "warning";
	const struct vb_loc *l = &diag->loc;
	const char *file = l->file ? l->file : "vmboot";
	if (l->line > 0 && l->col > 0)
		snprintf(buf, size, "%s:%d:%d: %s: %s", file, l->line, l->col, sev,
			 diag->message);
	else if (l->line > 0)
		snprintf(buf, size, "%s:%d: %s: %s", file, l->line, sev, diag->message);
	else
		snprintf(buf, size, "%s: %s: %s", file, sev, diag->message);
}

void vb_diags_print(const struct vb_diags *d, FILE *out)
{
	const struct vb_diag_style plain = { .excerpt = true };
	vb_diags_render(d, &plain, out);
}

bool vb_diags_contains(const struct vb_diags *d, const char *needle)
{
	for (size_t i = 0; i < d->count; i++)
		if (strstr(d->items[i].message, needle))
			return true;
	return false;
}
