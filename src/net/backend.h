/* Network backends: where a virtio-net device's frames go on the host.
 *
 * The device (src/virtio/net.c) is the same for every backend: it hands a
 * backend whole frames to send and receives whole frames through a sink.
 * A frame here is always a 12-byte virtio-net header (struct
 * virtio_net_hdr_v1, virtio 1.x 5.1.6) followed by the Ethernet frame, so
 * a tap opened with IFF_VNET_HDR and TUNSETVNETHDRSZ 12 reads and writes
 * this format as is, and offload metadata (checksum, TSO) crosses the
 * backend untouched. Backends without offloads (slirp) ignore the header
 * on send and prepend a zero one on receive.
 *
 * Threads: a backend is used by exactly one thread, the device's I/O
 * thread, after creation. That thread polls the backend's descriptors
 * (poll_prepare adds them to a struct vb_net_pollset and may lower the
 * timeout for its timers) and then calls poll_dispatch, which reads what
 * is ready and passes each received frame to sink.deliver. sink.ready says
 * whether the guest has a receive buffer; a backend that can leave frames
 * queued in the kernel (tap, socket) only reads while it is true.
 *
 * Ownership: the creator owns the backend until it hands it to a device
 * (vb_virtio_net_attach_backend), which destroys it at detach.
 *
 * Return convention: 0 or -errno with err filled (creation), 0 or -errno
 * for send (the frame is dropped; the caller counts it). */
#ifndef VB_NET_BACKEND_H
#define VB_NET_BACKEND_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* struct virtio_net_hdr_v1 (virtio 1.x 5.1.6): flags, gso_type, hdr_len,
 * gso_size, csum_start, csum_offset, num_buffers; little endian. */
#define VB_NET_HDR_BYTES 12u
#define VB_NET_HDR_F_NEEDS_CSUM 1u
#define VB_NET_HDR_F_DATA_VALID 2u
#define VB_NET_HDR_GSO_NONE 0u
#define VB_NET_HDR_GSO_TCPV4 1u
#define VB_NET_HDR_GSO_UDP 3u
#define VB_NET_HDR_GSO_TCPV6 4u
#define VB_NET_HDR_GSO_ECN 0x80u

/* The largest frame crossing a backend: a 64 KiB TSO super-frame plus
 * Ethernet/VLAN header and the virtio-net header. */
#define VB_NET_FRAME_MAX_BYTES (VB_NET_HDR_BYTES + 65536u + 18u)
/* Smallest Ethernet header: destination, source, type. */
#define VB_NET_ETH_HDR_BYTES 14u

/* Offloads a guest accepted, as TUNSETOFFLOAD wants them (linux/if_tun.h
 * TUN_F_*): the kinds of frame the backend may hand the guest. */
#define VB_NET_OFFLOAD_CSUM 0x01u
#define VB_NET_OFFLOAD_TSO4 0x02u
#define VB_NET_OFFLOAD_TSO6 0x04u
#define VB_NET_OFFLOAD_TSO_ECN 0x08u

struct vb_net_sink {
	/* Guest has a receive buffer now. */
	bool (*ready)(void *ctx);
	/* One received frame (header + Ethernet); the sink copies it. */
	void (*deliver)(void *ctx, const uint8_t *frame, size_t len);
	void *ctx;
};

struct vb_net_pollset {
	struct pollfd *fds;
	unsigned n;
	unsigned cap;
};

/* Reads up to max frames from fd into buf (VB_NET_FRAME_MAX_BYTES bytes),
 * handing each to sink->deliver while sink->ready (NULL: always) says the
 * other side takes more; stops early when no frame is waiting. A socket is
 * read with recv(MSG_DONTWAIT), anything else with read(2) (fd then
 * non-blocking). Returns false when the peer has gone (end of file or an
 * error other than EAGAIN): stop polling fd. */
bool vb_net_read_frames(int fd, bool is_socket, uint8_t *buf, unsigned max,
			const struct vb_net_sink *sink);

