/* The two virtio transports behind vb_virtio_transport_attach (virtio.h).
 *
 * mmio.c: virtio-mmio version 2 (virtio 1.x, 4.2) at a fixed window and
 * GSI from the machine graph; the kernel learns of it from the command
 * line (virtio_mmio.device=SIZE@BASE:GSI, written by resolve).
 *
 * pci.c: virtio-pci modern (4.1), non-transitional: 1af4:(1040 + id) on
 * the PCI host bridge (env->pci, which must be attached first), one
 * 32-bit memory BAR from the MMIO allocator holding the common, ISR,
 * notify and device configuration structures (and the MSI-X table and
 * PBA), MSI-X where the env routes messages, INTx pin A on a GSI from
 * the allocator as the fallback: see pci.c.
 *
 * Both register their ranges on env->mmio at attach and unregister them
 * at detach; both set v->irq; both add their doorbells (doorbell.h).
 * Internal to src/virtio. */
#ifndef VB_VIRTIO_TRANSPORT_H
#define VB_VIRTIO_TRANSPORT_H

#include "virtio/virtio.h"

/* virtio-mmio register window size (4.2.2: config space from 0x100). */
#define VB_VIRTIO_MMIO_MIN_BYTES 0x200u

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
