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
 * succeeds and does nothing.
 *
 * set_level may be called from any thread (vCPU threads, the I/O event
 * thread, device backend threads): KVM_IRQ_LINE is a VM ioctl that the
 * kernel serializes itself. A device orders its own calls (virtio: under
 * the device mutex, so the line follows the ISR).
 *
 * Most lines are levels, set with KVM_IRQ_LINE, not KVM_IRQFD: PCI INTx
 * is level-triggered by definition (PCI 3.0, 2.2.6) and held while the
 * device's status says so. A plain irqfd injects an edge (assert then
 * deassert, api.rst KVM_IRQFD), so a level that stays up after the
 * guest's EOI would never be seen again: a lost interrupt.
 * KVM_IRQFD_FLAG_RESAMPLE fixes that only with a second eventfd per line
 * and a thread that re-asserts on every EOI.
 *
 * A virtio-mmio line is an edge instead (vb_dev_env_edge_irq): the ACPI
 * tables and the MP table declare it edge-triggered, active high, and
 * the device raises it once for every interrupt status bit it sets that
 * was clear (virtio/virtio.c), so a status the driver has not acked yet
 * needs no second edge: the driver's handler reads the status, acks it,
 * then looks at every queue. Raising is a write to an irqfd on the line,
 * from any thread, with no ioctl; lowering does nothing. Without irqfd
 * (fd -1) an edge is the line set high then low.
 *
 * A message-signalled interrupt (PCI MSI-X, dev/msix.h) is an edge by
 * nature too, with no status register to read and no level to hold. So
 * a PCI function whose driver enabled MSI-X sends each of its vectors
 * with an eventfd write into an irqfd on an MSI route (the env's msi
 * hooks, dev/dev.h), from any thread, without exits; its INTx line here
 * is the fallback for a driver that does not enable MSI-X, and for KVMs
 * without irqfd or routing. */
#ifndef VB_DEV_IRQ_H
#define VB_DEV_IRQ_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

struct vb_irq {
	int (*set_level)(void *ctx, uint32_t gsi, int level);
	void *ctx;
	uint32_t gsi;
	bool edge; /* raising is one interrupt, lowering nothing */
	int fd;    /* edge: an irqfd on gsi, or -1 */
};

static inline int vb_irq_raise_edge(const struct vb_irq *irq)
{
	if (irq->fd < 0) {
		if (!irq->set_level)
			return 0;
		int r = irq->set_level(irq->ctx, irq->gsi, 1);
		return r < 0 ? r : irq->set_level(irq->ctx, irq->gsi, 0);
	}
	uint64_t one = 1;
	/* Fails only when the counter would overflow: interrupts are queued
	 * on the line already, and one more adds nothing. */
	if (write(irq->fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

static inline int vb_irq_set(const struct vb_irq *irq, int level)
{
	if (!irq)
		return 0;
	if (irq->edge)
		return level ? vb_irq_raise_edge(irq) : 0;
	if (!irq->set_level)
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
