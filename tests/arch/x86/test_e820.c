#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/e820.h"
#include "util/size.h"

struct expect {
	uint64_t addr, size;
	uint32_t type;
};

#define RAM VB_E820_RAM
#define RES VB_E820_RESERVED

static void check(uint64_t ram_bytes, const struct expect *want, size_t n_want)
{
	struct vb_memmap map;
	struct vb_e820_entry e[VB_X86_E820_MAX];
	struct vb_err err = { { 0 } };
	size_t n = 99;

	vb_memmap_compute(ram_bytes, &map);
	assert_int_equal(vb_x86_e820_build(&map, e, VB_X86_E820_MAX, &n, &err), 0);
	assert_int_equal(n, n_want);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(e[i].addr, want[i].addr);
		assert_int_equal(e[i].size, want[i].size);
		assert_int_equal(e[i].type, want[i].type);
	}
	/* Nothing in the 32-bit gap is ever RAM. */
	for (size_t i = 0; i < n; i++) {
		if (e[i].type != RAM)
			continue;
		uint64_t end = e[i].addr + e[i].size;
		assert_true(end <= VB_GAP_START_BYTES || e[i].addr >= VB_GAP_END_BYTES);
	}
}

#define LOW3 { 0, 0x9FC00, RAM }, { 0x9FC00, 0x400, RES }, { 0xE0000, 0x20000, RES }

static void test_64m(void **state)
{
	(void)state;
	const struct expect want[] = { LOW3, { VB_MiB, 63 * VB_MiB, RAM } };
	check(64 * VB_MiB, want, 4);
}

static void test_3327m(void **state)
{
	(void)state;
	const struct expect want[] = { LOW3, { VB_MiB, 3326 * VB_MiB, RAM } };
	check(3327 * VB_MiB, want, 4);
}

static void test_3328m_no_gap(void **state)
{
	(void)state;
	const struct expect want[] = { LOW3, { VB_MiB, 3327 * VB_MiB, RAM } };
	check(3328 * VB_MiB, want, 4);
}

static void test_3329m_gap(void **state)
{
	(void)state;
	const struct expect want[] = { LOW3, { VB_MiB, 3327 * VB_MiB, RAM },
				       { 4 * VB_GiB, VB_MiB, RAM } };
	check(3329 * VB_MiB, want, 5);
}

static void test_4096m(void **state)
{
	(void)state;
	const struct expect want[] = { LOW3, { VB_MiB, 3327 * VB_MiB, RAM },
				       { 4 * VB_GiB, 768 * VB_MiB, RAM } };
	check(4096 * VB_MiB, want, 5);
}

static void test_16g(void **state)
{
	(void)state;
	const struct expect want[] = { LOW3, { VB_MiB, 3327 * VB_MiB, RAM },
				       { 4 * VB_GiB, 16 * VB_GiB - 3328 * VB_MiB, RAM } };
	check(16 * VB_GiB, want, 5);
}

static void test_total_ram_matches(void **state)
{
	(void)state;
	/* RAM listed = guest RAM minus the holes below 1 MiB. */
	const uint64_t sizes[] = { 64 * VB_MiB, 3329 * VB_MiB, 16 * VB_GiB };
	for (size_t s = 0; s < 3; s++) {
		struct vb_memmap map;
		struct vb_e820_entry e[VB_X86_E820_MAX];
		size_t n;
		uint64_t total = 0;

		vb_memmap_compute(sizes[s], &map);
		assert_int_equal(vb_x86_e820_build(&map, e, VB_X86_E820_MAX, &n, NULL), 0);
		for (size_t i = 0; i < n; i++)
			if (e[i].type == RAM)
				total += e[i].size;
		assert_int_equal(total, sizes[s] - (VB_MiB - 0x9FC00));
	}
}

static void test_too_small_table(void **state)
{
	(void)state;
	struct vb_memmap map;
	struct vb_e820_entry e[4];
	struct vb_err err = { { 0 } };
	size_t n = 7;

	vb_memmap_compute(16 * VB_GiB, &map);
	assert_int_equal(vb_x86_e820_build(&map, e, 4, &n, &err), -ENOSPC);
	assert_int_equal(n, 0);
	assert_non_null(strstr(err.msg, "e820"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_64m),
		cmocka_unit_test(test_3327m),
		cmocka_unit_test(test_3328m_no_gap),
		cmocka_unit_test(test_3329m_gap),
		cmocka_unit_test(test_4096m),
		cmocka_unit_test(test_16g),
		cmocka_unit_test(test_total_ram_matches),
		cmocka_unit_test(test_too_small_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
