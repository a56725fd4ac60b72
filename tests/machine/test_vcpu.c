/* The exit decoder and dispatcher on synthetic kvm_run buffers, and the
 * run loop's failure path; no /dev/kvm needed. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "machine/vcpu.h"

/* Two pages, like x86 KVM's vCPU mapping: kvm_run, then the PIO page. */
#define RUN_BYTES 8192
#define PIO_OFFSET 4096

static struct kvm_run *new_run(void)
{
	struct kvm_run *run = calloc(1, RUN_BYTES);
	assert_non_null(run);
	return run;
}

static void set_io(struct kvm_run *run, uint8_t dir, uint16_t port, uint8_t size,
		   uint32_t count, uint64_t off)
{
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = dir;
	run->io.port = port;
	run->io.size = size;
	run->io.count = count;
	run->io.data_offset = off;
}

/* A fake device: records writes, answers reads with a counter. */
struct rec {
	unsigned calls;
	uint16_t last_port;
	uint8_t bytes[64];
	unsigned nbytes;
	uint8_t next_read;
	int ret;
	uint64_t mmio_addr;
	uint64_t debug_rip;
};

static int rec_pio(void *ctx, uint16_t port, bool is_write, uint8_t *data,
		   uint8_t size, struct vb_err *err)
{
	struct rec *r = ctx;
	r->calls++;
	r->last_port = port;
	for (uint8_t i = 0; i < size; i++) {
		if (is_write) {
			if (r->nbytes < sizeof(r->bytes))
				r->bytes[r->nbytes++] = data[i];
		} else {
			data[i] = r->next_read++;
		}
	}
	if (r->ret < 0)
		return vb_err_set(err, -r->ret, "device says no");
	return r->ret;
}

static int rec_mmio(void *ctx, uint64_t addr, bool is_write, uint8_t *data,
		    uint32_t len, struct vb_err *err)
{
	(void)err;
	struct rec *r = ctx;
	r->calls++;
	r->mmio_addr = addr;
	for (uint32_t i = 0; i < len; i++) {
		if (is_write)
			r->bytes[r->nbytes++] = data[i];
		else
			data[i] = r->next_read++;
	}
	return r->ret;
}

static int rec_debug(void *ctx, uint64_t rip, struct vb_err *err)
{
	(void)err;
	struct rec *r = ctx;
	r->calls++;
	r->debug_rip = rip;
	return 0;
}

static void test_decode_io_out(void **state)
{
	(void)state;
	struct kvm_run *run = new_run();
	set_io(run, KVM_EXIT_IO_OUT, 0x3f8, 1, 1, PIO_OFFSET);
	((uint8_t *)run)[PIO_OFFSET] = 'h';
	struct vb_vcpu_exit e;
	vb_vcpu_decode(run, RUN_BYTES, &e);
	assert_int_equal(e.kind, VB_EXIT_KIND_IO);
	assert_int_equal(e.u.io.port, 0x3f8);
	assert_int_equal(e.u.io.size, 1);
	assert_int_equal(e.u.io.count, 1);
	assert_true(e.u.io.is_write);
	assert_ptr_equal(e.u.io.data, (uint8_t *)run + PIO_OFFSET);
	assert_int_equal(e.u.io.data[0], 'h');
	free(run);
}

static void expect_bad(struct kvm_run *run, size_t bytes, const char *needle)
{
	struct vb_vcpu_exit e;
	vb_vcpu_decode(run, bytes, &e);
	assert_int_equal(e.kind, VB_EXIT_KIND_BAD);
	assert_non_null(strstr(e.u.bad.why, needle));
	struct vb_exit_handlers h = { 0 };
	struct vb_err err;
	assert_int_equal(vb_vcpu_handle_exit(&h, &e, &err), VB_VCPU_FAIL);
	assert_non_null(strstr(err.msg, needle));
}

