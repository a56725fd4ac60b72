/* i8042, RTC, PCI host and the device registry. */
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
#include "machine/registry.h"
#include "fakes.h"

/* ---- i8042 ---- */

static void test_i8042_reset(void **state)
{
	(void)state;
	struct fake_requests req = {0};
	struct fake_irqchip chip = {.calls = 0};
	struct vb_i8042_params p = {
		.irq = {.set_level = fake_irq_set, .ctx = &chip, .gsi = 1},
		.request = fake_request, .request_ctx = &req,
	};
	struct vb_i8042 *k;
	assert_int_equal(vb_i8042_create(&p, &k, NULL), 0);
	/* Status with nothing queued: no OBF, system flag set. */
	uint8_t st = io_in8(vb_i8042_access, k, 4);
	assert_int_equal(st & 0x01, 0);
	assert_int_equal(st & 0x04, 0x04);
	/* Harmless commands do not reset. */
	io_out8(vb_i8042_access, k, 4, 0xad);
	io_out8(vb_i8042_access, k, 4, 0xae);
	io_out8(vb_i8042_access, k, 4, 0xff); /* pulse nothing */
	io_out8(vb_i8042_access, k, 4, 0xa7);
	assert_int_equal(req.resets, 0);
	io_out8(vb_i8042_access, k, 4, 0xfe);
	assert_int_equal(req.resets, 1);
	/* output port write with bit 0 low resets too */
	io_out8(vb_i8042_access, k, 4, 0xd1);
	io_out8(vb_i8042_access, k, 0, 0x03);
	assert_int_equal(req.resets, 1);
	io_out8(vb_i8042_access, k, 4, 0xd1);
	io_out8(vb_i8042_access, k, 0, 0x02);
	assert_int_equal(req.resets, 2);
	vb_i8042_destroy(k);
}

static void test_i8042_protocol(void **state)
{
	(void)state;
	struct fake_irqchip chip = {.calls = 0};
	struct vb_i8042_params p = {
		.irq = {.set_level = fake_irq_set, .ctx = &chip, .gsi = 1},
	};
	struct vb_i8042 *k;
	assert_int_equal(vb_i8042_create(&p, &k, NULL), 0);
	io_out8(vb_i8042_access, k, 4, 0xaa);          /* self test */
	assert_int_equal(io_in8(vb_i8042_access, k, 4) & 0x09, 0x09); /* OBF, CMD */
	assert_int_equal(chip.level[1], 1);          /* CTR enables kbd irq */
	assert_int_equal(io_in8(vb_i8042_access, k, 0), 0x55);
	assert_int_equal(chip.level[1], 0);
	io_out8(vb_i8042_access, k, 4, 0x60);          /* write CTR */
	io_out8(vb_i8042_access, k, 0, 0x44);          /* irq off */
	io_out8(vb_i8042_access, k, 4, 0x20);
	assert_int_equal(chip.level[1], 0);
	assert_int_equal(io_in8(vb_i8042_access, k, 0), 0x44);
	io_out8(vb_i8042_access, k, 0, 0xff);          /* keyboard reset */
	assert_int_equal(io_in8(vb_i8042_access, k, 0), 0xfa);
	assert_int_equal(io_in8(vb_i8042_access, k, 0), 0xaa);
	assert_int_equal(io_in8(vb_i8042_access, k, 4) & 0x01, 0);
	/* port B: refresh bit toggles on every read */
	uint8_t a = io_in8(vb_i8042_access, k, 1);
	uint8_t b = io_in8(vb_i8042_access, k, 1);
	assert_int_equal((a ^ b) & 0x10, 0x10);
	io_out8(vb_i8042_access, k, 1, 0x03);
	assert_int_equal(io_in8(vb_i8042_access, k, 1) & 0x0f, 0x03);
	assert_int_equal(io_in8(vb_i8042_access, k, 2), 0xff);
	vb_i8042_destroy(k);
}

/* ---- RTC ---- */

static time_t fixed_time(void *ctx)
{
	return *(const time_t *)ctx;
}

static uint8_t rtc_read(struct vb_rtc *r, uint8_t idx)
{
	io_out8(vb_rtc_access, r, 0, idx);
	return io_in8(vb_rtc_access, r, 1);
}

