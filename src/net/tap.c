/* The tap backend: a Linux tap opened with IFF_VNET_HDR, so frames carry
 * the virtio-net header and the kernel does checksum and segmentation
 * work the guest offloads (Documentation/networking/tuntap.rst). */
#include "net/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "net/fdio.h"

static int tap_set_offload(struct vb_net_backend *b, unsigned offloads)
{
	/* VB_NET_OFFLOAD_* use the TUN_F_* values. */
	unsigned long f = 0;
	if (offloads & VB_NET_OFFLOAD_CSUM)
		f |= TUN_F_CSUM;
	if (offloads & VB_NET_OFFLOAD_TSO4)
		f |= TUN_F_TSO4;
	if (offloads & VB_NET_OFFLOAD_TSO6)
		f |= TUN_F_TSO6;
	if (offloads & VB_NET_OFFLOAD_TSO_ECN)
		f |= TUN_F_TSO_ECN;
	return ioctl(vb_net_fdio_fd(b), TUNSETOFFLOAD, f) < 0 ? -errno : 0;
}

/* VB_NET_FDIO_OPS, and the tap's own two: its offloads, and its fd for
 * vhost-net, which reads and writes the tap in the kernel (the header
 * size set below is the one vhost-net expects: virtio 1.x's 12 bytes). */
static const struct vb_net_backend_ops tap_ops = {
	.kind = "tap", .send = vb_net_fdio_send, .poll_prepare = vb_net_fdio_prepare,
	.poll_dispatch = vb_net_fdio_dispatch, .set_offload = tap_set_offload,
	.vhost_fd = vb_net_fdio_fd, .destroy = vb_net_fdio_destroy,
};

static int tap_error(struct vb_err *err, int e, const char *tun_path, const char *name)
{
	switch (e) {
	case EPERM:
	case EACCES:
		return vb_err_set(err, e,
				  "tap \"%s\": %s (create it for this user first, e.g. \"ip tuntap add %s mode tap user $USER\", or run vmboot with CAP_NET_ADMIN)",
				  name, strerror(e), name);
	case EBUSY:
		return vb_err_set(err, e, "tap \"%s\": %s (another process has it open)", name,
				  strerror(e));
	case EINVAL:
		return vb_err_set(err, e, "tap \"%s\": %s (is it a tun device rather than a tap?)",
				  name, strerror(e));
	default:
		return vb_err_set(err, e, "tap \"%s\": TUNSETIFF via %s: %s", name, tun_path,
				  strerror(e));
	}
}

int vb_net_tap_open(const char *tun_path, const char *name, struct vb_net_backend **out,
		    struct vb_err *err)
{
	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return vb_err_set(err, EINVAL, "tap \"%s\": a name of 1 to %d characters is needed",
				  name ? name : "", IFNAMSIZ - 1);
	int fd = open(tun_path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT || e == ENODEV || e == ENXIO)
			return vb_err_set(err, e,
					  "tap \"%s\": open %s: %s (is the tun module loaded? \"modprobe tun\")",
					  name, tun_path, strerror(e));
		return vb_err_set(err, e, "tap \"%s\": open %s: %s", name, tun_path, strerror(e));
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		return tap_error(err, e, tun_path, name);
	}
	/* The virtio 1.x header is 12 bytes (num_buffers included); tun's
	 * default is the legacy 10. */
	int hdr = VB_NET_HDR_BYTES;
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 || ioctl(fd, TUNSETOFFLOAD, 0UL) < 0) {
		int e = errno;
		close(fd);
		return vb_err_set(err, e, "tap \"%s\": setting up the virtio-net header: %s", name,
				  strerror(e));
	}
	char what[IFNAMSIZ + 8];
	snprintf(what, sizeof(what), "tap \"%s\"", name);
	return vb_net_fdio_create(fd, &tap_ops, true, what, out, err);
}
