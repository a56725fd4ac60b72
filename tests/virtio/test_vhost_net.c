/* virtio-net on vhost-net (virtio/vhost_net.h, net.c), without
 * /dev/vhost-net: a fake kernel records every ioctl and a fake tap
 * backend every offload change, in one sequence, so the tests can check
 *   - the order: owner, features and memory table at attach; at DRIVER_OK
 *     the tap's offloads, the acked features (the kernel's part of them),
 *     the rings, then VHOST_NET_SET_BACKEND with the tap on queues 0 and
 *     1; at reset the backend -1 on both and the offloads withdrawn; at
 *     detach VHOST_RESET_OWNER and the fd closed before the tap;
 *   - what the guest is offered: the kernel's MRG_RXBUF on top of the
 *     usual MAC, STATUS and tap offloads, never vhost's own bits;
 *   - the fallback: a node that cannot be opened or a setup ioctl the
 *     kernel refuses costs one warning line and the NIC then runs on
 *     vmboot's own path (a frame reaches the backend); `vhost = true`
 *     turns that into a refusal, `vhost = false` never opens the node;
 *   - a hostile driver: a ring outside RAM or a queue missing at
 *     DRIVER_OK puts the device into NEEDS_RESET without the tap reaching
 *     the kernel, a refused SET_BACKEND takes the tap back from the queue
 *     that had it, and after a reset the device starts again;
 *   - the `vhost` key's rule (tap mode only) and the -n option. */
#include <errno.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver.h"
#include "machine/ioevent.h"
#include "machine/registry.h"
#include "parse/desc.h"
#include "parse/node.h"
#include "parse/schema.h"
#include "util/diag.h"
#include "virtio/device.h"
#include "virtio/net.h"
#include "virtio/vhost.h"

#define BIT(n) (1ULL << (n))
#define RING_FEATURES \
	(BIT(VB_VIRTIO_F_VERSION_1) | BIT(VB_VIRTIO_F_INDIRECT_DESC) | BIT(VB_VIRTIO_F_EVENT_IDX))
/* What Linux's vhost-net offers besides the ring bits: MRG_RXBUF, and
 * VHOST_NET_F_VIRTIO_NET_HDR (27) and NOTIFY_ON_EMPTY (24), which are
 * vhost's own and must never reach the guest; and as a newer kernel might,
 * VIRTIO_NET_F_MQ (22), which needs a control queue vmboot does not have. */
#define KERNEL_FEATURES                                                                     \
	(RING_FEATURES | BIT(VB_VIRTIO_NET_F_MRG_RXBUF) | BIT(VHOST_NET_F_VIRTIO_NET_HDR) | \
	 BIT(24) | BIT(22))
#define MMIO_BASE VB_GAP_START_BYTES
#define MMIO_GSI 16u
#define SLOT 2u
#define RXQ_GPA 0x10000ULL
#define TXQ_GPA 0x20000ULL
#define TXBUF_GPA 0x60000ULL
#define QSIZE 64u
#define VHOST_FD 7000
#define TAP_FD 7100
#define MAX_CALLS 128
/* The sequence's entry for the tap's TUNSETOFFLOAD (the backend's op). */
#define OFFLOAD TUNSETOFFLOAD

struct call {
	unsigned long request;
	unsigned index; /* a vring's, for the vring ioctls and SET_BACKEND */
	int fd;         /* SET_BACKEND's; the offloads for OFFLOAD */
};

/* The kernel: its table (ctx: the struct), what it is told to refuse,
 * and what it was asked; the tap's log too. */
struct fake {
	struct vb_vhost_kernel table;
	int open_errno;         /* open answers -open_errno when set */
	unsigned long fail_request;
	unsigned fail_index;    /* with fail_request, for a vring ioctl */
	int fail_errno;
	struct call calls[MAX_CALLS];
	unsigned n;
	unsigned opens, closes;
	uint64_t acked;
	int kick[2];
	/* The tap. */
	atomic_uint sent;
	unsigned destroyed;
	unsigned closes_at_destroy; /* the vhost fd's closes when the tap went */
};

