/* libconfig (.conf) front end: text -> vb_node tree (node.h).
 *
 * libconfig 1.5 records only a line per setting (an unsigned short, so it
 * wraps after 65535 lines) and no column. To give every key and value an
 * exact line:col we run a small tokenizer of our own over the same text and
 * walk it in step with libconfig's tree: libconfig keeps settings in source
 * order, so the n-th name token is the n-th member's key. Each step checks
 * that the token agrees with the setting (same name, same kind of value);
 * should they ever disagree we stop trusting the tokens and fall back to
 * libconfig's line with an unknown column rather than report a wrong one. */
#include "parse/node.h"

#include <errno.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Same limit as the YAML front end: no machine file nests this deep, and it
 * bounds the recursion below. */
#define CONF_MAX_DEPTH 32

enum tok_kind { TOK_EOF, TOK_WORD, TOK_STRING, TOK_PUNCT, TOK_OTHER };

struct tok {
	enum tok_kind kind;
	const char *start;
	size_t len;
	int line;
	int col;
	bool unterminated; /* string or comment running to the end of text */
};

struct lexer {
	const char *p;
	const char *end;
	int line;
	int col;
};

struct conf_ctx {
	const char *name;     /* for diagnostics (borrowed from the caller) */
	const char *source;   /* for tree locations (owned by the root) */
	struct vb_diags *diags;
	struct lexer lx;
	struct tok value_tok; /* the last value token taken, if in sync */
	bool lost_sync;
};

static void lx_advance(struct lexer *lx)
{
	unsigned char c = (unsigned char)*lx->p++;

	if (c == '\n') {
		lx->line++;
		lx->col = 1;
	} else if ((c & 0xC0) != 0x80) {
		/* Columns count characters, not UTF-8 continuation bytes. */
		lx->col++;
	}
}

static bool lx_starts(const struct lexer *lx, const char *s)
{
	size_t n = strlen(s);
	return (size_t)(lx->end - lx->p) >= n && memcmp(lx->p, s, n) == 0;
}

static void lx_skip_space_and_comments(struct lexer *lx)
{
	while (lx->p < lx->end) {
		char c = *lx->p;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			lx_advance(lx);
		} else if (c == '#' || lx_starts(lx, "//")) {
			while (lx->p < lx->end && *lx->p != '\n')
				lx_advance(lx);
		} else if (lx_starts(lx, "/*")) {
			lx_advance(lx);
			lx_advance(lx);
			while (lx->p < lx->end && !lx_starts(lx, "*/"))
				lx_advance(lx);
			if (lx->p < lx->end) {
				lx_advance(lx);
				lx_advance(lx);
			}
		} else {
			return;
		}
	}
}

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '*' || c == '.' || c == '+' || c == '-';
}

static struct tok lx_next(struct lexer *lx)
{
	struct tok t;

	lx_skip_space_and_comments(lx);
	t.start = lx->p;
	t.unterminated = false;
	t.line = lx->line;
	t.col = lx->col;
	if (lx->p >= lx->end) {
		t.kind = TOK_EOF;
	} else if (*lx->p == '"') {
		t.kind = TOK_STRING;
		lx_advance(lx);
		while (lx->p < lx->end && *lx->p != '"') {
			if (*lx->p == '\\' && lx->p + 1 < lx->end)
				lx_advance(lx);
			lx_advance(lx);
		}
		t.unterminated = lx->p >= lx->end;
		if (!t.unterminated)
			lx_advance(lx);
	} else if (is_word_char(*lx->p)) {
		t.kind = TOK_WORD;
		while (lx->p < lx->end && is_word_char(*lx->p))
			lx_advance(lx);
	} else if (strchr("=:;,{}[]()", *lx->p)) {
		t.kind = TOK_PUNCT;
		lx_advance(lx);
	} else {
		t.kind = TOK_OTHER;
		lx_advance(lx);
	}
	t.len = (size_t)(lx->p - t.start);
	return t;
}

static struct tok lx_peek(const struct lexer *lx)
{
	struct lexer copy = *lx;
	return lx_next(&copy);
}

static bool tok_is(const struct tok *t, char punct)
{
	return t->kind == TOK_PUNCT && t->start[0] == punct;
}

/* The column just past a token that ends on the line it starts on, else
 * 0. Columns count characters, as lx_advance does. */
static int tok_end_col(const struct tok *t)
{
	int col = t->col;
	for (size_t i = 0; i < t->len; i++) {
		if (t->start[i] == '\n')
			return 0;
		if (((unsigned char)t->start[i] & 0xC0) != 0x80)
			col++;
	}
	return col;
}

