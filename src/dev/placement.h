/* Where the builder placed a graph device: the config every graph device's
 * attach gets (dev.h vb_device_ops), whatever its kind. Filled by the
 * builder from the machine graph (machine/machine.h).
 *
 * Here, in the device framework, because both floors use it: the virtio
 * transports (virtio/transport.h) read the transport, slot, window and
 * line; a plain PCI device (ivshmem.c) reads the name, slot, description
 * and BARs. In virtio.h it made dev/ include virtio/. The names keep their
 * virtio prefix from when only virtio devices had one. */
#ifndef VB_DEV_PLACEMENT_H
#define VB_DEV_PLACEMENT_H

#include <stdint.h>

/* How a virtio device reaches the guest; other devices are PCI. */
enum vb_virtio_transport { VB_VIRTIO_PCI, VB_VIRTIO_MMIO };

struct vb_device_desc; /* parse/desc.h */

struct vb_virtio_placement {
	const char *name; /* instance name ("rng0"), borrowed */
	/* What the machine file says about this device (path, readonly,
	 * tag ...), borrowed; NULL in tests that attach with defaults. */
	const struct vb_device_desc *desc;
	/* The machine's name, borrowed; NULL in tests (virtio-net derives
	 * stable MACs from it). */
	const char *machine_name;
	/* The machine's vCPU count (what a device sizes its queues by); 0 in
	 * tests: unknown. */
	unsigned cpus;
	enum vb_virtio_transport transport;
	uint32_t pci_slot;     /* PCI: device number on bus 0; 0 = any free one */
	uint64_t mmio_base;    /* MMIO: register window */
	uint64_t mmio_bytes;
	uint32_t gsi;          /* interrupt line; PCI: 0 = any free one */
	/* PCI: where resolve placed the memory BAR (virtio-pci's registers,
	 * a shmem's memory), reserved at attach; 0 = allocate one. */
	uint64_t bar_base;
	uint64_t reg_base;     /* shmem: its register BAR; 0 = allocate */
};

#endif