static void rtc_write(struct vb_rtc *r, uint8_t idx, uint8_t v)
{
	io_out8(vb_rtc_access, r, 0, idx);
	io_out8(vb_rtc_access, r, 1, v);
}

/* The RTC's own calendar agrees with the C library's gmtime_r, a day and a
 * few hours at a time from 1970 to 2200 and on each side of the leap
 * days that are and are not (2000, 2100). */
static void test_rtc_calendar_is_gmtime(void **state)
{
	(void)state;
	time_t t = 0;
	struct vb_rtc_params p = { .now = fixed_time, .now_ctx = &t };
	struct vb_rtc *r;
	assert_int_equal(vb_rtc_create(&p, &r, NULL), 0);
	rtc_write(r, 0x0b, 0x06); /* binary, 24-hour */
	static const time_t edges[] = { 951782400, 951868800, 4107456000, 4107542400, 68169600 };
	size_t checked = 0;
	for (time_t step = 0; step < (time_t)7258118400; step += 86400 + 3 * 3600 + 7, checked++) {
		t = checked < sizeof(edges) / sizeof(edges[0]) ? edges[checked] - 1 : step;
		for (int twice = 0; twice < 2; twice++, t++) {
			struct tm tm;
			assert_non_null(gmtime_r(&t, &tm));
			int year = tm.tm_year + 1900;
			if (rtc_read(r, 0) != tm.tm_sec || rtc_read(r, 2) != tm.tm_min ||
			    rtc_read(r, 4) != tm.tm_hour || rtc_read(r, 6) != tm.tm_wday + 1 ||
			    rtc_read(r, 7) != tm.tm_mday || rtc_read(r, 8) != tm.tm_mon + 1 ||
			    rtc_read(r, 9) != year % 100 || rtc_read(r, 0x32) != year / 100)
				fail_msg("time %lld: the RTC disagrees with gmtime_r", (long long)t);
		}
	}
	assert_true(checked > 60000);
	vb_rtc_destroy(r);
}

static void test_rtc_time(void **state)
{
	(void)state;
	/* 2024-02-29 13:05:09 UTC, a Thursday */
	time_t t = 1709211909;
	struct vb_rtc_params p = {.now = fixed_time, .now_ctx = &t};
	struct vb_rtc *r;
	assert_int_equal(vb_rtc_create(&p, &r, NULL), 0);
	assert_int_equal(rtc_read(r, 0), 0x09);
	assert_int_equal(rtc_read(r, 2), 0x05);
	assert_int_equal(rtc_read(r, 4), 0x13);
	assert_int_equal(rtc_read(r, 6), 0x05); /* Thursday, Sunday = 1 */
	assert_int_equal(rtc_read(r, 7), 0x29);
	assert_int_equal(rtc_read(r, 8), 0x02);
	assert_int_equal(rtc_read(r, 9), 0x24);
	assert_int_equal(rtc_read(r, 0x32), 0x20);
	assert_int_equal(rtc_read(r, 0x0a) & 0x80, 0); /* no UIP */
	assert_int_equal(rtc_read(r, 0x0d), 0x80);     /* VRT */
	/* binary mode */
	rtc_write(r, 0x0b, 0x06);
	assert_int_equal(rtc_read(r, 0x0b), 0x06);
	assert_int_equal(rtc_read(r, 4), 13);
	assert_int_equal(rtc_read(r, 7), 29);
	assert_int_equal(rtc_read(r, 9), 24);
	/* 12-hour BCD: 13h is 1 PM */
	rtc_write(r, 0x0b, 0x00);
	assert_int_equal(rtc_read(r, 4), 0x81);
	/* 12-hour binary, midnight is 12 AM */
	time_t midnight = 1709164800; /* 2024-02-29 00:00:00 */
	t = midnight;
	rtc_write(r, 0x0b, 0x04);
	assert_int_equal(rtc_read(r, 4), 12);
	/* time writes are ignored, alarms and RAM store */
	rtc_write(r, 0x0b, 0x02);
	rtc_write(r, 0, 0x59);
	assert_int_equal(rtc_read(r, 0), 0x00);
	rtc_write(r, 1, 0x30);
	assert_int_equal(rtc_read(r, 1), 0x30);
	rtc_write(r, 0x0d, 0x00);
	assert_int_equal(rtc_read(r, 0x0d), 0x80);
	vb_rtc_destroy(r);
}