static void test_decode_io_rejects_bad_kernel_data(void **state)
{
	(void)state;
	struct kvm_run *run = new_run();
	set_io(run, KVM_EXIT_IO_OUT, 0x80, 3, 1, PIO_OFFSET);
	expect_bad(run, RUN_BYTES, "size");
	set_io(run, KVM_EXIT_IO_OUT, 0x80, 1, 0, PIO_OFFSET);
	expect_bad(run, RUN_BYTES, "count");
	/* Offset past the mapping, data running past its end, offset on
	 * top of kvm_run itself, and a huge offset that would wrap. */
	set_io(run, KVM_EXIT_IO_OUT, 0x80, 1, 1, RUN_BYTES + 1);
	expect_bad(run, RUN_BYTES, "outside");
	set_io(run, KVM_EXIT_IO_IN, 0x80, 4, 1025, PIO_OFFSET);
	expect_bad(run, RUN_BYTES, "outside");
	set_io(run, KVM_EXIT_IO_IN, 0x80, 4, 0xffffffffu, PIO_OFFSET);
	expect_bad(run, RUN_BYTES, "outside");
	set_io(run, KVM_EXIT_IO_IN, 0x80, 1, 1, 8);
	expect_bad(run, RUN_BYTES, "outside");
	set_io(run, KVM_EXIT_IO_IN, 0x80, 1, 1, UINT64_MAX);
	expect_bad(run, RUN_BYTES, "outside");
	/* Exactly filling the page is fine. */
	set_io(run, KVM_EXIT_IO_IN, 0x80, 4, 1024, PIO_OFFSET);
	struct vb_vcpu_exit e;
	vb_vcpu_decode(run, RUN_BYTES, &e);
	assert_int_equal(e.kind, VB_EXIT_KIND_IO);
	/* A mapping smaller than struct kvm_run. */
	expect_bad(run, 16, "smaller");
	free(run);
}

static void test_string_out_loops_in_order(void **state)
{
	(void)state;
	struct kvm_run *run = new_run();
	set_io(run, KVM_EXIT_IO_OUT, 0x3f8, 1, 5, PIO_OFFSET);
	memcpy((uint8_t *)run + PIO_OFFSET, "hello", 5);
	struct rec rec = { 0 };
	struct vb_exit_handlers h = { .ctx = &rec, .pio = rec_pio };
	struct vb_vcpu_exit e;
	struct vb_err err;
	vb_vcpu_decode(run, RUN_BYTES, &e);
	assert_int_equal(vb_vcpu_handle_exit(&h, &e, &err), VB_VCPU_CONTINUE);
	assert_int_equal(rec.calls, 5);
	assert_int_equal(rec.nbytes, 5);
	assert_memory_equal(rec.bytes, "hello", 5);
	free(run);
}

static void test_string_in_words(void **state)
{
	(void)state;
	struct kvm_run *run = new_run();
	set_io(run, KVM_EXIT_IO_IN, 0x1f0, 2, 3, PIO_OFFSET);
	struct rec rec = { .next_read = 10 };
	struct vb_exit_handlers h = { .ctx = &rec, .pio = rec_pio };
	struct vb_vcpu_exit e;
	struct vb_err err;
	vb_vcpu_decode(run, RUN_BYTES, &e);
	assert_false(e.u.io.is_write);
	assert_int_equal(vb_vcpu_handle_exit(&h, &e, &err), VB_VCPU_CONTINUE);
	assert_int_equal(rec.calls, 3);
	static const uint8_t want[6] = { 10, 11, 12, 13, 14, 15 };
	assert_memory_equal((uint8_t *)run + PIO_OFFSET, want, 6);
	free(run);
}

static void test_unhandled_read_floats_high(void **state)
{
	(void)state;
	struct kvm_run *run = new_run();
	set_io(run, KVM_EXIT_IO_IN, 0x60, 4, 1, PIO_OFFSET);
	struct vb_exit_handlers h = { 0 };
	struct vb_vcpu_exit e;
	struct vb_err err;
	vb_vcpu_decode(run, RUN_BYTES, &e);
	assert_int_equal(vb_vcpu_handle_exit(&h, &e, &err), VB_VCPU_CONTINUE);
	static const uint8_t ones[4] = { 0xff, 0xff, 0xff, 0xff };
	assert_memory_equal((uint8_t *)run + PIO_OFFSET, ones, 4);
	free(run);
}

