/* A virtio device's doorbells, one per queue, for both transports (mmio.c,
 * pci.c). When the env offers doorbell_add (dev/dev.h: KVM ioeventfd),
 * both register one per queue at attach, for the whole life of the
 * device, and the queue notify write then no longer exits; the register
 * handlers stay as the path for every write the doorbell does not match
 * and for VMs without ioeventfd. Registering at attach rather than at
 * queue enable is safe because a latched doorbell for a queue that is not
 * enabled is dropped (vb_virtio_notify_latched), and it keeps KVM ioctls
 * out of the register handlers. The two registrations:
 *   pci.c:  notify structure address of queue q (notify_off q, multiplier
 *           4), 2 bytes, any value: the driver writes the 16-bit queue
 *           index there (virtio 1.x 4.1.4.4, no VIRTIO_F_NOTIFICATION_DATA);
 *   mmio.c: QueueNotify (0x50), 4 bytes, value q (4.2.2: the driver
 *           writes the queue index), one doorbell per queue on the one
 *           register (KVM datamatch).
 * A file of its own, below the transports: transport.c calls mmio.c and
 * pci.c, which both call these; in transport.c they made a cycle. */
#ifndef VB_VIRTIO_DOORBELL_H
#define VB_VIRTIO_DOORBELL_H

#include "dev/dev.h"
#include "virtio/virtio.h"

/* A transport's doorbells, one per queue. Zero-initialise. */
struct vb_virtio_doorbells {
	const struct vb_dev_env *env;
	int id[VB_VIRTIO_MAX_QUEUES];
	unsigned n;
};

/* For each queue q of v: db_at(opaque, q, &db) describes its doorbell,
 * and fn(opaque, q) is what the I/O event thread calls for it. Without a
 * doorbell_add hook this does nothing. If the env refuses one, the ones
 * added are removed, the refusal is logged once and the device stays on
 * the exit path; so this cannot fail. */
void vb_virtio_doorbells_add(struct vb_virtio_doorbells *d, const struct vb_dev_env *env,
			     struct vb_virtio *v,
			     void (*db_at)(void *opaque, unsigned q, struct vb_doorbell *db),
			     void (*fn)(void *opaque, unsigned q), void *opaque);
void vb_virtio_doorbells_remove(struct vb_virtio_doorbells *d);

/* Queue q's doorbell eventfd for a consumer in the kernel (vhost.h's
 * kick): from now on the I/O event thread no longer watches it, so
 * fn(opaque, q) is not called for it again and the guest's writes wake
 * that consumer alone. The env keeps the fd (closed when the doorbell is
 * removed). -1 when q has no doorbell (none added, or the env cannot hand
 * its eventfds out). Call it at attach, not under the device mutex: the
 * env takes the I/O event service's lock, which its thread holds while it
 * calls into the device. */
int vb_virtio_doorbell_take(struct vb_virtio_doorbells *d, unsigned q);

#endif
