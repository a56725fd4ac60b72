#include "virtio/transport.h"

#include <errno.h>
#include <stdlib.h>

struct vb_virtio_transport_state {
	enum vb_virtio_transport kind;
	struct vb_virtio_mmio *mmio;
	struct vb_virtio_pci *pci;
};

int vb_virtio_transport_attach(struct vb_dev_env *env, const struct vb_virtio_placement *p,
			       struct vb_virtio *v, struct vb_virtio_transport_state **out,
			       struct vb_err *err)
{
	struct vb_virtio_transport_state *t = calloc(1, sizeof(*t));
	if (!t)
		return vb_err_errno(err, ENOMEM, "%s", v->name);
	t->kind = p->transport;
	int r;
	switch (p->transport) {
	case VB_VIRTIO_MMIO: r = vb_virtio_mmio_attach(env, p, v, &t->mmio, err); break;
	case VB_VIRTIO_PCI: r = vb_virtio_pci_attach(env, p, v, &t->pci, err); break;
	default: r = vb_err_set(err, EINVAL, "%s: unknown transport", v->name); break;
	}
	if (r < 0) {
		free(t);
		return r;
	}
	*out = t;
	return 0;
}

void vb_virtio_transport_detach(struct vb_virtio_transport_state *t)
{
	if (!t)
		return;
	if (t->mmio)
		vb_virtio_mmio_detach(t->mmio);
	if (t->pci)
		vb_virtio_pci_detach(t->pci);
	free(t);
}

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