static void test_handler_stop_and_fail(void **state)
{
	(void)state;
	struct kvm_run *run = new_run();
	set_io(run, KVM_EXIT_IO_OUT, 0x64, 1, 3, PIO_OFFSET);
	struct rec rec = { .ret = VB_EXIT_STOP };
	struct vb_exit_handlers h = { .ctx = &rec, .pio = rec_pio };
	struct vb_vcpu_exit e;
	struct vb_err err;
	vb_vcpu_decode(run, RUN_BYTES, &e);
	assert_int_equal(vb_vcpu_handle_exit(&h, &e, &err), VB_VCPU_STOP);
	assert_int_equal(rec.calls, 1); /* the rest of a rep is not run */
	assert_non_null(strstr(err.msg, "0x64"));

	rec = (struct rec){ .ret = -EINVAL };
	set_io(run, KVM_EXIT_IO_OUT, 0x3f8, 1, 1, PIO_OFFSET);
	vb_vcpu_decode(run, RUN_BYTES, &e);
	assert_int_equal(vb_vcpu_handle_exit(&h, &e, &err), VB_VCPU_FAIL);
	assert_string_equal(err.msg, "port 0x3f8: device says no");

	rec = (struct rec){ .ret = 5 };
	vb_vcpu_decode(run, RUN_BYTES, &e);
	assert_int_equal(vb_vcpu_handle_exit(&h, &e, &err), VB_VCPU_FAIL);
	assert_non_null(strstr(err.msg, "returned 5"));
	free(run);
}

static void test_mmio(void **state)
{
	(void)state;
	struct kvm_run *run = new_run();
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = 0xd0000000ULL;
	run->mmio.len = 4;
	run->mmio.is_write = 1;
	memcpy(run->mmio.data, "\x01\x02\x03\x04", 4);
	struct rec rec = { 0 };
	struct vb_exit_handlers h = { .ctx = &rec, .mmio = rec_mmio };
	struct vb_vcpu_exit e;
	struct vb_err err;
	vb_vcpu_decode(run, RUN_BYTES, &e);
	assert_int_equal(e.kind, VB_EXIT_KIND_MMIO);
	assert_int_equal(e.u.mmio.len, 4);
	assert_true(e.u.mmio.is_write);
	assert_int_equal(vb_vcpu_handle_exit(&h, &e, &err), VB_VCPU_CONTINUE);
	assert_int_equal(rec.mmio_addr, 0xd0000000ULL);
	assert_memory_equal(rec.bytes, "\x01\x02\x03\x04", 4);

	run->mmio.is_write = 0;
	run->mmio.len = 8;
	rec.next_read = 0x40;
	vb_vcpu_decode(run, RUN_BYTES, &e);
	assert_int_equal(vb_vcpu_handle_exit(&h, &e, &err), VB_VCPU_CONTINUE);
	assert_int_equal(run->mmio.data[7], 0x47);

	run->mmio.len = 9;
	expect_bad(run, RUN_BYTES, "MMIO length");
	run->mmio.len = 0;
	expect_bad(run, RUN_BYTES, "MMIO length");
	free(run);
}

static enum vb_vcpu_action run_simple(struct kvm_run *run, bool pvm, struct vb_err *err)
{
	struct vb_exit_handlers h = { .host_is_pvm = pvm };
	struct vb_vcpu_exit e;
	vb_vcpu_decode(run, RUN_BYTES, &e);
	return vb_vcpu_handle_exit(&h, &e, err);
}

static void test_system_events(void **state)
{
	(void)state;
	struct kvm_run *run = new_run();
	struct vb_err err;
	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	run->system_event.type = KVM_SYSTEM_EVENT_RESET;
	assert_int_equal(run_simple(run, false, &err), VB_VCPU_STOP);
	assert_string_equal(err.msg, "guest reset");
	run->system_event.type = KVM_SYSTEM_EVENT_SHUTDOWN;
	assert_int_equal(run_simple(run, false, &err), VB_VCPU_STOP);
	assert_string_equal(err.msg, "guest poweroff");
	run->system_event.type = KVM_SYSTEM_EVENT_CRASH;
	assert_int_equal(run_simple(run, false, &err), VB_VCPU_FAIL);
	assert_non_null(strstr(err.msg, "crashed"));
	run->system_event.type = 77;
	assert_int_equal(run_simple(run, false, &err), VB_VCPU_FAIL);
	assert_non_null(strstr(err.msg, "77"));

	run->exit_reason = KVM_EXIT_SHUTDOWN;
	assert_int_equal(run_simple(run, false, &err), VB_VCPU_STOP);
	assert_non_null(strstr(err.msg, "triple fault"));
	run->exit_reason = KVM_EXIT_HLT;
	assert_int_equal(run_simple(run, false, &err), VB_VCPU_STOP);
	run->exit_reason = KVM_EXIT_INTR;
	assert_int_equal(run_simple(run, false, &err), VB_VCPU_CONTINUE);
	run->exit_reason = 9999;
	assert_int_equal(run_simple(run, false, &err), VB_VCPU_FAIL);
	assert_string_equal(err.msg, "unhandled KVM exit reason 9999");
	free(run);
}

