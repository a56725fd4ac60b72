/* The ACPI power-management registers (dev/acpi_pm.h) driven through the
 * port bus the way Linux's ACPICA drives them on a hardware-reduced
 * platform: the S5 write powers off, the reset register resets, the GED
 * event register reports the power button once, and garbage does nothing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "arch/x86/acpi.h"
#include "dev/acpi_pm.h"
#include "fakes.h"

#define GED_GSI 18u

struct rig {
	struct vb_bus pio, mmio;
	struct vb_alloc alloc;
	struct fake_irqchip chip;
	struct fake_requests req;
	struct vb_dev_env env;
	struct vb_dev_set set;
	struct vb_acpi_pm *pm;
};

static void rig_up(struct rig *r)
{
	*r = (struct rig){ .chip = { .calls = 0 } };
	vb_bus_init(&r->pio, "pio", NULL);
	vb_bus_init(&r->mmio, "mmio", NULL);
	vb_alloc_init(&r->alloc);
	r->env = (struct vb_dev_env){
		.pio = &r->pio, .mmio = &r->mmio, .alloc = &r->alloc,
		.irq_set_level = fake_irq_set, .irq_ctx = &r->chip,
		.request = fake_request, .request_ctx = &r->req,
	};
	const struct vb_acpi_pm_config cfg = { GED_GSI };
	struct vb_err err = { { 0 } };
	assert_int_equal(vb_dev_set_attach(&r->set, &r->env, &vb_acpi_pm_ops, &cfg, &err), 0);
	r->pm = r->set.items[r->set.count - 1].state;
}

static void rig_down(struct rig *r)
{
	vb_dev_set_detach_all(&r->set);
	vb_bus_free(&r->pio);
	vb_bus_free(&r->mmio);
}

static void out8(struct rig *r, unsigned reg, uint8_t v)
{
	vb_bus_dispatch(&r->pio, VB_X86_ACPI_PM_PORT + reg, &v, 1, true);
}

static uint32_t in32(struct rig *r, unsigned reg)
{
	uint8_t b[4] = { 0xAA, 0xAA, 0xAA, 0xAA };
	vb_bus_dispatch(&r->pio, VB_X86_ACPI_PM_PORT + reg, b, 4, false);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void test_s5_powers_off(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r);
	/* Other sleep types, or S5 without SLP_EN, are not a poweroff. */
	for (unsigned type = 0; type < 8; type++)
		if (type != VB_X86_ACPI_SLP_TYP_S5)
			out8(&r, VB_X86_ACPI_PM_SLEEP_CONTROL,
			     (uint8_t)(type << VB_X86_ACPI_SLP_TYP_SHIFT | VB_X86_ACPI_SLP_EN));
	out8(&r, VB_X86_ACPI_PM_SLEEP_CONTROL, VB_X86_ACPI_SLP_TYP_S5 << VB_X86_ACPI_SLP_TYP_SHIFT);
	assert_int_equal(r.req.poweroffs, 0);
	/* What acpi_hw_extended_sleep() writes for \_S5: 5 << 2 | 0x20. */
	out8(&r, VB_X86_ACPI_PM_SLEEP_CONTROL, 0x34);
	assert_int_equal(r.req.poweroffs, 1);
	assert_int_equal(r.req.resets, 0);
	rig_down(&r);
}

static void test_reset_register(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r);
	out8(&r, VB_X86_ACPI_PM_RESET, 0x01);
	assert_int_equal(r.req.resets, 0);
	out8(&r, VB_X86_ACPI_PM_RESET, VB_X86_ACPI_RESET_VALUE);
	assert_int_equal(r.req.resets, 1);
	assert_int_equal(r.req.poweroffs, 0);
	rig_down(&r);
}

static void test_power_button(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r);
	assert_int_equal(in32(&r, VB_X86_ACPI_PM_GED_EVENT), 0);
	assert_int_equal(vb_acpi_pm_press_power_button(r.pm), 0);
	/* An edge on the GED's line: raised once and lowered again. */
	assert_int_equal(r.chip.raises[GED_GSI], 1);
	assert_int_equal(r.chip.level[GED_GSI], 0);
	assert_false(vb_acpi_pm_button_taken(r.pm));
	/* _EVT reads the event once: the read clears it, and tells that the
	 * guest's OS took the press. */
	assert_int_equal(in32(&r, VB_X86_ACPI_PM_GED_EVENT), VB_X86_ACPI_GED_POWER_BUTTON);
	assert_true(vb_acpi_pm_button_taken(r.pm));
	assert_int_equal(in32(&r, VB_X86_ACPI_PM_GED_EVENT), 0);
	assert_true(vb_acpi_pm_button_taken(r.pm));
	assert_int_equal(r.req.poweroffs, 0);
	/* A new press is not taken until read again. */
	assert_int_equal(vb_acpi_pm_press_power_button(r.pm), 0);
	assert_false(vb_acpi_pm_button_taken(r.pm));
	rig_down(&r);
}

/* A hostile guest writing every value to every port of the device, and
 * reading with every width: nothing but the two documented requests. */
static void test_garbage(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r);
	for (unsigned reg = 0; reg < VB_X86_ACPI_PM_PORTS; reg++) {
		for (unsigned v = 0; v < 256; v++) {
			bool s5 = reg == VB_X86_ACPI_PM_SLEEP_CONTROL && (v & VB_X86_ACPI_SLP_EN) &&
				  ((v & VB_X86_ACPI_SLP_TYP_MASK) >> VB_X86_ACPI_SLP_TYP_SHIFT) ==
					  VB_X86_ACPI_SLP_TYP_S5;
			bool reset = reg == VB_X86_ACPI_PM_RESET && v == VB_X86_ACPI_RESET_VALUE;
			struct fake_requests before = r.req;
			out8(&r, reg, (uint8_t)v);
			assert_int_equal(r.req.poweroffs, before.poweroffs + s5);
			assert_int_equal(r.req.resets, before.resets + reset);
		}
		for (uint32_t size = 1; size <= 8; size *= 2) {
			uint8_t b[8];
			vb_bus_dispatch(&r.pio, VB_X86_ACPI_PM_PORT + reg, b, size, false);
		}
	}
	assert_int_equal(r.chip.raises[GED_GSI], 0);
	rig_down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s5_powers_off),
		cmocka_unit_test(test_reset_register),
		cmocka_unit_test(test_power_button),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
