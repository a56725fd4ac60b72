/* virtio-net (virtio 1.x, 5.1): one receive queue (0) and one transmit
 * queue (1); no control queue, no multiqueue.
 *
 * Two data paths. A tap NIC is served by the host kernel's vhost-net
 * when it can be (vhost_net.h): both queues run in the kernel, and
 * vmboot keeps the configuration, features, status and interrupts. The
 * `vhost` key decides: unset, vhost-net when /dev/vhost-net can be opened
 * and set up at attach, else one warning line naming why and vmboot's own
 * path; true, vhost-net or the machine does not start; false, never.
 * Everything below is vmboot's own path, which user mode always takes;
 * with vhost-net the kernel adds MRG_RXBUF to the features (it merges
 * receive buffers itself), the offloads go to the tap at DRIVER_OK and
 * back to none at reset, and there is no I/O thread.
 *
 * Features: VERSION_1 (so the header is always the 12-byte
 * virtio_net_hdr_v1), MAC, STATUS (link always up), and, when the backend
 * passes headers through (tap with IFF_VNET_HDR), CSUM, GUEST_CSUM,
 * HOST_TSO4/6, HOST_ECN, GUEST_TSO4/6 and GUEST_ECN. The guest's choice of
 * GUEST_* features is handed to the backend (TUNSETOFFLOAD) once the
 * driver is running. MRG_RXBUF is not offered: a guest that takes
 * GUEST_TSO then posts 64 KiB "big" receive buffers (5.1.6.3.1), and
 * every received frame goes into one buffer chain.
 *
 * Threads: each NIC has an I/O thread that owns the backend: it polls the
 * backend's descriptors (and slirp's timers) and an eventfd the vCPU
 * threads kick when the driver notifies a queue, moves transmitted frames
 * to the backend and fills receive buffers. Guest memory and queues are
 * touched only under the virtio device mutex; the mutex is never held
 * while calling into the backend (slirp answers ARP and DHCP from inside
 * its input call).
 *
 * Guest input: a transmit chain with a device-writable segment or shorter
 * than the header, or a receive chain with a device-readable segment, is
 * a violation (NEEDS_RESET, virtio.h). A frame with a header the
 * negotiated features do not allow, or too short or long, is dropped and
 * counted, as a NIC drops a bad frame.
 *
 * Registry glue: vb_virtio_net_type, the device type "net" (-n,
 * --no-dhcp), and its vb_virtio_net_ops; config is a const struct
 * vb_virtio_placement * whose desc (mode, tap, mac, dhcp, forward,
 * vhost) picks and sets up the backend and the data path at attach, so a
 * tap that cannot be opened fails the build before any vCPU runs. */
#ifndef VB_VIRTIO_NET_H
#define VB_VIRTIO_NET_H

#include <stdint.h>

#include "dev/dev.h"
#include "net/backend.h"
#include "parse/devtype.h"
#include "virtio/virtio.h"

#define VB_VIRTIO_ID_NET 1u

/* Feature bits (5.1.3). */
#define VB_VIRTIO_NET_F_CSUM 0
#define VB_VIRTIO_NET_F_GUEST_CSUM 1
#define VB_VIRTIO_NET_F_MTU 3
#define VB_VIRTIO_NET_F_MAC 5
#define VB_VIRTIO_NET_F_GUEST_TSO4 7
#define VB_VIRTIO_NET_F_GUEST_TSO6 8
#define VB_VIRTIO_NET_F_GUEST_ECN 9
#define VB_VIRTIO_NET_F_HOST_TSO4 11
#define VB_VIRTIO_NET_F_HOST_TSO6 12
#define VB_VIRTIO_NET_F_HOST_ECN 13
#define VB_VIRTIO_NET_F_MRG_RXBUF 15
#define VB_VIRTIO_NET_F_STATUS 16

#define VB_VIRTIO_NET_RXQ 0u
#define VB_VIRTIO_NET_TXQ 1u
#define VB_VIRTIO_NET_QUEUE_SIZE 256u

/* Device /dev/net/tun path used for mode = "tap". */
#define VB_NET_TUN_PATH "/dev/net/tun"

extern const struct vb_device_ops vb_virtio_net_ops;
extern const struct vb_device_type vb_virtio_net_type;

/* The MAC of a NIC without one in the machine file: 52:54:00 (the
 * locally administered unicast prefix QEMU and kvmtool use) followed by
 * 24 bits of a 64-bit FNV-1a hash (finished with MurmurHash3's mixer)
 * of the machine name and the NIC's instance name, so a VM keeps its MACs across runs and two VMs with
 * different names get different ones. */
void vb_virtio_net_mac_generate(const char *machine_name, const char *nic_name, uint8_t mac[6]);

/* Attach a NIC over an existing backend (tests; the registry's attach
 * makes the backend from the placement). Takes ownership of be, also on
 * failure. mac may be NULL (generated from p->name). */
int vb_virtio_net_attach_backend(struct vb_dev_env *env, const struct vb_virtio_placement *p,
				 const uint8_t *mac, struct vb_net_backend *be, void **state,
				 struct vb_err *err);

/* The same with vhost-net on kernel k (NULL: the host's), which serves a
 * backend that has a vhost_fd (a tap) as p->desc's `vhost` key says
 * (unset without a description). */
struct vb_vhost_kernel;
int vb_virtio_net_attach_kernel(struct vb_dev_env *env, const struct vb_virtio_placement *p,
				const uint8_t *mac, struct vb_net_backend *be,
				const struct vb_vhost_kernel *k, void **state, struct vb_err *err);

struct vb_virtio_net_stats {
	unsigned long tx_frames;  /* handed to the backend */
	unsigned long tx_dropped; /* bad header, bad size, backend refused */
	unsigned long rx_frames;  /* written into guest buffers */
	unsigned long rx_dropped; /* no buffer, too small, offload not accepted */
	unsigned offloads;        /* VB_NET_OFFLOAD_* last given to the backend */
};

/* state is what attach returned. Takes the device mutex. */
void vb_virtio_net_get_stats(void *state, struct vb_virtio_net_stats *out);

#endif
