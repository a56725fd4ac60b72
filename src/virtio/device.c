/* The attach and detach every virtio device shares (device.h). */
#include "virtio/device.h"

#include <errno.h>
#include <stdlib.h>

#include "parse/desc.h"

const char *vb_virtio_setup_string(const struct vb_virtio_setup *s, const char *key)
{
	return s->p->desc ? vb_device_string(s->p->desc, key) : NULL;
}

int vb_virtio_dev_attach_arg(const struct vb_device_ops *self, struct vb_dev_env *env,
			     const void *config, void *arg, void **state, struct vb_err *err)
{
	const struct vb_virtio_device_ops *m = self->data;
	const struct vb_virtio_placement pc_default = { .name = self->name };
	const struct vb_virtio_placement *p = config ? config : &pc_default;
	const char *name = p->name ? p->name : self->name;
	struct vb_virtio_dev *d = calloc(1, m->state_bytes);
	if (!d)
		return vb_err_errno(err, ENOMEM, "%s", name);
	d->ops = m;
	d->name = name;
	struct vb_virtio_setup s = { .env = env, .p = p, .arg = arg, .features = m->features };
	int r = m->setup ? m->setup(d, &s, err) : 0;
	if (!r) {
		struct vb_irq none = { 0 };
		r = vb_virtio_init(&d->vio, m, s.features, d, name, env->mem, none, env->log,
				   env->log_ctx, err);
		d->core_ready = !r;
	}
	if (!r)
		r = vb_virtio_transport_attach(env, p, &d->vio, &d->transport, err);
	if (!r && m->start) {
		r = m->start(d, err);
		d->started = !r;
	}
	if (r < 0) {
		vb_virtio_dev_detach(d);
		return r;
	}
	*state = d;
	return 0;
}

int vb_virtio_dev_attach(const struct vb_device_ops *self, struct vb_dev_env *env,
			 const void *config, void **state, struct vb_err *err)
{
	return vb_virtio_dev_attach_arg(self, env, config, NULL, state, err);
}

void vb_virtio_dev_detach(void *state)
{
	struct vb_virtio_dev *d = state;
	if (!d)
		return;
	if (d->started && d->ops->stop)
		d->ops->stop(d);
	vb_virtio_transport_detach(&d->transport);
	if (d->core_ready)
		vb_virtio_destroy(&d->vio);
	if (d->ops->teardown)
		d->ops->teardown(d);
	free(d);
}

int vb_virtio_serve_locked(struct vb_virtio *v, unsigned q, void *dev,
			   int (*serve)(struct vb_virtio *v, void *dev,
					const struct vb_virtq_chain *c, uint32_t *written,
					struct vb_err *err),
			   struct vb_err *err)
{
	int r;
	struct vb_virtq_chain c;
	while ((r = vb_virtio_pop_locked(v, q, &c, err)) > 0) {
		uint32_t written = 0;
		r = serve(v, dev, &c, &written, err);
		if (!r)
			r = vb_virtio_push_locked(v, q, c.head, written, err);
		if (r < 0)
			break;
	}
	vb_virtio_signal_locked(v, q);
	return r < 0 ? r : 0;
}
