/* The GCC-style diagnostics printer (util/diag.h): the source line and
 * caret under each located diagnostic, `~` under a recorded extent, tabs
 * expanded so the caret stays under its character, UTF-8 characters as
 * one column, a column past the end of its line, locations with no file,
 * no line or a file whose text was not kept, colour and journald
 * priorities; and when colour is wanted (--color, NO_COLOR, TERM=dumb, a
 * terminal or not, the journal). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/diag.h"

static const struct vb_diag_style plain = { .excerpt = true };

/* Renders d with style; returns the text (malloc'd). */
static char *render(const struct vb_diags *d, const struct vb_diag_style *style)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	assert_non_null(out);
	vb_diags_render(d, style, out);
	assert_int_equal(fclose(out), 0);
	return text;
}

static void expect_render(const struct vb_diags *d, const struct vb_diag_style *style,
			  const char *want)
{
	char *got = render(d, style);
	if (strcmp(got, want))
		print_message("got:\n%s\nwant:\n%s\n", got, want);
	assert_string_equal(got, want);
	free(got);
}

static void add_text(struct vb_diags *d, const char *name, const char *text)
{
	assert_int_equal(vb_diags_add_source(d, name, text, strlen(text)), 0);
}

static struct vb_loc at(const char *file, int line, int col)
{
	return (struct vb_loc){ file, line, col };
}

static void test_caret_and_extent(void **state)
{
	(void)state;
	struct vb_diags d;
	vb_diags_init(&d);
	add_text(&d, "web.conf", "name = \"web\";\ncpus = 0;\r\nconsole = \"serail\";\n");
	vb_diags_add_span(&d, "web.conf", 3, 11, 19);
	vb_diag_error(&d, at("web.conf", 2, 8), "cpus: must be between 1 and 254, got 0");
	vb_diag_warning(&d, at("web.conf", 3, 11), "console: unknown value");
	expect_render(&d, &plain,
		      "web.conf:2:8: error: cpus: must be between 1 and 254, got 0\n"
		      "    2 | cpus = 0;\n"
		      "      |        ^\n"
		      "web.conf:3:11: warning: console: unknown value\n"
		      "    3 | console = \"serail\";\n"
		      "      |           ^~~~~~~~\n");
	vb_diags_free(&d);
}

/* A tab moves to the next multiple of 8; the caret follows. */
static void test_tabs(void **state)
{
	(void)state;
	struct vb_diags d;
	vb_diags_init(&d);
	/* Characters: tab(1) c p u s(2-5) space(6) =(7) tab(8) 0(9) ;(10) */
	add_text(&d, "t.conf", "\tcpus =\t0;\n");
	vb_diag_error(&d, at("t.conf", 1, 9), "bad");
	/* A tab inside an extent is all `~`. */
	vb_diags_add_span(&d, "t.conf", 1, 7, 10);
	vb_diag_error(&d, at("t.conf", 1, 7), "bad too");
	expect_render(&d, &plain,
		      "t.conf:1:9: error: bad\n"
		      "    1 |         cpus =  0;\n"
		      "      |                 ^\n"
		      "t.conf:1:7: error: bad too\n"
		      "    1 |         cpus =  0;\n"
		      "      |              ^~~~\n");
	vb_diags_free(&d);
}

/* Columns count characters: "é" is two bytes and one column. */
static void test_utf8(void **state)
{
	(void)state;
	struct vb_diags d;
	vb_diags_init(&d);
	add_text(&d, "u.yaml", "n\xc3\xa9: 1x\n");
	vb_diags_add_span(&d, "u.yaml", 1, 5, 7);
	vb_diag_error(&d, at("u.yaml", 1, 5), "not a number");
	expect_render(&d, &plain,
		      "u.yaml:1:5: error: not a number\n"
		      "    1 | n\xc3\xa9: 1x\n"
		      "      |     ^~\n");
	vb_diags_free(&d);
}

/* A column past the end of its line (the end of the file): just after it;
 * control characters print as spaces. */
static void test_past_end_of_line(void **state)
{
	(void)state;
	struct vb_diags d;
	vb_diags_init(&d);
	add_text(&d, "e.conf", "cpus = \x1b[2J");
	vb_diag_error(&d, at("e.conf", 1, 40), "syntax error: expected ';' before the end of the file");
	expect_render(&d, &plain,
		      "e.conf:1:40: error: syntax error: expected ';' before the end of the file\n"
		      "    1 | cpus =  [2J\n"
		      "      |            ^\n");
	vb_diags_free(&d);
}