static void record(struct fake *f, unsigned long request, unsigned index, int fd)
{
	assert_true(f->n < MAX_CALLS);
	f->calls[f->n++] = (struct call){ request, index, fd };
}

static int fake_open(void *ctx, const char *path)
{
	struct fake *f = ctx;
	assert_string_equal(path, "/dev/vhost-net");
	f->opens++;
	return f->open_errno ? -f->open_errno : VHOST_FD;
}

/* The vring index of a vring ioctl's argument, else 0. */
static unsigned vring_index(unsigned long request, const void *arg)
{
	switch (request) {
	case VHOST_SET_VRING_NUM:
	case VHOST_SET_VRING_BASE:
		return ((const struct vhost_vring_state *)arg)->index;
	case VHOST_SET_VRING_ADDR: return ((const struct vhost_vring_addr *)arg)->index;
	case VHOST_SET_VRING_KICK:
	case VHOST_SET_VRING_CALL:
	case VHOST_NET_SET_BACKEND:
		return ((const struct vhost_vring_file *)arg)->index;
	default: return 0;
	}
}

static int fake_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	struct fake *f = ctx;
	assert_int_equal(fd, VHOST_FD);
	unsigned index = vring_index(request, arg);
	int file = request == VHOST_NET_SET_BACKEND ? ((struct vhost_vring_file *)arg)->fd : -1;
	record(f, request, index, file);
	if (request == f->fail_request && index == f->fail_index)
		return -f->fail_errno;
	switch (request) {
	case VHOST_GET_FEATURES: *(uint64_t *)arg = KERNEL_FEATURES; break;
	case VHOST_SET_FEATURES: f->acked = *(uint64_t *)arg; break;
	case VHOST_SET_VRING_KICK: f->kick[index] = ((struct vhost_vring_file *)arg)->fd; break;
	default: break;
	}
	return 0;
}

static void fake_close(void *ctx, int fd)
{
	assert_int_equal(fd, VHOST_FD);
	((struct fake *)ctx)->closes++;
}

/* ---- a tap that is only a descriptor number and a log ---- */

struct fake_tap {
	struct vb_net_backend base;
	struct fake *f;
};

static struct fake *tap_fake(const struct vb_net_backend *b)
{
	return ((const struct fake_tap *)b)->f;
}

static int tap_send(struct vb_net_backend *b, const uint8_t *frame, size_t len)
{
	(void)frame;
	(void)len;
	atomic_fetch_add(&tap_fake(b)->sent, 1);
	return 0;
}

static int tap_prepare(struct vb_net_backend *b, struct vb_net_pollset *set, bool want_rx,
		       int *timeout_ms)
{
	(void)b;
	(void)set;
	(void)want_rx;
	(void)timeout_ms;
	return 0;
}

static void tap_dispatch(struct vb_net_backend *b, const struct vb_net_pollset *set)
{
	(void)b;
	(void)set;
}

static int tap_set_offload(struct vb_net_backend *b, unsigned offloads)
{
	record(tap_fake(b), OFFLOAD, 0, (int)offloads);
	return 0;
}

static int tap_vhost_fd(const struct vb_net_backend *b)
{
	(void)b;
	return TAP_FD;
}

static void tap_destroy(struct vb_net_backend *b)
{
	struct fake *f = tap_fake(b);
	f->destroyed++;
	f->closes_at_destroy = f->closes;
	free(b);
}

static const struct vb_net_backend_ops tap_ops = {
	.kind = "tap", .send = tap_send, .poll_prepare = tap_prepare,
	.poll_dispatch = tap_dispatch, .set_offload = tap_set_offload,
	.vhost_fd = tap_vhost_fd, .destroy = tap_destroy,
};

static struct vb_net_backend *tap_new(struct fake *f)
{
	struct fake_tap *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->base.ops = &tap_ops;
	t->base.offloads = true;
	t->f = f;
	return &t->base;
}

/* ---- the fixture ---- */

struct fixture {
	struct vt_env env;
	struct vt_drv drv;
	struct vb_ioevent *svc;
	struct fake fake;
	struct vb_device_desc desc; /* mode = "tap", tap = "vbtap0" */
	bool pci;
	void *nic;
};

