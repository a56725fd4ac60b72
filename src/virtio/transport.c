#include "virtio/transport.h"

#include <errno.h>

int vb_virtio_transport_attach(struct vb_dev_env *env, const struct vb_virtio_placement *p,
			       struct vb_virtio *v, struct vb_virtio_transport_state *t,
			       struct vb_err *err)
{
	switch (p->transport) {
	case VB_VIRTIO_MMIO: return vb_virtio_mmio_attach(env, p, v, &t->mmio, err);
	case VB_VIRTIO_PCI: return vb_virtio_pci_attach(env, p, v, &t->pci, err);
	default: return vb_err_set(err, EINVAL, "%s: unknown transport", v->name);
	}
}

void vb_virtio_transport_detach(struct vb_virtio_transport_state *t)
{
	vb_virtio_mmio_detach(t->mmio);
	vb_virtio_pci_detach(t->pci);
	t->mmio = NULL;
	t->pci = NULL;
}
