#include "dev/acpi_pm.h"

#include <errno.h>
#include <stddef.h>

#include "arch/x86/acpi.h"
#include "dev/port.h"

struct vb_acpi_pm {
	struct vb_port_dev port; /* first: the lock, and what attach claimed */
	struct vb_irq ged;
	void (*request)(void *ctx, enum vb_dev_request req);
	void *request_ctx;
	uint32_t ged_events;     /* pending, cleared by the guest's read */
	bool button_taken;       /* the guest read the last press */
};
_Static_assert(offsetof(struct vb_acpi_pm, port) == 0, "vb_port_dev_new allocates it");

static void request(struct vb_acpi_pm *pm, enum vb_dev_request req)
{
	if (pm->request)
		pm->request(pm->request_ctx, req);
}

static void sleep_control(struct vb_acpi_pm *pm, uint8_t value)
{
	unsigned type = (value & VB_X86_ACPI_SLP_TYP_MASK) >> VB_X86_ACPI_SLP_TYP_SHIFT;
	if ((value & VB_X86_ACPI_SLP_EN) && type == VB_X86_ACPI_SLP_TYP_S5)
		request(pm, VB_DEV_REQ_POWEROFF);
}

static int pm_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t size, bool is_write)
{
	struct vb_acpi_pm *pm = opaque;
	pthread_mutex_lock(&pm->port.lock);
	if (!is_write) {
		uint64_t value = 0; /* 64 bits: size may be up to 8 */
		if (offset == VB_X86_ACPI_PM_GED_EVENT && size == 4) {
			value = pm->ged_events;
			pm->ged_events = 0;
			if (value & VB_X86_ACPI_GED_POWER_BUTTON)
				pm->button_taken = true;
		}
		for (uint32_t i = 0; i < size; i++)
			data[i] = (uint8_t)(value >> (8 * i));
	} else if (offset == VB_X86_ACPI_PM_SLEEP_CONTROL) {
		sleep_control(pm, data[0]);
	} else if (offset == VB_X86_ACPI_PM_RESET && data[0] == VB_X86_ACPI_RESET_VALUE) {
		request(pm, VB_DEV_REQ_RESET);
	}
	pthread_mutex_unlock(&pm->port.lock);
	return 0;
}

int vb_acpi_pm_press_power_button(struct vb_acpi_pm *pm)
{
	pthread_mutex_lock(&pm->port.lock);
	pm->ged_events |= VB_X86_ACPI_GED_POWER_BUTTON;
	pm->button_taken = false;
	pthread_mutex_unlock(&pm->port.lock);
	return vb_irq_pulse(&pm->ged);
}

bool vb_acpi_pm_button_taken(struct vb_acpi_pm *pm)
{
	pthread_mutex_lock(&pm->port.lock);
	bool taken = pm->button_taken;
	pthread_mutex_unlock(&pm->port.lock);
	return taken;
}

static int pm_attach(const struct vb_device_ops *self, struct vb_dev_env *env, const void *config,
		     void **state, struct vb_err *err)
{
	(void)self;
	const struct vb_acpi_pm_config *cfg = config;
	if (!cfg)
		return vb_err_set(err, EINVAL, "acpi-pm: no configuration");
	struct vb_port_dev *d;
	int rc = vb_port_dev_new(sizeof(struct vb_acpi_pm), "acpi-pm", &d, err);
	if (rc)
		return rc;
	struct vb_acpi_pm *pm = (struct vb_acpi_pm *)d;
	pm->ged = vb_dev_env_irq(env, cfg->ged_gsi);
	pm->request = env->request;
	pm->request_ctx = env->request_ctx;
	struct vb_bus_range range = {
		.base = VB_X86_ACPI_PM_PORT, .len = VB_X86_ACPI_PM_PORTS, .name = "acpi-pm",
		.access = pm_access,
	};
	return vb_port_dev_attach(d, env, range, cfg->ged_gsi, state, err);
}

const struct vb_device_ops vb_acpi_pm_ops = {
	.name = "acpi-pm",
	.attach = pm_attach,
	.detach = vb_port_dev_detach,
};
