/* vhost-net for a tap NIC (vhost_net.h). */
#include "virtio/vhost_net.h"

#include <linux/vhost.h>
#include <string.h>

#include "virtio/net.h"

#define BIT(n) (1ULL << (n))

int vb_vhost_net_open(struct vb_vhost_net *vn, const struct vb_vhost_kernel *k, const char *name,
		      int tap_fd, const struct vb_guest_mem *mem, struct vb_err *err)
{
	memset(vn->serving, 0, sizeof(vn->serving));
	vn->tap_fd = tap_fd;
	int r = vb_vhost_open(&vn->vhost, k, VB_VHOST_NET_PATH, VB_VHOST_NET_MODULE, name,
			      VB_VHOST_NET_QUEUES, err);
	if (r < 0)
		return r;
	r = vb_vhost_set_mem(&vn->vhost, mem, err);
	if (r < 0)
		vb_vhost_close(&vn->vhost);
	return r;
}

uint64_t vb_vhost_net_features(const struct vb_vhost_net *vn)
{
	/* Only the bits whose meaning is the kernel's alone: a device-type
	 * bit a newer vhost-net reports may need a configuration field or a
	 * control queue vmboot does not have. */
	return vb_vhost_device_features(&vn->vhost) & BIT(VB_VIRTIO_NET_F_MRG_RXBUF);
}

/* Queue q's backend: the tap (fd >= 0) or none (-1). */
static int set_backend(struct vb_vhost_net *vn, unsigned q, int fd, struct vb_err *err)
{
	struct vhost_vring_file backend = { .index = q, .fd = fd };
	int r = vb_vhost_ioctl(&vn->vhost, VHOST_NET_SET_BACKEND, &backend,
			       fd >= 0 ? "VHOST_NET_SET_BACKEND" : "VHOST_NET_SET_BACKEND -1", err);
	if (!r)
		vn->serving[q] = fd >= 0;
	return r;
}

int vb_vhost_net_start(struct vb_vhost_net *vn, struct vb_virtio *v, struct vb_err *err)
{
	int r = vb_vhost_start(&vn->vhost, v, err);
	for (unsigned q = 0; !r && q < VB_VHOST_NET_QUEUES; q++)
		r = set_backend(vn, q, vn->tap_fd, err);
	/* A device the core is about to mark NEEDS_RESET must not keep a
	 * queue running in the kernel. */
	if (r < 0)
		vb_vhost_net_stop(vn);
	return r;
}

void vb_vhost_net_stop(struct vb_vhost_net *vn)
{
	struct vb_err ignored;
	for (unsigned q = 0; q < VB_VHOST_NET_QUEUES; q++)
		if (vn->serving[q])
			(void)set_backend(vn, q, -1, &ignored);
}

void vb_vhost_net_release(struct vb_vhost_net *vn)
{
	if (vn->vhost.fd < 0)
		return;
	struct vb_err ignored;
	/* vhost-net's RESET_OWNER stops both queues and flushes its worker;
	 * vb_vhost_close repeats it, harmlessly (the kernel then answers
	 * EPERM: there is no owner left). */
	(void)vb_vhost_ioctl(&vn->vhost, VHOST_RESET_OWNER, NULL, "VHOST_RESET_OWNER", &ignored);
	memset(vn->serving, 0, sizeof(vn->serving));
}
