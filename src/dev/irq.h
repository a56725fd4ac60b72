/* Interrupt lines as seen by a device.
 *
 * A device raises its interrupt through a struct vb_irq handed to it at
 * attach time; it never sees the VM file descriptor. In production the
 * builder points set_level at a KVM_IRQ_LINE wrapper; tests point it at a
 * recording fake. The handle is plain data, copied by value, and owned by
 * whoever embeds it.
 *
 * set_level returns 0 or -errno. A handle with set_level == NULL is a line
 * that goes nowhere (a device whose interrupt is not wired): setting it
 * succeeds and does nothing. */
#ifndef VB_DEV_IRQ_H
#define VB_DEV_IRQ_H

#include <stddef.h>
#include <stdint.h>

struct vb_irq {
	int (*set_level)(void *ctx, uint32_t gsi, int level);
	void *ctx;
	uint32_t gsi;
};

static inline int vb_irq_set(const struct vb_irq *irq, int level)
{
	if (!irq || !irq->set_level)
		return 0;
	return irq->set_level(irq->ctx, irq->gsi, level ? 1 : 0);
}

/* An edge for edge-triggered consumers: raise then lower. */
static inline int vb_irq_pulse(const struct vb_irq *irq)
{
	int r = vb_irq_set(irq, 1);
	if (r < 0)
		return r;
	return vb_irq_set(irq, 0);
}

#endif