static int attach(struct fixture *f, struct vb_err *err)
{
	struct vb_virtio_placement p = {
		.name = "net0", .desc = &f->desc,
		.transport = f->pci ? VB_VIRTIO_PCI : VB_VIRTIO_MMIO,
		.pci_slot = SLOT, .mmio_base = MMIO_BASE, .mmio_bytes = 0x1000, .gsi = MMIO_GSI,
	};
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	f->nic = NULL;
	int r = vb_virtio_net_attach_kernel(&f->env.env, &p, mac, tap_new(&f->fake),
					    &f->fake.table, &f->nic, err);
	if (r == 0)
		assert_int_equal(vt_drv_open_either(&f->drv, &f->env, f->pci, SLOT, MMIO_BASE,
						    MMIO_GSI), 0);
	return r;
}

static int setup(void **state, bool pci, bool attached)
{
	struct fixture *f = VT_FIXTURE_NEW(struct fixture);
	if (!f)
		return -1;
	f->pci = pci;
	f->fake.table = (struct vb_vhost_kernel){ fake_open, fake_ioctl, fake_close, &f->fake };
	assert_int_equal(vb_device_desc_init(&f->desc, &vb_virtio_net_type), 0);
	assert_int_equal(vb_device_set_string(&f->desc, "mode", "tap"), 0);
	assert_int_equal(vb_device_set_string(&f->desc, "tap", "vbtap0"), 0);
	struct vb_err err;
	assert_int_equal(vb_ioevent_create(&f->svc, NULL, NULL, &err), 0);
	vb_ioevent_plug(f->svc, &f->env.env);
	*state = f;
	if (attached && attach(f, &err) < 0)
		fail_msg("attach: %s", err.msg);
	return 0;
}

static int setup_mmio(void **state) { return setup(state, false, true); }
static int setup_pci(void **state) { return setup(state, true, true); }
static int setup_bare(void **state) { return setup(state, true, false); }

static void detach(struct fixture *f)
{
	vb_ioevent_stop(f->svc);
	vb_virtio_dev_detach(f->nic);
	f->nic = NULL;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	detach(f);
	vt_env_fini(&f->env);
	vb_ioevent_destroy(f->svc);
	vb_device_desc_free(&f->desc);
	free(f);
	return 0;
}

static unsigned count(const struct fake *f, unsigned long request)
{
	unsigned n = 0;
	for (unsigned i = 0; i < f->n; i++)
		n += f->calls[i].request == request;
	return n;
}

/* Index of the first call of request at or after from; f->n when none. */
static unsigned find(const struct fake *f, unsigned long request, unsigned from)
{
	while (from < f->n && f->calls[from].request != request)
		from++;
	return from;
}

/* Negotiate ack, lay both queues out (rx at rx_gpa), set DRIVER_OK;
 * returns the status read back. */
static uint8_t drive(struct fixture *f, uint64_t ack, uint64_t rx_gpa)
{
	uint8_t s = vt_drv_negotiate(&f->drv, ack);
	assert_true(s & VB_VIRTIO_S_FEATURES_OK);
	struct vt_drv tx = f->drv;
	vt_drv_queue(&f->drv, VB_VIRTIO_NET_RXQ, QSIZE, rx_gpa);
	vt_drv_queue(&tx, VB_VIRTIO_NET_TXQ, QSIZE, TXQ_GPA);
	vt_drv_set_status(&f->drv, s | VB_VIRTIO_S_DRIVER_OK);
	return vt_drv_status(&f->drv);
}

/* SET_BACKEND's calls from index from on: queue q given fd, in order. */
static void assert_backends(const struct fake *f, unsigned from, int fd)
{
	unsigned i = find(f, VHOST_NET_SET_BACKEND, from);
	assert_true(i + 1 < f->n);
	for (unsigned q = 0; q < 2; q++) {
		assert_int_equal(f->calls[i + q].request, VHOST_NET_SET_BACKEND);
		assert_int_equal(f->calls[i + q].index, q);
		assert_int_equal(f->calls[i + q].fd, fd);
	}
}

