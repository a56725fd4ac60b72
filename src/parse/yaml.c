/* YAML front end: text -> vb_node tree (node.h), using libyaml's event API.
 *
 * Events arrive in document order, so the tree is built with an explicit
 * stack of open collections (bounded by YAML_MAX_DEPTH) instead of
 * recursion. Plain scalars are typed with the YAML 1.2 core schema
 * (https://yaml.org/spec/1.2.2/#1032-tag-resolution): unlike YAML 1.1,
 * "yes", "on" and "0755"-as-octal are not special. Quoted and block
 * scalars are always strings. Anchors, aliases and tags are refused: a
 * machine file has no use for them, and aliases allow "billion laughs"
 * expansion. */
#include "parse/node.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YAML_MAX_DEPTH 32
#define YAML_MAX_NODES 100000

struct frame {
	struct vb_node *node; /* owned by its parent (or ctx->root) */
	bool want_key;        /* mapping: the next scalar is a key */
	char *key;            /* mapping: key waiting for its value (owned) */
	struct vb_loc key_loc;
};

struct yaml_ctx {
	const char *name;   /* for diagnostics (borrowed from the caller) */
	const char *source; /* for tree locations (owned by the root) */
	struct vb_diags *diags;
	struct frame stack[YAML_MAX_DEPTH];
	int depth;
	size_t n_nodes;
	bool seen_document;
	bool done;
	struct vb_node *root;
};

static struct vb_loc mark_loc(const struct yaml_ctx *ctx, yaml_mark_t mark)
{
	/* libyaml marks are 0-based; ours are 1-based. Clamp absurd values
	 * rather than overflow int. */
	int line = mark.line < (size_t)INT32_MAX ? (int)mark.line + 1 : 0;
	int col = mark.column < (size_t)INT32_MAX ? (int)mark.column + 1 : 0;
	return (struct vb_loc){ ctx->source, line, col };
}

/* A scalar's location, its extent recorded for the `~` under it in
 * diagnostics when it ends on the line it starts on: libyaml's end mark
 * is just past its last character (the closing quote of a quoted one). */
static struct vb_loc scalar_loc(const struct yaml_ctx *ctx, const yaml_event_t *ev)
{
	struct vb_loc loc = mark_loc(ctx, ev->start_mark);
	struct vb_loc end = mark_loc(ctx, ev->end_mark);
	if (loc.line > 0 && end.line == loc.line)
		vb_diags_add_span(ctx->diags, ctx->name, loc.line, loc.col, end.col);
	return loc;
}

/* Diagnostics name the caller's file string, which outlives a failed tree. */
__attribute__((format(printf, 3, 4)))
static int fail(struct yaml_ctx *ctx, struct vb_loc loc, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vb_diag_error(ctx->diags, (struct vb_loc){ ctx->name, loc.line, loc.col }, "%s", msg);
	return -EINVAL;
}

static bool is_digits(const char *s, const char *set)
{
	if (!*s)
		return false;
	return strspn(s, set) == strlen(s);
}

