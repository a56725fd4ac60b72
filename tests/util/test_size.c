#include <errno.h>
#include <regex.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/size.h"

static void parses(const char *text, uint64_t unit, uint64_t expected)
{
	uint64_t bytes = 0;
	const char *why = NULL;
	assert_int_equal(vb_size_parse(text, unit, &bytes, &why), 0);
	assert_true(bytes == expected);
}

static void rejects(const char *text, int expected_rc)
{
	uint64_t bytes = 0;
	const char *why = NULL;
	assert_int_equal(vb_size_parse(text, VB_MiB, &bytes, &why), expected_rc);
	assert_non_null(why);
}

static void test_suffixes(void **state)
{
	(void)state;
	parses("1536", VB_MiB, 1536 * VB_MiB);
	parses("512M", VB_MiB, 512 * VB_MiB);
	parses("1G", VB_MiB, VB_GiB);
	parses("1g", VB_MiB, VB_GiB);
	parses("2GiB", VB_MiB, 2 * VB_GiB);
	parses("3 KiB", 1, 3 * VB_KiB);
	parses("1T", VB_MiB, VB_TiB);
	parses("16", 1, 16);
	parses("4096B", VB_MiB, 4096);
}

static void test_rejects(void **state)
{
	(void)state;
	rejects("12X", -EINVAL);
	rejects("", -EINVAL);
	rejects("G", -EINVAL);
	rejects("-1G", -EINVAL);
	rejects("1.5G", -EINVAL);
	rejects("99999999999999999999", -ERANGE);
	rejects("17179869184T", -ERANGE);
}

/* Hex is a byte count whatever the default unit (kvmtool's shmem address
 * "0xc8000000"), and takes no suffix: "0x1B" would be ambiguous. */
static void test_hex(void **state)
{
	(void)state;
	parses("0xc8000000", 1, 0xc8000000ULL);
	parses("0xC8000000", VB_MiB, 0xc8000000ULL);
	parses("0X40000000", VB_MiB, VB_GiB);
	parses("0x1B", VB_MiB, 27);
	parses(" 0xff ", 1, 255);
	parses("0xffffffffffffffff", 1, UINT64_MAX);
	rejects("0x", -EINVAL);
	rejects("0x10M", -EINVAL);
	rejects("0x1 G", -EINVAL);
	rejects("0xg", -EINVAL);
	rejects("0x-1", -EINVAL);
	rejects("0x10000000000000000", -ERANGE);
	uint64_t bytes;
	const char *why = NULL;
	assert_int_equal(vb_size_parse("0x10M", 1, &bytes, &why), -EINVAL);
	assert_non_null(strstr(why, "no suffix"));
}

/* The JSON Schema pattern for sizes (vb_size_pattern) matches exactly the
 * strings the parser accepts: every suffix in every case, hex, spaces
 * where the parser allows them, and none of what it refuses. Overflow is
 * the parser's alone (a pattern does not count). */
static void test_pattern(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"1536", "512M", "1G", "1g", "2GiB", "2gib", "2GIB", "3 KiB", "1T", "4096B",
		"4096b", "1kb", "1KB", "1tb", "1 ", " 7", "  8 M", "0", "0x0", "0xc8000000",
		"0XABCdef", " 0xff ", "0x1B", "12X", "", "G", "-1G", "1.5G", "0x", "0x10M",
		"0x1 G", "0xg", "0x-1", "1G ", "1 G B", "1Ki", "1KiBB", "1MiB2", "x1", "+1",
		"1\n", "0x1\n", "1KIb", "1Gb", "1 gIB",
	};
	char pattern[512];
	assert_int_equal(vb_size_pattern(pattern, sizeof(pattern)), 0);
	regex_t re;
	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	size_t accepted = 0;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		uint64_t bytes;
		bool parses_ok = vb_size_parse(texts[i], VB_MiB, &bytes, NULL) == 0;
		bool matches = regexec(&re, texts[i], 0, NULL, 0) == 0;
		if (parses_ok != matches)
			fail_msg("\"%s\": vb_size_parse %s it, the pattern %s it (%s)", texts[i],
				 parses_ok ? "accepts" : "refuses", matches ? "matches" : "does not match",
				 pattern);
		accepted += parses_ok;
	}
	regfree(&re);
	assert_true(accepted >= 20);
	assert_int_equal(vb_size_pattern(pattern, 20), -ENOSPC);
}

static void test_format(void **state)
{
	(void)state;
	char buf[32];
	vb_size_format(1536 * VB_MiB, buf, sizeof(buf));
	assert_string_equal(buf, "1536 MiB");
	vb_size_format(4 * VB_GiB, buf, sizeof(buf));
	assert_string_equal(buf, "4 GiB");
	vb_size_format(17, buf, sizeof(buf));
	assert_string_equal(buf, "17 bytes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suffixes),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_pattern),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