/* ---- vhost-net serves the NIC ---- */

static void test_attach_and_features(void **state)
{
	struct fixture *f = *state;
	struct fake *k = &f->fake;
	/* Owner, features, memory table; nothing of the rings or the tap. */
	const unsigned long attach_calls[] = { VHOST_SET_OWNER, VHOST_GET_FEATURES,
					       VHOST_SET_MEM_TABLE };
	assert_int_equal(k->n, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(k->calls[i].request, attach_calls[i]);
	uint64_t offered = vt_drv_device_features(&f->drv);
	const uint64_t want = RING_FEATURES | BIT(VB_VIRTIO_NET_F_MRG_RXBUF) |
			      BIT(VB_VIRTIO_NET_F_MAC) | BIT(VB_VIRTIO_NET_F_STATUS) |
			      BIT(VB_VIRTIO_NET_F_CSUM) | BIT(VB_VIRTIO_NET_F_GUEST_CSUM) |
			      BIT(VB_VIRTIO_NET_F_GUEST_TSO4) | BIT(VB_VIRTIO_NET_F_GUEST_TSO6) |
			      BIT(VB_VIRTIO_NET_F_GUEST_ECN) | BIT(VB_VIRTIO_NET_F_HOST_TSO4) |
			      BIT(VB_VIRTIO_NET_F_HOST_TSO6) | BIT(VB_VIRTIO_NET_F_HOST_ECN);
	assert_int_equal(offered, want);
	/* Two doorbells to the kernel's kick and two interrupt relays. */
	assert_int_equal(vb_ioevent_count(f->svc), 4);
	assert_int_equal(f->env.log_lines, 0);
}

static void test_driver_ok_reset_detach(void **state)
{
	struct fixture *f = *state;
	struct fake *k = &f->fake;
	const uint64_t ack = BIT(VB_VIRTIO_F_VERSION_1) | BIT(VB_VIRTIO_F_EVENT_IDX) |
			     BIT(VB_VIRTIO_NET_F_MRG_RXBUF) | BIT(VB_VIRTIO_NET_F_CSUM) |
			     BIT(VB_VIRTIO_NET_F_GUEST_CSUM) | BIT(VB_VIRTIO_NET_F_GUEST_TSO4);
	unsigned from = k->n;
	uint8_t s = drive(f, ack, RXQ_GPA);
	assert_true(s & VB_VIRTIO_S_DRIVER_OK);
	assert_false(s & VB_VIRTIO_S_NEEDS_RESET);
	/* The tap's offloads first: what the guest takes (checksum, TSO4). */
	unsigned off = find(k, OFFLOAD, from);
	assert_int_equal(k->calls[off].fd, VB_NET_OFFLOAD_CSUM | VB_NET_OFFLOAD_TSO4);
	/* Then the features: only the kernel's part of the guest's choice
	 * (the offloads are the tap's business; no VIRTIO_NET_HDR, so the tap
	 * keeps the 12-byte header). */
	unsigned feat = find(k, VHOST_SET_FEATURES, from);
	assert_true(off < feat);
	assert_int_equal(k->acked, BIT(VB_VIRTIO_F_VERSION_1) | BIT(VB_VIRTIO_F_EVENT_IDX) |
					   BIT(VB_VIRTIO_NET_F_MRG_RXBUF));
	/* Both rings, then the tap on both queues, last. */
	assert_int_equal(count(k, VHOST_SET_VRING_ADDR), 2);
	assert_true(find(k, VHOST_SET_VRING_CALL, feat) < find(k, VHOST_NET_SET_BACKEND, feat));
	assert_backends(k, from, TAP_FD);
	assert_int_equal(k->n, find(k, VHOST_NET_SET_BACKEND, from) + 2);

	/* A doorbell that exits reaches the kernel's kick, not vmboot. */
	uint64_t n = 0;
	vt_drv_notify(&f->drv, VB_VIRTIO_NET_TXQ);
	assert_int_equal(read(k->kick[1], &n, sizeof(n)), (ssize_t)sizeof(n));
	assert_int_equal(n, 1);

	/* Reset: the tap leaves both queues, the offloads go. */
	from = k->n;
	vt_drv_set_status(&f->drv, 0);
	assert_backends(k, from, -1);
	unsigned withdrawn = find(k, OFFLOAD, from);
	assert_true(withdrawn < k->n);
	assert_int_equal(k->calls[withdrawn].fd, 0);

	/* A new start on moved rings hands the tap over again. */
	from = k->n;
	s = drive(f, BIT(VB_VIRTIO_F_VERSION_1), 0x30000);
	assert_false(s & VB_VIRTIO_S_NEEDS_RESET);
	assert_backends(k, from, TAP_FD);
	assert_int_equal(k->acked, BIT(VB_VIRTIO_F_VERSION_1));
	/* Without GUEST_CSUM the tap stays without offloads: no call. */
	assert_int_equal(find(k, OFFLOAD, from), k->n);

	/* Detach: RESET_OWNER stops it all, the fd closes, then the tap. */
	from = k->n;
	detach(f);
	assert_true(find(k, VHOST_RESET_OWNER, from) < k->n);
	assert_int_equal(count(k, VHOST_NET_SET_BACKEND), 6);
	assert_int_equal(k->closes, 1);
	assert_int_equal(k->destroyed, 1);
	assert_int_equal(k->closes_at_destroy, 1);
	assert_int_equal(f->env.log_lines, 0);
}

/* ---- a hostile driver ---- */

static void test_ring_outside_ram(void **state)
{
	struct fixture *f = *state;
	struct fake *k = &f->fake;
	/* The receive ring runs from the end of RAM below the gap into it. */
	uint8_t s = drive(f, BIT(VB_VIRTIO_F_VERSION_1), VT_RAM_BYTES - 0x400);
	assert_true(s & VB_VIRTIO_S_NEEDS_RESET);
	assert_int_equal(count(k, VHOST_NET_SET_BACKEND), 0);
	assert_int_equal(count(k, VHOST_SET_VRING_ADDR), 0);
	/* vmboot goes on: a reset and good rings start the device. */
	vt_drv_set_status(&f->drv, 0);
	s = drive(f, BIT(VB_VIRTIO_F_VERSION_1), RXQ_GPA);
	assert_false(s & VB_VIRTIO_S_NEEDS_RESET);
	assert_backends(k, 0, TAP_FD);
}

static void test_queue_missing(void **state)
{
	struct fixture *f = *state;
	uint8_t s = vt_drv_negotiate(&f->drv, BIT(VB_VIRTIO_F_VERSION_1));
	vt_drv_queue(&f->drv, VB_VIRTIO_NET_RXQ, QSIZE, RXQ_GPA);
	vt_drv_set_status(&f->drv, s | VB_VIRTIO_S_DRIVER_OK);
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	assert_non_null(strstr(f->env.last_log, "queue 1 is not set up at DRIVER_OK"));
	assert_int_equal(count(&f->fake, VHOST_NET_SET_BACKEND), 0);
}

static void test_backend_refused(void **state)
{
	struct fixture *f = *state;
	struct fake *k = &f->fake;
	k->fail_request = VHOST_NET_SET_BACKEND;
	k->fail_index = 1;
	k->fail_errno = EBUSY;
	uint8_t s = drive(f, BIT(VB_VIRTIO_F_VERSION_1), RXQ_GPA);
	assert_true(s & VB_VIRTIO_S_NEEDS_RESET);
	assert_non_null(strstr(f->env.last_log, "net0: VHOST_NET_SET_BACKEND: Device or resource busy"));
	/* Queue 0 had the tap: it is taken back at once, not at reset. */
	unsigned i = find(k, VHOST_NET_SET_BACKEND, 0);
	assert_int_equal(k->calls[i].fd, TAP_FD);
	assert_int_equal(k->calls[i + 1].index, 1);
	assert_int_equal(k->calls[i + 2].request, VHOST_NET_SET_BACKEND);
	assert_int_equal(k->calls[i + 2].index, 0);
	assert_int_equal(k->calls[i + 2].fd, -1);
	/* The reset finds nothing left to take back. */
	unsigned before = count(k, VHOST_NET_SET_BACKEND);
	vt_drv_set_status(&f->drv, 0);
	assert_int_equal(count(k, VHOST_NET_SET_BACKEND), before);
}

/* ---- the fallback and the key ---- */

/* A transmitted frame reaches the backend through vmboot's own path. */
static void assert_own_path_sends(struct fixture *f)
{
	uint8_t s = vt_drv_negotiate(&f->drv, BIT(VB_VIRTIO_F_VERSION_1));
	/* vmboot's own path merges receive buffers too. */
	assert_true(vt_drv_device_features(&f->drv) & BIT(VB_VIRTIO_NET_F_MRG_RXBUF));
	struct vt_drv tx = f->drv;
	vt_drv_queue(&f->drv, VB_VIRTIO_NET_RXQ, QSIZE, RXQ_GPA);
	vt_drv_queue(&tx, VB_VIRTIO_NET_TXQ, QSIZE, TXQ_GPA);
	vt_drv_set_status(&f->drv, s | VB_VIRTIO_S_DRIVER_OK);
	memset(vt_gpa(&f->env, TXBUF_GPA), 0, 64);
	vt_desc(&tx, 0, TXBUF_GPA, 60, 0, 0);
	vt_avail_push(&tx, 0);
	vt_drv_notify(&tx, VB_VIRTIO_NET_TXQ);
	for (int i = 0; i < 5000 && atomic_load(&f->fake.sent) == 0; i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	assert_int_equal(atomic_load(&f->fake.sent), 1);
	assert_int_equal(count(&f->fake, VHOST_NET_SET_BACKEND), 0);
}

static void test_fallback_no_node(void **state)
{
	struct fixture *f = *state;
	struct vb_err err;
	f->fake.open_errno = ENOENT;
	assert_int_equal(attach(f, &err), 0);
	assert_int_equal(f->env.log_lines, 1);
	assert_string_equal(f->env.last_log,
			    "net0: /dev/vhost-net: No such file or directory (load the vhost_net module: modprobe vhost_net); serving the NIC in vmboot");
	assert_own_path_sends(f);
}

static void test_fallback_no_access(void **state)
{
	struct fixture *f = *state;
	struct vb_err err;
	f->fake.open_errno = EACCES;
	assert_int_equal(attach(f, &err), 0);
	assert_string_equal(f->env.last_log,
			    "net0: /dev/vhost-net: Permission denied; serving the NIC in vmboot");
	assert_int_equal(f->env.log_lines, 1);
}

static void test_fallback_setup_refused(void **state)
{
	struct fixture *f = *state;
	struct vb_err err;
	f->fake.fail_request = VHOST_SET_MEM_TABLE;
	f->fake.fail_errno = ENOMEM;
	assert_int_equal(attach(f, &err), 0);
	assert_string_equal(f->env.last_log,
			    "net0: VHOST_SET_MEM_TABLE: Cannot allocate memory; serving the NIC in vmboot");
	/* The half-set-up instance is given back at once. */
	assert_int_equal(f->fake.closes, 1);
	assert_own_path_sends(f);
}

static void test_vhost_required(void **state)
{
	struct fixture *f = *state;
	struct vb_err err;
	assert_int_equal(vb_device_set_bool(&f->desc, "vhost", true), 0);
	f->fake.open_errno = ENOENT;
	assert_int_equal(attach(f, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "net0: /dev/vhost-net: No such file or directory (load the vhost_net module"));
	assert_int_equal(f->env.log_lines, 0);
	assert_null(f->nic);
	assert_int_equal(f->fake.destroyed, 1);
	/* Available, it is used as without the key. */
	f->fake.open_errno = 0;
	assert_int_equal(attach(f, &err), 0);
	assert_true(vt_drv_device_features(&f->drv) & BIT(VB_VIRTIO_NET_F_MRG_RXBUF));
}

static void test_vhost_off(void **state)
{
	struct fixture *f = *state;
	struct vb_err err;
	assert_int_equal(vb_device_set_bool(&f->desc, "vhost", false), 0);
	assert_int_equal(attach(f, &err), 0);
	assert_int_equal(f->fake.opens, 0);
	assert_int_equal(f->env.log_lines, 0);
	assert_own_path_sends(f);
}

/* The errors vb_desc_validate finds in conf. */
static size_t validate(const char *conf, struct vb_diags *diags)
{
	struct vb_machine_desc desc;
	vb_desc_init(&desc);
	vb_diags_init(diags);
	struct vb_node *root = vb_parse_conf_buffer("m.conf", conf, strlen(conf), diags);
	assert_non_null(root);
	size_t n_types;
	const struct vb_device_type *const *types = vb_device_types(&n_types);
	assert_int_equal(vb_desc_from_tree(root, types, n_types, &desc, diags), 0);
	vb_desc_validate(&desc, diags);
	vb_desc_free(&desc);
	vb_node_free(root);
	return diags->errors;
}

static void test_key_tap_only(void **state)
{
	(void)state;
	struct vb_diags d;
	assert_int_equal(validate("kernel = \"/k\"; devices = ( { type = \"net\"; mode = \"tap\";"
				  " tap = \"t0\"; vhost = true; } );", &d), 0);
	vb_diags_free(&d);
	/* User mode has no vhost-net to insist on; false is harmless. */
	assert_int_equal(validate("kernel = \"/k\"; devices = ( { type = \"net\"; vhost = true; } );",
				  &d), 1);
	assert_string_equal(d.items[0].message,
			    "devices[0].vhost: vhost-net serves tap NICs only (mode = \"tap\")");
	assert_int_equal(d.items[0].loc.line, 1);
	vb_diags_free(&d);
	assert_int_equal(validate("kernel = \"/k\"; devices = ( { type = \"net\"; vhost = false; } );",
				  &d), 0);
	vb_diags_free(&d);
}

static void test_flag(void **state)
{
	(void)state;
	const struct vb_device_flag *flag = &vb_virtio_net_type.flags[0];
	assert_string_equal(flag->long_name, "--network");
	const char *args[] = { "tap,tap=t0,vhost=off", "tap,tap=t0,vhost=on", "tap,vhost=maybe" };
	for (unsigned i = 0; i < 3; i++) {
		struct vb_node *dev = vb_node_new(VB_NODE_TABLE, (struct vb_loc){ 0 });
		assert_non_null(dev);
		char arg[64];
		snprintf(arg, sizeof(arg), "%s", args[i]);
		struct vb_err err;
		int r = flag->parse(dev, "--network", arg, &err);
		const struct vb_node *v = vb_node_get(dev, "vhost");
		if (i < 2) {
			assert_int_equal(r, 0);
			assert_non_null(v);
			assert_int_equal(v->boolean, i == 1);
		} else {
			assert_int_equal(r, -EINVAL);
			assert_non_null(strstr(err.msg, "unknown option \"vhost\""));
		}
		vb_node_free(dev);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attach_and_features, setup_mmio, teardown),
		cmocka_unit_test_setup_teardown(test_attach_and_features, setup_pci, teardown),
		cmocka_unit_test_setup_teardown(test_driver_ok_reset_detach, setup_mmio, teardown),
		cmocka_unit_test_setup_teardown(test_driver_ok_reset_detach, setup_pci, teardown),
		cmocka_unit_test_setup_teardown(test_ring_outside_ram, setup_pci, teardown),
		cmocka_unit_test_setup_teardown(test_queue_missing, setup_pci, teardown),
		cmocka_unit_test_setup_teardown(test_backend_refused, setup_pci, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_no_node, setup_bare, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_no_access, setup_bare, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_setup_refused, setup_bare, teardown),
		cmocka_unit_test_setup_teardown(test_vhost_required, setup_bare, teardown),
		cmocka_unit_test_setup_teardown(test_vhost_off, setup_bare, teardown),
		cmocka_unit_test(test_key_tap_only),
		cmocka_unit_test(test_flag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
