#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dev/uart.h"
#include "machine/registry.h"
#include "fakes.h"

enum { THR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5,
       MSR = 6, SCR = 7 };

struct fixture {
	struct fake_irqchip chip;
	struct fake_console con;
	struct vb_console console;
	struct vb_uart *u;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->console.write = fake_console_write;
	f->console.ctx = &f->con;
	struct vb_irq irq = {.set_level = fake_irq_set, .ctx = &f->chip, .gsi = 4};
	if (vb_uart_create(&irq, &f->console, &f->u, NULL) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	vb_uart_destroy(f->u);
	free(f);
	return 0;
}

static uint8_t in(struct fixture *f, unsigned reg)
{
	return io_in8(vb_uart_access, f->u, reg);
}

static void out(struct fixture *f, unsigned reg, uint8_t v)
{
	io_out8(vb_uart_access, f->u, reg, v);
}

/* What Linux's 8250 driver does at startup, in short. */
static void driver_init(struct fixture *f)
{
	out(f, LCR, 0x80);      /* DLAB */
	out(f, 0, 0x01);        /* DLL: 115200 */
	out(f, 1, 0x00);        /* DLM */
	out(f, LCR, 0x03);      /* 8N1 */
	out(f, FCR, 0xc7);      /* FIFO on, reset, trigger 14 */
	out(f, MCR, 0x0b);      /* DTR RTS OUT2 */
}

static void test_divisor_and_transmit(void **state)
{
	struct fixture *f = *state;
	driver_init(f);
	out(f, LCR, 0x83);
	assert_int_equal(in(f, 0), 0x01);
	assert_int_equal(in(f, 1), 0x00);
	out(f, 0, 0x0c);        /* 9600 */
	assert_int_equal(in(f, 0), 0x0c);
	out(f, LCR, 0x03);
	assert_int_equal(f->con.len, 0); /* divisor writes are not output */
	assert_int_equal(in(f, LCR), 0x03);
	assert_int_equal(in(f, IIR) & 0xc0, 0xc0); /* FIFOs enabled */
	const char *msg = "hello\r\n";
	for (const char *p = msg; *p; p++) {
		assert_int_equal(in(f, LSR) & 0x60, 0x60); /* THRE TEMT */
		out(f, THR, (uint8_t)*p);
	}
	assert_int_equal(f->con.len, strlen(msg));
	assert_memory_equal(f->con.buf, msg, strlen(msg));
	assert_int_equal(in(f, LSR) & 0x61, 0x60); /* no data ready */
	out(f, SCR, 0xa5);
	assert_int_equal(in(f, SCR), 0xa5);
}

static void test_thre_interrupt(void **state)
{
	struct fixture *f = *state;
	driver_init(f);
	assert_int_equal(f->chip.level[4], 0);
	out(f, IER, 0x02); /* ETBEI with THR empty: interrupt now */
	assert_int_equal(f->chip.level[4], 1);
	assert_int_equal(in(f, IIR), 0xc2);
	/* reading IIR acknowledged it */
	assert_int_equal(f->chip.level[4], 0);
	assert_int_equal(in(f, IIR), 0xc1);
	out(f, THR, 'x');
	assert_int_equal(f->chip.level[4], 1);
	out(f, IER, 0x00);
	assert_int_equal(f->chip.level[4], 0);
}

static void test_receive_and_irq_gating(void **state)
{
	struct fixture *f = *state;
	driver_init(f);
	out(f, MCR, 0x03);      /* OUT2 clear: line gated */
	out(f, IER, 0x01);
	const uint8_t data[] = "ab";
	assert_int_equal(vb_uart_receive(f->u, data, 2), 2);
	assert_int_equal(in(f, LSR) & 0x01, 0x01);
	assert_int_equal(f->chip.level[4], 0);
	assert_int_equal(in(f, IIR), 0xcc); /* below trigger: timeout */
	out(f, MCR, 0x0b);      /* OUT2 set */
	assert_int_equal(f->chip.level[4], 1);
	assert_int_equal(in(f, 0), 'a');
	assert_int_equal(in(f, 0), 'b');
	assert_int_equal(in(f, LSR) & 0x01, 0);
	assert_int_equal(f->chip.level[4], 0);
	assert_int_equal(in(f, IIR), 0xc1);
	/* IER off: data waits, no interrupt */
	out(f, IER, 0x00);
	vb_uart_receive(f->u, data, 1);
	assert_int_equal(f->chip.level[4], 0);
	assert_int_equal(in(f, IIR), 0xc1);
	assert_int_equal(in(f, 0), 'a');
}

static void test_trigger_level(void **state)
{
	struct fixture *f = *state;
	driver_init(f);
	out(f, FCR, 0x81);      /* trigger 8, no reset */
	out(f, IER, 0x01);
	uint8_t d[8];
	memset(d, 'q', sizeof(d));
	vb_uart_receive(f->u, d, 7);
	assert_int_equal(in(f, IIR), 0xcc);
	vb_uart_receive(f->u, d, 1);
	assert_int_equal(in(f, IIR), 0xc4);
	out(f, FCR, 0x83);      /* RX FIFO reset */
	assert_int_equal(in(f, LSR) & 0x01, 0);
	assert_int_equal(in(f, IIR), 0xc1);
}

static void test_priority(void **state)
{
	struct fixture *f = *state;
	driver_init(f);
	out(f, IER, 0x0f);
	/* THRE pending from enabling ETBEI; MSR deltas from driver_init's
	 * MCR write are 0 outside loopback, so modem status is quiet. */
	assert_int_equal(in(f, IIR) & 0x0f, 0x02);
	out(f, THR, 'z');
	uint8_t d[17];
	memset(d, 'r', sizeof(d));
	/* 17 bytes into a 16-byte FIFO: one lost, OE set */
	assert_int_equal(vb_uart_receive(f->u, d, 17), 16);
	assert_int_equal(in(f, IIR) & 0x0f, 0x06); /* line status first */
	uint8_t lsr = in(f, LSR);
	assert_int_equal(lsr & 0x03, 0x03);       /* DR and OE */
	assert_int_equal(in(f, LSR) & 0x02, 0);   /* OE clears on read */
	assert_int_equal(in(f, IIR) & 0x0f, 0x04); /* then data */
	for (int i = 0; i < 16; i++)
		assert_int_equal(in(f, 0), 'r');
	assert_int_equal(in(f, IIR) & 0x0f, 0x02); /* then THR empty */
	assert_int_equal(in(f, IIR) & 0x0f, 0x01);
}

static void test_no_fifo_overrun(void **state)
{
	struct fixture *f = *state;
	driver_init(f);
	out(f, FCR, 0x00);      /* 16450 mode */
	assert_int_equal(in(f, IIR) & 0xc0, 0);
	const uint8_t d[] = "xy";
	assert_int_equal(vb_uart_receive(f->u, d, 2), 1);
	assert_int_equal(in(f, LSR) & 0x03, 0x03);
	assert_int_equal(in(f, 0), 'y'); /* the newer byte overwrote */
	/* flow-controlled feed never overruns */
	assert_int_equal(vb_uart_feed(f->u, d, 2), 1);
	assert_int_equal(in(f, LSR) & 0x03, 0x01);
}

static void test_loopback(void **state)
{
	struct fixture *f = *state;
	driver_init(f);
	(void)in(f, MSR);
	out(f, MCR, 0x10);      /* loopback, all outputs off */
	uint8_t msr = in(f, MSR);
	assert_int_equal(msr & 0xf0, 0x00);
	assert_int_equal(msr & 0x0b, 0x0b); /* CTS DSR DCD dropped: deltas */
	assert_int_equal(in(f, MSR) & 0x0f, 0); /* deltas clear on read */
	out(f, MCR, 0x1f);      /* loopback, DTR RTS OUT1 OUT2 */
	assert_int_equal(in(f, MSR) & 0xf0, 0xf0);
	out(f, MCR, 0x1b);      /* OUT1 off: RI trailing edge */
	assert_int_equal(in(f, MSR) & 0x4f, 0x04);
	size_t before = f->con.len;
	out(f, THR, 0x42);
	assert_int_equal(f->con.len, before); /* not on the wire */
	assert_int_equal(in(f, LSR) & 0x01, 0x01);
	assert_int_equal(in(f, 0), 0x42);
	/* the serial input is disconnected in loopback */
	const uint8_t d[] = "z";
	assert_int_equal(vb_uart_receive(f->u, d, 1), 0);
	assert_int_equal(in(f, LSR) & 0x01, 0);
	out(f, MCR, 0x0b);
	out(f, THR, 'k');
	assert_int_equal(f->con.buf[f->con.len - 1], 'k');
}

static void test_wide_and_odd_access(void **state)
{
	struct fixture *f = *state;
	driver_init(f);
	uint8_t d[4] = {0};
	/* word at LCR: LCR then MCR, split as the ISA bus does */
	vb_uart_access(f->u, 3, d, 2, false);
	assert_int_equal(d[0], 0x03);
	assert_int_equal(d[1], 0x0b);
	vb_uart_access(f->u, 7, d, 4, false);
	assert_int_equal(d[1], 0xff);
	assert_int_equal(d[3], 0xff);
	vb_uart_access(f->u, UINT64_MAX, d, 2, false);
	assert_int_equal(d[0], 0xff);
	assert_int_equal(d[1], 0xff);
}

static void test_attach_via_registry(void **state)
{
	(void)state;
	struct vb_bus pio, mmio;
	struct vb_alloc alloc;
	struct fake_irqchip chip = {.calls = 0};
	struct fake_console con = {{0}, 0};
	struct vb_console console = {.write = fake_console_write, .ctx = &con};
	vb_bus_init(&pio, "pio", NULL);
	vb_bus_init(&mmio, "mmio", NULL);
	vb_alloc_init(&alloc);
	struct vb_dev_env env = {
		.pio = &pio, .mmio = &mmio, .alloc = &alloc,
		.irq_set_level = fake_irq_set, .irq_ctx = &chip,
		.console = &console,
	};
	struct vb_dev_set set = {0};
	struct vb_err err = {{0}};
	assert_int_equal(vb_dev_set_attach(&set, &env, vb_device_find("uart"),
					   NULL, &err), 0);
	uint8_t v = 'Q';
	assert_int_equal(vb_bus_dispatch(&pio, 0x3f8, &v, 1, true), 0);
	assert_int_equal(con.len, 1);
	/* a second COM1 collides on the GSI first */
	assert_int_equal(vb_dev_set_attach(&set, &env, &vb_uart_ops, NULL, &err),
			 -EBUSY);
	assert_string_equal(err.msg, "uart: GSI 4 already used by uart");
	char cmd[64];
	assert_int_equal(vb_dev_set_cmdline(&set, cmd, sizeof(cmd), &err), 0);
	assert_string_equal(cmd, "console=ttyS0");
	vb_dev_set_detach_all(&set);
	assert_int_equal(pio.count, 0);
	vb_bus_free(&pio);
	vb_bus_free(&mmio);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_divisor_and_transmit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thre_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive_and_irq_gating, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trigger_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_fifo_overrun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wide_and_odd_access, setup, teardown),
		cmocka_unit_test(test_attach_via_registry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
