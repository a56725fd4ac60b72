/* libFuzzer target for vmboot-net's frame path: what the helper does with
 * a frame the guest sent (src/netd/main.c to_slirp, src/netd/slirp.c
 * user_send): the virtio-net header check and strip, then libslirp's
 * slirp_input, then one round of slirp's poll and timers.
 *
 * Input: the frames vmboot would send on the socket, one after another,
 * each a 2-byte little-endian length and then that many bytes (12-byte
 * virtio-net header + Ethernet frame). A length running past the input
 * takes what is left, and a lone last byte is a 1-byte frame, so
 * truncated frames are exercised too.
 *
 * Each input gets a fresh backend, configured as vmboot configures the
 * default user network (DHCP on, a hostname, no forwards): libslirp keeps
 * state (ARP and DHCP tables, IP fragments), and a fresh instance makes
 * every finding reproducible from its input alone. It costs about 17 us
 * an input under ASan (about 40,000 inputs/s instead of 150,000 with one
 * instance per process), which is plenty for a library libFuzzer cannot
 * see into (libslirp is not instrumented: coverage guides the mutations
 * through our code only). ASan keeps each malloc's stack, and the
 * frame-pointer unwinder reads garbage past the first frame inside
 * libslirp and glib (built without frame pointers), so every slirp_new
 * stored new "unique" stacks: about 47 bytes an input, 1.7 GB in 15
 * minutes. Two frames (malloc and its caller) keep that bounded; set
 * ASAN_OPTIONS=malloc_context_size=30 to replay a finding with full
 * stacks.
 *
 * One change from vmboot-net: libslirp runs restricted. Unrestricted, a
 * guest's UDP, TCP SYN and ICMP echo to any address become host sockets
 * and real packets (DNS to 10.0.2.3 goes to the host's resolver), which
 * at millions of inputs is a flood from the fuzzing host. Restricted,
 * slirp still parses every frame (Ethernet, ARP, IPv4 and its reassembly,
 * ICMP, UDP, TCP headers, DHCP) and answers what it serves itself (ARP,
 * DHCP, ping of 10.0.2.2 and 10.0.2.3, RST to a SYN); it only opens no
 * host socket. vmboot's config is not touched: this file interposes
 * slirp_new, which src/netd/slirp.c calls, and sets the flag on a copy.
 *
 * Frames slirp sends to the guest go to a sink that checks them (a zero
 * virtio-net header, an Ethernet header, at most VB_NET_FRAME_MAX_BYTES)
 * and drops them; a bad one aborts, which libFuzzer reports.
 *
 * Known finding: libslirp 4.7.0 as Debian 12 builds it (gcc 12, strict
 * aliasing) crashes in ip_reass on one IPv4 fragment with a nonzero
 * offset and no more-fragments flag (fixed upstream by "ip: Enforce
 * strict aliasing"); until vmboot-net drops such frames before
 * slirp_input, this target stops on it within seconds. */
#include <dlfcn.h>
#include <poll.h>
#include <slirp/libslirp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/backend.h"
#include "netd/netd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/* Read by ASan at startup (why: see the top); ASAN_OPTIONS overrides it. */
const char *__asan_default_options(void)
{
	return "malloc_context_size=2";
}

/* What vmboot passes as the hostname: the machine's name. */
#define FUZZ_HOSTNAME "fuzzvm"
#define LEN_PREFIX_BYTES 2u

typedef Slirp *slirp_new_fn(const SlirpConfig *, const SlirpCb *, void *);

/* libslirp's own slirp_new, with restricted set (see the top). */
Slirp *slirp_new(const SlirpConfig *cfg, const SlirpCb *callbacks, void *opaque)
{
	slirp_new_fn *real = (slirp_new_fn *)dlsym(RTLD_NEXT, "slirp_new");
	if (!real)
		abort();
	SlirpConfig restricted = *cfg;
	restricted.restricted = 1;
	return real(&restricted, callbacks, opaque);
}

/* vmboot-net's sink: the guest always takes a frame (main.c sink_ready). */
static bool sink_ready(void *ctx)
{
	(void)ctx;
	return true;
}

static void sink_deliver(void *ctx, const uint8_t *frame, size_t len)
{
	static const uint8_t zero_hdr[VB_NET_HDR_BYTES];
	unsigned long *delivered = ctx;
	if (len < VB_NET_HDR_BYTES + VB_NET_ETH_HDR_BYTES || len > VB_NET_FRAME_MAX_BYTES ||
	    memcmp(frame, zero_hdr, VB_NET_HDR_BYTES) != 0)
		abort();
	(*delivered)++;
}

/* The next frame of the input: its length, and how much input it used. */
static size_t next_frame(const uint8_t *data, size_t size, const uint8_t **frame,
			 size_t *used)
{
	if (size < LEN_PREFIX_BYTES) {
		*frame = data;
		*used = size;
		return size;
	}
	size_t len = (size_t)data[0] | (size_t)data[1] << 8;
	size_t left = size - LEN_PREFIX_BYTES;
	if (len > left)
		len = left;
	*frame = data + LEN_PREFIX_BYTES;
	*used = LEN_PREFIX_BYTES + len;
	return len;
}

/* One round of vmboot-net's loop (main.c serve) without waiting: slirp's
 * descriptors, a poll that returns at once, then its poll and timers. */
static void poll_once(struct vb_net_backend *be)
{
	struct vb_net_pollset set = { 0 };
	int timeout = -1;
	if (be->ops->poll_prepare(be, &set, true, &timeout) < 0)
		abort();
	if (set.n && poll(set.fds, set.n, 0) < 0)
		abort();
	be->ops->poll_dispatch(be, &set);
	vb_net_pollset_free(&set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct vb_net_user_config cfg = { .dhcp = true, .hostname = FUZZ_HOSTNAME };
	struct vb_net_backend *be;
	struct vb_err err;
	if (vb_netd_slirp_create(&cfg, &be, &err) < 0)
		abort();
	unsigned long delivered = 0;
	be->sink = (struct vb_net_sink){ sink_ready, sink_deliver, &delivered };
	while (size > 0) {
		const uint8_t *frame;
		size_t used;
		size_t len = next_frame(data, size, &frame, &used);
		/* A bad frame is dropped with an error, as in vmboot-net. */
		(void)be->ops->send(be, frame, len);
		data += used;
		size -= used;
	}
	poll_once(be);
	vb_net_backend_destroy(be);
	return 0;
}
