/* The VM's MSI routes: message-signalled interrupts through KVM.
 *
 * A device with MSI-X (dev/msix.h) asks the env for one route per vector
 * (dev/dev.h msi_add). Each route is a GSI of its own, from
 * VB_MSI_FIRST_GSI up, with an eventfd bound to it by KVM_IRQFD at once:
 * writing that eventfd makes KVM inject the GSI's message with no exit
 * and no vmboot thread in between. What message a GSI carries is KVM's
 * routing table, and KVM_SET_GSI_ROUTING replaces that table whole
 * (api.rst), so this service keeps the whole of it: first the routes KVM
 * starts a VM with (arch/x86/kvm/irq_comm.c, default_routing: IOAPIC pin
 * n as GSI n for 0-23, and PIC pin n % 8 of the master or slave as GSI n
 * for 0-15, which KVM_IRQ_LINE and the in-kernel PIT keep using), then
 * one MSI entry for each route a device pointed at a message. A route
 * pointed nowhere is left out: its irqfd then injects nothing.
 *
 * msi_set changes only this copy; msi_commit hands it to KVM when it
 * changed, so a device batches a guest's table change into one ioctl.
 * Removing a route closes its eventfd (KVM drops the irqfd with it) and
 * leaves the table to the next commit: the teardown makes no routing
 * ioctl.
 *
 * Stage order (machine/vm.h, stage 6): created before the devices attach
 * where KVM has KVM_CAP_IRQ_ROUTING and KVM_CAP_IRQFD (the env's msi
 * hooks stay NULL otherwise and devices offer INTx alone), plugged into
 * the env; devices add routes at attach and remove them at detach;
 * destroyed after every device detached, closing what is left.
 *
 * Threads: one mutex around the table. Add and remove run at attach and
 * detach, set and commit on the vCPU threads whose guest writes changed
 * an MSI-X table or capability. Sending (the eventfd write) takes no
 * lock of this service.
 *
 * The kernel side is injected (struct vb_msi_kernel): KVM in production
 * (vm.c), a recording fake in tests. Return convention: 0 or -errno with
 * err filled. */
#ifndef VB_MACHINE_MSI_H
#define VB_MACHINE_MSI_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "dev/dev.h"
#include "util/err.h"

/* After the IOAPIC's 24 pins. */
#define VB_MSI_FIRST_GSI 24u
/* Nine vectors (eight queues and the configuration) for each of 56
 * devices; below the 1024 GSIs older KVMs route (KVM_MAX_IRQ_ROUTES). */
#define VB_MSI_MAX_ROUTES 504u
/* KVM's default table: 16 GSIs on both chips, 8 more on the IOAPIC. */
#define VB_MSI_IRQCHIP_ROUTES 40u

struct vb_msi_kernel {
	int (*set_routing)(void *ctx, const struct kvm_irq_routing *routing, struct vb_err *err);
	int (*irqfd)(void *ctx, int fd, uint32_t gsi, struct vb_err *err);
	void *ctx;
};

struct vb_msi;

/* k is copied. */
int vb_msi_create(struct vb_msi **out, const struct vb_msi_kernel *k, struct vb_err *err);
/* Closes every eventfd left. NULL is a no-op. */
void vb_msi_destroy(struct vb_msi *s);
/* Fill env's msi hooks (dev/dev.h) with the calls below and s. */
void vb_msi_plug(struct vb_msi *s, struct vb_dev_env *env);

/* The hooks, ctx being the struct vb_msi. add: -ENOSPC when
 * VB_MSI_MAX_ROUTES are in use. An unknown id is ignored by set and
 * remove. commit: -errno from KVM leaves the copy as it is, to be tried
 * again with the next commit. */
int vb_msi_add(void *ctx, int *id, int *fd, struct vb_err *err);
void vb_msi_set(void *ctx, int id, uint64_t addr, uint32_t data, bool valid);
int vb_msi_commit(void *ctx, struct vb_err *err);
void vb_msi_remove(void *ctx, int id);

/* Routes in use, and tables handed to KVM so far (for the log). */
unsigned vb_msi_count(struct vb_msi *s);
unsigned long vb_msi_commits(struct vb_msi *s);

/* KVM's default routes (see above) into out; returns their number,
 * VB_MSI_IRQCHIP_ROUTES. Pure. */
unsigned vb_msi_irqchip_routes(struct kvm_irq_routing_entry *out);

#endif
