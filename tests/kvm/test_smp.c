/* Boots tests/guests/smp.bin with every vCPU runnable at the entry and
 * checks that each one printed its line exactly once; and the run loop's
 * stops: SIGINT, and its timer (the KVM-PVM quiet note, cli/pvm.h). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "kvmtest.h"
#include "../guests/guests.h"

static void run_smp(unsigned n)
{
	struct kvmtest_vm vm;
	kvmtest_vm_create(&vm, n, true, "smp.bin");
	uint16_t *ncpus = vb_gmem_ptr(&vm.mem, VB_TEST_MAILBOX_GPA + VB_TEST_MAILBOX_NCPUS,
				      sizeof(*ncpus));
	assert_non_null(ncpus);
	*ncpus = (uint16_t)n;
	kvmtest_vm_run(&vm);

	/* Lines come in any order, but each is whole (the guest's lock) and
	 * appears exactly once. */
	size_t total = 0;
	for (unsigned i = 0; i < n; i++) {
		char line[32];
		snprintf(line, sizeof(line), "cpu %u up\n", i);
		const char *at = strstr(vm.out, line);
		if (!at)
			fail_msg("missing \"cpu %u up\" in output:\n%s", i, vm.out);
		assert_null(strstr(at + 1, line));
		total += strlen(line);
	}
	assert_int_equal(strlen(vm.out), total);
	uint16_t *count = vb_gmem_ptr(&vm.mem, VB_TEST_MAILBOX_GPA + VB_TEST_MAILBOX_COUNT,
				      sizeof(*count));
	assert_int_equal(*count, n);
	kvmtest_vm_destroy(&vm);
}

static void test_smp_1(void **state)
{
	(void)state;
	run_smp(1);
}

static void test_smp_4(void **state)
{
	(void)state;
	run_smp(4);
}

static void test_sigint_stops_spinning_vcpus(void **state)
{
	(void)state;
	/* Both vCPUs: out %al, $0x80 (the handler then raises SIGINT), then
	 * jmp . forever. Only the kick can get them out of KVM_RUN. */
	static const uint8_t code[] = { 0xe6, 0x80, 0xeb, 0xfe };
	struct kvmtest_vm vm;
	kvmtest_vm_create(&vm, 2, true, NULL);
	vm.sigint_on_port80 = true;
	uint8_t *at = vb_gmem_ptr(&vm.mem, VB_TEST_GUEST_LOAD_GPA, sizeof(code));
	assert_non_null(at);
	memcpy(at, code, sizeof(code));
	struct vb_run_result res;
	struct vb_err err = { { 0 } };
	int r = kvmtest_vm_run_raw(&vm, &res, &err);
	if (r < 0)
		fail_msg("run: %s", err.msg);
	assert_int_equal(res.action, VB_VCPU_STOP);
	assert_int_equal(res.signal, SIGINT);
	assert_non_null(strstr(res.why.msg, "signal"));
	kvmtest_vm_destroy(&vm);
}

struct timer_probe {
	struct vb_vcpu_ctl *ctl;
	int calls;
};

static void stop_on_timer(void *ctx)
{
	struct timer_probe *probe = ctx;
	probe->calls++;
	vb_vcpu_ctl_stop(probe->ctl, "the timer stopped it");
}

static void test_timer_fires_once_while_the_guest_halts(void **state)
{
	(void)state;
	/* hlt; jmp back to the hlt: the vCPU sleeps in the kernel and never
	 * exits to vmboot, so only the waiting thread's timer can act. */
	static const uint8_t code[] = { 0xf4, 0xeb, 0xfd };
	struct kvmtest_vm vm;
	kvmtest_vm_create(&vm, 1, false, NULL);
	uint8_t *at = vb_gmem_ptr(&vm.mem, VB_TEST_GUEST_LOAD_GPA, sizeof(code));
	assert_non_null(at);
	memcpy(at, code, sizeof(code));
	struct vb_err err = { { 0 } };
	struct timer_probe probe = { NULL, 0 };
	assert_int_equal(vb_vcpu_ctl_create(&probe.ctl, &err), 0);
	struct vb_exit_handlers h = { .ctx = &probe, .timer = stop_on_timer, .timer_ms = 50 };
	struct vb_run_result res;
	alarm(60); /* a timer that never fires kills the test instead of hanging it */
	int r = vb_vcpu_run_all_ctl(vm.vcpus, vm.n_vcpus, &h, probe.ctl, &res, &err);
	alarm(0);
	if (r < 0)
		fail_msg("run: %s", err.msg);
	assert_int_equal(res.action, VB_VCPU_STOP);
	assert_int_equal(res.signal, 0);
	assert_string_equal(res.why.msg, "the timer stopped it");
	assert_int_equal(probe.calls, 1);
	vb_vcpu_ctl_destroy(probe.ctl);
	kvmtest_vm_destroy(&vm);
}

int main(void)
{
	kvmtest_require_kvm();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smp_1),
		cmocka_unit_test(test_smp_4),
		cmocka_unit_test(test_sigint_stops_spinning_vcpus),
		cmocka_unit_test(test_timer_fires_once_while_the_guest_halts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