/* Only the first line: no file, a file whose text was not kept (a flag),
 * no line, a line past the end of the text; a line without a column has
 * no caret. */
static void test_no_excerpt(void **state)
{
	(void)state;
	struct vb_diags d;
	vb_diags_init(&d);
	add_text(&d, "f.yaml", "a: 1\nb: 2\n");
	vb_diag_error(&d, at(NULL, 0, 0), "no file");
	vb_diag_error(&d, at("--cpus", 0, 0), "a flag");
	vb_diag_error(&d, at("other.conf", 3, 1), "not kept");
	vb_diag_error(&d, at("f.yaml", 0, 0), "whole file");
	vb_diag_error(&d, at("f.yaml", 3, 1), "after the last line");
	vb_diag_warning(&d, at("f.yaml", 2, 0), "no column");
	expect_render(&d, &plain,
		      "vmboot: error: no file\n"
		      "--cpus: error: a flag\n"
		      "other.conf:3:1: error: not kept\n"
		      "f.yaml: error: whole file\n"
		      "f.yaml:3:1: error: after the last line\n"
		      "f.yaml:2: warning: no column\n"
		      "    2 | b: 2\n");
	vb_diags_free(&d);
}

/* The first record for a position wins: a YAML block mapping starts where
 * its first key does, and a problem with the mapping gets a caret only. */
static void test_first_span_wins(void **state)
{
	(void)state;
	struct vb_diags d;
	vb_diags_init(&d);
	add_text(&d, "m.yaml", "- type: net\n");
	vb_diags_add_span(&d, "m.yaml", 1, 3, 0);
	vb_diags_add_span(&d, "m.yaml", 1, 3, 7);
	vb_diags_add_span(&d, "m.yaml", 1, 9, 12);
	vb_diag_error(&d, at("m.yaml", 1, 3), "a tap network needs a tap interface name");
	vb_diag_error(&d, at("m.yaml", 1, 9), "value");
	expect_render(&d, &plain,
		      "m.yaml:1:3: error: a tap network needs a tap interface name\n"
		      "    1 | - type: net\n"
		      "      |   ^\n"
		      "m.yaml:1:9: error: value\n"
		      "    1 | - type: net\n"
		      "      |         ^~~\n");
	vb_diags_free(&d);
}

/* Spans recorded out of order are still found. */
static void test_spans_out_of_order(void **state)
{
	(void)state;
	struct vb_diags d;
	vb_diags_init(&d);
	add_text(&d, "o.conf", "a = 1;\nbb = 22;\n");
	vb_diags_add_span(&d, "o.conf", 2, 6, 8);
	vb_diags_add_span(&d, "o.conf", 1, 5, 6);
	vb_diags_add_span(&d, "o.conf", 2, 1, 3);
	vb_diag_error(&d, at("o.conf", 2, 1), "key");
	vb_diag_error(&d, at("o.conf", 2, 6), "value");
	vb_diags_sort(&d);
	expect_render(&d, &plain,
		      "o.conf:2:1: error: key\n"
		      "    2 | bb = 22;\n"
		      "      | ^~\n"
		      "o.conf:2:6: error: value\n"
		      "    2 | bb = 22;\n"
		      "      |      ^~\n");
	vb_diags_free(&d);
}

static void test_color(void **state)
{
	(void)state;
	struct vb_diags d;
	vb_diags_init(&d);
	add_text(&d, "c.conf", "cpus = 0;\n");
	vb_diags_add_span(&d, "c.conf", 1, 1, 5);
	vb_diag_error(&d, at("c.conf", 1, 8), "e");
	vb_diag_warning(&d, at("c.conf", 1, 1), "w");
	const struct vb_diag_style color = { .color = true, .excerpt = true };
	expect_render(&d, &color,
		      "\033[01m\033[Kc.conf:1:8:\033[m\033[K \033[01;31m\033[Kerror: \033[m\033[Ke\n"
		      "    1 | cpus = 0;\n"
		      "      |        \033[01;32m\033[K^\033[m\033[K\n"
		      "\033[01m\033[Kc.conf:1:1:\033[m\033[K \033[01;35m\033[Kwarning: \033[m\033[Kw\n"
		      "    1 | cpus = 0;\n"
		      "      | \033[01;32m\033[K^~~~\033[m\033[K\n");
	vb_diags_free(&d);
}

