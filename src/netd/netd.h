/* vmboot-net: the user-mode network stack (libslirp) in its own process.
 *
 * Why a process: libslirp parses every packet the guest sends, and it
 * pulls in glib; outside vmboot it cannot corrupt the VMM, and vmboot
 * itself can be linked fully static (no ld.so, no shared libraries to map
 * at each start; see configure --enable-static-vmboot).
 *
 * Wire: vmboot creates socketpair(AF_UNIX, SOCK_SEQPACKET) and starts the
 * helper with its end as descriptor VB_NETD_FD and every other descriptor
 * above stderr closed. Each packet is one frame in the backend format
 * (src/net/backend.h: 12-byte virtio-net header + Ethernet frame), both
 * ways, except the helper's first packet: a status message,
 *   "VBN1", uint32 little-endian errno (0: ready), then the error text
 *   (no NUL; empty when ready),
 * so a startup failure (a forward's port in use) reaches vmboot before the
 * guest starts, with the text vmboot printed when slirp ran in process.
 *
 * Command line (built by vb_net_user_create; --parent first):
 *   vmboot-net --parent PID [--no-dhcp] [--hostname NAME] [--forward SPEC]...
 *
 * Lifetime: the helper exits when the socket closes (vmboot exited or
 * crashed) and asks for SIGKILL when its parent dies (PR_SET_PDEATHSIG);
 * vmboot's backend destroy closes the socket, kills and reaps it.
 *
 * Finding the helper (vb_netd_find_helper): $VMBOOT_NET_HELPER if set
 * (tests), else vmboot-net in the directory of vmboot's own executable
 * (/proc/self/exe: a build tree), else EXE_DIR/../libexec/vmboot/vmboot-net,
 * else the configured $(pkglibexecdir) (util/helper.h). Not PATH: it is
 * installed in $(pkglibexecdir), and another program of that name on PATH
 * would be a guess. */
#ifndef VB_NETD_NETD_H
#define VB_NETD_NETD_H

#include <stdint.h>

#include "net/backend.h"

#define VB_NETD_FD 3
#define VB_NETD_MAGIC "VBN1"
#define VB_NETD_STATUS_HDR_BYTES 8u
#define VB_NETD_HELPER_ENV "VMBOOT_NET_HELPER"
#define VB_NETD_HELPER_NAME "vmboot-net"
/* Each side's send buffer: a socketpair's frames queue against the
 * sender's buffer (about 200 KiB by default, net.core.wmem_default), and a
 * full queue drops frames, so leave room for a burst of TSO-sized TCP
 * output from slirp. */
#define VB_NETD_SNDBUF_BYTES (4u << 20)
/* The user-mode link's MTU, libslirp's and the guest's (backend.h): a
 * guest's TCP then sends 64 KiB segments, each one frame through the
 * socket and one slirp_input, where 1500 made forty-odd of each. 65520
 * as slirp4netns chooses (libslirp takes at most 65521). */
#define VB_NETD_MTU 65520u

/* The helper's path into path: 0, or -errno with err naming every place
 * looked. */
int vb_netd_find_helper(char *path, size_t size, struct vb_err *err);

/* Raise fd's send buffer to VB_NETD_SNDBUF_BYTES: beyond net.core.wmem_max
 * when privileged (SO_SNDBUFFORCE), else as far as allowed. Best effort. */
void vb_netd_grow_sndbuf(int fd);

/* In vmboot-net only: the in-process libslirp backend (src/netd/slirp.c).
 * Frames sent to it go to slirp; slirp's output goes to its sink. The
 * poll and timer contract is backend.h's. 0 or -errno with err filled. */
int vb_netd_slirp_create(const struct vb_net_user_config *cfg, struct vb_net_backend **out,
			 struct vb_err *err);

#endif
