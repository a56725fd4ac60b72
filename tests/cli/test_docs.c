/* Keeps the manual pages in step with the tables that drive vmboot.
 *
 * The rule: a key or flag is documented when it heads a tagged paragraph
 * (the line after a `.TP`) in the section that owns it. The tag is read
 * the way a person reads it, with font escapes removed, `\-` as `-` and the
 * arguments of alternating-font macros (.BR, .BI ...) joined:
 *   vmboot.conf.5  the tag's first word is the key; machine keys under
 *                  `.SH MACHINE KEYS`, debug keys under its `.SS debug`,
 *                  common device keys under `.SH DEVICES` before the first
 *                  `.SS`, each device type's keys under a `.SS` whose title
 *                  starts with the type name. The entry must also list the
 *                  choices of an enum and the range "MIN to MAX" of an
 *                  integer.
 *   vmboot.1       under `.SH OPTIONS`, some tag contains the long flag as a
 *                  word followed by its argument ("--cpus N"), and "-c," for
 *                  a flag with a short form.
 * Mentions in running text do not count: a key must have its own entry. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/options.h"
#include "machine/registry.h"
#include "parse/schema.h"

struct doc {
	char *text;
	char **lines;
	size_t n_lines;
};

/* [begin, end) line indices. */
struct span {
	size_t begin, end;
};

static void doc_from_text(struct doc *d, const char *text)
{
	d->text = strdup(text);
	assert_non_null(d->text);
	size_t cap = 16;
	d->lines = malloc(cap * sizeof(*d->lines));
	assert_non_null(d->lines);
	d->n_lines = 0;
	for (char *p = d->text; *p;) {
		if (d->n_lines == cap) {
			cap *= 2;
			d->lines = realloc(d->lines, cap * sizeof(*d->lines));
			assert_non_null(d->lines);
		}
		d->lines[d->n_lines++] = p;
		char *nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = 0;
		p = nl + 1;
	}
}

static void doc_load(struct doc *d, const char *relative)
{
	const char *srcdir = getenv("VB_SRCDIR");
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", srcdir ? srcdir : ".", relative);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s: %s (is VB_SRCDIR set?)", path, strerror(errno));
	char *buf = malloc(1 << 20);
	assert_non_null(buf);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[n] = 0;
	doc_from_text(d, buf);
	free(buf);
}

static void doc_free(struct doc *d)
{
	free(d->lines);
	free(d->text);
	memset(d, 0, sizeof(*d));
}

static bool is_macro(const char *line, const char *macro)
{
	size_t n = strlen(macro);
	return !strncmp(line, macro, n) && (line[n] == 0 || line[n] == ' ');
}

/* The title of a .SH/.SS line without quotes, into buf. */
static void heading_title(const char *line, char *buf, size_t size)
{
	const char *p = line + 3;
	size_t n = 0;
	while (*p == ' ')
		p++;
	for (; *p && n + 1 < size; p++)
		if (*p != '"')
			buf[n++] = *p;
	buf[n] = 0;
}

/* The span after the heading `macro` whose title starts with the word
 * `title`, up to the next heading of the same or a higher level. */
static bool find_section(const struct doc *d, struct span within, const char *macro,
			 const char *title, struct span *out)
{
	for (size_t i = within.begin; i < within.end; i++) {
		if (!is_macro(d->lines[i], macro))
			continue;
		char t[256];
		heading_title(d->lines[i], t, sizeof(t));
		size_t n = strlen(title);
		if (strncmp(t, title, n) || (t[n] != 0 && t[n] != ' '))
			continue;
		out->begin = i + 1;
		out->end = i + 1;
		while (out->end < within.end && !is_macro(d->lines[out->end], ".SH") &&
		       (strcmp(macro, ".SS") || !is_macro(d->lines[out->end], ".SS")))
			out->end++;
		return true;
	}
	return false;
}

static struct span whole(const struct doc *d)
{
	return (struct span){ 0, d->n_lines };
}

