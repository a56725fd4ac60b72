#include "machine/ram.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

static int map_aligned(uint64_t bytes, uint64_t align, uint8_t **out,
		       struct vb_err *err)
{
	/* mmap only promises page alignment: over-allocate by one alignment
	 * unit and trim both ends so exactly [aligned, aligned + bytes) stays. */
	if (bytes > UINT64_MAX - align)
		return vb_err_set(err, ENOMEM, "guest RAM: %llu bytes is too large",
				  (unsigned long long)bytes);
	uint64_t total = bytes + align;
	void *p = mmap(NULL, total, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return vb_err_errno(err, errno, "guest RAM: mmap %llu bytes",
				    (unsigned long long)total);
	uintptr_t start = (uintptr_t)p;
	uintptr_t aligned = (start + align - 1) & ~(uintptr_t)(align - 1);
	uint64_t head = aligned - start;
	uint64_t tail = total - head - bytes;
	if (head)
		munmap(p, head);
	if (tail)
		munmap((uint8_t *)aligned + bytes, tail);
	*out = (uint8_t *)aligned;
	return 0;
}

static int map_plain(uint64_t bytes, uint8_t **out, struct vb_err *err)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return vb_err_errno(err, errno, "guest RAM: mmap %llu bytes",
				    (unsigned long long)bytes);
	*out = p;
	return 0;
}

static int advise(struct vb_ram *ram, enum vb_ram_pages pages, struct vb_err *err)
{
	if (madvise(ram->host_base, ram->mmap_bytes, MADV_MERGEABLE) != 0 &&
	    errno != EINVAL)
		return vb_err_errno(err, errno, "guest RAM: madvise(MADV_MERGEABLE)");
	if (pages == VB_RAM_SMALL_PAGES)
		return 0;
	if (madvise(ram->host_base, ram->mmap_bytes, MADV_HUGEPAGE) == 0) {
		ram->hugepages = true;
		return 0;
	}
	/* EINVAL: a kernel built without transparent huge pages. */
	if (errno == EINVAL && pages == VB_RAM_HUGE_IF_AVAILABLE)
		return 0;
	if (errno == EINVAL)
		return vb_err_set(err, EINVAL,
				  "guest RAM: hugepages requested but this kernel has no transparent huge pages (madvise MADV_HUGEPAGE: Invalid argument)");
	return vb_err_errno(err, errno, "guest RAM: madvise(MADV_HUGEPAGE)");
}

int vb_ram_map(struct vb_ram *ram, const struct vb_memmap *map, enum vb_ram_pages pages,
	       struct vb_err *err)
{
	memset(ram, 0, sizeof(*ram));
	/* The builder checked against this host's address width already
	 * (vm.c); here the architectural limits guard the mmap arithmetic. */
	int r = vb_memmap_check_ram(map->ram_bytes, 0, err);
	if (r < 0) {
		vb_err_prefix(err, "guest RAM");
		return r;
	}
	if (map->has_gap && map->mmap_bytes < VB_GAP_END_BYTES)
		return vb_err_set(err, EINVAL,
				  "guest RAM: memory map has a gap but the mapping ends inside it");

	uint8_t *base = NULL;
	r = pages != VB_RAM_SMALL_PAGES
		    ? map_aligned(map->mmap_bytes, VB_RAM_HUGEPAGE_BYTES, &base, err)
		    : map_plain(map->mmap_bytes, &base, err);
	if (r < 0)
		return r;
	ram->host_base = base;
	ram->mmap_bytes = map->mmap_bytes;

	if (map->has_gap &&
	    mprotect(base + VB_GAP_START_BYTES, VB_GAP_SIZE_BYTES, PROT_NONE) != 0) {
		r = vb_err_errno(err, errno, "guest RAM: mprotect the 32-bit gap PROT_NONE");
		vb_ram_unmap(ram);
		return r;
	}
	r = advise(ram, pages, err);
	if (r < 0) {
		vb_ram_unmap(ram);
		return r;
	}
	return 0;
}

void vb_ram_unmap(struct vb_ram *ram)
{
	if (ram->host_base)
		munmap(ram->host_base, ram->mmap_bytes);
	ram->host_base = NULL;
	ram->mmap_bytes = 0;
	ram->hugepages = false;
}