static void test_rtc_index_bounds(void **state)
{
	(void)state;
	time_t t = 0;
	struct vb_rtc_params p = {.now = fixed_time, .now_ctx = &t};
	struct vb_rtc *r;
	assert_int_equal(vb_rtc_create(&p, &r, NULL), 0);
	rtc_write(r, 0x7f, 0xab);
	assert_int_equal(rtc_read(r, 0x7f), 0xab);
	/* bit 7 is the NMI mask: 0xff selects 0x7f */
	assert_int_equal(rtc_read(r, 0xff), 0xab);
	rtc_write(r, 0xc0, 0x11);           /* 0xc0 & 0x7f = 0x40 */
	assert_int_equal(rtc_read(r, 0x40), 0x11);
	assert_int_equal(io_in8(vb_rtc_access, r, 0), 0xff); /* write-only */
	assert_int_equal(io_in8(vb_rtc_access, r, 2), 0xff);
	assert_int_equal(io_in8(vb_rtc_access, r, UINT64_MAX), 0xff);
	/* 1970-01-01 was a Thursday, year 70 of the 20th century */
	assert_int_equal(rtc_read(r, 9), 0x70);
	assert_int_equal(rtc_read(r, 0x32), 0x19);
	vb_rtc_destroy(r);
}

/* ---- PCI ---- */

static uint32_t cf8(uint32_t dev, uint32_t reg)
{
	return 0x80000000u | dev << 11 | reg;
}

static uint32_t pci_in(struct vb_pci_host *h, uint32_t addr, unsigned port_off,
		       uint32_t size)
{
	uint8_t d[4];
	for (int i = 0; i < 4; i++)
		d[i] = (uint8_t)(addr >> (8 * i));
	vb_pci_host_access(h, 0, d, 4, true);
	memset(d, 0, sizeof(d));
	vb_pci_host_access(h, 4 + port_off, d, size, false);
	uint32_t v = 0;
	for (uint32_t i = 0; i < size; i++)
		v |= (uint32_t)d[i] << (8 * i);
	return v;
}

static void pci_out(struct vb_pci_host *h, uint32_t addr, unsigned port_off,
		    uint32_t size, uint32_t v)
{
	uint8_t d[4];
	for (int i = 0; i < 4; i++)
		d[i] = (uint8_t)(addr >> (8 * i));
	vb_pci_host_access(h, 0, d, 4, true);
	for (int i = 0; i < 4; i++)
		d[i] = (uint8_t)(v >> (8 * i));
	vb_pci_host_access(h, 4 + port_off, d, size, true);
}

static void test_pci_host_bridge(void **state)
{
	(void)state;
	struct vb_pci_host *h;
	assert_int_equal(vb_pci_host_create(&h, NULL), 0);
	assert_int_equal(pci_in(h, cf8(0, 0), 0, 4), 0x12378086);
	assert_int_equal(pci_in(h, cf8(0, 0), 2, 2), 0x1237);
	assert_int_equal(pci_in(h, cf8(0, 0), 1, 1), 0x80);
	assert_int_equal(pci_in(h, cf8(0, 8), 0, 4) >> 8, 0x060000);
	assert_int_equal(pci_in(h, cf8(0, 8), 3, 1), 0x06);
	/* absent device, function, bus */
	assert_int_equal(pci_in(h, cf8(1, 0), 0, 4), 0xffffffff);
	assert_int_equal(pci_in(h, cf8(0, 0) | 1 << 8, 0, 4), 0xffffffff);
	assert_int_equal(pci_in(h, cf8(0, 0) | 1 << 16, 0, 4), 0xffffffff);
	assert_int_equal(pci_in(h, cf8(5, 0), 2, 2), 0xffff);
	/* enable bit clear: nothing decoded */
	assert_int_equal(pci_in(h, 0x00000000, 0, 4), 0xffffffff);
	/* CONFIG_ADDRESS reads back, reserved bits dropped */
	uint8_t d[4] = {0x03, 0x00, 0x00, 0xff};
	vb_pci_host_access(h, 0, d, 4, true);
	memset(d, 0, 4);
	vb_pci_host_access(h, 0, d, 4, false);
	assert_int_equal(d[0], 0x00);
	assert_int_equal(d[3], 0x80);
	/* byte access to 0xcf8 does not touch CONFIG_ADDRESS */
	uint8_t b = 0x01;
	vb_pci_host_access(h, 3, &b, 1, true);
	vb_pci_host_access(h, 0, d, 4, false);
	assert_int_equal(d[3], 0x80);
	/* read-only id; writable command bits only */
	pci_out(h, cf8(0, 0), 0, 4, 0);
	assert_int_equal(pci_in(h, cf8(0, 0), 0, 4), 0x12378086);
	pci_out(h, cf8(0, 4), 0, 2, 0xffff);
	assert_int_equal(pci_in(h, cf8(0, 4), 0, 2), 0x0547);
	/* bad sizes / crossing the dword read as all-ones */
	assert_int_equal(pci_in(h, cf8(0, 0), 3, 2), 0xffff);
	assert_int_equal(pci_in(h, cf8(0, 0), 1, 3) & 0xffffff, 0xffffff);
	vb_pci_host_destroy(h);
}

