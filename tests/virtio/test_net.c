/* virtio-net in process: a guest driver (driver.h) on one side, a
 * socketpair backend on the other, so every frame can be checked on the
 * wire. Frames both ways, offload headers as negotiated, frames spread
 * over several receive buffers (MRG_RXBUF), the link MTU, and malformed
 * chains (NEEDS_RESET, vmboot keeps running). The device's I/O thread
 * runs for real: the test waits for it with a generous deadline, which
 * only bounds a hang and is not a timing assertion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>

#include <cmocka.h>

#include "driver.h"
#include "virtio/net.h"
#include "virtio/virtq.h"

#define RXQ_GPA 0x10000ULL
#define TXQ_GPA 0x20000ULL
#define RXBUF_GPA 0x40000ULL
#define TXBUF_GPA 0x60000ULL
#define QSIZE 16
#define HDR VB_NET_HDR_BYTES

static const uint64_t v1 = 1ULL << VB_VIRTIO_F_VERSION_1;

struct fixture {
	struct vt_env env;
	struct vt_drv drv, rx, tx;
	int peer; /* the other end of the backend's socket */
	void *nic;
};

static const uint8_t test_mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

static int setup(void **state, bool pci, bool offloads, uint16_t mtu)
{
	struct fixture *f = VT_FIXTURE_NEW(struct fixture);
	if (!f)
		return -1;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	f->peer = sv[1];
	struct vb_net_backend *be = NULL;
	struct vb_err err = { 0 };
	assert_int_equal(vb_net_socket_create(sv[0], offloads, &be, &err), 0);
	be->mtu = mtu;
	struct vb_virtio_placement p = {
		.name = "net0", .transport = pci ? VB_VIRTIO_PCI : VB_VIRTIO_MMIO,
		.pci_slot = 2, .mmio_base = VB_GAP_START_BYTES, .mmio_bytes = 0x1000, .gsi = 16,
	};
	assert_int_equal(vb_virtio_net_attach_backend(&f->env.env, &p, test_mac, be, &f->nic, &err),
			 0);
	/* vt_env_fini detaches it with the rest. */
	f->env.devices.items[f->env.devices.count].ops = &vb_virtio_net_ops;
	f->env.devices.items[f->env.devices.count++].state = f->nic;
	assert_int_equal(vt_drv_open_either(&f->drv, &f->env, pci, 2, VB_GAP_START_BYTES, 16), 0);
	*state = f;
	return 0;
}

static int setup_mmio(void **state) { return setup(state, false, false, 0); }
static int setup_pci(void **state) { return setup(state, true, false, 0); }
static int setup_offload(void **state) { return setup(state, true, true, 0); }
static int setup_mtu(void **state) { return setup(state, false, false, 9000); }

static int teardown(void **state)
{
	struct fixture *f = *state;
	vt_env_fini(&f->env);
	close(f->peer);
	free(f);
	return 0;
}

static void start(struct fixture *f, uint64_t features)
{
	uint8_t s = vt_drv_negotiate(&f->drv, features | v1);
	assert_true(s & VB_VIRTIO_S_FEATURES_OK);
	/* One struct vt_drv per queue: the helper tracks one queue each. */
	f->rx = f->drv;
	f->tx = f->drv;
	vt_drv_queue(&f->rx, VB_VIRTIO_NET_RXQ, QSIZE, RXQ_GPA);
	vt_drv_queue(&f->tx, VB_VIRTIO_NET_TXQ, QSIZE, TXQ_GPA);
	vt_drv_set_status(&f->drv, s | VB_VIRTIO_S_DRIVER_OK);
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_DRIVER_OK);
}

