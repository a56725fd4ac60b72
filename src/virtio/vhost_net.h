/* A tap NIC's data path in the host kernel: vhost-net (drivers/vhost/net.c
 * in Linux) on the vhost backend (vhost.h).
 *
 * The kernel's worker moves frames between the guest's receive and
 * transmit queues (0 and 1) and the tap, with no copy through vmboot and
 * no vmboot thread woken per frame: the guest's doorbell is the kick
 * eventfd, and only the interrupt passes through vmboot's I/O event
 * thread (vhost.h, "Call"). A control queue, if the device had one, would
 * stay in vmboot; virtio-net here has none (net.h).
 *
 * The virtio-net header: vhost-net leaves it to the tap (the driver never
 * acks VHOST_NET_F_VIRTIO_NET_HDR, bit 27, which vmboot's core does not
 * offer), and the kernel then expects the tap's header to be as long as
 * the negotiated one: 12 bytes, as VERSION_1, which vmboot's core always
 * requires, makes it with or without MRG_RXBUF. The tap backend sets 12
 * when it opens the tap (net/tap.c TUNSETVNETHDRSZ), so nothing changes
 * on the tap at DRIVER_OK but its offloads, which the device sets as on
 * vmboot's own path (net.c).
 *
 * The life of it, in the device's hooks (device.h, vhost.h):
 *   setup     vb_vhost_net_open: /dev/vhost-net, owner, features, the
 *             memory table. Failing here is the one place the NIC can
 *             still be served by vmboot instead (net.c decides).
 *   start     vb_vhost_wire on .vhost (kick and call eventfds).
 *   activate  vb_vhost_net_start (mutex held, DRIVER_OK): features and
 *             rings (vb_vhost_start, which checks them again), then
 *             VHOST_NET_SET_BACKEND with the tap for each queue. Any
 *             failure takes the tap back from the queues it reached; the
 *             core then marks the device NEEDS_RESET.
 *   reset     vb_vhost_net_stop: VHOST_NET_SET_BACKEND -1 per queue, so
 *             the next DRIVER_OK may hand over new rings (the kernel
 *             refuses to move a ring under a running queue, EBUSY).
 *   stop      vb_vhost_net_release, then vb_vhost_unwire.
 *   teardown  vb_vhost_close on .vhost.
 *
 * Threads: activate and reset run on a vCPU (or the control) thread under
 * the device mutex; release on the main thread at detach. */
#ifndef VB_VIRTIO_VHOST_NET_H
#define VB_VIRTIO_VHOST_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "mem/guestmem.h"
#include "util/err.h"
#include "virtio/vhost.h"
#include "virtio/virtio.h"

#define VB_VHOST_NET_PATH "/dev/vhost-net"
#define VB_VHOST_NET_MODULE "vhost_net"
/* Receive and transmit (virtio 1.x 5.1.2). */
#define VB_VHOST_NET_QUEUES 2u

struct vb_vhost_net {
	struct vb_vhost vhost;
	int tap_fd;                            /* borrowed from the backend */
	bool serving[VB_VHOST_NET_QUEUES];     /* SET_BACKEND with the tap done */
};

/* Open vhost-net for the NIC called name whose tap is tap_fd (k NULL: the
 * host's kernel), and give it guest RAM (mem). On failure vn is closed
 * and err says why ("net0: /dev/vhost-net: No such file or directory
 * (load the vhost_net module: modprobe vhost_net)"). */
int vb_vhost_net_open(struct vb_vhost_net *vn, const struct vb_vhost_kernel *k, const char *name,
		      int tap_fd, const struct vb_guest_mem *mem, struct vb_err *err);

/* The virtio-net feature bits the kernel adds to what the device offers:
 * MRG_RXBUF when it has it (the kernel merges receive buffers itself). */
uint64_t vb_vhost_net_features(const struct vb_vhost_net *vn);

/* DRIVER_OK (v's mutex held): see above. */
int vb_vhost_net_start(struct vb_vhost_net *vn, struct vb_virtio *v, struct vb_err *err);

/* Reset (v's mutex held): the queues let go of the tap. Best effort: a
 * queue the kernel would not stop stays marked, and the next start fails
 * on it rather than move a ring under it. */
void vb_vhost_net_stop(struct vb_vhost_net *vn);

/* Detach (the stop hook): the kernel stops both queues, lets go of the
 * tap and the eventfds, and its worker is flushed, before the transport
 * and the core go. VHOST_RESET_OWNER does all of it in one call, the one
 * the main thread's seccomp filter allows at teardown (sandbox.c). */
void vb_vhost_net_release(struct vb_vhost_net *vn);

#endif