/* journald: the priority on every line, errors 3, warnings 4. */
static void test_priority(void **state)
{
	(void)state;
	struct vb_diags d;
	vb_diags_init(&d);
	add_text(&d, "p.conf", "cpus = 0;\n");
	vb_diag_error(&d, at("p.conf", 1, 8), "e");
	vb_diag_warning(&d, at("p.conf", 0, 0), "w");
	d.out_of_memory = true;
	const struct vb_diag_style journal = { .priority = true };
	expect_render(&d, &journal,
		      "<3>p.conf:1:8: error: e\n"
		      "<4>p.conf: warning: w\n"
		      "<3>vmboot: error: out of memory: some diagnostics were lost\n");
	const struct vb_diag_style both = { .priority = true, .excerpt = true };
	d.out_of_memory = false;
	expect_render(&d, &both,
		      "<3>p.conf:1:8: error: e\n"
		      "<3>    1 | cpus = 0;\n"
		      "<3>      |        ^\n"
		      "<4>p.conf: warning: w\n");
	vb_diags_free(&d);
}

/* vb_diags_print: the excerpt, no colour, no priorities. */
static void test_print(void **state)
{
	(void)state;
	struct vb_diags d;
	vb_diags_init(&d);
	add_text(&d, "q.yaml", "cpus: 0\n");
	vb_diag_error(&d, at("q.yaml", 1, 7), "e");
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	assert_non_null(out);
	vb_diags_print(&d, out);
	fclose(out);
	assert_string_equal(text, "q.yaml:1:7: error: e\n    1 | cpus: 0\n      |       ^\n");
	free(text);
	vb_diags_free(&d);
}

/* ---- when colour is wanted ---- */

static int open_pty_slave(int *master)
{
	*master = posix_openpt(O_RDWR | O_NOCTTY);
	if (*master < 0 || grantpt(*master) || unlockpt(*master))
		return -1;
	return open(ptsname(*master), O_RDWR | O_NOCTTY);
}

static void test_color_wanted(void **state)
{
	(void)state;
	char path[] = "/tmp/vb-color-XXXXXX";
	int file = mkstemp(path);
	assert_true(file >= 0);
	unlink(path);
	unsetenv("JOURNAL_STREAM");
	unsetenv("NO_COLOR");
	setenv("TERM", "xterm", 1);

	assert_false(vb_diag_color_wanted(VB_COLOR_NEVER, file));
	assert_true(vb_diag_color_wanted(VB_COLOR_ALWAYS, file));
	assert_false(vb_diag_color_wanted(VB_COLOR_AUTO, file)); /* not a terminal */
	setenv("NO_COLOR", "1", 1);
	assert_true(vb_diag_color_wanted(VB_COLOR_ALWAYS, file)); /* the flag wins */
	unsetenv("NO_COLOR");

	int master, tty = open_pty_slave(&master);
	if (tty < 0) {
		print_message("SKIP part: no pty: %s\n", strerror(errno));
	} else {
		assert_true(vb_diag_color_wanted(VB_COLOR_AUTO, tty));
		setenv("NO_COLOR", "", 1); /* empty: does not disable */
		assert_true(vb_diag_color_wanted(VB_COLOR_AUTO, tty));
		setenv("NO_COLOR", "1", 1);
		assert_false(vb_diag_color_wanted(VB_COLOR_AUTO, tty));
		unsetenv("NO_COLOR");
		setenv("TERM", "dumb", 1);
		assert_false(vb_diag_color_wanted(VB_COLOR_AUTO, tty));
		setenv("TERM", "xterm", 1);
		assert_false(vb_diag_color_wanted(VB_COLOR_NEVER, tty));
		close(tty);
		close(master);
	}

	/* The journal: never, not even with --color=always. */
	struct stat st;
	assert_int_equal(fstat(file, &st), 0);
	char value[64];
	snprintf(value, sizeof(value), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", value, 1);
	assert_false(vb_diag_color_wanted(VB_COLOR_ALWAYS, file));
	unsetenv("JOURNAL_STREAM");
	close(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caret_and_extent),
		cmocka_unit_test(test_tabs),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_past_end_of_line),
		cmocka_unit_test(test_no_excerpt),
		cmocka_unit_test(test_first_span_wins),
		cmocka_unit_test(test_spans_out_of_order),
		cmocka_unit_test(test_color),
		cmocka_unit_test(test_priority),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_color_wanted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