/* Appends the text of s (roff escapes resolved) to out. */
static void append_unescaped(const char *s, size_t len, char *out, size_t size)
{
	size_t n = strlen(out);
	for (size_t i = 0; i < len && n + 1 < size; i++) {
		if (s[i] != '\\') {
			out[n++] = s[i];
			continue;
		}
		if (++i >= len)
			break;
		char c = s[i];
		if (c == 'f') { /* \fB, \f(CW, \f[B] */
			if (i + 1 < len && s[i + 1] == '(')
				i += 3;
			else if (i + 1 < len && s[i + 1] == '[')
				while (i < len && s[i] != ']')
					i++;
			else
				i++;
		} else if (c == '(') { /* \(em, \(dq ... */
			if (i + 2 < len && s[i + 1] == 'd' && s[i + 2] == 'q')
				out[n++] = '"';
			else
				out[n++] = ' ';
			i += 2;
		} else if (c == '-') {
			out[n++] = '-';
		} else if (c == 'e') {
			out[n++] = '\\';
		} else if (c == '&' || c == 'c') {
			/* zero-width */
		} else {
			out[n++] = c;
		}
	}
	out[n] = 0;
}

/* A text or macro line as read: ".BR \-c \", \" \-\-cpus" -> "-c, --cpus". */
static void line_text(const char *line, char *out, size_t size)
{
	out[0] = 0;
	if (line[0] != '.' && line[0] != '\'') {
		append_unescaped(line, strlen(line), out, size);
		return;
	}
	const char *p = line + 1;
	size_t name_len = strcspn(p, " ");
	bool alternating = name_len == 2; /* BR, RB, BI, IB, IR, RI */
	bool font = name_len <= 2 && strchr("BIR", p[0]);
	if (!font)
		return; /* other requests carry no tag text */
	p += name_len;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		size_t len;
		if (*p == '"') {
			p++;
			len = strcspn(p, "\"");
		} else {
			len = strcspn(p, " ");
		}
		if (!alternating && out[0] && strlen(out) + 1 < size)
			strcat(out, " ");
		append_unescaped(p, len, out, size);
		p += len;
		if (*p == '"')
			p++;
	}
}

/* The tag lines (after .TP) in span, as text. */
static size_t tags_in(const struct doc *d, struct span s, char tags[][512], size_t max,
		      size_t lines_of[])
{
	size_t n = 0;
	for (size_t i = s.begin; i + 1 < s.end && n < max; i++) {
		if (!is_macro(d->lines[i], ".TP"))
			continue;
		size_t j = i + 1;
		while (j < s.end && !strncmp(d->lines[j], ".\\\"", 3))
			j++;
		if (j >= s.end)
			break;
		line_text(d->lines[j], tags[n], sizeof(tags[n]));
		lines_of[n++] = j;
	}
	return n;
}

static bool word_at(const char *text, const char *word, size_t at)
{
	size_t n = strlen(word);
	if (strncmp(text + at, word, n))
		return false;
	bool start_ok = at == 0 || strchr(" ,([", text[at - 1]);
	char next = text[at + n];
	bool end_ok = next == 0 || strchr(" ,)]=", next);
	return start_ok && end_ok;
}

static bool contains_word(const char *text, const char *word)
{
	for (size_t i = 0; text[i]; i++)
		if (word_at(text, word, i))
			return true;
	return false;
}

/* The whole entry (tag and paragraph) that starts at tag line `line`. */
static void entry_text(const struct doc *d, size_t line, struct span s, char *out, size_t size)
{
	out[0] = 0;
	for (size_t i = line; i < s.end; i++) {
		const char *l = d->lines[i];
		if (i > line && (is_macro(l, ".TP") || is_macro(l, ".SS") || is_macro(l, ".SH") ||
				 is_macro(l, ".PP")))
			break;
		char text[1024];
		line_text(l, text, sizeof(text));
		if (strlen(out) + strlen(text) + 2 < size) {
			strcat(out, text);
			strcat(out, " ");
		}
	}
}

/* NULL if key is documented in s, else why not (static buffer). */
static const char *key_problem(const struct doc *d, struct span s,
			       const struct vb_key_schema *key)
{
	static char why[512];
	static char tags[256][512];
	size_t lines_of[256];
	size_t n = tags_in(d, s, tags, 256, lines_of);
	for (size_t i = 0; i < n; i++) {
		size_t first = strcspn(tags[i], " ,");
		if (first != strlen(key->name) || strncmp(tags[i], key->name, first))
			continue;
		static char entry[8192];
		entry_text(d, lines_of[i], s, entry, sizeof(entry));
		for (size_t c = 0; key->choices && key->choices[c]; c++) {
			if (!contains_word(entry, key->choices[c])) {
				snprintf(why, sizeof(why), "its entry does not list the value \"%s\"",
					 key->choices[c]);
				return why;
			}
		}
		if (key->type == VB_KEY_UINT) {
			char range[64];
			snprintf(range, sizeof(range), "%lld to %lld", (long long)key->min,
				 (long long)key->max);
			if (!strstr(entry, range)) {
				snprintf(why, sizeof(why), "its entry does not give the range \"%s\"",
					 range);
				return why;
			}
		}
		return NULL;
	}
	return "no .TP entry whose tag starts with it";
}

