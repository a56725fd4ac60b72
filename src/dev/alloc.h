/* Resource allocator for devices: GSIs, MMIO ranges, PCI I/O ports, PCI
 * slots.
 *
 * Legacy PC devices sit at fixed ports and ISA IRQs and claim them
 * (vb_alloc_gsi_claim) so that nothing else is handed the same line;
 * virtio devices ask for whatever is free. Pure bookkeeping: no syscalls,
 * no locking (used while the machine is built, before vCPUs start).
 *
 * GSIs: the IOAPIC has 24 pins (0..23). At init, the lines the platform
 * itself uses are taken: 0 (PIT), 2 (cascade / PIT under the IOAPIC),
 * 8 (RTC), 13 (FPU error); 1, 3, 4 and 12 are left for the i8042 and the
 * UARTs to claim. Allocation gives the lowest free line from 5 upwards.
 *
 * MMIO: bump allocation in the 32-bit gap, [VB_GAP_START_BYTES,
 * VB_ALLOC_MMIO_END_BYTES): the gap ends at the IOAPIC (0xFEC00000), above
 * which sit the IOAPIC, HPET and local APIC pages.
 *
 * MMIO and port ranges are never given back: devices live as long as the
 * machine. Every function returns 0 or -errno (-ENOSPC when exhausted, -EBUSY when a
 * fixed resource is taken, -EINVAL for bad arguments) and fills err. Owner
 * names are borrowed and must outlive the allocator. */
#ifndef VB_DEV_ALLOC_H
#define VB_DEV_ALLOC_H

#include <stdint.h>

#include "util/err.h"

#define VB_ALLOC_GSI_COUNT 24
#define VB_ALLOC_FIRST_DYNAMIC_GSI 5
#define VB_ALLOC_MMIO_END_BYTES 0xFEC00000ULL
/* PCI I/O BARs: above the ISA range and the PCI config ports. */
#define VB_ALLOC_PIO_START 0x1000ULL
#define VB_ALLOC_PIO_END 0x10000ULL
#define VB_ALLOC_PCI_SLOTS 32

struct vb_alloc {
	const char *gsi_owner[VB_ALLOC_GSI_COUNT];
	uint64_t mmio_next;
	uint64_t mmio_end;
	uint64_t pio_next;
	uint64_t pio_end;
	const char *slot_owner[VB_ALLOC_PCI_SLOTS];
};

void vb_alloc_init(struct vb_alloc *a);

int vb_alloc_gsi(struct vb_alloc *a, const char *owner, uint32_t *gsi,
		 struct vb_err *err);
int vb_alloc_gsi_claim(struct vb_alloc *a, uint32_t gsi, const char *owner,
		       struct vb_err *err);
/* Give a line back (a device's detach, or its failed attach). */
void vb_alloc_gsi_release(struct vb_alloc *a, uint32_t gsi);

/* size_bytes > 0; align_bytes a power of two (0 means size rounded up to a
 * power of two, the natural alignment a PCI BAR needs). */
int vb_alloc_mmio(struct vb_alloc *a, uint64_t size_bytes,
		  uint64_t align_bytes, const char *owner, uint64_t *addr,
		  struct vb_err *err);
int vb_alloc_pio(struct vb_alloc *a, uint64_t size_bytes, uint64_t align_bytes,
		 const char *owner, uint64_t *port, struct vb_err *err);

/* Slot 0 is the host bridge's. */
int vb_alloc_pci_slot(struct vb_alloc *a, const char *owner, uint32_t *slot,
		      struct vb_err *err);
int vb_alloc_pci_slot_claim(struct vb_alloc *a, uint32_t slot,
			    const char *owner, struct vb_err *err);
void vb_alloc_pci_slot_release(struct vb_alloc *a, uint32_t slot);

#endif