struct moves {
	unsigned bar_calls;
	unsigned last_bar;
	uint64_t last_old, last_new;
	unsigned cmd_calls;
	uint16_t last_cmd;
};

static void on_bar(void *o, unsigned bar, uint64_t old_addr, uint64_t new_addr)
{
	struct moves *m = o;
	m->bar_calls++;
	m->last_bar = bar;
	m->last_old = old_addr;
	m->last_new = new_addr;
}

static void on_cmd(void *o, uint16_t old_cmd, uint16_t new_cmd)
{
	(void)old_cmd;
	struct moves *m = o;
	m->cmd_calls++;
	m->last_cmd = new_cmd;
}

static void test_pci_function_bars(void **state)
{
	(void)state;
	struct vb_pci_host *h;
	struct vb_err err = {{0}};
	assert_int_equal(vb_pci_host_create(&h, NULL), 0);
	struct vb_pci_function fn;
	struct moves m = {0};
	vb_pci_function_init(&fn, "virtio-net", 0x1af4, 0x1041, 0x020000, 1);
	fn.bar_moved = on_bar;
	fn.command_changed = on_cmd;
	fn.opaque = &m;
	assert_int_equal(vb_pci_function_set_bar(&fn, 0, VB_PCI_BAR_MEM32, 0x4000,
						 0xd0000000, &err), 0);
	assert_int_equal(vb_pci_function_set_bar(&fn, 1, VB_PCI_BAR_IO, 0x40,
						 0x1000, &err), 0);
	assert_int_equal(vb_pci_function_set_bar(&fn, 2, VB_PCI_BAR_MEM32, 0x3000,
						 0, &err), -EINVAL);
	assert_int_equal(vb_pci_function_set_bar(&fn, 2, VB_PCI_BAR_MEM32, 0x1000,
						 0x800, &err), -EINVAL);
	assert_int_equal(vb_pci_function_set_bar(&fn, 6, VB_PCI_BAR_IO, 4, 0, &err),
			 -EINVAL);
	uint8_t body[14] = {0};
	uint8_t off1, off2;
	assert_int_equal(vb_pci_function_add_cap(&fn, 0x09, body, 14, &off1, &err), 0);
	assert_int_equal(vb_pci_function_add_cap(&fn, 0x11, body, 10, &off2, &err), 0);
	assert_int_equal(off1, 0x40);
	assert_int_equal(off2, 0x50);
	assert_int_equal(vb_pci_host_add(h, &fn, 3, &err), 0);
	assert_int_equal(vb_pci_host_add(h, &fn, 3, &err), -EBUSY);
	assert_int_equal(vb_pci_host_add(h, &fn, 0, &err), -EINVAL);

	assert_int_equal(pci_in(h, cf8(3, 0), 0, 4), 0x10411af4);
	assert_int_equal(pci_in(h, cf8(3, 4), 2, 2) & 0x10, 0x10); /* caps */
	assert_int_equal(pci_in(h, cf8(3, 0x34), 0, 1), 0x40);
	assert_int_equal(pci_in(h, cf8(3, 0x40), 0, 2), 0x5009); /* id, next */
	assert_int_equal(pci_in(h, cf8(3, 0x50), 0, 2), 0x0011);

	/* sizing: all-ones reads back the size mask with the type bits */
	assert_int_equal(pci_in(h, cf8(3, 0x10), 0, 4), 0xd0000000);
	pci_out(h, cf8(3, 0x10), 0, 4, 0xffffffff);
	assert_int_equal(pci_in(h, cf8(3, 0x10), 0, 4), 0xffffc000);
	assert_int_equal(m.bar_calls, 1);
	pci_out(h, cf8(3, 0x10), 0, 4, 0xe0000000);
	assert_int_equal(m.last_new, 0xe0000000);
	assert_int_equal(m.last_old, 0xffffc000);
	assert_int_equal(vb_pci_function_bar_addr(&fn, 0), 0xe0000000);
	pci_out(h, cf8(3, 0x14), 0, 4, 0xffffffff);
	assert_int_equal(pci_in(h, cf8(3, 0x14), 0, 4), 0xffffffc1);
	/* unused BAR and ROM stay 0 */
	pci_out(h, cf8(3, 0x18), 0, 4, 0xffffffff);
	assert_int_equal(pci_in(h, cf8(3, 0x18), 0, 4), 0);
	pci_out(h, cf8(3, 0x30), 0, 4, 0xffffffff);
	assert_int_equal(pci_in(h, cf8(3, 0x30), 0, 4), 0);
	/* byte writes at odd offsets of the BAR: bits below the 0x4000
	 * size are read-only */
	pci_out(h, cf8(3, 0x10), 0, 1, 0xff);
	pci_out(h, cf8(3, 0x10), 1, 1, 0x3f);
	assert_int_equal(pci_in(h, cf8(3, 0x10), 0, 4), 0xe0000000);
	pci_out(h, cf8(3, 0x10), 2, 1, 0x01);
	assert_int_equal(pci_in(h, cf8(3, 0x10), 2, 2), 0xe001);

	/* command register via a byte write at 0xcfc+0 */
	pci_out(h, cf8(3, 4), 0, 1, 0x07);
	assert_int_equal(m.cmd_calls, 1);
	assert_int_equal(m.last_cmd, 0x07);
	pci_out(h, cf8(3, 4), 0, 1, 0x07);
	assert_int_equal(m.cmd_calls, 1);
	/* interrupt line writable at odd offset 0x3c; pin is not */
	pci_out(h, cf8(3, 0x3c), 0, 2, 0x010b);
	assert_int_equal(pci_in(h, cf8(3, 0x3c), 0, 2), 0x000b);

	vb_pci_host_remove(h, 3);
	assert_int_equal(pci_in(h, cf8(3, 0), 0, 4), 0xffffffff);
	vb_pci_host_destroy(h);
}

