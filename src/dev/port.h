/* What the legacy PC devices on the port bus (uart, i8042, rtc) share:
 * the lock their registers are read and written under, their allocation,
 * and the interrupt line and port range they claim when attached. Each of
 * their structs starts with a struct vb_port_dev, so one attach, detach
 * and free serve all three. */
#ifndef VB_DEV_PORT_H
#define VB_DEV_PORT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/dev.h"

struct vb_port_dev {
	pthread_mutex_t lock;
	struct vb_bus *bus; /* where its ports are registered; NULL until then */
	struct vb_alloc *alloc;
	uint64_t base;
	int64_t gsi; /* the interrupt line it claimed; -1: none */
};

/* Allocates a zeroed device struct of size bytes that starts with a
 * struct vb_port_dev, its lock initialised. 0 or -errno with err naming
 * name. */
int vb_port_dev_new(size_t size, const char *name, struct vb_port_dev **out,
		    struct vb_err *err);

/* Gives back what vb_port_dev_attach claimed, destroys the lock and frees
 * the device. NULL: nothing. */
void vb_port_dev_free(struct vb_port_dev *d);

/* Claims interrupt line gsi (none when negative) for range.name and
 * registers range, whose opaque becomes d, on env's port bus. On success
 * *state is d; on failure nothing stays claimed and d is freed. */
int vb_port_dev_attach(struct vb_port_dev *d, struct vb_dev_env *env, struct vb_bus_range range,
		       int64_t gsi, void **state, struct vb_err *err);

/* The detach op of such a device (state: what attach stored). */
void vb_port_dev_detach(void *state);

#endif
