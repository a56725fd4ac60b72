#include "dev/alloc.h"

#include <errno.h>
#include <string.h>

#include "mem/memmap.h"

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
	return vb_refuse(err, VB_REFUSAL_IRQ_LINES, ENOSPC,
			 "%s: no free interrupt line (all %d used)", owner, VB_ALLOC_GSI_COUNT);
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

/* Ranges never wrap and lie below 4 GiB (reserve checks), so the sums
 * cannot overflow. */
static const struct vb_alloc_range *mmio_overlap(const struct vb_alloc *a, uint64_t base,
						 uint64_t size)
{
	for (unsigned i = 0; i < a->n_mmio_taken; i++) {
		const struct vb_alloc_range *r = &a->mmio_taken[i];
		if (base < r->base + r->size_bytes && r->base < base + size)
			return r;
	}
	return NULL;
}

static int mmio_record(struct vb_alloc *a, uint64_t base, uint64_t size, const char *owner,
		       struct vb_err *err)
{
	if (a->n_mmio_taken == VB_ALLOC_MMIO_RANGES)
		return vb_err_set(err, ENOSPC, "%s: more than %d MMIO ranges", owner,
				  VB_ALLOC_MMIO_RANGES);
	a->mmio_taken[a->n_mmio_taken++] = (struct vb_alloc_range){ base, size, owner ? owner : "?" };
	return 0;
}

int vb_alloc_mmio(struct vb_alloc *a, uint64_t size_bytes,
		  uint64_t align_bytes, const char *owner, uint64_t *addr,
		  struct vb_err *err)
{
	uint64_t next = a->mmio_next, start;
	for (;;) {
		int r = bump(&next, a->mmio_end, size_bytes, align_bytes, &start);
		if (r == -ENOSPC)
			return vb_refuse(err, VB_REFUSAL_MMIO_SPACE, ENOSPC,
					 "%s: no room for 0x%llx bytes in the PCI window [0x%llx, 0x%llx)",
					 owner, (unsigned long long)size_bytes,
					 (unsigned long long)VB_GAP_START_BYTES,
					 (unsigned long long)a->mmio_end);
		if (r)
			return bump_error(r, "MMIO", owner, size_bytes, align_bytes, err);
		const struct vb_alloc_range *taken = mmio_overlap(a, start, size_bytes);
		if (!taken)
			break;
		next = taken->base + taken->size_bytes;
	}
	int r = mmio_record(a, start, size_bytes, owner, err);
	if (r)
		return r;
	a->mmio_next = next;
	*addr = start;
	return 0;
}

int vb_alloc_mmio_reserve(struct vb_alloc *a, uint64_t base, uint64_t size_bytes,
			  const char *owner, struct vb_err *err)
{
	if (base < VB_GAP_START_BYTES || base > a->mmio_end || size_bytes == 0 ||
	    size_bytes > a->mmio_end - base)
		return vb_refuse(err, VB_REFUSAL_MMIO_WINDOW, EINVAL,
				 "%s: [0x%llx, +0x%llx) is outside the PCI window [0x%llx, 0x%llx)",
				 owner, (unsigned long long)base, (unsigned long long)size_bytes,
				 (unsigned long long)VB_GAP_START_BYTES,
				 (unsigned long long)a->mmio_end);
	const struct vb_alloc_range *taken = mmio_overlap(a, base, size_bytes);
	if (taken)
		return vb_refuse(err, VB_REFUSAL_MMIO_OVERLAP, EBUSY,
				 "%s: [0x%llx, 0x%llx) overlaps %s [0x%llx, 0x%llx)", owner,
				 (unsigned long long)base, (unsigned long long)(base + size_bytes),
				 taken->owner, (unsigned long long)taken->base,
				 (unsigned long long)(taken->base + taken->size_bytes));
	return mmio_record(a, base, size_bytes, owner, err);
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
	return vb_refuse(err, VB_REFUSAL_PCI_SLOTS, ENOSPC, "%s: no free PCI slot", owner);
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
