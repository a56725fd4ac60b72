/* The two virtio transports behind vb_virtio_transport_attach (virtio.h).
 *
 * mmio.c: virtio-mmio version 2 (virtio 1.x, 4.2) at a fixed window and
 * GSI from the machine graph; the kernel learns of it from the command
 * line (virtio_mmio.device=SIZE@BASE:GSI, written by resolve).
 *
 * pci.c: virtio-pci modern (4.1), non-transitional: 1af4:(1040 + id) on
 * the PCI host bridge (env->pci, which must be attached first), one
 * 32-bit memory BAR from the MMIO allocator holding the common, ISR,
 * notify and device configuration structures, and INTx pin A on a GSI
 * from the allocator. Why INTx and not MSI-X: see pci.c.
 *
 * Both register their ranges on env->mmio at attach and unregister them
 * at detach; both set v->irq. Internal to src/virtio.
 *
 * Doorbells: when the env offers doorbell_add (dev/dev.h: KVM ioeventfd),
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
 *           register (KVM datamatch). */
#ifndef VB_VIRTIO_TRANSPORT_H
#define VB_VIRTIO_TRANSPORT_H

#include "virtio/virtio.h"

/* virtio-mmio register window size (4.2.2: config space from 0x100). */
#define VB_VIRTIO_MMIO_MIN_BYTES 0x200u

struct vb_virtio_mmio;
struct vb_virtio_pci;

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

int vb_virtio_mmio_attach(struct vb_dev_env *env, const struct vb_virtio_placement *p,
			  struct vb_virtio *v, struct vb_virtio_mmio **out, struct vb_err *err);
void vb_virtio_mmio_detach(struct vb_virtio_mmio *m);
/* The register handler (bus.h signature), for the bus and for tests. */
int vb_virtio_mmio_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t size,
			  bool is_write);

int vb_virtio_pci_attach(struct vb_dev_env *env, const struct vb_virtio_placement *p,
			 struct vb_virtio *v, struct vb_virtio_pci **out, struct vb_err *err);
void vb_virtio_pci_detach(struct vb_virtio_pci *d);

#endif
