#include "virtio/doorbell.h"

void vb_virtio_doorbells_add(struct vb_virtio_doorbells *d, const struct vb_dev_env *env,
			     struct vb_virtio *v,
			     void (*db_at)(void *opaque, unsigned q, struct vb_doorbell *db),
			     void (*fn)(void *opaque, unsigned q), void *opaque)
{
	d->env = env;
	d->n = 0;
	if (!env->doorbell_add || !env->doorbell_remove)
		return;
	for (unsigned q = 0; q < v->ops->num_queues; q++) {
		struct vb_doorbell db;
		struct vb_err err;
		db_at(opaque, q, &db);
		if (env->doorbell_add(env->doorbell_ctx, &db, fn, opaque, q, &d->id[q], &err) < 0) {
			vb_virtio_doorbells_remove(d);
			vb_dev_env_log(env, "%s: queue %u doorbell: %s; notifications exit instead",
				       v->name, q, err.msg);
			return;
		}
		d->n = q + 1;
	}
}

void vb_virtio_doorbells_remove(struct vb_virtio_doorbells *d)
{
	for (unsigned q = 0; q < d->n; q++)
		d->env->doorbell_remove(d->env->doorbell_ctx, d->id[q]);
	d->n = 0;
}

int vb_virtio_doorbell_take(struct vb_virtio_doorbells *d, unsigned q)
{
	if (!d || q >= d->n || !d->env->doorbell_fd)
		return -1;
	return d->env->doorbell_fd(d->env->doorbell_ctx, d->id[q], true);
}