/* Wait (bounded) for the next used element of d's queue. */
static bool wait_used(struct vt_drv *d, uint32_t *id, uint32_t *len)
{
	for (int i = 0; i < 5000; i++) {
		if (vt_used_next(d, id, len))
			return true;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

static bool wait_status(struct fixture *f, uint8_t bit)
{
	for (int i = 0; i < 5000; i++) {
		if (vt_drv_status(&f->drv) & bit)
			return true;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

static void make_frame(uint8_t *buf, size_t len, uint8_t flags, uint8_t gso)
{
	memset(buf, 0, len);
	buf[0] = flags;
	buf[1] = gso;
	if (gso) {
		buf[2] = 54;   /* hdr_len */
		buf[4] = 0xb4; /* gso_size 1460 */
		buf[5] = 0x05;
	}
	if (flags & VB_NET_HDR_F_NEEDS_CSUM) {
		buf[6] = 34; /* csum_start: past Ethernet + IPv4 */
		buf[8] = 16; /* csum_offset: TCP checksum */
	}
	memcpy(buf + HDR, test_mac, 6);
	for (size_t i = HDR + 12; i < len; i++)
		buf[i] = (uint8_t)(i * 7);
}

/* Transmit one frame split into two readable descriptors. */
static void guest_send(struct fixture *f, const uint8_t *frame, size_t len)
{
	memcpy(vt_gpa(&f->env, TXBUF_GPA), frame, len);
	vt_desc(&f->tx, 0, TXBUF_GPA, HDR, VB_VIRTQ_DESC_F_NEXT, 1);
	vt_desc(&f->tx, 1, TXBUF_GPA + HDR, (uint32_t)(len - HDR), 0, 0);
	vt_avail_push(&f->tx, 0);
	vt_drv_notify(&f->tx, VB_VIRTIO_NET_TXQ);
}

static void guest_post_rx(struct fixture *f, uint16_t i, uint32_t bytes)
{
	vt_desc(&f->rx, i, RXBUF_GPA + i * 0x1000ULL, bytes, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_avail_push(&f->rx, i);
	vt_drv_notify(&f->rx, VB_VIRTIO_NET_RXQ);
}

static ssize_t peer_recv(struct fixture *f, uint8_t *buf, size_t cap)
{
	struct pollfd p = { f->peer, POLLIN, 0 };
	if (poll(&p, 1, 5000) != 1)
		return -1;
	return recv(f->peer, buf, cap, 0);
}

static void test_config_mac(void **state)
{
	struct fixture *f = *state;
	uint64_t feat = vt_drv_device_features(&f->drv);
	assert_true(feat & (1ULL << VB_VIRTIO_NET_F_MAC));
	/* No offloads without a header-passing backend. */
	assert_false(feat & (1ULL << VB_VIRTIO_NET_F_CSUM));
	assert_false(feat & (1ULL << VB_VIRTIO_NET_F_GUEST_TSO4));
	start(f, 1ULL << VB_VIRTIO_NET_F_MAC);
	/* Device configuration: MMIO at 0x100 (4.2.2), PCI where the
	 * device-specific capability points. */
	uint8_t mac[8];
	uint64_t cfg = f->drv.pci ? f->drv.device : f->drv.base + 0x100;
	for (unsigned i = 0; i < 8; i++)
		vb_bus_dispatch(&f->env.mmio, cfg + i, mac + i, 1, false);
	assert_memory_equal(mac, test_mac, 6);
	assert_int_equal(mac[6], 1); /* VIRTIO_NET_S_LINK_UP */
	/* A backend with no MTU of its own: none offered. */
	assert_false(feat & (1ULL << VB_VIRTIO_NET_F_MTU));
	assert_true(feat & (1ULL << VB_VIRTIO_NET_F_MRG_RXBUF));
}

static void test_config_mtu(void **state)
{
	struct fixture *f = *state;
	assert_true(vt_drv_device_features(&f->drv) & (1ULL << VB_VIRTIO_NET_F_MTU));
	start(f, 1ULL << VB_VIRTIO_NET_F_MTU);
	uint8_t mtu[2];
	uint64_t cfg = f->drv.base + 0x100;
	for (unsigned i = 0; i < 2; i++)
		vb_bus_dispatch(&f->env.mmio, cfg + 10 + i, mtu + i, 1, false);
	assert_int_equal(mtu[0] | mtu[1] << 8, 9000);
}

/* Waits (bounded) for the device's count at field, one of the stats'
 * counters, to reach n; returns the stats last read. */
static struct vb_virtio_net_stats wait_count(struct fixture *f, size_t field, unsigned long n)
{
	struct vb_virtio_net_stats st;
	for (int i = 0; i < 5000; i++) {
		vb_virtio_net_get_stats(f->nic, &st);
		unsigned long count;
		memcpy(&count, (const char *)&st + field, sizeof(count));
		if (count >= n)
			break;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return st;
}

/* The I/O thread counts a frame after handing it to the backend, so the
 * peer can see it first: wait for the count. */
static struct vb_virtio_net_stats wait_tx_counted(struct fixture *f, unsigned long frames)
{
	return wait_count(f, offsetof(struct vb_virtio_net_stats, tx_frames), frames);
}

static void test_tx_frame(void **state)
{
	struct fixture *f = *state;
	start(f, 0);
	uint8_t frame[HDR + 100], got[2048];
	make_frame(frame, sizeof(frame), 0, 0);
	frame[10] = 0x55; /* num_buffers: the device clears it on transmit */
	guest_send(f, frame, sizeof(frame));
	uint32_t id, len;
	assert_true(wait_used(&f->tx, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, 0);
	ssize_t n = peer_recv(f, got, sizeof(got));
	assert_int_equal(n, sizeof(frame));
	frame[10] = 0;
	assert_memory_equal(got, frame, sizeof(frame));
	struct vb_virtio_net_stats st = wait_tx_counted(f, 1);
	assert_int_equal(st.tx_frames, 1);
	assert_int_equal(st.tx_dropped, 0);
}

static void test_rx_frame(void **state)
{
	struct fixture *f = *state;
	start(f, 0);
	guest_post_rx(f, 0, 2048);
	uint8_t frame[HDR + 200];
	make_frame(frame, sizeof(frame), 0, 0);
	assert_int_equal(send(f->peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
	uint32_t id, len;
	assert_true(wait_used(&f->rx, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, sizeof(frame));
	const uint8_t *b = vt_gpa(&f->env, RXBUF_GPA);
	assert_int_equal(b[10], 1); /* num_buffers */
	assert_memory_equal(b + HDR, frame + HDR, sizeof(frame) - HDR);
	assert_true(vt_drv_line(&f->drv) || vt_drv_isr(&f->drv));
}

static void test_rx_waits_for_buffer(void **state)
{
	struct fixture *f = *state;
	start(f, 0);
	/* The frame arrives before any buffer: it stays queued on the host
	 * and is delivered once the guest posts one. */
	uint8_t frame[HDR + 64];
	make_frame(frame, sizeof(frame), 0, 0);
	assert_int_equal(send(f->peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
	guest_post_rx(f, 0, 2048);
	uint32_t id, len;
	assert_true(wait_used(&f->rx, &id, &len));
	assert_int_equal(len, sizeof(frame));
}

static void test_rx_buffer_too_small(void **state)
{
	struct fixture *f = *state;
	start(f, 0);
	guest_post_rx(f, 0, 64);
	uint8_t frame[HDR + 200];
	make_frame(frame, sizeof(frame), 0, 0);
	assert_int_equal(send(f->peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
	uint32_t id, len;
	assert_true(wait_used(&f->rx, &id, &len));
	assert_int_equal(len, 0);
	struct vb_virtio_net_stats st;
	vb_virtio_net_get_stats(f->nic, &st);
	assert_int_equal(st.rx_dropped, 1);
	assert_false(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
}

/* Sends frame from the peer and checks it lands in the posted buffers
 * 0, 1, ... of buf_bytes each: in order, published together, whole, with
 * num_buffers the count of buffers it took. */
static void expect_merged(struct fixture *f, const uint8_t *frame, size_t len, uint32_t buf_bytes)
{
	assert_int_equal(send(f->peer, frame, len, 0), (ssize_t)len);
	const uint32_t want = (uint32_t)((len + buf_bytes - 1) / buf_bytes);
	uint8_t *got = malloc(len);
	assert_non_null(got);
	for (uint32_t i = 0; i < want; i++) {
		uint32_t id, used;
		assert_true(wait_used(&f->rx, &id, &used));
		assert_int_equal(id, i);
		assert_int_equal(used, i + 1 < want ? buf_bytes : len - (size_t)buf_bytes * i);
		memcpy(got + (size_t)buf_bytes * i, vt_gpa(&f->env, RXBUF_GPA + i * 0x1000ULL), used);
	}
	assert_int_equal(got[10] | got[11] << 8, want); /* num_buffers */
	got[10] = frame[10];
	got[11] = frame[11];
	assert_memory_equal(got, frame, len);
	free(got);
}

/* With MRG_RXBUF a frame larger than one buffer fills several. */
static void test_rx_merged(void **state)
{
	struct fixture *f = *state;
	start(f, 1ULL << VB_VIRTIO_NET_F_MRG_RXBUF);
	for (uint16_t i = 0; i < 3; i++)
		guest_post_rx(f, i, 1024);
	uint8_t frame[HDR + 2500];
	make_frame(frame, sizeof(frame), 0, 0);
	expect_merged(f, frame, sizeof(frame), 1024);
}

/* Buffers smaller than the header (a guest may post them): the frame
 * still lands whole, num_buffers split across the first two. */
static void test_rx_merged_tiny_buffers(void **state)
{
	struct fixture *f = *state;
	start(f, 1ULL << VB_VIRTIO_NET_F_MRG_RXBUF);
	for (uint16_t i = 0; i < QSIZE; i++)
		guest_post_rx(f, i, 8);
	uint8_t frame[HDR + 64];
	make_frame(frame, sizeof(frame), 0, 0);
	expect_merged(f, frame, sizeof(frame), 8);
}

/* Too few buffers for a frame: it is lost, and the buffers it would have
 * filled go back to the driver's pool, unused, for the next frame. */
static void test_rx_merged_out_of_buffers(void **state)
{
	struct fixture *f = *state;
	start(f, 1ULL << VB_VIRTIO_NET_F_MRG_RXBUF);
	guest_post_rx(f, 0, 1024);
	uint8_t big[HDR + 2500], small[HDR + 100];
	make_frame(big, sizeof(big), 0, 0);
	make_frame(small, sizeof(small), 0, 0);
	assert_int_equal(send(f->peer, big, sizeof(big), 0), (ssize_t)sizeof(big));
	struct vb_virtio_net_stats st =
		wait_count(f, offsetof(struct vb_virtio_net_stats, rx_dropped), 1);
	assert_int_equal(st.rx_dropped, 1);
	assert_int_equal(send(f->peer, small, sizeof(small), 0), (ssize_t)sizeof(small));
	uint32_t id, len;
	assert_true(wait_used(&f->rx, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, sizeof(small));
	const uint8_t *b = vt_gpa(&f->env, RXBUF_GPA);
	assert_int_equal(b[10], 1);
	assert_false(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
}

/* Checksum/TSO headers cross the backend only as negotiated. */
static void test_offload_tx_negotiated(void **state)
{
	struct fixture *f = *state;
	uint64_t feat = vt_drv_device_features(&f->drv);
	assert_true(feat & (1ULL << VB_VIRTIO_NET_F_HOST_TSO4));
	assert_true(feat & (1ULL << VB_VIRTIO_NET_F_GUEST_CSUM));
	start(f, (1ULL << VB_VIRTIO_NET_F_CSUM) | (1ULL << VB_VIRTIO_NET_F_HOST_TSO4));
	uint8_t frame[HDR + 1000], got[2048];
	make_frame(frame, sizeof(frame), VB_NET_HDR_F_NEEDS_CSUM, VB_NET_HDR_GSO_TCPV4);
	guest_send(f, frame, sizeof(frame));
	ssize_t n = peer_recv(f, got, sizeof(got));
	assert_int_equal(n, sizeof(frame));
	assert_memory_equal(got, frame, HDR); /* the header passes untouched */
}

static void test_offload_tx_not_negotiated(void **state)
{
	struct fixture *f = *state;
	start(f, 1ULL << VB_VIRTIO_NET_F_CSUM); /* CSUM but no HOST_TSO4 */
	uint8_t frame[HDR + 1000];
	make_frame(frame, sizeof(frame), VB_NET_HDR_F_NEEDS_CSUM, VB_NET_HDR_GSO_TCPV4);
	guest_send(f, frame, sizeof(frame));
	uint32_t id, len;
	assert_true(wait_used(&f->tx, &id, &len));
	/* A checksum request pointing past the frame is dropped too. */
	make_frame(frame, 100, VB_NET_HDR_F_NEEDS_CSUM, 0);
	frame[6] = 90;
	guest_send(f, frame, 100);
	assert_true(wait_used(&f->tx, &id, &len));
	/* A good one afterwards still goes out: the drops were per frame. */
	make_frame(frame, 100, VB_NET_HDR_F_NEEDS_CSUM, 0);
	guest_send(f, frame, 100);
	uint8_t got[2048];
	assert_int_equal(peer_recv(f, got, sizeof(got)), 100);
	struct vb_virtio_net_stats st = wait_tx_counted(f, 1);
	assert_int_equal(st.tx_dropped, 2);
	assert_int_equal(st.tx_frames, 1);
	assert_false(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
}

static void test_offload_rx(void **state)
{
	struct fixture *f = *state;
	start(f, 1ULL << VB_VIRTIO_NET_F_GUEST_CSUM); /* no GUEST_TSO4 */
	/* A TSO frame the guest did not accept is dropped; a checksum-partial
	 * one (accepted) is delivered with its header. */
	uint8_t tso[HDR + 3000], part[HDR + 100];
	make_frame(tso, sizeof(tso), VB_NET_HDR_F_NEEDS_CSUM, VB_NET_HDR_GSO_TCPV4);
	make_frame(part, sizeof(part), VB_NET_HDR_F_NEEDS_CSUM, 0);
	assert_int_equal(send(f->peer, tso, sizeof(tso), 0), (ssize_t)sizeof(tso));
	assert_int_equal(send(f->peer, part, sizeof(part), 0), (ssize_t)sizeof(part));
	guest_post_rx(f, 0, 4096);
	uint32_t id, len;
	assert_true(wait_used(&f->rx, &id, &len));
	assert_int_equal(len, sizeof(part));
	const uint8_t *b = vt_gpa(&f->env, RXBUF_GPA);
	assert_int_equal(b[0], VB_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(b[6], 34);
	struct vb_virtio_net_stats st;
	vb_virtio_net_get_stats(f->nic, &st);
	assert_int_equal(st.rx_dropped, 1);
	/* The backend was told what the guest takes (TUNSETOFFLOAD for tap). */
	assert_int_equal(st.offloads, 0); /* socket backend: no set_offload */
}

static void test_bad_tx_writable(void **state)
{
	struct fixture *f = *state;
	start(f, 0);
	vt_desc(&f->tx, 0, TXBUF_GPA, 100, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_avail_push(&f->tx, 0);
	vt_drv_notify(&f->tx, VB_VIRTIO_NET_TXQ);
	assert_true(wait_status(f, VB_VIRTIO_S_NEEDS_RESET));
	/* A reset brings the device back. */
	start(f, 0);
	assert_false(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	uint8_t frame[HDR + 60], got[256];
	make_frame(frame, sizeof(frame), 0, 0);
	guest_send(f, frame, sizeof(frame));
	assert_int_equal(peer_recv(f, got, sizeof(got)), sizeof(frame));
}

static void test_bad_tx_short(void **state)
{
	struct fixture *f = *state;
	start(f, 0);
	vt_desc(&f->tx, 0, TXBUF_GPA, 4, 0, 0);
	vt_avail_push(&f->tx, 0);
	vt_drv_notify(&f->tx, VB_VIRTIO_NET_TXQ);
	assert_true(wait_status(f, VB_VIRTIO_S_NEEDS_RESET));
}

static void test_bad_tx_outside_ram(void **state)
{
	struct fixture *f = *state;
	start(f, 0);
	vt_desc(&f->tx, 0, VT_HIGH_RAM_END - 8, 64, 0, 0);
	vt_avail_push(&f->tx, 0);
	vt_drv_notify(&f->tx, VB_VIRTIO_NET_TXQ);
	assert_true(wait_status(f, VB_VIRTIO_S_NEEDS_RESET));
}

static void test_bad_rx_readable(void **state)
{
	struct fixture *f = *state;
	start(f, 0);
	vt_desc(&f->rx, 0, RXBUF_GPA, 2048, 0, 0);
	vt_avail_push(&f->rx, 0);
	vt_drv_notify(&f->rx, VB_VIRTIO_NET_RXQ);
	uint8_t frame[HDR + 60];
	make_frame(frame, sizeof(frame), 0, 0);
	assert_int_equal(send(f->peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
	assert_true(wait_status(f, VB_VIRTIO_S_NEEDS_RESET));
}

static void test_mac_generate(void **state)
{
	(void)state;
	uint8_t a[6], b[6], c[6], d[6];
	vb_virtio_net_mac_generate("web", "net0", a);
	vb_virtio_net_mac_generate("web", "net0", b);
	vb_virtio_net_mac_generate("web", "net1", c);
	vb_virtio_net_mac_generate("db", "net0", d);
	assert_memory_equal(a, b, 6);
	assert_memory_not_equal(a, c, 6);
	assert_memory_not_equal(a, d, 6);
	/* Locally administered unicast, QEMU's 52:54:00 prefix. */
	assert_int_equal(a[0], 0x52);
	assert_int_equal(a[1], 0x54);
	assert_int_equal(a[2], 0x00);
	assert_int_equal(a[0] & 1, 0);
}

#define BOTH(t) cmocka_unit_test_setup_teardown(t, setup_mmio, teardown), \
		cmocka_unit_test_setup_teardown(t, setup_pci, teardown)
#define OFF(t) cmocka_unit_test_setup_teardown(t, setup_offload, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_config_mac),
		BOTH(test_tx_frame),
		BOTH(test_rx_frame),
		BOTH(test_rx_waits_for_buffer),
		BOTH(test_rx_buffer_too_small),
		BOTH(test_rx_merged),
		BOTH(test_rx_merged_out_of_buffers),
		BOTH(test_rx_merged_tiny_buffers),
		cmocka_unit_test_setup_teardown(test_config_mtu, setup_mtu, teardown),
		OFF(test_offload_tx_negotiated),
		OFF(test_offload_tx_not_negotiated),
		OFF(test_offload_rx),
		BOTH(test_bad_tx_writable),
		BOTH(test_bad_tx_short),
		BOTH(test_bad_tx_outside_ram),
		BOTH(test_bad_rx_readable),
		cmocka_unit_test(test_mac_generate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
