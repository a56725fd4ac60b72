#include "dev/port.h"

#include <errno.h>
#include <stdlib.h>

int vb_port_dev_new(size_t size, const char *name, struct vb_port_dev **out,
		    struct vb_err *err)
{
	struct vb_port_dev *d = calloc(1, size);
	if (!d)
		return vb_err_errno(err, ENOMEM, "%s", name);
	int r = pthread_mutex_init(&d->lock, NULL);
	if (r) {
		free(d);
		return vb_err_errno(err, r, "%s: mutex", name);
	}
	d->gsi = -1;
	*out = d;
	return 0;
}

void vb_port_dev_free(struct vb_port_dev *d)
{
	if (!d)
		return;
	if (d->bus)
		(void)vb_bus_unregister(d->bus, d->base, NULL);
	if (d->gsi >= 0)
		vb_alloc_gsi_release(d->alloc, (uint32_t)d->gsi);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

int vb_port_dev_attach(struct vb_port_dev *d, struct vb_dev_env *env, struct vb_bus_range range,
		       int64_t gsi, void **state, struct vb_err *err)
{
	d->alloc = env->alloc;
	int r = gsi < 0 ? 0 : vb_alloc_gsi_claim(env->alloc, (uint32_t)gsi, range.name, err);
	if (r == 0) {
		d->gsi = gsi;
		range.opaque = d;
		r = vb_bus_register(env->pio, &range, err);
	}
	if (r < 0) {
		vb_port_dev_free(d);
		return r;
	}
	d->bus = env->pio;
	d->base = range.base;
	*state = d;
	return 0;
}

void vb_port_dev_detach(void *state)
{
	vb_port_dev_free(state);
}
