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