static int line_of_offset(const char *text, size_t off)
{
	int line = 1;
	for (size_t i = 0; i < off; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

/* libconfig would open an @include'd file relative to the working
 * directory: a machine file could then make vmboot read (and echo in error
 * messages) arbitrary files. Refuse the directive outright. The check is
 * deliberately broader than libconfig's own rule: any "@include" starting a
 * line, or appearing outside a string or comment, is refused. Unterminated
 * strings are refused here too, see below. */
static bool refuse_includes_and_open_strings(struct conf_ctx *ctx, const char *text, size_t len)
{
	static const char directive[] = "@include";
	const size_t dlen = sizeof(directive) - 1;
	struct lexer lx = { text, text + len, 1, 1 };
	bool found = false;
	bool line_start = true;
	int line = 1;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (c == '\n') {
			line++;
			line_start = true;
			continue;
		}
		if (line_start && (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'))
			continue;
		if (line_start && len - i >= dlen && strncasecmp(text + i, directive, dlen) == 0) {
			vb_diag_error(ctx->diags, (struct vb_loc){ ctx->name, line, 0 },
				      "@include is not supported: put everything in one machine file");
			return true;
		}
		line_start = false;
	}
	for (struct tok t = lx_next(&lx); t.kind != TOK_EOF; t = lx_next(&lx)) {
		/* libconfig 1.5 leaks its string buffer when the text ends
		 * inside a string (found by fuzz/run conf), so catch that
		 * here; the message is better with a column anyway. */
		if (t.kind == TOK_STRING && t.unterminated) {
			vb_diag_error(ctx->diags, (struct vb_loc){ ctx->name, t.line, t.col },
				      "syntax error: unterminated string");
			found = true;
			break;
		}
		if (t.kind == TOK_OTHER && t.start[0] == '@' &&
		    (size_t)(lx.end - t.start) >= dlen && strncasecmp(t.start, directive, dlen) == 0) {
			vb_diag_error(ctx->diags, (struct vb_loc){ ctx->name, t.line, t.col },
				      "@include is not supported: put everything in one machine file");
			found = true;
			break;
		}
	}
	return found;
}

/* A syntax check of our own before libconfig sees the text. libconfig 1.5
 * leaks the buffer of a string or name token when a syntax error follows it
 * (bison discards the token without a destructor; found by fuzz/run conf),
 * so syntax errors are caught here, with a column as a bonus. The check is
 * deliberately no stricter than libconfig (it allows trailing commas and
 * any word as a name): anything it lets through, libconfig still judges. */
struct checker {
	struct conf_ctx *ctx;
	struct lexer lx;
	struct tok tok; /* current token */
	bool failed;
};

static void chk_advance(struct checker *c)
{
	c->tok = lx_next(&c->lx);
}

static void chk_error(struct checker *c, const char *expected)
{
	const struct tok *t = &c->tok;

	if (c->failed)
		return;
	c->failed = true;
	if (t->kind == TOK_EOF) {
		vb_diag_error(c->ctx->diags, (struct vb_loc){ c->ctx->name, t->line, t->col },
			      "syntax error: expected %s before the end of the file", expected);
	} else {
		vb_diags_add_span(c->ctx->diags, c->ctx->name, t->line, t->col, tok_end_col(t));
		vb_diag_error(c->ctx->diags, (struct vb_loc){ c->ctx->name, t->line, t->col },
			      "syntax error: expected %s, found '%.*s'", expected,
			      t->len > 40 ? 40 : (int)t->len, t->start);
	}
}

static bool chk_punct(struct checker *c, char punct)
{
	if (!tok_is(&c->tok, punct))
		return false;
	chk_advance(c);
	return true;
}

static void chk_settings(struct checker *c, int depth);

static void chk_value(struct checker *c, int depth)
{
	char close;

	if (c->failed)
		return;
	if (c->tok.kind == TOK_WORD) {
		chk_advance(c);
		return;
	}
	if (c->tok.kind == TOK_STRING) {
		while (c->tok.kind == TOK_STRING)
			chk_advance(c);
		return;
	}
	if (!tok_is(&c->tok, '{') && !tok_is(&c->tok, '[') && !tok_is(&c->tok, '(')) {
		chk_error(c, "a value");
		return;
	}
	if (depth >= CONF_MAX_DEPTH) {
		c->failed = true;
		vb_diag_error(c->ctx->diags, (struct vb_loc){ c->ctx->name, c->tok.line, c->tok.col },
			      "nesting deeper than %d levels", CONF_MAX_DEPTH);
		return;
	}
	close = c->tok.start[0] == '{' ? '}' : c->tok.start[0] == '[' ? ']' : ')';
	chk_advance(c);
	if (close == '}') {
		chk_settings(c, depth + 1);
	} else {
		while (!c->failed && !tok_is(&c->tok, close)) {
			chk_value(c, depth + 1);
			if (!chk_punct(c, ','))
				break;
		}
	}
	if (!c->failed && !chk_punct(c, close))
		chk_error(c, close == '}' ? "'}'" : close == ']' ? "']'" : "')'");
}

/* Settings up to (not including) '}' or the end of the text. */
static void chk_settings(struct checker *c, int depth)
{
	while (!c->failed && c->tok.kind != TOK_EOF && !tok_is(&c->tok, '}')) {
		if (c->tok.kind != TOK_WORD) {
			chk_error(c, "a setting name");
			return;
		}
		chk_advance(c);
		if (!chk_punct(c, '=') && !chk_punct(c, ':')) {
			chk_error(c, "'=' or ':'");
			return;
		}
		chk_value(c, depth);
		if (!chk_punct(c, ';'))
			chk_punct(c, ',');
	}
}

static bool refuse_bad_syntax(struct conf_ctx *ctx, const char *text, size_t len)
{
	struct checker c = { .ctx = ctx, .lx = { text, text + len, 1, 1 } };

	chk_advance(&c);
	chk_settings(&c, 1);
	if (!c.failed && c.tok.kind != TOK_EOF)
		chk_error(&c, "a setting name");
	return c.failed;
}

static struct vb_loc fallback_loc(const struct conf_ctx *ctx, const config_setting_t *s)
{
	return (struct vb_loc){ ctx->source, (int)config_setting_source_line(s), 0 };
}

static bool value_matches(const struct tok *t, int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return tok_is(t, '{');
	case CONFIG_TYPE_ARRAY:
		return tok_is(t, '[');
	case CONFIG_TYPE_LIST:
		return tok_is(t, '(');
	case CONFIG_TYPE_STRING:
		return t->kind == TOK_STRING;
	default:
		return t->kind == TOK_WORD;
	}
}

/* Consumes the tokens of one value's start (the opening bracket, or the
 * whole scalar) and returns where it starts. */
static struct vb_loc take_value_loc(struct conf_ctx *ctx, const config_setting_t *s)
{
	struct tok t;

	if (ctx->lost_sync)
		return fallback_loc(ctx, s);
	t = lx_next(&ctx->lx);
	if (!value_matches(&t, config_setting_type(s))) {
		ctx->lost_sync = true;
		return fallback_loc(ctx, s);
	}
	/* Adjacent string literals are one value ("a" "b" == "ab"). */
	struct tok last = t;
	if (t.kind == TOK_STRING)
		while (lx_peek(&ctx->lx).kind == TOK_STRING)
			last = lx_next(&ctx->lx);
	ctx->value_tok = t;
	/* A scalar's extent, for the `~` under it in diagnostics. */
	if ((t.kind == TOK_WORD || t.kind == TOK_STRING) && last.line == t.line)
		vb_diags_add_span(ctx->diags, ctx->name, t.line, t.col, tok_end_col(&last));
	return (struct vb_loc){ ctx->source, t.line, t.col };
}

static struct vb_loc take_key_loc(struct conf_ctx *ctx, const config_setting_t *s)
{
	const char *name = config_setting_name(s);
	struct tok key, t;

	if (ctx->lost_sync)
		return fallback_loc(ctx, s);
	key = lx_next(&ctx->lx);
	if (key.kind != TOK_WORD || !name || strlen(name) != key.len ||
	    memcmp(name, key.start, key.len) != 0) {
		ctx->lost_sync = true;
		return fallback_loc(ctx, s);
	}
	t = lx_next(&ctx->lx);
	if (!tok_is(&t, '=') && !tok_is(&t, ':'))
		ctx->lost_sync = true;
	vb_diags_add_span(ctx->diags, ctx->name, key.line, key.col, tok_end_col(&key));
	return (struct vb_loc){ ctx->source, key.line, key.col };
}

static void skip_optional(struct conf_ctx *ctx, const char *puncts)
{
	struct tok t;

	if (ctx->lost_sync)
		return;
	t = lx_peek(&ctx->lx);
	if (t.kind == TOK_PUNCT && strchr(puncts, t.start[0]))
		lx_next(&ctx->lx);
}

static void expect_close(struct conf_ctx *ctx, char punct)
{
	struct tok t;

	if (ctx->lost_sync)
		return;
	t = lx_next(&ctx->lx);
	if (!tok_is(&t, punct))
		ctx->lost_sync = true;
}

static struct vb_node *convert(struct conf_ctx *ctx, const config_setting_t *s, int depth);

static int out_of_memory(struct conf_ctx *ctx, struct vb_loc loc)
{
	vb_diag_error(ctx->diags, (struct vb_loc){ ctx->name, loc.line, loc.col },
		      "out of memory");
	return -ENOMEM;
}

static int convert_members(struct conf_ctx *ctx, const config_setting_t *group,
			   struct vb_node *table, int depth)
{
	int n = config_setting_length(group);

	for (int i = 0; i < n; i++) {
		const config_setting_t *member = config_setting_get_elem(group, (unsigned)i);
		struct vb_loc key_loc;
		struct vb_node *child;

		if (!member)
			return out_of_memory(ctx, table->loc);
		key_loc = take_key_loc(ctx, member);
		child = convert(ctx, member, depth);
		if (!child)
			return -EINVAL;
		if (vb_node_set_key(child, config_setting_name(member), key_loc) < 0) {
			vb_node_free(child);
			return out_of_memory(ctx, key_loc);
		}
		if (vb_node_append(table, child) < 0)
			return out_of_memory(ctx, key_loc);
		skip_optional(ctx, ";,");
	}
	return 0;
}

static int convert_elements(struct conf_ctx *ctx, const config_setting_t *seq,
			    struct vb_node *list, int depth)
{
	int n = config_setting_length(seq);

	for (int i = 0; i < n; i++) {
		const config_setting_t *elem = config_setting_get_elem(seq, (unsigned)i);
		struct vb_node *child;

		if (!elem)
			return out_of_memory(ctx, list->loc);
		child = convert(ctx, elem, depth);
		if (!child)
			return -EINVAL;
		if (vb_node_append(list, child) < 0)
			return out_of_memory(ctx, list->loc);
		skip_optional(ctx, ",");
	}
	return 0;
}

static enum vb_node_kind kind_of(int type)
{
	switch (type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return VB_NODE_INT;
	case CONFIG_TYPE_FLOAT:
		return VB_NODE_FLOAT;
	case CONFIG_TYPE_BOOL:
		return VB_NODE_BOOL;
	case CONFIG_TYPE_STRING:
		return VB_NODE_STRING;
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		return VB_NODE_LIST;
	case CONFIG_TYPE_GROUP:
		return VB_NODE_TABLE;
	}
	return VB_NODE_NULL;
}

/* libconfig 1.5 silently wraps integers that do not fit its type
 * (3000000000 becomes -1294967296, 99999999999999999999 becomes -1; found
 * while testing), which would turn a large memory size negative. Re-read the
 * integer's own text: decimal or 0x hex, optional L/LL suffix. */
static int reparse_integer(struct conf_ctx *ctx, struct vb_node *node)
{
	char text[64];
	const char *digits;
	char *end;
	bool negative, hex;
	unsigned long long v;
	size_t len;

	if (ctx->lost_sync || ctx->value_tok.kind != TOK_WORD ||
	    ctx->value_tok.len >= sizeof(text))
		return 0;
	memcpy(text, ctx->value_tok.start, ctx->value_tok.len);
	text[ctx->value_tok.len] = '\0';
	len = strlen(text);
	while (len && (text[len - 1] == 'L' || text[len - 1] == 'l'))
		text[--len] = '\0';
	negative = text[0] == '-';
	digits = text + (text[0] == '-' || text[0] == '+');
	hex = digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
	errno = 0;
	v = strtoull(digits, &end, hex ? 16 : 10);
	if (*end != '\0' || end == digits)
		return 0; /* not an integer we understand: keep libconfig's value */
	if (errno == ERANGE || (negative ? v > (unsigned long long)INT64_MAX + 1 : v > INT64_MAX)) {
		vb_diag_error(ctx->diags, (struct vb_loc){ ctx->name, node->loc.line, node->loc.col },
			      "integer out of range: %s", text);
		return -ERANGE;
	}
	node->integer = negative ? (int64_t)(0 - v) : (int64_t)v;
	node->hex = hex;
	return 0;
}

static int fill_value(struct conf_ctx *ctx, const config_setting_t *s, struct vb_node *node,
		      int depth)
{
	int type = config_setting_type(s);
	const char *str;
	int rc;

	switch (type) {
	case CONFIG_TYPE_INT:
		node->integer = config_setting_get_int(s);
		node->hex = config_setting_get_format(s) == CONFIG_FORMAT_HEX;
		return reparse_integer(ctx, node);
	case CONFIG_TYPE_INT64:
		node->integer = config_setting_get_int64(s);
		node->hex = config_setting_get_format(s) == CONFIG_FORMAT_HEX;
		return reparse_integer(ctx, node);
	case CONFIG_TYPE_FLOAT:
		node->real = config_setting_get_float(s);
		return 0;
	case CONFIG_TYPE_BOOL:
		node->boolean = config_setting_get_bool(s) != 0;
		return 0;
	case CONFIG_TYPE_STRING:
		str = config_setting_get_string(s);
		if (!str)
			str = "";
		if (vb_node_set_string(node, str, strlen(str)) < 0)
			return out_of_memory(ctx, node->loc);
		return 0;
	}
	if (depth >= CONF_MAX_DEPTH) {
		vb_diag_error(ctx->diags, (struct vb_loc){ ctx->name, node->loc.line, node->loc.col },
			      "nesting deeper than %d levels", CONF_MAX_DEPTH);
		return -EINVAL;
	}
	if (type == CONFIG_TYPE_GROUP) {
		rc = convert_members(ctx, s, node, depth + 1);
		expect_close(ctx, '}');
	} else {
		rc = convert_elements(ctx, s, node, depth + 1);
		expect_close(ctx, type == CONFIG_TYPE_ARRAY ? ']' : ')');
	}
	return rc;
}

static struct vb_node *convert(struct conf_ctx *ctx, const config_setting_t *s, int depth)
{
	struct vb_loc loc = take_value_loc(ctx, s);
	struct vb_node *node = vb_node_new(kind_of(config_setting_type(s)), loc);

	if (!node) {
		out_of_memory(ctx, loc);
		return NULL;
	}
	if (fill_value(ctx, s, node, depth) < 0) {
		vb_node_free(node);
		return NULL;
	}
	return node;
}

static bool refuse_nul(struct conf_ctx *ctx, const char *text, size_t len)
{
	const char *nul = memchr(text, '\0', len);

	if (!nul)
		return false;
	vb_diag_error(ctx->diags,
		      (struct vb_loc){ ctx->name, line_of_offset(text, (size_t)(nul - text)), 0 },
		      "syntax error: NUL byte in file");
	return true;
}

static struct vb_node *convert_root(struct conf_ctx *ctx, const config_t *cfg)
{
	const config_setting_t *root = config_root_setting(cfg);
	struct vb_node *table = vb_node_new(VB_NODE_TABLE, (struct vb_loc){ ctx->source, 1, 1 });

	if (!table) {
		out_of_memory(ctx, (struct vb_loc){ 0 });
		return NULL;
	}
	if (root && convert_members(ctx, root, table, 1) < 0) {
		vb_node_free(table);
		return NULL;
	}
	return table;
}

struct vb_node *vb_parse_conf_buffer(const char *name, const char *text, size_t len,
				     struct vb_diags *diags)
{
	struct conf_ctx ctx = { .name = name, .diags = diags };
	struct vb_node *tree = NULL;
	char *source = NULL;
	char *copy = NULL;
	config_t cfg;

	if (refuse_nul(&ctx, text, len) || refuse_includes_and_open_strings(&ctx, text, len) ||
	    refuse_bad_syntax(&ctx, text, len))
		return NULL;
	copy = malloc(len + 1);
	source = strdup(name);
	if (!copy || !source) {
		out_of_memory(&ctx, (struct vb_loc){ 0 });
		goto out;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	ctx.source = source;
	ctx.lx = (struct lexer){ copy, copy + len, 1, 1 };

	config_init(&cfg);
	if (config_read_string(&cfg, copy) != CONFIG_TRUE) {
		const char *why = config_error_text(&cfg);
		vb_diag_error(diags, (struct vb_loc){ name, config_error_line(&cfg), 0 }, "%s",
			      why ? why : "syntax error");
	} else {
		tree = convert_root(&ctx, &cfg);
	}
	config_destroy(&cfg);
	if (tree) {
		tree->source = source;
		source = NULL;
	}
out:
	free(source);
	free(copy);
	return tree;
}
