/* The attach and detach every virtio device shares.
 *
 * A virtio device is its const struct vb_virtio_device_ops (virtio.h: the
 * callbacks the core runs, and the size of its state and what it does
 * itself around the transport) and, per instance, a state: a struct whose
 * first member is struct vb_virtio_dev. Its vb_device_ops (dev/dev.h) are
 * VB_VIRTIO_DEVICE_OPS("rng", &rng_device), and vb_virtio_dev_attach
 * does, in order:
 *   1. allocate the state (zeroed), named by the placement (or the ops);
 *   2. setup: the device's own resources (a disk image, a 9P server, a
 *      network backend), and which features it offers;
 *   3. vb_virtio_init: the device model core (virtio.h);
 *   4. the transport the placement names (PCI or MMIO: transport.h),
 *      which plugs the device into the buses and gives it its line;
 *   5. start: what runs once the device is plugged in (net's I/O thread);
 * and, when a step fails, undoes the ones done, in reverse.
 * vb_virtio_dev_detach undoes all of it: stop, transport, core, teardown,
 * free.
 *
 * The core hands each callback the state as its `dev` (virtio.h). */
#ifndef VB_VIRTIO_DEVICE_H
#define VB_VIRTIO_DEVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "dev/dev.h"
#include "util/err.h"
#include "virtio/virtio.h"

struct vb_virtio_dev;

/* What a device's setup works from, and what it may choose. */
struct vb_virtio_setup {
	struct vb_dev_env *env;
	/* The placement: a PC default named as the ops when attach got no
	 * config; desc may be NULL in tests. */
	const struct vb_virtio_placement *p;
	void *arg;         /* vb_virtio_dev_attach_arg's */
	uint64_t features; /* the ops' features, which setup may change */
};

/* A string key of the device's description (s->p->desc), or NULL when
 * it has none or there is no description (tests attach without one). */
const char *vb_virtio_setup_string(const struct vb_virtio_setup *s, const char *key);

struct vb_virtio_dev {
	struct vb_virtio vio;
	struct vb_virtio_transport_state transport;
	const struct vb_virtio_device_ops *ops;
	const char *name;   /* borrowed: the placement's or the ops' */
	bool core_ready;    /* vio initialised */
	bool started;
};

/* A virtio device's vb_device_ops, named name (the registry's), for its
 * const struct vb_virtio_device_ops *device. */
#define VB_VIRTIO_DEVICE_OPS(name_, device)                                      \
	{ .name = (name_), .attach = vb_virtio_dev_attach, .detach = vb_virtio_dev_detach, \
	  .data = (device) }

/* The attach of a virtio device's ops (self->data its virtio ops): attaches it
 * as config (a const struct vb_virtio_placement *, or NULL: PCI in the
 * first free slot) says; *state is its state for vb_virtio_dev_detach. 0
 * or -errno with err filled; on failure nothing is left. */
int vb_virtio_dev_attach(const struct vb_device_ops *self, struct vb_dev_env *env,
			 const void *config, void **state, struct vb_err *err);
/* The same, handing the setup arg (net's backend). */
int vb_virtio_dev_attach_arg(const struct vb_device_ops *self, struct vb_dev_env *env,
			     const void *config, void *arg, void **state, struct vb_err *err);
/* The usual queue_notify (virtio.h), mutex held: every chain available on
 * queue q, in ring order, answered by serve (which sets how many bytes it
 * wrote into the chain's device-writable part) and pushed back; then an
 * interrupt if the driver wants one. Stops at the first violation, serve's
 * or the ring's, and returns it (-errno, err filled); else 0. */
int vb_virtio_serve_locked(struct vb_virtio *v, unsigned q, void *dev,
			   int (*serve)(struct vb_virtio *v, void *dev,
					const struct vb_virtq_chain *c, uint32_t *written,
					struct vb_err *err),
			   struct vb_err *err);

/* Detaches and frees a state vb_virtio_dev_attach made (NULL: nothing). */
void vb_virtio_dev_detach(void *state);

#endif
