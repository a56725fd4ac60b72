#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