static void expect_keys(const struct doc *d, struct span s, const char *where,
			const struct vb_key_schema *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *why = key_problem(d, s, &keys[i]);
		if (why)
			fail_msg("man/vmboot.conf.5: %s key \"%s\" is not documented: %s", where,
				 keys[i].name, why);
	}
}

static struct span section_or_fail(const struct doc *d, struct span within, const char *macro,
				   const char *title, const char *page)
{
	struct span s;
	if (!find_section(d, within, macro, title, &s))
		fail_msg("%s: no \"%s %s\" section", page, macro, title);
	return s;
}

static void test_machine_keys(void **state)
{
	(void)state;
	struct doc d;
	size_t n;
	doc_load(&d, "man/vmboot.conf.5");
	struct span s = section_or_fail(&d, whole(&d), ".SH", "MACHINE KEYS", "vmboot.conf.5");
	const struct vb_key_schema *keys = vb_schema_machine_keys(&n);
	assert_true(n >= 10);
	expect_keys(&d, s, "machine", keys, n);
	doc_free(&d);
}

static void test_debug_keys(void **state)
{
	(void)state;
	struct doc d;
	size_t n;
	doc_load(&d, "man/vmboot.conf.5");
	struct span s = section_or_fail(&d, whole(&d), ".SH", "MACHINE KEYS", "vmboot.conf.5");
	s = section_or_fail(&d, s, ".SS", "debug", "vmboot.conf.5");
	const struct vb_key_schema *keys = vb_schema_debug_keys(&n);
	assert_true(n >= 3);
	expect_keys(&d, s, "debug", keys, n);
	doc_free(&d);
}

static void test_device_common_keys(void **state)
{
	(void)state;
	struct doc d;
	size_t n;
	doc_load(&d, "man/vmboot.conf.5");
	struct span s = section_or_fail(&d, whole(&d), ".SH", "DEVICES", "vmboot.conf.5");
	/* Common keys come before the first device type's subsection. */
	for (size_t i = s.begin; i < s.end; i++)
		if (is_macro(d.lines[i], ".SS"))
			s.end = i;
	const struct vb_key_schema *keys = vb_schema_device_common_keys(&n);
	expect_keys(&d, s, "device", keys, n);
	doc_free(&d);
}

static void test_device_types(void **state)
{
	(void)state;
	struct doc d;
	size_t n;
	doc_load(&d, "man/vmboot.conf.5");
	struct span devices = section_or_fail(&d, whole(&d), ".SH", "DEVICES", "vmboot.conf.5");
	/* Every type of the registry, from its own descriptor. */
	const struct vb_device_type *const *types = vb_device_types(&n);
	assert_true(n >= 7);
	for (size_t t = 0; t < n; t++) {
		struct span s;
		if (!find_section(&d, devices, ".SS", types[t]->name, &s))
			fail_msg("man/vmboot.conf.5: device type \"%s\" has no .SS under DEVICES",
				 types[t]->name);
		char where[64];
		snprintf(where, sizeof(where), "%s device", types[t]->name);
		expect_keys(&d, s, where, types[t]->keys, types[t]->n_keys);
	}
	doc_free(&d);
}

/* True if the flag heads an entry in s, with its argument and short form. */
static bool flag_documented(const struct doc *d, struct span s, const struct vb_flag *f)
{
	static char tags[256][512];
	size_t lines_of[256];
	size_t n = tags_in(d, s, tags, 256, lines_of);
	char with_arg[256], short_form[8];
	snprintf(with_arg, sizeof(with_arg), "%s%s%s", f->long_name, f->arg ? " " : "",
		 f->arg ? f->arg : "");
	snprintf(short_form, sizeof(short_form), "-%c,", f->short_name);
	for (size_t i = 0; i < n; i++) {
		const char *at = strstr(tags[i], with_arg);
		if (!at || !word_at(tags[i], f->long_name, (size_t)(at - tags[i])))
			continue;
		char end = at[strlen(with_arg)];
		if (end != 0 && end != ' ')
			continue;
		if (f->short_name && !strstr(tags[i], short_form))
			continue;
		return true;
	}
	return false;
}