static void test_pci_cap_room(void **state)
{
	(void)state;
	struct vb_pci_function fn;
	vb_pci_function_init(&fn, "x", 1, 2, 0xff0000, 0);
	uint8_t body[200] = {0};
	struct vb_err err = {{0}};
	assert_int_equal(vb_pci_function_add_cap(&fn, 9, body, 190, NULL, &err), 0);
	assert_int_equal(vb_pci_function_add_cap(&fn, 9, body, 100, NULL, &err),
			 -ENOSPC);
	assert_non_null(strstr(err.msg, "no room for capability"));
}

/* ---- registry ---- */

/* Every device of the registry (machine/registry.h): the PC devices, then
 * each device type's. */
static size_t all_devices(const struct vb_device_ops **out, size_t max)
{
	size_t n = 0, n_types;
	const struct vb_device_type *const *types = vb_device_types(&n_types);
	for (size_t i = 0; vb_pc_devices[i] && n < max; i++)
		out[n++] = vb_pc_devices[i];
	for (size_t i = 0; i < n_types && n < max; i++)
		out[n++] = types[i]->ops;
	return n;
}

/* Devices with a PC default, and device types without a required key,
 * attach without a configuration; the others (a disk needs its image, a
 * share its directory, vsock its cid ...) must refuse cleanly, with a
 * message, and leave nothing attached. Read from the registry, so a new
 * device type is covered as it is. */
static bool needs_config(const char *name)
{
	/* The ACPI power-management registers take the power button's line
	 * from the graph (dev/acpi_pm.h). */
	if (!strcmp(name, "acpi-pm"))
		return true;
	size_t n_types;
	const struct vb_device_type *const *types = vb_device_types(&n_types);
	for (size_t i = 0; i < n_types; i++) {
		if (strcmp(types[i]->ops->name, name))
			continue;
		for (size_t k = 0; k < types[i]->n_keys; k++)
			if (types[i]->keys[k].required)
				return true;
	}
	return false;
}

