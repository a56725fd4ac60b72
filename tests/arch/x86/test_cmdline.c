#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/cmdline.h"

/* The MP-table platform (acpi = false); test_acpi_platform has the other. */
#define BASE VB_X86_CMDLINE_BASE VB_X86_CMDLINE_NO_ACPI

static void test_serial(void **state)
{
	(void)state;
	char buf[VB_X86_CMDLINE_MAX];
	struct vb_err err = { { 0 } };

	assert_int_equal(vb_x86_cmdline_build(VB_CONSOLE_SERIAL, false, "root=/dev/vda rw",
					      VB_X86_CMDLINE_MAX_LEN, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, BASE " console=ttyS0 root=/dev/vda rw");
}

static void test_virtio(void **state)
{
	(void)state;
	char buf[VB_X86_CMDLINE_MAX];

	assert_int_equal(vb_x86_cmdline_build(VB_CONSOLE_VIRTIO, false, "quiet",
					      VB_X86_CMDLINE_MAX_LEN, buf, sizeof(buf), NULL), 0);
	assert_string_equal(buf, BASE " console=hvc0 quiet");
}

static void test_none_and_no_params(void **state)
{
	(void)state;
	char buf[VB_X86_CMDLINE_MAX];

	assert_int_equal(vb_x86_cmdline_build(VB_CONSOLE_NONE, false, NULL,
					      VB_X86_CMDLINE_MAX_LEN, buf, sizeof(buf), NULL), 0);
	assert_string_equal(buf, BASE);
	assert_null(strstr(buf, "console="));
	assert_int_equal(vb_x86_cmdline_build(VB_CONSOLE_NONE, false, "",
					      VB_X86_CMDLINE_MAX_LEN, buf, sizeof(buf), NULL), 0);
	assert_string_equal(buf, BASE);
}

static void test_user_params_come_last(void **state)
{
	(void)state;
	char buf[VB_X86_CMDLINE_MAX];

	/* The user's panic= must follow ours so it wins. */
	assert_int_equal(vb_x86_cmdline_build(VB_CONSOLE_SERIAL, false, "panic=0",
					      VB_X86_CMDLINE_MAX_LEN, buf, sizeof(buf), NULL), 0);
	assert_true(strstr(buf, "panic=0") > strstr(buf, "panic=1"));
}

/* With ACPI tables the kernel needs neither acpi=off nor a PCI bus limit:
 * the host bridge's _CRS names bus 0 alone. */
static void test_acpi_platform(void **state)
{
	(void)state;
	char buf[VB_X86_CMDLINE_MAX];

	assert_int_equal(vb_x86_cmdline_build(VB_CONSOLE_SERIAL, true, "quiet",
					      VB_X86_CMDLINE_MAX_LEN, buf, sizeof(buf), NULL), 0);
	assert_string_equal(buf, VB_X86_CMDLINE_BASE " console=ttyS0 quiet");
	assert_null(strstr(buf, "acpi=off"));
	assert_null(strstr(buf, "pci=lastbus"));
}

static void test_limit_constant(void **state)
{
	(void)state;
	assert_int_equal(VB_X86_CMDLINE_MAX, 2048);
	assert_int_equal(VB_X86_CMDLINE_MAX_LEN, 2047);
}

/* params that make the whole line exactly want_len long */
static void fill_params(char *params, size_t want_len, size_t fixed)
{
	size_t n = want_len - fixed - 1; /* one space before params */
	memset(params, 'x', n);
	params[n] = '\0';
}

static void test_length_boundary(void **state)
{
	(void)state;
	static char params[4096], buf[4096];
	struct vb_err err = { { 0 } };
	size_t fixed = strlen(BASE " console=ttyS0");

	fill_params(params, VB_X86_CMDLINE_MAX_LEN, fixed);
	assert_int_equal(vb_x86_cmdline_build(VB_CONSOLE_SERIAL, false, params,
					      VB_X86_CMDLINE_MAX_LEN, buf, sizeof(buf), &err), 0);
	assert_int_equal(strlen(buf), VB_X86_CMDLINE_MAX_LEN);

	fill_params(params, VB_X86_CMDLINE_MAX_LEN + 1, fixed);
	assert_int_equal(vb_x86_cmdline_build(VB_CONSOLE_SERIAL, false, params,
					      VB_X86_CMDLINE_MAX_LEN, buf, sizeof(buf), &err),
			 -E2BIG);
	assert_non_null(strstr(err.msg, "2048 bytes, the kernel accepts at most 2047"));
}

static void test_kernel_limit(void **state)
{
	(void)state;
	char buf[VB_X86_CMDLINE_MAX];
	struct vb_err err = { { 0 } };

	/* A kernel reporting a small cmdline_size rejects what 2047 allows. */
	assert_int_equal(vb_x86_cmdline_build(VB_CONSOLE_SERIAL, false, "a", 32, buf, sizeof(buf),
					      &err), -E2BIG);
	assert_non_null(strstr(err.msg, "at most 32"));
}

static void test_small_buffer(void **state)
{
	(void)state;
	char buf[16];
	struct vb_err err = { { 0 } };

	assert_int_equal(vb_x86_cmdline_build(VB_CONSOLE_SERIAL, false, NULL, VB_X86_CMDLINE_MAX_LEN,
					      buf, sizeof(buf), &err), -ENOSPC);
}

static void test_bad_console(void **state)
{
	(void)state;
	char buf[VB_X86_CMDLINE_MAX];
	struct vb_err err = { { 0 } };

	assert_int_equal(vb_x86_cmdline_build((enum vb_console_kind)42, false, NULL, VB_X86_CMDLINE_MAX_LEN,
					      buf, sizeof(buf), &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_virtio),
		cmocka_unit_test(test_none_and_no_params),
		cmocka_unit_test(test_user_params_come_last),
		cmocka_unit_test(test_acpi_platform),
		cmocka_unit_test(test_limit_constant),
		cmocka_unit_test(test_length_boundary),
		cmocka_unit_test(test_kernel_limit),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_bad_console),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
