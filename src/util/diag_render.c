/* Printing diagnostics the way GCC does (util/diag.h): the location line,
 * then the source line and a caret under the column. */
#include "util/diag.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

/* GCC's default colours (GCC_COLORS in gcc(1): locus=01, error=01;31,
 * warning=01;35, caret=01;32), each followed by "erase to end of line"
 * as GCC writes them. */
#define SGR_LOCUS "\033[01m\033[K"
#define SGR_ERROR "\033[01;31m\033[K"
#define SGR_WARNING "\033[01;35m\033[K"
#define SGR_CARET "\033[01;32m\033[K"
#define SGR_RESET "\033[m\033[K"

/* Tab stops every 8 columns, as a terminal sets them. */
#define TAB_WIDTH 8

int vb_diags_add_source(struct vb_diags *d, const char *name, const char *text, size_t len)
{
	struct vb_diag_source *grown =
		realloc(d->sources, (d->n_sources + 1) * sizeof(*d->sources));
	if (!grown)
		return -ENOMEM;
	d->sources = grown;
	struct vb_diag_source src = { .name = strdup(name), .text = malloc(len + 1), .len = len };
	if (!src.name || !src.text) {
		free(src.name);
		free(src.text);
		return -ENOMEM;
	}
	memcpy(src.text, text, len);
	src.text[len] = '\0';
	d->sources[d->n_sources++] = src;
	return 0;
}

static const struct vb_diag_source *find_source(const struct vb_diags *d, const char *file)
{
	if (!file)
		return NULL;
	/* The latest first: a file parsed twice shows its last text. */
	for (size_t i = d->n_sources; i-- > 0;)
		if (!strcmp(d->sources[i].name, file))
			return &d->sources[i];
	return NULL;
}

static int span_compare(const struct vb_diag_span *a, int line, int col)
{
	if (a->line != line)
		return a->line < line ? -1 : 1;
	return a->col < col ? -1 : a->col > col;
}

/* The spans come in document order, so this nearly always appends. */
void vb_diags_add_span(struct vb_diags *d, const char *name, int line, int col, int end_col)
{
	struct vb_diag_source *src = (struct vb_diag_source *)find_source(d, name);
	if (!src || line <= 0 || col <= 0)
		return;
	if (end_col <= col)
		end_col = 0;
	if (src->n_spans == src->spans_capacity) {
		size_t cap = src->spans_capacity ? src->spans_capacity * 2 : 64;
		struct vb_diag_span *spans = realloc(src->spans, cap * sizeof(*spans));
		if (!spans)
			return;
		src->spans = spans;
		src->spans_capacity = cap;
	}
	size_t i = src->n_spans;
	while (i > 0 && span_compare(&src->spans[i - 1], line, col) > 0)
		i--;
	if (i > 0 && span_compare(&src->spans[i - 1], line, col) == 0)
		return; /* the same start: the first (outermost) wins */
	memmove(&src->spans[i + 1], &src->spans[i], (src->n_spans - i) * sizeof(*src->spans));
	src->spans[i] = (struct vb_diag_span){ line, col, end_col };
	src->n_spans++;
}

/* The end column recorded for what starts at line:col, or 0. */
static int span_end(const struct vb_diag_source *src, int line, int col)
{
	size_t lo = 0, hi = src->n_spans;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = span_compare(&src->spans[mid], line, col);
		if (!c)
			return src->spans[mid].end_col;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Line number line (1-based) of the text, without its newline (nor a
 * CR before it). False when the text has fewer lines; the empty "line"
 * after a final newline does not count. */
static bool find_line(const struct vb_diag_source *src, int line, const char **start,
		      size_t *len)
{
	const char *p = src->text, *end = src->text + src->len;
	for (int n = 1; n < line; n++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return false;
		p = nl + 1;
	}
	if (p >= end)
		return false;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *stop = nl ? nl : end;
	if (stop > p && stop[-1] == '\r')
		stop--;
	*start = p;
	*len = (size_t)(stop - p);
	return true;
}

static bool is_continuation(unsigned char b)
{
	return (b & 0xC0) == 0x80;
}

static unsigned advance(unsigned width, unsigned char b)
{
	return b == '\t' ? width + TAB_WIDTH - width % TAB_WIDTH : width + 1;
}

/* Where character number col (1-based; columns count characters, not
 * UTF-8 continuation bytes) starts on the screen, 0-based, with tabs
 * expanded; a column past the end of the line, just after it. */
static unsigned display_col(const char *s, size_t len, int col)
{
	unsigned width = 0;
	int n = 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char b = (unsigned char)s[i];
		if (is_continuation(b))
			continue;
		if (n == col)
			return width;
		width = advance(width, b);
		n++;
	}
	return width;
}

