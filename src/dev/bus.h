/* An I/O bus: port I/O or MMIO address ranges dispatched to devices.
 *
 * One instance serves port I/O, another MMIO. Each range [base, base + len)
 * belongs to one device, named for error messages. Ranges are kept sorted
 * and never overlap; registering an overlapping range fails naming both
 * ("uart (0x3f8-0x3ff) overlaps pci-host (0x3f8-0x3ff)"). Zero-length and
 * wrapping ranges are refused.
 *
 * Threads: registration and unregistration happen while no vCPU runs (the
 * builder attaches devices before starting vCPUs and detaches them after
 * joining them), so the range table needs no lock. Dispatch from many vCPU
 * threads at once is safe; each device serialises its own state with its
 * own mutex.
 *
 * Dispatch: an access must lie entirely inside one range; the handler gets
 * the offset from the range base. Size is 1..8 bytes. An access no device
 * claims returns VB_BUS_UNCLAIMED, and a read is then filled with 0xff
 * bytes, as an undecoded ISA read floats high on a PC; an unclaimed write
 * is to be ignored. A handler returns 0; it must treat any strange
 * offset/size from the guest as harmless (reads 0xff, writes dropped).
 *
 * Ownership: the bus copies the range struct; name and opaque are borrowed
 * and must outlive the registration. */
#ifndef VB_DEV_BUS_H
#define VB_DEV_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define VB_BUS_UNCLAIMED 1
#define VB_BUS_MAX_ACCESS_BYTES 8

/* Range flag: do not report accesses to the debug hook (delay ports like
 * 0x80 that Linux hits thousands of times). */
#define VB_BUS_QUIET 0x1u

typedef int (*vb_bus_access_fn)(void *opaque, uint64_t offset, uint8_t *data,
				uint32_t size, bool is_write);

struct vb_bus_range {
	uint64_t base;
	uint64_t len;
	const char *name;
	vb_bus_access_fn access;
	void *opaque;
	unsigned flags;
};

/* Called after every dispatched access (claimed or not, unless the range is
 * VB_BUS_QUIET): --debug-ioport logs here, --debug-iodelay sleeps here.
 * device is NULL for an unclaimed access. */
struct vb_bus_debug {
	void (*hook)(void *ctx, const char *bus_name, uint64_t addr,
		     const uint8_t *data, uint32_t size, bool is_write,
		     const char *device);
	void *ctx;
};

struct vb_bus {
	const char *name; /* "pio", "mmio": borrowed */
	struct vb_bus_range *ranges;
	size_t count;
	size_t capacity;
	struct vb_bus_debug debug;
};

/* debug may be NULL. */
void vb_bus_init(struct vb_bus *bus, const char *name,
		 const struct vb_bus_debug *debug);
void vb_bus_free(struct vb_bus *bus);

/* 0, -EINVAL (bad range, no handler), -EEXIST (overlap) or -ENOMEM. */
int vb_bus_register(struct vb_bus *bus, const struct vb_bus_range *range,
		    struct vb_err *err);

/* Remove the range starting exactly at base. 0 or -ENOENT. */
int vb_bus_unregister(struct vb_bus *bus, uint64_t base, struct vb_err *err);

/* The range containing addr, or NULL. Binary search. */
const struct vb_bus_range *vb_bus_find(const struct vb_bus *bus, uint64_t addr);

/* 0 when a device handled it, VB_BUS_UNCLAIMED, or the handler's -errno.
 * Sizes 0 or above VB_BUS_MAX_ACCESS_BYTES, and accesses running past the
 * end of a range, are unclaimed. An unclaimed read sets all size bytes of
 * data to 0xff. */
int vb_bus_dispatch(const struct vb_bus *bus, uint64_t addr, uint8_t *data,
		    uint32_t size, bool is_write);

#endif
