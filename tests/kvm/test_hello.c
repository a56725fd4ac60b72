/* Boots tests/guests/hello.bin on real KVM and checks what it printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kvmtest.h"

static void test_hello(void **state)
{
	(void)state;
	struct kvmtest_vm vm;
	kvmtest_vm_create(&vm, 1, false, "hello.bin");
	kvmtest_vm_run(&vm);
	assert_string_equal(vm.out, "hello from guest\n");
	kvmtest_vm_destroy(&vm);
}

int main(void)
{
	kvmtest_require_kvm();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
