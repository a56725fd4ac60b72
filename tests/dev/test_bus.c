#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dev/bus.h"

struct hits {
	unsigned count;
	uint64_t last_offset;
	uint32_t last_size;
};

static int record(void *opaque, uint64_t offset, uint8_t *data, uint32_t size,
		  bool is_write)
{
	struct hits *h = opaque;
	h->count++;
	h->last_offset = offset;
	h->last_size = size;
	if (!is_write)
		memset(data, 0x5a, size);
	return 0;
}

static int add(struct vb_bus *bus, uint64_t base, uint64_t len,
	       const char *name, struct hits *h, struct vb_err *err)
{
	struct vb_bus_range r = {
		.base = base, .len = len, .name = name, .access = record,
		.opaque = h,
	};
	return vb_bus_register(bus, &r, err);
}

static void test_overlap_names_both(void **state)
{
	(void)state;
	struct vb_bus bus;
	struct vb_err err = {{0}};
	struct hits h = {0};
	vb_bus_init(&bus, "pio", NULL);
	assert_int_equal(add(&bus, 0x3f8, 8, "pci-host", &h, &err), 0);
	assert_int_equal(add(&bus, 0x3f8, 8, "uart", &h, &err), -EEXIST);
	assert_string_equal(err.msg,
			    "uart (0x3f8-0x3ff) overlaps pci-host (0x3f8-0x3ff)");
	/* partial overlaps on either side */
	assert_int_equal(add(&bus, 0x3f0, 9, "a", &h, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "a (0x3f0-0x3f8) overlaps pci-host"));
	assert_int_equal(add(&bus, 0x3ff, 2, "b", &h, &err), -EEXIST);
	assert_int_equal(add(&bus, 0x3fa, 1, "c", &h, &err), -EEXIST);
	/* neighbours are fine */
	assert_int_equal(add(&bus, 0x3f0, 8, "left", &h, &err), 0);
	assert_int_equal(add(&bus, 0x400, 1, "right", &h, &err), 0);
	assert_int_equal(bus.count, 3);
	vb_bus_free(&bus);
}

static void test_bad_ranges(void **state)
{
	(void)state;
	struct vb_bus bus;
	struct vb_err err = {{0}};
	struct hits h = {0};
	vb_bus_init(&bus, "mmio", NULL);
	assert_int_equal(add(&bus, 0x1000, 0, "zero", &h, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "zero: empty range"));
	assert_int_equal(add(&bus, UINT64_MAX - 3, 8, "wrap", &h, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "wraps"));
	/* ending exactly at the top is not a wrap */
	assert_int_equal(add(&bus, UINT64_MAX - 7, 8, "top", &h, &err), 0);
	assert_int_equal(add(&bus, 0, 1, "bottom", &h, &err), 0);
	assert_non_null(vb_bus_find(&bus, UINT64_MAX));
	assert_non_null(vb_bus_find(&bus, 0));
	assert_null(vb_bus_find(&bus, 1));
	vb_bus_free(&bus);
}

static void test_lookup_edges(void **state)
{
	(void)state;
	struct vb_bus bus;
	struct hits h[4] = {{0}};
	vb_bus_init(&bus, "pio", NULL);
	/* registered out of order: the bus sorts */
	assert_int_equal(add(&bus, 0x70, 2, "rtc", &h[0], NULL), 0);
	assert_int_equal(add(&bus, 0x3f8, 8, "uart", &h[1], NULL), 0);
	assert_int_equal(add(&bus, 0x60, 5, "i8042", &h[2], NULL), 0);
	assert_int_equal(add(&bus, 0xcf8, 8, "pci", &h[3], NULL), 0);
	for (size_t i = 1; i < bus.count; i++)
		assert_true(bus.ranges[i - 1].base < bus.ranges[i].base);
	assert_string_equal(vb_bus_find(&bus, 0x3f8)->name, "uart");
	assert_string_equal(vb_bus_find(&bus, 0x3ff)->name, "uart");
	assert_null(vb_bus_find(&bus, 0x3f7));
	assert_null(vb_bus_find(&bus, 0x400));
	assert_string_equal(vb_bus_find(&bus, 0x71)->name, "rtc");
	assert_null(vb_bus_find(&bus, 0x72));
	assert_null(vb_bus_find(&bus, 0x5f));

	uint8_t d[4];
	assert_int_equal(vb_bus_dispatch(&bus, 0x3fd, d, 1, false), 0);
	assert_int_equal(h[1].last_offset, 5);
	assert_int_equal(d[0], 0x5a);
	/* a dword at 0xcfc fits, one at 0xcfd runs past the end */
	assert_int_equal(vb_bus_dispatch(&bus, 0xcfc, d, 4, false), 0);
	assert_int_equal(h[3].last_offset, 4);
	assert_int_equal(vb_bus_dispatch(&bus, 0xcfd, d, 4, false),
			 VB_BUS_UNCLAIMED);

	assert_int_equal(vb_bus_unregister(&bus, 0x3f8, NULL), 0);
	assert_null(vb_bus_find(&bus, 0x3f8));
	assert_int_equal(vb_bus_unregister(&bus, 0x3f8, NULL), -ENOENT);
	assert_int_equal(vb_bus_unregister(&bus, 0x61, NULL), -ENOENT);
	assert_int_equal(bus.count, 3);
	vb_bus_free(&bus);
}