static void put_prefix(FILE *out, const struct vb_diag_style *style, enum vb_severity sev)
{
	if (style->priority)
		fputs(vb_log_priority(sev == VB_SEV_ERROR ? VB_LOG_ERROR : VB_LOG_WARNING, true), out);
}

/* The source line as it shows on a terminal: tabs expanded, other
 * control characters as spaces so they cannot move the cursor. */
static void put_source_line(FILE *out, const char *s, size_t len)
{
	unsigned width = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char b = (unsigned char)s[i];
		if (b == '\t') {
			unsigned next = advance(width, b);
			for (; width < next; width++)
				fputc(' ', out);
			continue;
		}
		if (!is_continuation(b))
			width++;
		fputc(b < 0x20 || b == 0x7f ? ' ' : b, out);
	}
}

static int gutter_width(int line)
{
	int digits = 1;
	for (int n = line; n >= 10; n /= 10)
		digits++;
	/* GCC's: at least 5, so a line number lines up under the file name. */
	return digits > 5 ? digits : 5;
}

static void put_excerpt(const struct vb_diags *d, const struct vb_diag *diag,
			const struct vb_diag_style *style, FILE *out)
{
	const struct vb_loc *l = &diag->loc;
	const struct vb_diag_source *src = find_source(d, l->file);
	const char *text;
	size_t len;
	if (!src || l->line <= 0 || !find_line(src, l->line, &text, &len))
		return;
	int gutter = gutter_width(l->line);
	put_prefix(out, style, diag->severity);
	fprintf(out, "%*d | ", gutter, l->line);
	put_source_line(out, text, len);
	fputc('\n', out);
	if (l->col <= 0)
		return;
	unsigned start = display_col(text, len, l->col);
	int end_col = span_end(src, l->line, l->col);
	unsigned end = end_col > l->col ? display_col(text, len, end_col) : start + 1;
	put_prefix(out, style, diag->severity);
	fprintf(out, "%*s | %*s", gutter, "", (int)start, "");
	if (style->color)
		fputs(SGR_CARET, out);
	fputc('^', out);
	for (unsigned i = start + 1; i < end; i++)
		fputc('~', out);
	if (style->color)
		fputs(SGR_RESET, out);
	fputc('\n', out);
}

static void put_header(const struct vb_diag *diag, const struct vb_diag_style *style, FILE *out)
{
	const struct vb_loc *l = &diag->loc;
	const char *file = l->file ? l->file : "vmboot";
	bool error = diag->severity == VB_SEV_ERROR;
	put_prefix(out, style, diag->severity);
	if (style->color)
		fputs(SGR_LOCUS, out);
	if (l->line > 0 && l->col > 0)
		fprintf(out, "%s:%d:%d:", file, l->line, l->col);
	else if (l->line > 0)
		fprintf(out, "%s:%d:", file, l->line);
	else
		fprintf(out, "%s:", file);
	if (style->color)
		fputs(SGR_RESET " ", out);
	else
		fputc(' ', out);
	if (style->color)
		fputs(error ? SGR_ERROR : SGR_WARNING, out);
	fputs(error ? "error: " : "warning: ", out);
	if (style->color)
		fputs(SGR_RESET, out);
	fprintf(out, "%s\n", diag->message);
}

void vb_diags_render(const struct vb_diags *d, const struct vb_diag_style *style, FILE *out)
{
	for (size_t i = 0; i < d->count; i++) {
		put_header(&d->items[i], style, out);
		if (style->excerpt)
			put_excerpt(d, &d->items[i], style, out);
	}
	if (d->out_of_memory)
		vb_log_to(out, style->priority, VB_LOG_ERROR,
			  "out of memory: some diagnostics were lost");
}

bool vb_diag_color_wanted(enum vb_color_when when, int fd)
{
	if (when == VB_COLOR_NEVER || vb_log_fd_is_journal(fd))
		return false;
	if (when == VB_COLOR_ALWAYS)
		return true;
	const char *no_color = getenv("NO_COLOR");
	if (no_color && *no_color)
		return false;
	const char *term = getenv("TERM");
	if (term && !strcmp(term, "dumb"))
		return false;
	return isatty(fd) == 1;
}
