/* The JSON writer (util/json.h): escaping, each class of ill-formed UTF-8,
 * nesting and commas in every layout, numbers at their limits, misuse.
 *
 * test_json --emit [COMPACT|LINES|PRETTY] prints a document with every
 * string class below for tests/util/test_json.sh, which parses it with
 * Python's json module and compares each string with Python's own UTF-8
 * decoding of the input bytes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/json.h"

/* The strings a writer must get right: each valid form, and each kind of
 * ill-formed UTF-8 with the escaped text the Unicode Standard's maximal
 * subpart rule gives (one \ufffd per subpart). */
struct string_case {
	const char *what;
	const char *bytes;
	size_t len;
	const char *json;
};

#define CASE(what, bytes, json) { what, bytes, sizeof(bytes) - 1, json }

static const struct string_case cases[] = {
	CASE("empty", "", "\"\""),
	CASE("ascii", "web/root.img", "\"web/root.img\""),
	CASE("quote and backslash", "a\"b\\c", "\"a\\\"b\\\\c\""),
	CASE("controls", "\n\t\x01\x1f", "\"\\u000a\\u0009\\u0001\\u001f\""),
	CASE("NUL inside", "a\0b", "\"a\\u0000b\""),
	CASE("DEL is not a control to JSON", "\x7f", "\"\x7f\""),
	CASE("two-byte", "caf\xc3\xa9", "\"caf\xc3\xa9\""),
	CASE("three-byte", "\xe2\x82\xac", "\"\xe2\x82\xac\""),
	CASE("four-byte, highest", "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""),
	CASE("last before surrogates", "\xed\x9f\xbf", "\"\xed\x9f\xbf\""),
	CASE("first after surrogates", "\xee\x80\x80", "\"\xee\x80\x80\""),
	CASE("lone continuation byte", "a\x80z", "\"a\\ufffdz\""),
	CASE("0xff", "\xff", "\"\\ufffd\""),
	CASE("0xfe and 0xf5", "\xfe\xf5", "\"\\ufffd\\ufffd\""),
	CASE("overlong '/' (C0 AF)", "\xc0\xaf", "\"\\ufffd\\ufffd\""),
	CASE("overlong three-byte (E0 80 AF)", "\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\""),
	CASE("overlong four-byte (F0 80 80 AF)", "\xf0\x80\x80\xaf",
	     "\"\\ufffd\\ufffd\\ufffd\\ufffd\""),
	CASE("surrogate U+D800 (ED A0 80)", "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""),
	CASE("surrogate U+DFFF (ED BF BF)", "\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\""),
	CASE("past U+10FFFF (F4 90 80 80)", "\xf4\x90\x80\x80",
	     "\"\\ufffd\\ufffd\\ufffd\\ufffd\""),
	CASE("truncated two-byte at the end", "a\xc3", "\"a\\ufffd\""),
	CASE("truncated three-byte before ASCII", "\xe2\x82z", "\"\\ufffdz\""),
	CASE("truncated four-byte before a valid one", "\xf0\x9f\x98\xc3\xa9",
	     "\"\\ufffd\xc3\xa9\""),
	CASE("lead byte then a lead byte", "\xe2\xe2\x82\xac", "\"\\ufffd\xe2\x82\xac\""),
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static char *write_string(const char *s, size_t len)
{
	struct vb_json w;
	vb_json_init_buffer(&w, VB_JSON_COMPACT);
	vb_json_string_len(&w, s, len);
	assert_int_equal(vb_json_finish(&w), 0);
	return w.buf;
}

static void test_strings(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_CASES; i++) {
		char *got = write_string(cases[i].bytes, cases[i].len);
		char want[128];
		snprintf(want, sizeof(want), "%s\n", cases[i].json);
		if (strcmp(got, want))
			fail_msg("%s: got %s, want %s", cases[i].what, got, want);
		free(got);
	}
}

/* Whatever the bytes, the output is well-formed UTF-8 with no raw
 * control character: every two-byte string, and runs of random bytes. */
static bool well_formed_utf8(const unsigned char *s)
{
	while (*s) {
		unsigned char c = *s;
		size_t more = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2
				     : c >= 0xf0 && c <= 0xf4 ? 3 : 9;
		if (more == 9 || c < 0x20)
			return c == '\n' && !s[1]; /* the final newline */
		uint32_t cp = more == 0 ? c : c & (0x3f >> more);
		for (size_t i = 1; i <= more; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		static const uint32_t min[] = { 0, 0x80, 0x800, 0x10000 };
		if (cp < min[more] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		s += more + 1;
	}
	return true;
}

static void test_any_bytes_give_utf8(void **state)
{
	(void)state;
	char two[2];
	for (unsigned a = 0; a < 256; a++) {
		for (unsigned b = 0; b < 256; b++) {
			two[0] = (char)a;
			two[1] = (char)b;
			char *got = write_string(two, 2);
			if (!well_formed_utf8((const unsigned char *)got))
				fail_msg("bytes %02x %02x gave ill-formed output %s", a, b, got);
			free(got);
		}
	}
	unsigned seed = 1;
	char bytes[64];
	for (int round = 0; round < 20000; round++) {
		for (size_t i = 0; i < sizeof(bytes); i++) {
			seed = seed * 1103515245u + 12345u;
			bytes[i] = (char)(seed >> 16);
		}
		char *got = write_string(bytes, sizeof(bytes));
		assert_true(well_formed_utf8((const unsigned char *)got));
		free(got);
	}
}

/* The same document in each layout. */
static void write_sample(struct vb_json *w)
{
	vb_json_begin_object(w);
	vb_json_key_string(w, "name", "web");
	vb_json_key(w, "list");
	vb_json_begin_array(w);
	vb_json_u64(w, 1);
	vb_json_begin_object(w);
	vb_json_key_bool(w, "a", true);
	vb_json_key_null(w, "b");
	vb_json_end_object(w);
	vb_json_begin_array(w);
	vb_json_end_array(w);
	vb_json_end_array(w);
	vb_json_key(w, "empty");
	vb_json_begin_object(w);
	vb_json_end_object(w);
	vb_json_end_object(w);
}

static void expect_layout(unsigned indent_levels, const char *want)
{
	struct vb_json w;
	vb_json_init_buffer(&w, indent_levels);
	write_sample(&w);
	assert_int_equal(vb_json_finish(&w), 0);
	assert_string_equal(w.buf, want);
	vb_json_free(&w);
}

static void test_layouts(void **state)
{
	(void)state;
	expect_layout(VB_JSON_COMPACT,
		      "{\"name\":\"web\",\"list\":[1,{\"a\":true,\"b\":null},[]],\"empty\":{}}\n");
	expect_layout(1, "{\n"
			 "  \"name\": \"web\",\n"
			 "  \"list\": [1, {\"a\": true, \"b\": null}, []],\n"
			 "  \"empty\": {}\n"
			 "}\n");
	expect_layout(VB_JSON_PRETTY, "{\n"
				      "  \"name\": \"web\",\n"
				      "  \"list\": [\n"
				      "    1,\n"
				      "    {\n"
				      "      \"a\": true,\n"
				      "      \"b\": null\n"
				      "    },\n"
				      "    []\n"
				      "  ],\n"
				      "  \"empty\": {}\n"
				      "}\n");
}

/* vmboot list's form: one element of the top-level array per line. */
static void test_list_layout(void **state)
{
	(void)state;
	struct vb_json w;
	vb_json_init_buffer(&w, 1);
	vb_json_begin_array(&w);
	for (int i = 0; i < 2; i++) {
		vb_json_begin_object(&w);
		vb_json_key_string(&w, "name", i ? "b" : "a");
		vb_json_key_u64(&w, "pid", 10 + (uint64_t)i);
		vb_json_end_object(&w);
	}
	vb_json_end_array(&w);
	assert_int_equal(vb_json_finish(&w), 0);
	assert_string_equal(w.buf, "[\n  {\"name\": \"a\", \"pid\": 10},\n  {\"name\": \"b\", \"pid\": 11}\n]\n");
	vb_json_free(&w);

	vb_json_init_buffer(&w, 1);
	vb_json_begin_array(&w);
	vb_json_end_array(&w);
	assert_int_equal(vb_json_finish(&w), 0);
	assert_string_equal(w.buf, "[]\n");
	vb_json_free(&w);
}

static void test_numbers(void **state)
{
	(void)state;
	struct vb_json w;
	vb_json_init_buffer(&w, VB_JSON_COMPACT);
	vb_json_begin_array(&w);
	vb_json_u64(&w, 0);
	vb_json_u64(&w, UINT64_MAX);
	vb_json_i64(&w, INT64_MIN);
	vb_json_i64(&w, INT64_MAX);
	vb_json_i64(&w, -1);
	vb_json_bool(&w, false);
	vb_json_end_array(&w);
	assert_int_equal(vb_json_finish(&w), 0);
	assert_string_equal(w.buf, "[0,18446744073709551615,-9223372036854775808,"
				   "9223372036854775807,-1,false]\n");
	vb_json_free(&w);
}

/* Deep nesting up to the limit; one more level is an error. */
static void test_depth(void **state)
{
	(void)state;
	struct vb_json w;
	vb_json_init_buffer(&w, VB_JSON_COMPACT);
	for (int i = 0; i < VB_JSON_MAX_DEPTH; i++)
		vb_json_begin_array(&w);
	for (int i = 0; i < VB_JSON_MAX_DEPTH; i++)
		vb_json_end_array(&w);
	assert_int_equal(vb_json_finish(&w), 0);
	assert_int_equal(strlen(w.buf), 2 * VB_JSON_MAX_DEPTH + 1);
	vb_json_free(&w);

	vb_json_init_buffer(&w, VB_JSON_COMPACT);
	for (int i = 0; i <= VB_JSON_MAX_DEPTH; i++)
		vb_json_begin_array(&w);
	assert_int_equal(vb_json_finish(&w), -EINVAL);
	vb_json_free(&w);
}

/* Each misuse sets -EINVAL and stops the output where it was. */
static void expect_misuse(void (*misuse)(struct vb_json *), const char *written)
{
	struct vb_json w;
	vb_json_init_buffer(&w, VB_JSON_COMPACT);
	misuse(&w);
	assert_int_equal(w.error, -EINVAL);
	assert_string_equal(w.buf ? w.buf : "", written);
	vb_json_u64(&w, 1); /* ignored once failed */
	assert_int_equal(vb_json_finish(&w), -EINVAL);
	assert_string_equal(w.buf ? w.buf : "", written);
	vb_json_free(&w);
}

static void value_without_key(struct vb_json *w)
{
	vb_json_begin_object(w);
	vb_json_u64(w, 1);
}

static void key_in_array(struct vb_json *w)
{
	vb_json_begin_array(w);
	vb_json_key(w, "a");
}

static void key_after_key(struct vb_json *w)
{
	vb_json_begin_object(w);
	vb_json_key(w, "a");
	vb_json_key(w, "b");
}

static void end_after_key(struct vb_json *w)
{
	vb_json_begin_object(w);
	vb_json_key(w, "a");
	vb_json_end_object(w);
}

static void wrong_end(struct vb_json *w)
{
	vb_json_begin_array(w);
	vb_json_end_object(w);
}

static void end_at_top(struct vb_json *w)
{
	vb_json_end_array(w);
}

static void two_documents(struct vb_json *w)
{
	vb_json_u64(w, 1);
	vb_json_u64(w, 2);
}

static void key_at_top(struct vb_json *w)
{
	vb_json_key(w, "a");
}

static void test_misuse(void **state)
{
	(void)state;
	expect_misuse(value_without_key, "{");
	expect_misuse(key_in_array, "[");
	expect_misuse(key_after_key, "{\"a\":");
	expect_misuse(end_after_key, "{\"a\":");
	expect_misuse(wrong_end, "[");
	expect_misuse(end_at_top, "");
	expect_misuse(two_documents, "1");
	expect_misuse(key_at_top, "");

	struct vb_json w;
	vb_json_init_buffer(&w, VB_JSON_COMPACT);
	assert_int_equal(vb_json_finish(&w), -EINVAL); /* nothing written */
	vb_json_free(&w);
	vb_json_init_buffer(&w, VB_JSON_COMPACT);
	vb_json_begin_object(&w);
	assert_int_equal(vb_json_finish(&w), -EINVAL); /* left open */
	vb_json_free(&w);
}

/* A stream that fails: the error is reported, not lost. */
static void test_stream_error(void **state)
{
	(void)state;
	FILE *full = fopen("/dev/full", "w");
	if (!full)
		skip();
	struct vb_json w;
	vb_json_init_file(&w, full, VB_JSON_COMPACT);
	vb_json_string(&w, "data");
	assert_int_equal(vb_json_finish(&w), -EIO);
	fclose(full);

	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	assert_non_null(mem);
	vb_json_init_file(&w, mem, VB_JSON_COMPACT);
	vb_json_string(&w, NULL);
	assert_int_equal(vb_json_finish(&w), 0);
	fclose(mem);
	assert_string_equal(text, "null\n");
	free(text);
}

static void hex(const char *bytes, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", (unsigned char)bytes[i]);
	out[2 * len] = 0;
}

/* For test_json.sh: every case as {"what", "hex" (the input bytes),
 * "value" (as written)}, keys too, numbers at their limits, nesting. */
static int emit(const char *layout)
{
	unsigned levels = !strcmp(layout, "PRETTY") ? VB_JSON_PRETTY
			  : !strcmp(layout, "LINES") ? 1
						     : VB_JSON_COMPACT;
	struct vb_json w;
	vb_json_init_file(&w, stdout, levels);
	vb_json_begin_object(&w);
	vb_json_key(&w, "cases");
	vb_json_begin_array(&w);
	for (size_t i = 0; i < N_CASES; i++) {
		char h[64];
		hex(cases[i].bytes, cases[i].len, h);
		vb_json_begin_object(&w);
		vb_json_key_string(&w, "what", cases[i].what);
		vb_json_key_string(&w, "hex", h);
		vb_json_key(&w, "value");
		vb_json_string_len(&w, cases[i].bytes, cases[i].len);
		vb_json_end_object(&w);
	}
	vb_json_end_array(&w);
	vb_json_key(&w, "key \xff\"\n");
	vb_json_begin_array(&w);
	vb_json_u64(&w, UINT64_MAX);
	vb_json_i64(&w, INT64_MIN);
	for (int i = 0; i < 5; i++)
		vb_json_begin_array(&w);
	vb_json_begin_object(&w);
	vb_json_end_object(&w);
	for (int i = 0; i < 5; i++)
		vb_json_end_array(&w);
	vb_json_end_array(&w);
	vb_json_end_object(&w);
	return vb_json_finish(&w) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--emit"))
		return emit(argc >= 3 ? argv[2] : "COMPACT");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_any_bytes_give_utf8),
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_list_layout),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_stream_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