static void test_unclaimed(void **state)
{
	(void)state;
	struct vb_bus bus;
	struct hits h = {0};
	vb_bus_init(&bus, "pio", NULL);
	assert_int_equal(add(&bus, 0x80, 1, "post", &h, NULL), 0);
	uint8_t d[8];
	memset(d, 0, sizeof(d));
	assert_int_equal(vb_bus_dispatch(&bus, 0x2f8, d, 4, false),
			 VB_BUS_UNCLAIMED);
	for (int i = 0; i < 4; i++)
		assert_int_equal(d[i], 0xff);
	assert_int_equal(d[4], 0);
	d[0] = 1;
	assert_int_equal(vb_bus_dispatch(&bus, 0x2f8, d, 1, true),
			 VB_BUS_UNCLAIMED);
	/* size 0 and oversized accesses never reach a device */
	assert_int_equal(vb_bus_dispatch(&bus, 0x80, d, 0, false),
			 VB_BUS_UNCLAIMED);
	assert_int_equal(h.count, 0);
	assert_int_equal(vb_bus_dispatch(&bus, 0x80, d, 1, true), 0);
	assert_int_equal(h.count, 1);
	vb_bus_free(&bus);
}

struct debug_log {
	unsigned calls;
	const char *last_device;
	uint64_t last_addr;
};

static void debug_hook(void *ctx, const char *bus_name, uint64_t addr,
		       const uint8_t *data, uint32_t size, bool is_write,
		       const char *device)
{
	(void)bus_name;
	(void)data;
	(void)size;
	(void)is_write;
	struct debug_log *l = ctx;
	l->calls++;
	l->last_device = device;
	l->last_addr = addr;
}

static void test_debug_hook(void **state)
{
	(void)state;
	struct debug_log log = {0};
	struct vb_bus_debug dbg = {.hook = debug_hook, .ctx = &log};
	struct vb_bus bus;
	struct hits h = {0};
	vb_bus_init(&bus, "pio", &dbg);
	assert_int_equal(add(&bus, 0x3f8, 8, "uart", &h, NULL), 0);
	struct vb_bus_range quiet = {
		.base = 0x80, .len = 1, .name = "post", .access = record,
		.opaque = &h, .flags = VB_BUS_QUIET,
	};
	assert_int_equal(vb_bus_register(&bus, &quiet, NULL), 0);
	uint8_t d = 0;
	vb_bus_dispatch(&bus, 0x3f8, &d, 1, true);
	assert_int_equal(log.calls, 1);
	assert_string_equal(log.last_device, "uart");
	vb_bus_dispatch(&bus, 0x80, &d, 1, true);
	assert_int_equal(log.calls, 1);
	vb_bus_dispatch(&bus, 0x1234, &d, 1, false);
	assert_int_equal(log.calls, 2);
	assert_null(log.last_device);
	assert_int_equal(log.last_addr, 0x1234);
	vb_bus_free(&bus);
}

static void test_many_ranges(void **state)
{
	(void)state;
	struct vb_bus bus;
	struct hits h = {0};
	vb_bus_init(&bus, "mmio", NULL);
	/* reverse order forces inserts at the front and growth */
	for (int i = 99; i >= 0; i--)
		assert_int_equal(add(&bus, (uint64_t)i * 0x1000, 0x800, "d", &h, NULL), 0);
	for (int i = 0; i < 100; i++) {
		const struct vb_bus_range *r = vb_bus_find(&bus, (uint64_t)i * 0x1000 + 0x7ff);
		assert_non_null(r);
		assert_int_equal(r->base, (uint64_t)i * 0x1000);
		assert_null(vb_bus_find(&bus, (uint64_t)i * 0x1000 + 0x800));
	}
	vb_bus_free(&bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overlap_names_both),
		cmocka_unit_test(test_bad_ranges),
		cmocka_unit_test(test_lookup_edges),
		cmocka_unit_test(test_unclaimed),
		cmocka_unit_test(test_debug_hook),
		cmocka_unit_test(test_many_ranges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
