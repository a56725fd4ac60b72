/* virtio-console in process over virtio-mmio: output bytes reach the
 * console, input is delivered only into buffers the driver posted (flow
 * control), and a driver breaking the queue directions gets NEEDS_RESET. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver.h"
#include "virtio/console.h"

#define RXQ_GPA 0x10000ULL
#define TXQ_GPA 0x20000ULL
#define BUF_GPA 0x40000ULL
#define MMIO_BASE VB_GAP_START_BYTES
#define MMIO_GSI 16u

struct fixture {
	struct vt_env env;
	struct vt_drv rx, tx;
	struct vb_console out;
	uint8_t got[256];
	size_t n_got;
	struct vb_virtio_console *con;
};

static long record(void *ctx, const uint8_t *buf, size_t n)
{
	struct fixture *f = ctx;
	size_t room = sizeof(f->got) - f->n_got;
	size_t k = n < room ? n : room;
	memcpy(f->got + f->n_got, buf, k);
	f->n_got += k;
	return (long)n;
}

static int setup(void **state)
{
	struct fixture *f = VT_FIXTURE_NEW(struct fixture);
	if (!f)
		return -1;
	f->out = (struct vb_console){ record, f };
	f->env.env.console = &f->out;
	struct vb_virtio_placement p = {
		.name = "console", .transport = VB_VIRTIO_MMIO, .mmio_base = MMIO_BASE,
		.mmio_bytes = 0x1000, .gsi = MMIO_GSI,
	};
	struct vb_err err;
	assert_int_equal(vb_dev_set_attach(&f->env.devices, &f->env.env, &vb_virtio_console_ops, &p,
					   &err), 0);
	f->con = f->env.devices.items[f->env.devices.count - 1].state;
	assert_int_equal(vt_drv_open_mmio(&f->rx, &f->env, MMIO_BASE, MMIO_GSI), 0);
	uint8_t s = vt_drv_negotiate(&f->rx, 1ULL << VB_VIRTIO_F_VERSION_1);
	assert_true(s & VB_VIRTIO_S_FEATURES_OK);
	f->tx = f->rx;
	vt_drv_queue(&f->rx, 0, 8, RXQ_GPA);
	vt_drv_queue(&f->tx, 1, 8, TXQ_GPA);
	assert_true(vt_drv_queue_ready(&f->rx, 0) && vt_drv_queue_ready(&f->tx, 1));
	vt_drv_set_status(&f->rx, s | VB_VIRTIO_S_DRIVER_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	vt_env_fini(&f->env);
	free(f);
	return 0;
}

static void test_output(void **state)
{
	struct fixture *f = *state;
	memcpy(vt_gpa(&f->env, BUF_GPA), "hello, ", 7);
	memcpy(vt_gpa(&f->env, BUF_GPA + 0x100), "hvc0\n", 5);
	vt_desc(&f->tx, 0, BUF_GPA, 7, VB_VIRTQ_DESC_F_NEXT, 1);
	vt_desc(&f->tx, 1, BUF_GPA + 0x100, 5, 0, 0);
	vt_avail_push(&f->tx, 0);
	vt_drv_notify(&f->tx, 1);
	assert_int_equal(f->n_got, 12);
	assert_memory_equal(f->got, "hello, hvc0\n", 12);
	uint32_t id, len;
	assert_true(vt_used_next(&f->tx, &id, &len));
	assert_int_equal(id, 0);
	assert_false(vt_drv_status(&f->rx) & VB_VIRTIO_S_NEEDS_RESET);
}

static void test_input_flow_control(void **state)
{
	struct fixture *f = *state;
	const uint8_t in[] = "abcdefgh";
	/* No buffer posted: nothing is taken. */
	assert_int_equal(vb_virtio_console_feed(f->con, in, 8), 0);
	memset(vt_gpa(&f->env, BUF_GPA), 0, 16);
	vt_desc(&f->rx, 0, BUF_GPA, 4, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_avail_push(&f->rx, 0);
	vt_drv_notify(&f->rx, 0);
	/* One 4-byte buffer: exactly 4 bytes go in, the rest waits. */
	assert_int_equal(vb_virtio_console_feed(f->con, in, 8), 4);
	assert_memory_equal(vt_gpa(&f->env, BUF_GPA), "abcd", 4);
	assert_int_equal(vt_gpa(&f->env, BUF_GPA)[4], 0);
	uint32_t id, len;
	assert_true(vt_used_next(&f->rx, &id, &len));
	assert_int_equal(len, 4);
	assert_true(vt_drv_isr(&f->rx) & VB_VIRTIO_ISR_QUEUE);
	assert_int_equal(vb_virtio_console_feed(f->con, in + 4, 4), 0);
	/* A new buffer takes the rest. */
	vt_desc(&f->rx, 1, BUF_GPA + 0x100, 64, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_avail_push(&f->rx, 1);
	assert_int_equal(vb_virtio_console_feed(f->con, in + 4, 4), 4);
	assert_memory_equal(vt_gpa(&f->env, BUF_GPA + 0x100), "efgh", 4);
}

static void test_readable_rx_buffer_is_violation(void **state)
{
	struct fixture *f = *state;
	vt_desc(&f->rx, 0, BUF_GPA, 4, 0, 0);
	vt_avail_push(&f->rx, 0);
	assert_int_equal(vb_virtio_console_feed(f->con, (const uint8_t *)"x", 1), 0);
	assert_true(vt_drv_status(&f->rx) & VB_VIRTIO_S_NEEDS_RESET);
	assert_int_equal(f->env.log_lines, 1);
	/* Broken: further input is refused, vmboot carries on. */
	assert_int_equal(vb_virtio_console_feed(f->con, (const uint8_t *)"x", 1), 0);
}

static void test_writable_tx_buffer_is_violation(void **state)
{
	struct fixture *f = *state;
	vt_desc(&f->tx, 0, BUF_GPA, 4, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_avail_push(&f->tx, 0);
	vt_drv_notify(&f->tx, 1);
	assert_true(vt_drv_status(&f->rx) & VB_VIRTIO_S_NEEDS_RESET);
	assert_int_equal(f->n_got, 0);
}

static void test_tx_buffer_past_ram(void **state)
{
	struct fixture *f = *state;
	vt_desc(&f->tx, 0, VT_HIGH_RAM_END - 2, 4, 0, 0);
	vt_avail_push(&f->tx, 0);
	vt_drv_notify(&f->tx, 1);
	assert_true(vt_drv_status(&f->rx) & VB_VIRTIO_S_NEEDS_RESET);
	assert_int_equal(f->n_got, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_input_flow_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readable_rx_buffer_is_violation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writable_tx_buffer_is_violation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_buffer_past_ram, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
