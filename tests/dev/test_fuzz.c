/* Random port accesses at every device: odd offsets, sizes 0..8, offsets
 * far past the device, random data. Nothing may crash or trip the
 * sanitizers, and each device must still work afterwards. The seed is
 * fixed so a failure reproduces; VB_FUZZ_SEED overrides it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dev/i8042.h"
#include "dev/pci.h"
#include "dev/rtc.h"
#include "dev/uart.h"
#include "fakes.h"

#define ROUNDS 200000

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64 */
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static uint64_t rnd_offset(void)
{
	switch (rnd() % 8) {
	case 0: return UINT64_MAX - rnd() % 8;
	case 1: return rnd();
	case 2: return rnd() % 0x10000;
	default: return rnd() % 16;
	}
}

static uint32_t rnd_size(void)
{
	static const uint32_t sizes[] = {0, 1, 1, 1, 2, 3, 4, 4, 8, 5, 7, 6};
	return sizes[rnd() % (sizeof(sizes) / sizeof(sizes[0]))];
}

static void fuzz_one(vb_bus_access_fn fn, void *dev)
{
	uint8_t data[8];
	for (int i = 0; i < 8; i++)
		data[i] = (uint8_t)rnd();
	fn(dev, rnd_offset(), data, rnd_size(), rnd() & 1);
}

static void test_fuzz_devices(void **state)
{
	(void)state;
	const char *seed = getenv("VB_FUZZ_SEED");
	rng_state = seed ? strtoull(seed, NULL, 0) : 0x9e3779b97f4a7c15ULL;
	if (rng_state == 0)
		rng_state = 1;

	struct fake_irqchip chip = {.calls = 0};
	struct fake_console con = {{0}, 0};
	struct vb_console console = {.write = fake_console_write, .ctx = &con};
	struct fake_requests req = {0};
	struct vb_irq irq4 = {.set_level = fake_irq_set, .ctx = &chip, .gsi = 4};
	struct vb_uart *u;
	assert_int_equal(vb_uart_create(&irq4, &console, &u, NULL), 0);
	struct vb_i8042_params kp = {
		.irq = {.set_level = fake_irq_set, .ctx = &chip, .gsi = 1},
		.request = fake_request, .request_ctx = &req,
	};
	struct vb_i8042 *k;
	assert_int_equal(vb_i8042_create(&kp, &k, NULL), 0);
	struct vb_rtc *r;
	assert_int_equal(vb_rtc_create(NULL, &r, NULL), 0);
	struct vb_pci_host *h;
	assert_int_equal(vb_pci_host_create(&h, NULL), 0);
	struct vb_pci_function fn;
	vb_pci_function_init(&fn, "f", 0x1af4, 0x1000, 0x010000, 0);
	assert_int_equal(vb_pci_function_set_bar(&fn, 0, VB_PCI_BAR_MEM32, 0x1000,
						 0xd0000000, NULL), 0);
	assert_int_equal(vb_pci_function_set_bar(&fn, 1, VB_PCI_BAR_IO, 0x20,
						 0x1000, NULL), 0);
	uint8_t body[6] = {1, 2, 3, 4, 5, 6};
	assert_int_equal(vb_pci_function_add_cap(&fn, 0x05, body, 6, NULL, NULL), 0);
	assert_int_equal(vb_pci_host_add(h, &fn, 1, NULL), 0);

	struct vb_bus bus;
	vb_bus_init(&bus, "pio", NULL);
	struct vb_bus_range ranges[] = {
		{.base = 0x3f8, .len = 8, .name = "uart", .access = vb_uart_access, .opaque = u},
		{.base = 0x60, .len = 5, .name = "i8042", .access = vb_i8042_access, .opaque = k},
		{.base = 0x70, .len = 2, .name = "rtc", .access = vb_rtc_access, .opaque = r},
		{.base = 0xcf8, .len = 8, .name = "pci", .access = vb_pci_host_access, .opaque = h},
	};
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		assert_int_equal(vb_bus_register(&bus, &ranges[i], NULL), 0);

	for (int i = 0; i < ROUNDS; i++) {
		switch (rnd() % 7) {
		case 0: fuzz_one(vb_uart_access, u); break;
		case 1: fuzz_one(vb_i8042_access, k); break;
		case 2: fuzz_one(vb_rtc_access, r); break;
		case 3: fuzz_one(vb_pci_host_access, h); break;
		case 4: {
			uint8_t b[32];
			size_t n = rnd() % sizeof(b);
			for (size_t j = 0; j < n; j++)
				b[j] = (uint8_t)rnd();
			if (rnd() & 1)
				vb_uart_receive(u, b, n);
			else
				vb_uart_feed(u, b, n);
			break;
		}
		case 5: {
			uint8_t d[8];
			memset(d, (int)rnd(), sizeof(d));
			vb_bus_dispatch(&bus, rnd() % 0x10000, d, rnd_size(), rnd() & 1);
			break;
		}
		default: {
			/* PCI with a valid-looking address: random register */
			uint32_t a = 0x80000000u | (uint32_t)(rnd() & 0x00ffffff);
			if (rnd() & 1)
				a &= ~(0xffu << 16 | 0x700u); /* bus 0, fn 0 */
			uint8_t d[8];
			for (int j = 0; j < 4; j++)
				d[j] = (uint8_t)(a >> (8 * j));
			vb_pci_host_access(h, 0, d, 4, true);
			fuzz_one(vb_pci_host_access, h);
			break;
		}
		}
		for (int g = 0; g < 32; g++)
			assert_true(chip.level[g] == 0 || chip.level[g] == 1);
	}

	/* still alive: the BAR's read-only bits held */
	uint64_t bar0 = vb_pci_function_bar_addr(&fn, 0);
	assert_int_equal(bar0 & 0xfff, 0);
	assert_int_equal(fn.config[0], 0xf4);
	assert_int_equal(fn.config[VB_PCI_INTERRUPT_PIN], 0);
	/* the UART still transmits after a reset to a sane state */
	static const uint8_t init[][2] = {
		{3, 0x03}, {4, 0x03}, {2, 0x07}, {1, 0x00},
	};
	for (size_t i = 0; i < sizeof(init) / sizeof(init[0]); i++)
		io_out8(vb_uart_access, u, init[i][0], init[i][1]);
	size_t before = con.len;
	io_out8(vb_uart_access, u, 0, 'Z');
	if (before < sizeof(con.buf)) {
		assert_int_equal(con.len, before + 1);
		assert_int_equal(con.buf[before], 'Z');
	}
	printf("fuzz: %d rounds, %u resets requested, %zu console bytes\n",
	       ROUNDS, req.resets, con.len);

	vb_bus_free(&bus);
	vb_pci_host_destroy(h);
	vb_rtc_destroy(r);
	vb_i8042_destroy(k);
	vb_uart_destroy(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz_devices),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
