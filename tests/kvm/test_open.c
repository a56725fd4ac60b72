/* vb_kvm_open's errors and KVM-PVM detection; runs without /dev/kvm by
 * pointing the device path and the sysfs root elsewhere. */
#include <errno.h>
#include <limits.h>
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

#include "machine/kvm.h"

static void test_missing_device(void **state)
{
	(void)state;
	struct vb_kvm kvm;
	struct vb_err err = { { 0 } };
	assert_int_equal(vb_kvm_open(&kvm, "/nonexistent/kvm", NULL, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/kvm: No such file or directory"));
	assert_non_null(strstr(err.msg, "is the kvm module loaded"));
	assert_int_equal(kvm.dev_fd, -1);
	vb_kvm_close(&kvm); /* harmless after a failed open */
}

static void test_not_a_kvm_device(void **state)
{
	(void)state;
	struct vb_kvm kvm;
	struct vb_err err = { { 0 } };
	/* /dev/null opens but answers KVM_GET_API_VERSION with ENOTTY; the
	 * fd must be closed again. */
	assert_int_equal(vb_kvm_open(&kvm, "/dev/null", NULL, &err), -ENOTTY);
	assert_non_null(strstr(err.msg, "/dev/null: KVM_GET_API_VERSION"));
	assert_int_equal(kvm.dev_fd, -1);
	assert_int_equal(kvm.vm_fd, -1);
}

static void test_detect_pvm(void **state)
{
	(void)state;
	char root[] = "/tmp/vb-sysfs-XXXXXX";
	assert_non_null(mkdtemp(root));
	assert_false(vb_kvm_detect_pvm(root));
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/module", root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/module/kvm_pvm", root);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_true(vb_kvm_detect_pvm(root));
	rmdir(path);
	snprintf(path, sizeof(path), "%s/module", root);
	rmdir(path);
	rmdir(root);
}

static void test_check_vcpus(void **state)
{
	(void)state;
	struct vb_kvm kvm = { .dev_fd = -1, .vm_fd = -1, .max_vcpus = 8 };
	struct vb_err err;
	assert_int_equal(vb_kvm_check_vcpus(&kvm, 8, &err), 0);
	assert_int_equal(vb_kvm_check_vcpus(&kvm, 9, &err), -EINVAL);
	assert_string_equal(err.msg, "cpus: 9 exceeds this host's KVM limit of 8 vCPUs");
	assert_int_equal(vb_kvm_check_vcpus(&kvm, 0, &err), -EINVAL);
}

static void test_irq_without_vm(void **state)
{
	(void)state;
	struct vb_kvm kvm = { .dev_fd = -1, .vm_fd = -1 };
	assert_int_equal(vb_kvm_irq_set_level(&kvm, 4, 1), -ENODEV);
	assert_int_equal(vb_kvm_irq_set_level(NULL, 4, 1), -ENODEV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_device),
		cmocka_unit_test(test_not_a_kvm_device),
		cmocka_unit_test(test_detect_pvm),
		cmocka_unit_test(test_check_vcpus),
		cmocka_unit_test(test_irq_without_vm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