static bool one_of(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

/* [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
static bool is_core_float(const char *s)
{
	size_t n;

	if (*s == '-' || *s == '+')
		s++;
	n = strspn(s, "0123456789");
	if (n == 0) {
		if (*s != '.' || strspn(s + 1, "0123456789") == 0)
			return false;
		s++;
		s += strspn(s, "0123456789");
	} else {
		s += n;
		if (*s == '.') {
			s++;
			s += strspn(s, "0123456789");
		}
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		n = strspn(s, "0123456789");
		if (n == 0)
			return false;
		s += n;
	}
	return *s == '\0';
}

static int resolve_unsigned(const char *digits, int base, struct vb_node *node)
{
	unsigned long long v;

	errno = 0;
	v = strtoull(digits, NULL, base);
	if (errno == ERANGE || v > INT64_MAX)
		return -ERANGE;
	node->kind = VB_NODE_INT;
	node->integer = (int64_t)v;
	return 0;
}

static int resolve_decimal(const char *s, struct vb_node *node)
{
	long long v;

	errno = 0;
	v = strtoll(s, NULL, 10);
	if (errno == ERANGE)
		return -ERANGE;
	node->kind = VB_NODE_INT;
	node->integer = v;
	return 0;
}

static int resolve_float(const char *s, struct vb_node *node)
{
	static const char *const inf[] = { ".inf", ".Inf", ".INF", NULL };
	static const char *const nan_words[] = { ".nan", ".NaN", ".NAN", NULL };
	const char *body = (*s == '-' || *s == '+') ? s + 1 : s;
	double v;

	node->kind = VB_NODE_FLOAT;
	if (one_of(body, inf)) {
		node->real = *s == '-' ? -INFINITY : INFINITY;
		return 0;
	}
	if (one_of(s, nan_words)) {
		node->real = NAN;
		return 0;
	}
	v = strtod(s, NULL);
	if (isinf(v))
		return -ERANGE;
	node->real = v;
	return 0;
}

/* Core schema resolution of a plain scalar (s is NUL-terminated). Sets the
 * node's kind and value. Returns 0, -ERANGE for an out-of-range number, or
 * -ENOMEM. */
static int resolve_plain(const char *s, size_t len, struct vb_node *node)
{
	static const char *const nulls[] = { "~", "null", "Null", "NULL", NULL };
	static const char *const trues[] = { "true", "True", "TRUE", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", NULL };
	static const char *const specials[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
						"-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN",
						NULL };
	const char *body = (*s == '-' || *s == '+') ? s + 1 : s;

	if (len == 0 || one_of(s, nulls)) {
		node->kind = VB_NODE_NULL;
		return 0;
	}
	if (one_of(s, trues) || one_of(s, falses)) {
		node->kind = VB_NODE_BOOL;
		node->boolean = one_of(s, trues);
		return 0;
	}
	if (is_digits(body, "0123456789"))
		return resolve_decimal(s, node);
	if (strncmp(s, "0o", 2) == 0 && is_digits(s + 2, "01234567"))
		return resolve_unsigned(s + 2, 8, node);
	if (strncmp(s, "0x", 2) == 0 && is_digits(s + 2, "0123456789abcdefABCDEF")) {
		node->hex = true;
		return resolve_unsigned(s + 2, 16, node);
	}
	if (is_core_float(s) || one_of(s, specials))
		return resolve_float(s, node);
	node->kind = VB_NODE_STRING;
	return vb_node_set_string(node, s, len);
}

static int check_anchor_tag(struct yaml_ctx *ctx, const yaml_event_t *ev,
			    const yaml_char_t *anchor, const yaml_char_t *tag)
{
	struct vb_loc loc = mark_loc(ctx, ev->start_mark);

	if (anchor)
		return fail(ctx, loc, "YAML anchors (&%s) are not supported", (const char *)anchor);
	if (tag)
		return fail(ctx, loc, "YAML tags (%s) are not supported", (const char *)tag);
	return 0;
}

static struct frame *top(struct yaml_ctx *ctx)
{
	return ctx->depth ? &ctx->stack[ctx->depth - 1] : NULL;
}

/* Attaches a finished or just-opened value to the open collection, or makes
 * it the root. Takes ownership of node in every case. */
static int attach(struct yaml_ctx *ctx, struct vb_node *node)
{
	struct frame *f = top(ctx);

	if (++ctx->n_nodes > YAML_MAX_NODES) {
		struct vb_loc loc = node->loc;
		vb_node_free(node);
		return fail(ctx, loc, "too many values (more than %d nodes)", YAML_MAX_NODES);
	}
	if (!f) {
		ctx->root = node;
		return 0;
	}
	if (f->node->kind == VB_NODE_TABLE) {
		node->key = f->key;
		node->key_loc = f->key_loc;
		f->key = NULL;
		f->want_key = true;
	}
	if (vb_node_append(f->node, node) < 0)
		return fail(ctx, f->node->loc, "%s", "out of memory");
	return 0;
}

static int on_root_scalar(struct yaml_ctx *ctx, const yaml_event_t *ev)
{
	struct vb_loc loc = mark_loc(ctx, ev->start_mark);

	/* "---" with nothing after it, or a document holding only comments,
	 * is an empty machine description. */
	if (ev->data.scalar.length == 0 && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		ctx->root = vb_node_new(VB_NODE_TABLE, loc);
		return ctx->root ? 0 : fail(ctx, loc, "%s", "out of memory");
	}
	return fail(ctx, loc, "%s", "the top level must be a mapping of keys to values, not a scalar");
}

static int on_key(struct yaml_ctx *ctx, struct frame *f, const yaml_event_t *ev)
{
	const char *value = (const char *)ev->data.scalar.value;

	f->key = strdup(value);
	if (!f->key)
		return fail(ctx, mark_loc(ctx, ev->start_mark), "%s", "out of memory");
	f->key_loc = scalar_loc(ctx, ev);
	f->want_key = false;
	return 0;
}

static int on_scalar(struct yaml_ctx *ctx, const yaml_event_t *ev)
{
	const char *value = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	struct vb_loc loc = scalar_loc(ctx, ev);
	struct frame *f = top(ctx);
	struct vb_node *node;
	int rc;

	rc = check_anchor_tag(ctx, ev, ev->data.scalar.anchor, ev->data.scalar.tag);
	if (rc < 0)
		return rc;
	if (memchr(value, '\0', len))
		return fail(ctx, loc, "%s", "NUL character in string");
	if (!f)
		return on_root_scalar(ctx, ev);
	if (f->node->kind == VB_NODE_TABLE && f->want_key)
		return on_key(ctx, f, ev);

	node = vb_node_new(VB_NODE_STRING, loc);
	if (!node)
		return fail(ctx, loc, "%s", "out of memory");
	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		rc = resolve_plain(value, len, node);
	else
		rc = vb_node_set_string(node, value, len);
	if (rc < 0) {
		vb_node_free(node);
		if (rc == -ERANGE)
			return fail(ctx, loc, "number out of range: %s", value);
		return fail(ctx, loc, "%s", "out of memory");
	}
	return attach(ctx, node);
}

static int on_collection_start(struct yaml_ctx *ctx, const yaml_event_t *ev, bool mapping)
{
	struct vb_loc loc = mark_loc(ctx, ev->start_mark);
	struct frame *f = top(ctx);
	struct vb_node *node;
	int rc;

	rc = mapping ? check_anchor_tag(ctx, ev, ev->data.mapping_start.anchor,
					ev->data.mapping_start.tag)
		     : check_anchor_tag(ctx, ev, ev->data.sequence_start.anchor,
					ev->data.sequence_start.tag);
	if (rc < 0)
		return rc;
	if (f && f->node->kind == VB_NODE_TABLE && f->want_key)
		return fail(ctx, loc, "%s", "mapping keys must be plain values, not lists or mappings");
	if (!f && !mapping)
		return fail(ctx, loc, "%s", "the top level must be a mapping of keys to values, not a list");
	if (ctx->depth >= YAML_MAX_DEPTH)
		return fail(ctx, loc, "nesting deeper than %d levels", YAML_MAX_DEPTH);

	/* A block mapping starts where its first key does: a diagnostic about
	 * the mapping gets a caret, not the key underlined (util/diag.h). */
	vb_diags_add_span(ctx->diags, ctx->name, loc.line, loc.col, 0);
	node = vb_node_new(mapping ? VB_NODE_TABLE : VB_NODE_LIST, loc);
	if (!node)
		return fail(ctx, loc, "%s", "out of memory");
	rc = attach(ctx, node);
	if (rc < 0)
		return rc;
	ctx->stack[ctx->depth++] = (struct frame){ .node = node, .want_key = mapping };
	return 0;
}

struct keyed {
	const struct vb_node *node;
	size_t index;
};

static int keyed_compare(const void *pa, const void *pb)
{
	const struct keyed *a = pa, *b = pb;
	int c = strcmp(a->node->key, b->node->key);

	if (c)
		return c;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* Sorting keeps this O(n log n): a 100000-key mapping must not take n^2. */
static int check_duplicates(struct yaml_ctx *ctx, const struct vb_node *table)
{
	struct keyed *sorted;
	int rc = 0;

	if (table->n_items < 2)
		return 0;
	sorted = calloc(table->n_items, sizeof(*sorted));
	if (!sorted)
		return fail(ctx, table->loc, "%s", "out of memory");
	for (size_t i = 0; i < table->n_items; i++)
		sorted[i] = (struct keyed){ table->items[i], i };
	qsort(sorted, table->n_items, sizeof(*sorted), keyed_compare);
	for (size_t first = 0, i = 1; i < table->n_items; i++) {
		const struct vb_node *dup = sorted[i].node;
		const struct vb_node *orig = sorted[first].node;

		if (strcmp(dup->key, orig->key) != 0) {
			first = i;
			continue;
		}
		vb_diag_error(ctx->diags, (struct vb_loc){ ctx->name, dup->key_loc.line, dup->key_loc.col },
			      "duplicate key '%s' (first defined on line %d)", dup->key,
			      orig->key_loc.line);
		rc = -EINVAL;
	}
	free(sorted);
	return rc;
}

static int on_collection_end(struct yaml_ctx *ctx)
{
	struct frame *f = top(ctx);

	if (!f)
		return 0;
	ctx->depth--;
	free(f->key);
	f->key = NULL;
	if (f->node->kind == VB_NODE_TABLE)
		return check_duplicates(ctx, f->node);
	return 0;
}

static int on_event(struct yaml_ctx *ctx, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (ctx->seen_document)
			return fail(ctx, mark_loc(ctx, ev->start_mark), "%s",
				    "more than one YAML document: a machine file holds one machine");
		ctx->seen_document = true;
		return 0;
	case YAML_ALIAS_EVENT:
		return fail(ctx, mark_loc(ctx, ev->start_mark), "YAML aliases (*%s) are not supported",
			    (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		return on_scalar(ctx, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_collection_start(ctx, ev, false);
	case YAML_MAPPING_START_EVENT:
		return on_collection_start(ctx, ev, true);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_collection_end(ctx);
	case YAML_STREAM_END_EVENT:
		ctx->done = true;
		return 0;
	default:
		return 0;
	}
}

static void syntax_error(struct yaml_ctx *ctx, const yaml_parser_t *parser, const char *text,
			 size_t len)
{
	struct vb_loc loc = mark_loc(ctx, parser->problem_mark);
	const char *problem = parser->problem ? parser->problem : "cannot parse";

	if (parser->error == YAML_READER_ERROR) {
		/* Reader errors (bad encoding, control characters) carry a byte
		 * offset instead of a mark. */
		loc.line = 1;
		loc.col = 0;
		for (size_t i = 0; i < parser->problem_offset && i < len; i++)
			if (text[i] == '\n')
				loc.line++;
	} else if (parser->error == YAML_MEMORY_ERROR) {
		problem = "out of memory";
	}
	vb_diag_error(ctx->diags, (struct vb_loc){ ctx->name, loc.line, loc.col },
		      "syntax error: %s", problem);
}

static void ctx_release(struct yaml_ctx *ctx)
{
	for (int i = 0; i < ctx->depth; i++)
		free(ctx->stack[i].key);
	ctx->depth = 0;
	vb_node_free(ctx->root);
	ctx->root = NULL;
}

static int run_parser(struct yaml_ctx *ctx, const char *text, size_t len)
{
	yaml_parser_t parser;
	int rc = 0;

	if (!yaml_parser_initialize(&parser))
		return fail(ctx, (struct vb_loc){ 0 }, "%s", "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (rc == 0 && !ctx->done) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&parser, &ev)) {
			syntax_error(ctx, &parser, text, len);
			rc = -EINVAL;
			break;
		}
		rc = on_event(ctx, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return rc;
}

struct vb_node *vb_parse_yaml_buffer(const char *name, const char *text, size_t len,
				     struct vb_diags *diags)
{
	struct yaml_ctx ctx = { .name = name, .diags = diags };
	char *source = strdup(name);
	struct vb_node *root;

	if (!source) {
		vb_diag_error(diags, (struct vb_loc){ name, 0, 0 }, "out of memory");
		return NULL;
	}
	ctx.source = source;
	if (run_parser(&ctx, text, len) < 0) {
		ctx_release(&ctx);
		free(source);
		return NULL;
	}
	if (!ctx.root) {
		/* A stream with no document at all (empty file, only comments). */
		ctx.root = vb_node_new(VB_NODE_TABLE, (struct vb_loc){ source, 1, 1 });
		if (!ctx.root) {
			vb_diag_error(diags, (struct vb_loc){ name, 0, 0 }, "out of memory");
			free(source);
			return NULL;
		}
	}
	root = ctx.root;
	root->source = source;
	return root;
}
