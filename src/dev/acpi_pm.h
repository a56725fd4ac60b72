/* The ACPI power-management registers of a hardware-reduced platform
 * (arch/x86/acpi.h has their layout and the tables that name them).
 *
 * The guest powers off by writing SLP_TYP 5 with SLP_EN to the sleep
 * control register and resets through the reset register: both become a
 * request to the VMM (dev.h), which ends the run with status 0. Other
 * sleep types (there are no \_S1 to \_S4 objects) are ignored.
 *
 * vb_acpi_pm_press_power_button() is how `vmboot stop` asks the guest to
 * shut down: it sets the power-button bit of the GED event register and
 * pulses the GED's edge-triggered line; the GED's _EVT reads (and so
 * clears) the register and notifies the power button device.
 *
 * Threads: vCPU threads access the registers, the thread that answers
 * the control socket presses the button; the device's lock orders them. */
#ifndef VB_DEV_ACPI_PM_H
#define VB_DEV_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/dev.h"

struct vb_acpi_pm;

struct vb_acpi_pm_config {
	uint32_t ged_gsi;
};

extern const struct vb_device_ops vb_acpi_pm_ops;

/* Returns 0 or the irqchip's -errno. */
int vb_acpi_pm_press_power_button(struct vb_acpi_pm *pm);

/* The guest's ACPI read the last press from the GED event register: an
 * OS took it (whether it acts on it is up to its userspace). */
bool vb_acpi_pm_button_taken(struct vb_acpi_pm *pm);

#endif
