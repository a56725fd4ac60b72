/* Boots tests/guests/smp.bin with every vCPU runnable at the entry and
 * checks that each one printed its line exactly once; and the run loop's
 * stops: SIGINT, and its timer (the KVM-PVM quiet note, cli/pvm.h); and
 * the service the waiting thread runs while the guest runs (the control
 * socket: vcpu.h, vb_run_service). */
#include <pthread.h>
#include <setjmp.h>
#include <sys/eventfd.h>
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

/* hlt; jmp back to the hlt: the vCPU sleeps in the kernel and never
 * exits to vmboot, so only the thread that waits for the run can act. */
static void create_halting_vm(struct kvmtest_vm *vm)
{
	static const uint8_t code[] = { 0xf4, 0xeb, 0xfd };
	kvmtest_vm_create(vm, 1, false, NULL);
	uint8_t *at = vb_gmem_ptr(&vm->mem, VB_TEST_GUEST_LOAD_GPA, sizeof(code));
	assert_non_null(at);
	memcpy(at, code, sizeof(code));
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
	struct kvmtest_vm vm;
	create_halting_vm(&vm);
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

struct service_probe {
	struct vb_vcpu_ctl *ctl;
	int fd;
	int timeout_ms;
	int calls;
	bool readable;
	bool on_waiting_thread;
	int cancel_a, cancel_b;
	pthread_t waiter;
};

static int probe_timeout_ms(void *ctx)
{
	return ((struct service_probe *)ctx)->timeout_ms;
}

static void probe_serve(void *ctx, bool readable, int cancel_a, int cancel_b)
{
	struct service_probe *p = ctx;
	p->calls++;
	p->readable = readable;
	p->on_waiting_thread = pthread_equal(pthread_self(), p->waiter);
	p->cancel_a = cancel_a;
	p->cancel_b = cancel_b;
	vb_vcpu_ctl_stop(p->ctl, "the service stopped it");
}

/* Runs the halting guest with the probe as its service until the probe
 * stops it. */
static void run_with_service(struct service_probe *probe)
{
	struct kvmtest_vm vm;
	create_halting_vm(&vm);
	struct vb_err err = { { 0 } };
	assert_int_equal(vb_vcpu_ctl_create(&probe->ctl, &err), 0);
	probe->waiter = pthread_self();
	const struct vb_run_service svc = {
		.ctx = probe, .fd = probe->fd, .timeout_ms = probe_timeout_ms, .serve = probe_serve,
	};
	struct vb_exit_handlers h = { .ctx = probe, .service = &svc };
	struct vb_run_result res;
	alarm(60); /* a service never served kills the test instead of hanging it */
	int r = vb_vcpu_run_all_ctl(vm.vcpus, vm.n_vcpus, &h, probe->ctl, &res, &err);
	alarm(0);
	if (r < 0)
		fail_msg("run: %s", err.msg);
	assert_int_equal(res.action, VB_VCPU_STOP);
	assert_string_equal(res.why.msg, "the service stopped it");
	assert_int_equal(probe->calls, 1);
	assert_true(probe->on_waiting_thread);
	vb_vcpu_ctl_destroy(probe->ctl);
	kvmtest_vm_destroy(&vm);
}

static void test_service_served_when_its_fd_is_readable(void **state)
{
	(void)state;
	struct service_probe probe = { .fd = eventfd(1, EFD_CLOEXEC), .timeout_ms = -1 };
	assert_true(probe.fd >= 0);
	run_with_service(&probe);
	assert_true(probe.readable);
	/* The run's end and the signals: what a client's wait must end on. */
	assert_true(probe.cancel_a >= 0 && probe.cancel_b >= 0);
	assert_int_not_equal(probe.cancel_a, probe.cancel_b);
	assert_int_not_equal(probe.cancel_a, probe.fd);
	close(probe.fd);
}

static void test_service_served_when_its_timeout_runs_out(void **state)
{
	(void)state;
	struct service_probe probe = { .fd = eventfd(0, EFD_CLOEXEC), .timeout_ms = 20 };
	assert_true(probe.fd >= 0);
	run_with_service(&probe);
	assert_false(probe.readable);
	close(probe.fd);
}

int main(void)
{
	kvmtest_require_kvm();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smp_1),
		cmocka_unit_test(test_smp_4),
		cmocka_unit_test(test_sigint_stops_spinning_vcpus),
		cmocka_unit_test(test_timer_fires_once_while_the_guest_halts),
		cmocka_unit_test(test_service_served_when_its_fd_is_readable),
		cmocka_unit_test(test_service_served_when_its_timeout_runs_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