static void test_flags(void **state)
{
	(void)state;
	struct doc d;
	doc_load(&d, "man/vmboot.1");
	struct span s = section_or_fail(&d, whole(&d), ".SH", "OPTIONS", "vmboot.1");
	struct vb_flag_table table;
	vb_cli_flags(&table);
	const struct vb_flag *flags = table.flags;
	size_t n = table.count;
	assert_true(n >= 30);
	for (size_t i = 0; i < n; i++) {
		if (flag_documented(&d, s, &flags[i]))
			continue;
		char want[256];
		snprintf(want, sizeof(want), "%s%c%s%s%s%s", flags[i].short_name ? "-" : "",
			 flags[i].short_name ? flags[i].short_name : ' ',
			 flags[i].short_name ? ", " : "", flags[i].long_name,
			 flags[i].arg ? " " : "", flags[i].arg ? flags[i].arg : "");
		fail_msg("man/vmboot.1: flag %s is not documented: no .TP entry under OPTIONS "
			 "whose tag reads \"%s\"", flags[i].long_name,
			 want + (flags[i].short_name ? 0 : 1));
	}
	doc_free(&d);
}

/* The rule itself: entries count, mentions in text do not, and escapes are
 * read as a person reads them. */
static void test_rule(void **state)
{
	(void)state;
	struct doc d;
	doc_from_text(&d,
		      ".SH OPTIONS\n"
		      "The \\fB\\-\\-json\\fR flag is mentioned here only.\n"
		      ".TP\n"
		      ".BR \\-c \", \" \\-\\-cpus \" \\fIN\\fR\"\n"
		      "CPUs.\n"
		      ".TP\n"
		      ".B \\-\\-debug\\-ioport\n"
		      ".SH MACHINE KEYS\n"
		      ".TP\n"
		      "\\fBcpus\\fR \\(em \\fIinteger\\fR, 1 to 255\n"
		      ".TP\n"
		      "\\fBconsole\\fR \\(em \\fIenum\\fR: serial, virtio\n"
		      "Text mentioning \\fBname\\fR.\n");
	struct span opts, keys;
	assert_true(find_section(&d, whole(&d), ".SH", "OPTIONS", &opts));
	assert_true(find_section(&d, whole(&d), ".SH", "MACHINE", &keys));
	assert_int_equal(opts.end, 7);

	struct vb_flag cpus = { "--cpus", 'c', "N", 0, "", 0 };
	struct vb_flag cpus_wrong_short = { "--cpus", 'x', "N", 0, "", 0 };
	struct vb_flag json = { "--json", 0, NULL, 0, "", 0 };
	struct vb_flag debug = { "--debug", 0, NULL, 0, "", 0 };
	struct vb_flag ioport = { "--debug-ioport", 0, NULL, 0, "", 0 };
	assert_true(flag_documented(&d, opts, &cpus));
	assert_false(flag_documented(&d, opts, &cpus_wrong_short));
	assert_false(flag_documented(&d, opts, &json));   /* only mentioned */
	assert_false(flag_documented(&d, opts, &debug));  /* a prefix of another */
	assert_true(flag_documented(&d, opts, &ioport));
	assert_false(flag_documented(&d, keys, &cpus));   /* wrong section */

	static const char *const console_choices[] = { "serial", "virtio", "none", NULL };
	struct vb_key_schema k_cpus = { .name = "cpus", .type = VB_KEY_UINT, .min = 1, .max = 255 };
	struct vb_key_schema k_cpus_range = { .name = "cpus", .type = VB_KEY_UINT, .min = 1,
					      .max = 64 };
	struct vb_key_schema k_name = { .name = "name", .type = VB_KEY_NAME };
	struct vb_key_schema k_cons = { .name = "console", .type = VB_KEY_ENUM,
					.choices = console_choices };
	assert_null(key_problem(&d, keys, &k_cpus));
	assert_non_null(key_problem(&d, keys, &k_cpus_range));
	assert_non_null(key_problem(&d, keys, &k_name));
	assert_non_null(strstr(key_problem(&d, keys, &k_cons), "\"none\""));
	doc_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule),
		cmocka_unit_test(test_machine_keys),
		cmocka_unit_test(test_debug_keys),
		cmocka_unit_test(test_device_common_keys),
		cmocka_unit_test(test_device_types),
		cmocka_unit_test(test_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