/* A net device's default backend is user mode, which runs the vmboot-net
 * helper (src/netd/netd.h): point it at the one in the build tree. */
static void use_built_net_helper(void)
{
	const char *build = getenv("VB_BUILDDIR");
	char path[4096];
	if (build && snprintf(path, sizeof(path), "%s/vmboot-net", build) < (int)sizeof(path))
		setenv("VMBOOT_NET_HELPER", path, 0);
}

static void test_registry_all_devices(void **state)
{
	(void)state;
	use_built_net_helper();
	struct vb_bus pio, mmio;
	struct vb_alloc alloc;
	struct fake_irqchip chip = {.calls = 0};
	struct fake_requests req = {0};
	vb_bus_init(&pio, "pio", NULL);
	vb_bus_init(&mmio, "mmio", NULL);
	vb_alloc_init(&alloc);
	struct vb_dev_env env = {
		.pio = &pio, .mmio = &mmio, .alloc = &alloc,
		.irq_set_level = fake_irq_set, .irq_ctx = &chip,
		.request = fake_request, .request_ctx = &req,
	};
	struct vb_dev_set set = {0};
	struct vb_err err = {{0}};
	const struct vb_device_ops *registry[32];
	size_t n = all_devices(registry, 32);
	for (size_t i = 0; i < n; i++) {
		const struct vb_device_ops *ops = registry[i];
		assert_ptr_equal(vb_device_find(ops->name), ops);
		bool needs = needs_config(ops->name);
		size_t before = set.count;
		err.msg[0] = 0;
		int rc = vb_dev_set_attach(&set, &env, ops, NULL, &err);
		if (needs) {
			assert_int_equal(rc, -EINVAL);
			assert_true(err.msg[0] != 0);
			assert_int_equal(set.count, before);
		} else {
			assert_int_equal(rc, 0);
		}
	}
	assert_true(n >= 12);
	assert_null(vb_device_find("nonesuch"));
	assert_non_null(env.pci);
	uint8_t v = 0xfe;
	assert_int_equal(vb_bus_dispatch(&pio, 0x64, &v, 1, true), 0);
	assert_int_equal(req.resets, 1);
	uint8_t d[4] = {0x00, 0x00, 0x00, 0x80};
	assert_int_equal(vb_bus_dispatch(&pio, 0xcf8, d, 4, true), 0);
	assert_int_equal(vb_bus_dispatch(&pio, 0xcfc, d, 4, false), 0);
	assert_int_equal(d[0] | d[1] << 8, 0x8086);
	assert_int_equal(vb_bus_dispatch(&pio, 0x80, &v, 1, true), 0);
	char cmd[256];
	assert_int_equal(vb_dev_set_cmdline(&set, cmd, sizeof(cmd), &err), 0);
	assert_non_null(strstr(cmd, "console=ttyS0"));
	assert_non_null(strstr(cmd, "reboot=k"));
	assert_int_equal(vb_dev_set_cmdline(&set, cmd, 10, &err), -ENOSPC);
	/* attaching pci-host twice is refused, and the set is unchanged */
	size_t count = set.count;
	assert_int_equal(vb_dev_set_attach(&set, &env, &vb_pci_host_ops, NULL, &err),
			 -EEXIST);
	assert_int_equal(set.count, count);
	vb_dev_set_detach_all(&set);
	assert_int_equal(pio.count, 0);
	assert_null(env.pci);
	/* detach gave back the lines and slot: attaching again works */
	for (size_t i = 0; i < n; i++) {
		bool needs = needs_config(registry[i]->name);
		assert_int_equal(vb_dev_set_attach(&set, &env, registry[i], NULL, &err),
				 needs ? -EINVAL : 0);
	}
	vb_dev_set_detach_all(&set);
	assert_int_equal(pio.count, 0);
	vb_bus_free(&pio);
	vb_bus_free(&mmio);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_i8042_reset),
		cmocka_unit_test(test_i8042_protocol),
		cmocka_unit_test(test_rtc_time),
		cmocka_unit_test(test_rtc_calendar_is_gmtime),
		cmocka_unit_test(test_rtc_index_bounds),
		cmocka_unit_test(test_pci_host_bridge),
		cmocka_unit_test(test_pci_function_bars),
		cmocka_unit_test(test_pci_cap_room),
		cmocka_unit_test(test_registry_all_devices),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
