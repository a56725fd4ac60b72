#include "dev/alloc.h"

#include <errno.h>
#include <string.h>

#include "machine/memmap.h"

void vb_alloc_init(struct vb_alloc *a)
{
	memset(a, 0, sizeof(*a));
	a->gsi_owner[0] = "pit";
	a->gsi_owner[2] = "pit";
	a->gsi_owner[8] = "rtc";
	a->gsi_owner[13] = "fpu";
	a->mmio_next = VB_GAP_START_BYTES;
	a->mmio_end = VB_ALLOC_MMIO_END_BYTES;
	a->pio_next = VB_ALLOC_PIO_START;
	a->pio_end = VB_ALLOC_PIO_END;
}

int vb_alloc_gsi(struct vb_alloc *a, const char *owner, uint32_t *gsi,
		 struct vb_err *err)
{
	for (uint32_t i = VB_ALLOC_FIRST_DYNAMIC_GSI; i < VB_ALLOC_GSI_COUNT; i++) {
		if (!a->gsi_owner[i]) {
			a->gsi_owner[i] = owner ? owner : "?";
			*gsi = i;
			return 0;
		}
	}
	return vb_err_set(err, ENOSPC, "%s: no free interrupt line (all %d used)",
			  owner, VB_ALLOC_GSI_COUNT);
}

int vb_alloc_gsi_claim(struct vb_alloc *a, uint32_t gsi, const char *owner,
		       struct vb_err *err)
{
	if (gsi >= VB_ALLOC_GSI_COUNT)
		return vb_err_set(err, EINVAL, "%s: GSI %u out of range (0-%d)",
				  owner, gsi, VB_ALLOC_GSI_COUNT - 1);
	if (a->gsi_owner[gsi])
		return vb_err_set(err, EBUSY, "%s: GSI %u already used by %s",
				  owner, gsi, a->gsi_owner[gsi]);
	a->gsi_owner[gsi] = owner ? owner : "?";
	return 0;
}

void vb_alloc_gsi_release(struct vb_alloc *a, uint32_t gsi)
{
	if (gsi < VB_ALLOC_GSI_COUNT)
		a->gsi_owner[gsi] = NULL;
}

static int bump(uint64_t *next, uint64_t end, uint64_t size, uint64_t align,
		uint64_t *out)
{
	if (size == 0)
		return -EINVAL;
	if (align == 0) {
		align = 1;
		while (align < size) {
			if (align > (UINT64_MAX >> 1))
				return -ENOSPC;
			align <<= 1;
		}
	}
	if (align & (align - 1))
		return -EINVAL;
	uint64_t start = (*next + (align - 1)) & ~(align - 1);
	if (start < *next || start > end || size > end - start)
		return -ENOSPC;
	*out = start;
	*next = start + size;
	return 0;
}

static int bump_error(int r, const char *what, const char *owner,
		      uint64_t size, uint64_t align, struct vb_err *err)
{
	if (r == -EINVAL)
		return vb_err_set(err, EINVAL,
				  "%s: bad %s request (0x%llx bytes, align 0x%llx)",
				  owner, what, (unsigned long long)size,
				  (unsigned long long)align);
	return vb_err_set(err, ENOSPC, "%s: %s space exhausted (0x%llx bytes wanted)",
			  owner, what, (unsigned long long)size);
}

int vb_alloc_mmio(struct vb_alloc *a, uint64_t size_bytes,
		  uint64_t align_bytes, const char *owner, uint64_t *addr,
		  struct vb_err *err)
{
	int r = bump(&a->mmio_next, a->mmio_end, size_bytes, align_bytes, addr);
	return r ? bump_error(r, "MMIO", owner, size_bytes, align_bytes, err) : 0;
}

int vb_alloc_pio(struct vb_alloc *a, uint64_t size_bytes, uint64_t align_bytes,
		 const char *owner, uint64_t *port, struct vb_err *err)
{
	int r = bump(&a->pio_next, a->pio_end, size_bytes, align_bytes, port);
	return r ? bump_error(r, "port I/O", owner, size_bytes, align_bytes, err) : 0;
}

int vb_alloc_pci_slot(struct vb_alloc *a, const char *owner, uint32_t *slot,
		      struct vb_err *err)
{
	for (uint32_t i = 1; i < VB_ALLOC_PCI_SLOTS; i++) {
		if (!a->slot_owner[i]) {
			a->slot_owner[i] = owner ? owner : "?";
			*slot = i;
			return 0;
		}
	}
	return vb_err_set(err, ENOSPC, "%s: no free PCI slot", owner);
}

int vb_alloc_pci_slot_claim(struct vb_alloc *a, uint32_t slot,
			    const char *owner, struct vb_err *err)
{
	if (slot >= VB_ALLOC_PCI_SLOTS)
		return vb_err_set(err, EINVAL, "%s: PCI slot %u out of range",
				  owner, slot);
	if (a->slot_owner[slot])
		return vb_err_set(err, EBUSY, "%s: PCI slot %u already used by %s",
				  owner, slot, a->slot_owner[slot]);
	a->slot_owner[slot] = owner ? owner : "?";
	return 0;
}

void vb_alloc_pci_slot_release(struct vb_alloc *a, uint32_t slot)
{
	if (slot < VB_ALLOC_PCI_SLOTS)
		a->slot_owner[slot] = NULL;
}
