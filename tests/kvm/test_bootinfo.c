/* Boots tests/guests/bootinfo.bin after writing an e820 table into the
 * zero page, and checks that the guest read back exactly those values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/bootparam.h"
#include "arch/x86/layout.h"
#include "kvmtest.h"

static void test_bootinfo(void **state)
{
	(void)state;
	struct kvmtest_vm vm;
	kvmtest_vm_create(&vm, 1, false, "bootinfo.bin");
	/* Values with distinct bytes in both dwords, so a swapped half or a
	 * wrong offset shows. */
	static const struct vb_e820_entry table[] = {
		{ 0x0, 0x9fc00, VB_E820_RAM },
		{ 0x9fc00, 0x400, VB_E820_RESERVED },
		{ 0x100000, 0x3f00000, VB_E820_RAM },
		{ 0x123456789abcdef0ULL, 0x0fedcba987654321ULL, 0x11223344u },
	};
	struct vb_boot_params *zp = vb_gmem_ptr(&vm.mem, VB_X86_ZERO_PAGE_ADDR, sizeof(*zp));
	assert_non_null(zp);
	zp->e820_entries = 4;
	memcpy(zp->e820_table, table, sizeof(table));
	kvmtest_vm_run(&vm);
	assert_string_equal(vm.out,
			    "e820 04\n"
			    "0000000000000000 000000000009fc00 00000001\n"
			    "000000000009fc00 0000000000000400 00000002\n"
			    "0000000000100000 0000000003f00000 00000001\n"
			    "123456789abcdef0 0fedcba987654321 11223344\n");
	kvmtest_vm_destroy(&vm);
}

int main(void)
{
	kvmtest_require_kvm();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bootinfo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
