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
 * Fixed MMIO ranges (the virtio-mmio windows and PCI BARs resolve placed,
 * a shmem address from the machine file) are reserved with
 * vb_alloc_mmio_reserve: allocation skips them, and a range overlapping an
 * earlier one is refused naming both. resolve (machine/resolve.c) lays out
 * the machine's whole MMIO map with this allocator, so --check sees every
 * refusal; the builder then reserves exactly those ranges.
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
/* Every MMIO range handed out or reserved: two BARs per device at most,
 * for 64 devices, plus the virtio console and the virtio-mmio windows. */
#define VB_ALLOC_MMIO_RANGES 160

struct vb_alloc_range {
	uint64_t base;
	uint64_t size_bytes;
	const char *owner;
};

struct vb_alloc {
	const char *gsi_owner[VB_ALLOC_GSI_COUNT];
	uint64_t mmio_next;
	uint64_t mmio_end;
	struct vb_alloc_range mmio_taken[VB_ALLOC_MMIO_RANGES];
	unsigned n_mmio_taken;
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
/* Take the fixed range [base, base + size_bytes) out of the MMIO pool.
 * -EINVAL if it is empty, wraps or leaves the window [VB_GAP_START_BYTES,
 * VB_ALLOC_MMIO_END_BYTES); -EBUSY if it overlaps a range taken before
 * (err names both owners); -ENOSPC if VB_ALLOC_MMIO_RANGES are taken. */
int vb_alloc_mmio_reserve(struct vb_alloc *a, uint64_t base, uint64_t size_bytes,
			  const char *owner, struct vb_err *err);
int vb_alloc_pio(struct vb_alloc *a, uint64_t size_bytes, uint64_t align_bytes,
		 const char *owner, uint64_t *port, struct vb_err *err);

/* Slot 0 is the host bridge's. */
int vb_alloc_pci_slot(struct vb_alloc *a, const char *owner, uint32_t *slot,
		      struct vb_err *err);
int vb_alloc_pci_slot_claim(struct vb_alloc *a, uint32_t slot,
			    const char *owner, struct vb_err *err);
void vb_alloc_pci_slot_release(struct vb_alloc *a, uint32_t slot);

#endif