/* Append fd; returns its index or -ENOMEM. */
int vb_net_pollset_add(struct vb_net_pollset *set, int fd, short events);
void vb_net_pollset_free(struct vb_net_pollset *set);

struct vb_net_backend;

struct vb_net_backend_ops {
	const char *kind; /* "tap", "user", "socket" */
	int (*send)(struct vb_net_backend *b, const uint8_t *frame, size_t len);
	/* Add descriptors to poll; want_rx is sink.ready(). May lower
	 * *timeout_ms (-1 = none). 0 or -ENOMEM. */
	int (*poll_prepare)(struct vb_net_backend *b, struct vb_net_pollset *set, bool want_rx,
			    int *timeout_ms);
	/* Handle what poll found in set (the backend remembers its indices). */
	void (*poll_dispatch)(struct vb_net_backend *b, const struct vb_net_pollset *set);
	/* Optional: tell the backend which offloads the guest accepted. */
	int (*set_offload)(struct vb_net_backend *b, unsigned offloads);
	/* Optional: the descriptor the host kernel's vhost-net can serve
	 * frames on itself (VHOST_NET_SET_BACKEND: a tap's), still owned by
	 * the backend. While the kernel serves it nobody calls send or polls
	 * the backend. NULL: only vmboot can move this backend's frames. */
	int (*vhost_fd)(const struct vb_net_backend *b);
	void (*destroy)(struct vb_net_backend *b);
};

struct vb_net_backend {
	const struct vb_net_backend_ops *ops;
	/* The backend passes the virtio-net header through (tap with
	 * IFF_VNET_HDR): the device may offer checksum and TSO offloads. */
	bool offloads;
	/* The link's MTU, offered to the guest (VIRTIO_NET_F_MTU) on
	 * vmboot's path; 0: none offered, so Ethernet's 1500. At most
	 * VB_NET_FRAME_MAX_BYTES less the headers. */
	uint16_t mtu;
	struct vb_net_sink sink;
	unsigned long send_errors;
};

void vb_net_backend_destroy(struct vb_net_backend *b);

/* A datagram socket (one frame per datagram, header included); takes
 * ownership of fd. For tests (a socketpair) and for plumbing frames to
 * another process. */
int vb_net_socket_create(int fd, bool offloads, struct vb_net_backend **out, struct vb_err *err);

/* Open tap device name through tun_path ("/dev/net/tun"; tests pass
 * another path) with IFF_VNET_HDR. Creates the tap if it does not exist
 * and the caller has CAP_NET_ADMIN. Errors name the cause and the fix. */
int vb_net_tap_open(const char *tun_path, const char *name, struct vb_net_backend **out,
		    struct vb_err *err);

/* User-mode networking (libslirp): guest 10.0.2.0/24, host 10.0.2.2, DNS
 * 10.0.2.3, DHCP handing out 10.0.2.15.. when dhcp is true; forwards as
 * written in the machine file ("tcp:127.0.0.1:2222-:22"). */
struct vb_net_user_config {
	bool dhcp;
	const char *const *forwards;
	size_t n_forwards;
	const char *hostname; /* offered by DHCP; may be NULL */
	bool seccomp;         /* the helper confines itself (--seccomp) */
};
int vb_net_user_create(const struct vb_net_user_config *cfg, struct vb_net_backend **out,
		       struct vb_err *err);

/* Parse "tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" (udp too; empty
 * HOSTADDR = 127.0.0.1 only reachable from this host, empty GUESTADDR =
 * the DHCP address 10.0.2.15). Ports 1..65535. 0 or -EINVAL. */
struct vb_net_forward {
	bool udp;
	uint32_t host_addr;  /* network byte order */
	uint16_t host_port;
	uint32_t guest_addr; /* network byte order */
	uint16_t guest_port;
};
int vb_net_forward_parse(const char *spec, struct vb_net_forward *fwd, struct vb_err *err);

#endif
