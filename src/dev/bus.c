#include "dev/bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void vb_bus_init(struct vb_bus *bus, const char *name,
		 const struct vb_bus_debug *debug)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	if (debug)
		bus->debug = *debug;
}

void vb_bus_free(struct vb_bus *bus)
{
	free(bus->ranges);
	bus->ranges = NULL;
	bus->count = bus->capacity = 0;
}

static uint64_t range_last(const struct vb_bus_range *r)
{
	return r->base + (r->len - 1);
}

/* Index of the first range whose last address is >= addr (count if none). */
static size_t lower_bound(const struct vb_bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (range_last(&bus->ranges[mid]) < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int overlap_error(const struct vb_bus_range *new_range,
			 const struct vb_bus_range *old, struct vb_err *err)
{
	return vb_refuse(err, VB_REFUSAL_MMIO_OVERLAP, EEXIST,
			 "%s (0x%llx-0x%llx) overlaps %s (0x%llx-0x%llx)",
			 new_range->name, (unsigned long long)new_range->base,
			 (unsigned long long)range_last(new_range), old->name,
			 (unsigned long long)old->base,
			 (unsigned long long)range_last(old));
}

static int grow(struct vb_bus *bus, struct vb_err *err)
{
	if (bus->count < bus->capacity)
		return 0;
	size_t cap = bus->capacity ? bus->capacity * 2 : 16;
	struct vb_bus_range *n = realloc(bus->ranges, cap * sizeof(*n));
	if (!n)
		return vb_err_errno(err, ENOMEM, "%s bus", bus->name);
	bus->ranges = n;
	bus->capacity = cap;
	return 0;
}

int vb_bus_register(struct vb_bus *bus, const struct vb_bus_range *range,
		    struct vb_err *err)
{
	const char *name = range->name ? range->name : "?";
	if (!range->access)
		return vb_err_set(err, EINVAL, "%s: no access handler", name);
	if (range->len == 0)
		return vb_err_set(err, EINVAL, "%s: empty range at 0x%llx",
				  name, (unsigned long long)range->base);
	if (range->base + (range->len - 1) < range->base)
		return vb_err_set(err, EINVAL,
				  "%s: range at 0x%llx of 0x%llx bytes wraps",
				  name, (unsigned long long)range->base,
				  (unsigned long long)range->len);
	struct vb_bus_range copy = *range;
	copy.name = name;
	size_t i = lower_bound(bus, copy.base);
	if (i < bus->count && bus->ranges[i].base <= range_last(&copy))
		return overlap_error(&copy, &bus->ranges[i], err);
	int r = grow(bus, err);
	if (r < 0)
		return r;
	memmove(&bus->ranges[i + 1], &bus->ranges[i],
		(bus->count - i) * sizeof(bus->ranges[0]));
	bus->ranges[i] = copy;
	bus->count++;
	return 0;
}

int vb_bus_unregister(struct vb_bus *bus, uint64_t base, struct vb_err *err)
{
	size_t i = lower_bound(bus, base);
	if (i >= bus->count || bus->ranges[i].base != base)
		return vb_err_set(err, ENOENT, "%s bus: no range at 0x%llx",
				  bus->name, (unsigned long long)base);
	memmove(&bus->ranges[i], &bus->ranges[i + 1],
		(bus->count - i - 1) * sizeof(bus->ranges[0]));
	bus->count--;
	return 0;
}

const struct vb_bus_range *vb_bus_find(const struct vb_bus *bus, uint64_t addr)
{
	size_t i = lower_bound(bus, addr);
	if (i < bus->count && bus->ranges[i].base <= addr)
		return &bus->ranges[i];
	return NULL;
}

static const struct vb_bus_range *claim(const struct vb_bus *bus,
					uint64_t addr, uint32_t size)
{
	if (size == 0 || size > VB_BUS_MAX_ACCESS_BYTES)
		return NULL;
	const struct vb_bus_range *r = vb_bus_find(bus, addr);
	/* addr - base < len holds; the access must also end inside. */
	if (r && size - 1 > range_last(r) - addr)
		return NULL;
	return r;
}

int vb_bus_dispatch(const struct vb_bus *bus, uint64_t addr, uint8_t *data,
		    uint32_t size, bool is_write)
{
	const struct vb_bus_range *r = claim(bus, addr, size);
	int ret;
	if (r) {
		ret = r->access(r->opaque, addr - r->base, data, size, is_write);
	} else {
		if (!is_write && size > 0)
			memset(data, 0xff, size);
		ret = VB_BUS_UNCLAIMED;
	}
	if (bus->debug.hook && !(r && (r->flags & VB_BUS_QUIET)))
		bus->debug.hook(bus->debug.ctx, bus->name, addr, data, size,
				is_write, r ? r->name : NULL);
	return ret;
}