static void test_internal_error(void **state)
{
	(void)state;
	struct kvm_run *run = new_run();
	struct vb_err err;
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->internal.ndata = 2;
	run->internal.data[0] = 0x1234;
	run->internal.data[1] = 0xabc;
	assert_int_equal(run_simple(run, false, &err), VB_VCPU_FAIL);
	assert_non_null(strstr(err.msg, "emulation failure"));
	assert_non_null(strstr(err.msg, "0x1234 0xabc"));
	assert_null(strstr(err.msg, "KVM-PVM"));
	assert_int_equal(run_simple(run, true, &err), VB_VCPU_FAIL);
	assert_non_null(strstr(err.msg, "KVM-PVM"));

	/* A kernel claiming more data than the array holds is clamped. */
	run->internal.ndata = 1000;
	struct vb_vcpu_exit e;
	vb_vcpu_decode(run, RUN_BYTES, &e);
	assert_int_equal(e.u.internal.ndata, VB_EXIT_MAX_DATA);
	assert_int_equal(run_simple(run, true, &err), VB_VCPU_FAIL);

	/* A non-emulation suberror does not blame PVM. */
	run->internal.suberror = KVM_INTERNAL_ERROR_SIMUL_EX;
	run->internal.ndata = 0;
	assert_int_equal(run_simple(run, true, &err), VB_VCPU_FAIL);
	assert_null(strstr(err.msg, "KVM-PVM"));

	run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_entry_failure_reason = 0x80000021ULL;
	assert_int_equal(run_simple(run, false, &err), VB_VCPU_FAIL);
	assert_non_null(strstr(err.msg, "0x80000021"));
	free(run);
}

static void test_debug(void **state)
{
	(void)state;
	struct kvm_run *run = new_run();
	run->exit_reason = KVM_EXIT_DEBUG;
	run->debug.arch.pc = 0x10004;
	struct rec rec = { 0 };
	struct vb_exit_handlers h = { .ctx = &rec, .debug = rec_debug };
	struct vb_vcpu_exit e;
	struct vb_err err;
	vb_vcpu_decode(run, RUN_BYTES, &e);
	assert_int_equal(e.kind, VB_EXIT_KIND_DEBUG);
	assert_int_equal(e.u.debug.rip, 0x10004);
	assert_int_equal(vb_vcpu_handle_exit(&h, &e, &err), VB_VCPU_CONTINUE);
	assert_int_equal(rec.debug_rip, 0x10004);
	free(run);
}

static void test_run_all_fails_cleanly(void **state)
{
	(void)state;
	/* Fake vCPUs whose fd is not KVM: every KVM_RUN fails, the first
	 * failure is reported and all threads are joined. */
	struct vb_kvm_vcpu v[3];
	for (unsigned i = 0; i < 3; i++)
		v[i] = (struct vb_kvm_vcpu){ .fd = -1, .index = i, .run = new_run(),
					     .run_bytes = RUN_BYTES };
	struct vb_exit_handlers h = { 0 };
	struct vb_run_result res;
	struct vb_err err = { { 0 } };
	assert_int_equal(vb_vcpu_run_all(v, 3, &h, &res, &err), -EBADF);
	assert_int_equal(res.action, VB_VCPU_FAIL);
	assert_non_null(strstr(err.msg, "KVM_RUN: Bad file descriptor"));
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(v[i].run->immediate_exit, 0);
		free(v[i].run);
	}
	/* The caller's signal mask is restored. */
	sigset_t now;
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	assert_false(sigismember(&now, SIGINT));
	assert_false(sigismember(&now, VB_VCPU_KICK_SIGNAL));

	assert_int_equal(vb_vcpu_run_all(v, 0, &h, &res, &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_io_out),
		cmocka_unit_test(test_decode_io_rejects_bad_kernel_data),
		cmocka_unit_test(test_string_out_loops_in_order),
		cmocka_unit_test(test_string_in_words),
		cmocka_unit_test(test_unhandled_read_floats_high),
		cmocka_unit_test(test_handler_stop_and_fail),
		cmocka_unit_test(test_mmio),
		cmocka_unit_test(test_system_events),
		cmocka_unit_test(test_internal_error),
		cmocka_unit_test(test_debug),
		cmocka_unit_test(test_run_all_fails_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
