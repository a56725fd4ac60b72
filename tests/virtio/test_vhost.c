/* The vhost backend (virtio/vhost.h) without /dev/vhost-*: the memory
 * table from a memory map with and without the 32-bit gap, the checks of
 * guest-given rings, the messages for a missing node, and a two-queue
 * device on it, driven over both transports by the in-process driver
 * with a fake kernel that records every ioctl: which eventfds and which
 * host addresses reach the kernel, that a call from the kernel raises the
 * device's interrupt, that a doorbell goes to the kernel and not to
 * vmboot, and that a bad ring or a refusing kernel puts the device into
 * NEEDS_RESET and never reaches the kernel. test_vhost_host opens the real
 * /dev/vhost-vsock where there is one. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver.h"
#include "machine/ioevent.h"
#include "virtio/device.h"
#include "virtio/vhost.h"
#include "virtio/virtq.h"

#define BIT(n) (1ULL << (n))
#define RING_FEATURES \
	(BIT(VB_VIRTIO_F_VERSION_1) | BIT(VB_VIRTIO_F_INDIRECT_DESC) | BIT(VB_VIRTIO_F_EVENT_IDX))
/* A device-type bit the fake kernel offers, and one of vhost's own
 * (VIRTIO_F_NOTIFY_ON_EMPTY, 24) that must not reach the guest. */
#define DEV_BIT BIT(1)
#define VHOST_ONLY_BIT BIT(24)

/* A host address nobody dereferences: the pure functions only compute. */
#define FAKE_BASE ((uint8_t *)(uintptr_t)0x7f0000000000ULL)

#define MMIO_BASE VB_GAP_START_BYTES
#define MMIO_GSI 16u
#define Q0_GPA 0x10000ULL
#define Q1_GPA 0x20000ULL
#define QSIZE 64u
#define FAKE_FD 1000

/* ---- the pure parts ------------------------------------------------- */

static void test_mem_regions_without_gap(void **state)
{
	(void)state;
	struct vb_memmap map;
	struct vhost_memory_region r[VB_VHOST_MAX_REGIONS];
	/* Below the gap, and exactly up to it: one region at 0. */
	const uint64_t sizes[] = { 256ULL << 20, VB_GAP_START_BYTES };
	for (unsigned i = 0; i < 2; i++) {
		vb_memmap_compute(sizes[i], &map);
		struct vb_guest_mem mem = { .host_base = FAKE_BASE, .map = &map };
		assert_int_equal(vb_vhost_mem_regions(&mem, r), 1);
		assert_int_equal(r[0].guest_phys_addr, 0);
		assert_int_equal(r[0].memory_size, sizes[i]);
		assert_int_equal(r[0].userspace_addr, (uint64_t)(uintptr_t)FAKE_BASE);
	}
}

static void test_mem_regions_with_gap(void **state)
{
	(void)state;
	struct vb_memmap map;
	vb_memmap_compute(6ULL << 30, &map);
	struct vb_guest_mem mem = { .host_base = FAKE_BASE, .map = &map };
	struct vhost_memory_region r[VB_VHOST_MAX_REGIONS];
	assert_int_equal(vb_vhost_mem_regions(&mem, r), 2);
	assert_int_equal(r[0].guest_phys_addr, 0);
	assert_int_equal(r[0].memory_size, VB_GAP_START_BYTES);
	assert_int_equal(r[0].userspace_addr, (uint64_t)(uintptr_t)FAKE_BASE);
	/* RAM resumes at 4 GiB with what did not fit below the gap; the host
	 * mapping has the gap too, so the host address is base + 4 GiB. */
	assert_int_equal(r[1].guest_phys_addr, VB_GAP_END_BYTES);
	assert_int_equal(r[1].memory_size, (6ULL << 30) - VB_GAP_START_BYTES);
	assert_int_equal(r[1].userspace_addr, (uint64_t)(uintptr_t)FAKE_BASE + VB_GAP_END_BYTES);
}

/* Expects vb_vhost_ring_addr to refuse, with want in the message. */
static void refused(const struct vb_guest_mem *mem, uint16_t size, uint64_t desc, uint64_t avail,
		    uint64_t used, int want_rc, const char *want)
{
	struct vhost_vring_addr a;
	memset(&a, 0xaa, sizeof(a));
	struct vb_err err = { { 0 } };
	assert_int_equal(vb_vhost_ring_addr(mem, 0, size, 256, desc, avail, used, &a, &err),
			 want_rc);
	if (!strstr(err.msg, want))
		fail_msg("\"%s\" does not say \"%s\"", err.msg, want);
}

static void test_ring_addr(void **state)
{
	(void)state;
	struct vb_memmap map;
	vb_memmap_compute(VB_GAP_START_BYTES + (64ULL << 20), &map);
	struct vb_guest_mem mem = { .host_base = FAKE_BASE, .map = &map };
	struct vhost_vring_addr a;
	struct vb_err err;
	/* A good ring: host addresses through the checked view. */
	assert_int_equal(vb_vhost_ring_addr(&mem, 1, 128, 256, 0x10000, 0x11000, 0x12000, &a, &err),
			 0);
	assert_int_equal(a.index, 1);
	assert_int_equal(a.flags, 0);
	assert_int_equal(a.desc_user_addr, (uint64_t)(uintptr_t)FAKE_BASE + 0x10000);
	assert_int_equal(a.avail_user_addr, (uint64_t)(uintptr_t)FAKE_BASE + 0x11000);
	assert_int_equal(a.used_user_addr, (uint64_t)(uintptr_t)FAKE_BASE + 0x12000);
	/* Above the gap too. */
	uint64_t hi = VB_GAP_END_BYTES + 0x1000;
	assert_int_equal(vb_vhost_ring_addr(&mem, 0, 8, 256, hi, hi + 0x100, hi + 0x200, &a, &err),
			 0);
	assert_int_equal(a.desc_user_addr, (uint64_t)(uintptr_t)FAKE_BASE + hi);

	/* Sizes: zero, not a power of two, above the device's maximum. */
	refused(&mem, 0, 0x10000, 0x11000, 0x12000, -EINVAL, "queue size 0");
	refused(&mem, 100, 0x10000, 0x11000, 0x12000, -EINVAL, "queue size 100");
	refused(&mem, 512, 0x10000, 0x11000, 0x12000, -EINVAL, "queue size 512");
	/* Alignment: 16, 2, 4 (virtio 2.7). */
	refused(&mem, 8, 0x10008, 0x11000, 0x12000, -EINVAL, "descriptor table at 0x10008");
	refused(&mem, 8, 0x10000, 0x11001, 0x12000, -EINVAL, "available ring at 0x11001");
	refused(&mem, 8, 0x10000, 0x11000, 0x12002, -EINVAL, "used ring at 0x12002");
	/* In the gap, straddling its start, past the end of RAM, wrapping. */
	refused(&mem, 8, VB_GAP_START_BYTES, 0x11000, 0x12000, -EFAULT, "is not guest RAM");
	refused(&mem, 8, 0x10000, VB_GAP_START_BYTES - 0x10, 0x12000, -EFAULT,
		"available ring");
	refused(&mem, 8, 0x10000, 0x11000, VB_GAP_END_BYTES + (64ULL << 20) - 0x20, -EFAULT,
		"used ring");
	refused(&mem, 8, 0xfffffffffffffff0ULL, 0x11000, 0x12000, -EFAULT, "descriptor table");
}

static void test_open_errors(void **state)
{
	(void)state;
	struct vb_err err;
	assert_int_equal(vb_vhost_open_error(&err, ENOENT, "vsock", "/dev/vhost-vsock",
					     "vhost_vsock"),
			 -ENOENT);
	assert_string_equal(err.msg, "vsock: /dev/vhost-vsock: No such file or directory (load the vhost_vsock module: modprobe vhost_vsock)");
	assert_int_equal(vb_vhost_open_error(&err, EACCES, "vsock", "/dev/vhost-vsock",
					     "vhost_vsock"),
			 -EACCES);
	assert_string_equal(err.msg, "vsock: /dev/vhost-vsock: Permission denied");

	/* The host's open, on a node that is not there. */
	struct vb_vhost h;
	assert_int_equal(vb_vhost_open(&h, NULL, "/nonexistent/vhost-test", "vhost_test", "vtest",
				       2, &err),
			 -ENOENT);
	assert_string_equal(err.msg, "vtest: /nonexistent/vhost-test: No such file or directory (load the vhost_test module: modprobe vhost_test)");
	assert_int_equal(h.fd, -1);
	vb_vhost_close(&h); /* again: harmless */
}

/* ---- a fake kernel -------------------------------------------------- */

#define MAX_IOCTLS 128

struct fake {
	int open_errno;
	uint64_t features;
	unsigned long fail_request; /* answered with fail_errno */
	int fail_errno;
	unsigned opens, closes;
	unsigned long requests[MAX_IOCTLS];
	unsigned n;
	struct vhost_memory_region regions[VB_VHOST_MAX_REGIONS];
	unsigned nregions;
	uint64_t acked;
	struct vhost_vring_state num[2], base[2];
	struct vhost_vring_addr addr[2];
	struct vhost_vring_file kick[2], call[2];
};

static int fake_open(void *ctx, const char *path)
{
	struct fake *f = ctx;
	(void)path;
	if (f->open_errno)
		return -f->open_errno;
	f->opens++;
	return FAKE_FD;
}

static int fake_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	struct fake *f = ctx;
	assert_int_equal(fd, FAKE_FD);
	if (f->n < MAX_IOCTLS)
		f->requests[f->n++] = request;
	if (request == f->fail_request)
		return -f->fail_errno;
	switch (request) {
	case VHOST_GET_FEATURES: *(uint64_t *)arg = f->features; break;
	case VHOST_SET_FEATURES: f->acked = *(uint64_t *)arg; break;
	case VHOST_SET_MEM_TABLE: {
		const struct vhost_memory *m = arg;
		assert_true(m->nregions <= VB_VHOST_MAX_REGIONS);
		f->nregions = m->nregions;
		memcpy(f->regions, m->regions, m->nregions * sizeof(m->regions[0]));
		break;
	}
	case VHOST_SET_VRING_NUM: {
		const struct vhost_vring_state *s = arg;
		assert_true(s->index < 2);
		f->num[s->index] = *s;
		break;
	}
	case VHOST_SET_VRING_BASE: {
		const struct vhost_vring_state *s = arg;
		assert_true(s->index < 2);
		f->base[s->index] = *s;
		break;
	}
	case VHOST_SET_VRING_ADDR: {
		const struct vhost_vring_addr *a = arg;
		assert_true(a->index < 2);
		f->addr[a->index] = *a;
		break;
	}
	case VHOST_SET_VRING_KICK:
	case VHOST_SET_VRING_CALL: {
		const struct vhost_vring_file *v = arg;
		assert_true(v->index < 2);
		if (request == VHOST_SET_VRING_KICK)
			f->kick[v->index] = *v;
		else
			f->call[v->index] = *v;
		break;
	}
	case VHOST_RESET_OWNER: return -ENOTTY; /* as vhost-vsock */
	default: break;
	}
	return 0;
}

static void fake_close(void *ctx, int fd)
{
	struct fake *f = ctx;
	assert_int_equal(fd, FAKE_FD);
	f->closes++;
}

static unsigned count_requests(const struct fake *f, unsigned long request)
{
	unsigned n = 0;
	for (unsigned i = 0; i < f->n; i++)
		n += f->requests[i] == request;
	return n;
}

/* ---- a two-queue device on the backend ------------------------------ */

struct tdev {
	struct vb_virtio_dev base;
	struct vb_vhost vhost;
	const struct vb_dev_env *env;
};

static int t_setup(struct vb_virtio_dev *d, struct vb_virtio_setup *s, struct vb_err *err)
{
	struct tdev *t = (struct tdev *)d;
	t->env = s->env;
	int r = vb_vhost_open(&t->vhost, s->arg, "/dev/vhost-test", "vhost_test", "vtest", 2, err);
	if (!r)
		r = vb_vhost_set_mem(&t->vhost, s->env->mem, err);
	if (!r)
		s->features = vb_vhost_device_features(&t->vhost);
	return r;
}

static int t_start(struct vb_virtio_dev *d, struct vb_err *err)
{
	struct tdev *t = (struct tdev *)d;
	return vb_vhost_wire(&t->vhost, t->env, &d->vio, err);
}

static void t_stop(struct vb_virtio_dev *d)
{
	vb_vhost_unwire(&((struct tdev *)d)->vhost);
}

static void t_teardown(struct vb_virtio_dev *d)
{
	vb_vhost_close(&((struct tdev *)d)->vhost);
}

static int t_activate(struct vb_virtio *v, void *dev, struct vb_err *err)
{
	return vb_vhost_start(&((struct tdev *)dev)->vhost, v, err);
}

static int t_notify(struct vb_virtio *v, void *dev, unsigned q, struct vb_err *err)
{
	(void)v;
	(void)err;
	vb_vhost_kick(&((struct tdev *)dev)->vhost, q);
	return 0;
}

static const struct vb_virtio_device_ops tdev_virtio = {
	.name = "vtest", .device_id = 99, .num_queues = 2, .queue_max_size = 256,
	.queue_notify = t_notify, .activate = t_activate,
	.state_bytes = sizeof(struct tdev), .setup = t_setup, .start = t_start, .stop = t_stop,
	.teardown = t_teardown,
};

static const struct vb_device_ops tdev_ops = VB_VIRTIO_DEVICE_OPS("vtest", &tdev_virtio);

struct fixture {
	struct vt_env env;
	struct vt_drv drv;
	struct vb_ioevent *svc;
	struct fake fake;
	struct vb_vhost_kernel kernel;
	struct tdev *dev;
	bool pci;
};

static int attach(struct fixture *f, struct vb_err *err)
{
	struct vb_virtio_placement p = {
		.name = "vtest0", .transport = f->pci ? VB_VIRTIO_PCI : VB_VIRTIO_MMIO,
		.pci_slot = 1, .mmio_base = MMIO_BASE, .mmio_bytes = 0x1000, .gsi = MMIO_GSI,
	};
	void *st = NULL;
	int r = vb_virtio_dev_attach_arg(&tdev_ops, &f->env.env, &p, &f->kernel, &st, err);
	f->dev = st;
	return r;
}

static int setup(void **state, bool pci)
{
	struct fixture *f = VT_FIXTURE_NEW(struct fixture);
	if (!f)
		return -1;
	f->pci = pci;
	f->fake.features = RING_FEATURES | DEV_BIT | VHOST_ONLY_BIT;
	f->kernel = (struct vb_vhost_kernel){ fake_open, fake_ioctl, fake_close, &f->fake };
	struct vb_err err;
	assert_int_equal(vb_ioevent_create(&f->svc, NULL, NULL, &err), 0);
	vb_ioevent_plug(f->svc, &f->env.env);
	*state = f;
	return 0;
}

static int setup_attached(void **state, bool pci)
{
	if (setup(state, pci) < 0)
		return -1;
	struct fixture *f = *state;
	struct vb_err err;
	if (attach(f, &err) < 0)
		fail_msg("attach: %s", err.msg);
	assert_int_equal(vt_drv_open_either(&f->drv, &f->env, pci, 1, MMIO_BASE, MMIO_GSI), 0);
	return 0;
}

static int setup_mmio(void **state) { return setup_attached(state, false); }
static int setup_pci(void **state) { return setup_attached(state, true); }
static int setup_bare(void **state) { return setup(state, false); }

static int teardown(void **state)
{
	struct fixture *f = *state;
	/* The builder's order: the I/O event thread stops, then devices go. */
	vb_ioevent_stop(f->svc);
	vb_virtio_dev_detach(f->dev);
	vt_env_fini(&f->env);
	vb_ioevent_destroy(f->svc);
	free(f);
	return 0;
}

static void ring_fd(int fd)
{
	uint64_t one = 1;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, &one, sizeof(one)), (ssize_t)sizeof(one));
}

/* Reads (and resets) an eventfd's counter; 0 when nothing is pending. */
static uint64_t drain(int fd)
{
	uint64_t n = 0;
	return read(fd, &n, sizeof(n)) == (ssize_t)sizeof(n) ? n : 0;
}

/* Negotiate and set up both queues; returns the status after DRIVER_OK. */
static uint8_t drive_to_ok(struct fixture *f, uint64_t ack, uint64_t q[2][3])
{
	uint8_t s = vt_drv_negotiate(&f->drv, ack);
	assert_true(s & VB_VIRTIO_S_FEATURES_OK);
	const uint64_t at[2] = { Q0_GPA, Q1_GPA };
	for (unsigned i = 0; i < 2; i++) {
		vt_drv_queue(&f->drv, i, QSIZE, at[i]);
		if (q) {
			q[i][0] = f->drv.desc;
			q[i][1] = f->drv.avail;
			q[i][2] = f->drv.used;
		}
	}
	vt_drv_set_status(&f->drv, s | VB_VIRTIO_S_DRIVER_OK);
	return vt_drv_status(&f->drv);
}

static void test_attach(void **state)
{
	struct fixture *f = *state;
	struct fake *k = &f->fake;
	/* Open, owner, features, memory table, in that order. */
	assert_int_equal(k->opens, 1);
	assert_true(k->n >= 3);
	assert_int_equal(k->requests[0], VHOST_SET_OWNER);
	assert_int_equal(k->requests[1], VHOST_GET_FEATURES);
	assert_int_equal(k->requests[2], VHOST_SET_MEM_TABLE);
	/* The test machine has RAM on both sides of the gap. */
	assert_int_equal(k->nregions, 2);
	assert_int_equal(k->regions[0].guest_phys_addr, 0);
	assert_int_equal(k->regions[0].memory_size, VB_GAP_START_BYTES);
	assert_int_equal(k->regions[0].userspace_addr, (uint64_t)(uintptr_t)vt_gpa(&f->env, 0));
	assert_int_equal(k->regions[1].guest_phys_addr, VB_GAP_END_BYTES);
	assert_int_equal(k->regions[1].memory_size, VT_HIGH_RAM_END - VB_GAP_END_BYTES);
	assert_int_equal(k->regions[1].userspace_addr,
			 (uint64_t)(uintptr_t)vt_gpa(&f->env, VB_GAP_END_BYTES));
	/* The guest sees the kernel's device bit and the core's ring bits,
	 * never vhost's own. */
	uint64_t offered = vt_drv_device_features(&f->drv);
	assert_true(offered & DEV_BIT);
	assert_true((offered & RING_FEATURES) == RING_FEATURES);
	assert_false(offered & VHOST_ONLY_BIT);
	/* Two doorbells (one per queue) and two call events. */
	assert_int_equal(vb_ioevent_count(f->svc), 4);
	/* Nothing reaches the rings before DRIVER_OK. */
	assert_int_equal(count_requests(k, VHOST_SET_VRING_ADDR), 0);
}

static void test_start_kick_call(void **state)
{
	struct fixture *f = *state;
	struct fake *k = &f->fake;
	uint64_t q[2][3];
	uint8_t s = drive_to_ok(f, BIT(VB_VIRTIO_F_VERSION_1) | BIT(VB_VIRTIO_F_EVENT_IDX) | DEV_BIT,
				q);
	assert_true(s & VB_VIRTIO_S_DRIVER_OK);
	assert_false(s & VB_VIRTIO_S_NEEDS_RESET);
	assert_int_equal(k->acked, BIT(VB_VIRTIO_F_VERSION_1) | BIT(VB_VIRTIO_F_EVENT_IDX) | DEV_BIT);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(k->num[i].num, QSIZE);
		assert_int_equal(k->base[i].num, 0);
		assert_int_equal(k->addr[i].desc_user_addr, (uint64_t)(uintptr_t)vt_gpa(&f->env, q[i][0]));
		assert_int_equal(k->addr[i].avail_user_addr, (uint64_t)(uintptr_t)vt_gpa(&f->env, q[i][1]));
		assert_int_equal(k->addr[i].used_user_addr, (uint64_t)(uintptr_t)vt_gpa(&f->env, q[i][2]));
		assert_true(k->kick[i].fd >= 0);
		assert_true(k->call[i].fd >= 0);
	}
	assert_int_not_equal(k->kick[0].fd, k->kick[1].fd);
	/* Features first, then each queue in order NUM, BASE, ADDR, KICK, CALL. */
	const unsigned long order[] = { VHOST_SET_FEATURES, VHOST_SET_VRING_NUM,
					VHOST_SET_VRING_BASE, VHOST_SET_VRING_ADDR,
					VHOST_SET_VRING_KICK, VHOST_SET_VRING_CALL };
	unsigned first = 3;
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(k->requests[first + i], order[i]);

	/* The kick is the queue's doorbell eventfd, taken from the I/O event
	 * thread: a guest write there (KVM signals it) wakes the kernel and
	 * no callback of vmboot's. */
	ring_fd(k->kick[1].fd);
	assert_int_equal(vb_ioevent_poll(f->svc, 0), 0);
	assert_int_equal(drain(k->kick[1].fd), 1);
	/* A notify that exits (no ioeventfd match) signals the same fd. */
	vt_drv_notify(&f->drv, 0);
	assert_int_equal(drain(k->kick[0].fd), 1);
	assert_int_equal(drain(k->kick[1].fd), 0);

	/* The kernel's call: the I/O event thread raises ISR bit 0 and the
	 * line, which the driver's ISR read drops. */
	assert_false(vt_drv_line(&f->drv));
	ring_fd(k->call[1].fd);
	assert_int_equal(vb_ioevent_poll(f->svc, 0), 1);
	assert_true(vt_drv_line(&f->drv));
	assert_int_equal(vt_drv_isr(&f->drv), VB_VIRTIO_ISR_QUEUE);
	assert_false(vt_drv_line(&f->drv));

	/* After a reset a late call raises nothing. */
	vt_drv_set_status(&f->drv, 0);
	ring_fd(k->call[0].fd);
	assert_int_equal(vb_ioevent_poll(f->svc, 0), 1);
	assert_false(vt_drv_line(&f->drv));

	/* The driver starts again on new rings: the kernel gets them. */
	unsigned before = count_requests(k, VHOST_SET_VRING_ADDR);
	const uint64_t moved = 0x30000;
	uint8_t st = vt_drv_negotiate(&f->drv, BIT(VB_VIRTIO_F_VERSION_1));
	vt_drv_queue(&f->drv, 0, 16, moved);
	vt_drv_queue(&f->drv, 1, 16, moved + 0x1000);
	vt_drv_set_status(&f->drv, st | VB_VIRTIO_S_DRIVER_OK);
	assert_int_equal(count_requests(k, VHOST_SET_VRING_ADDR), before + 2);
	assert_int_equal(k->addr[0].desc_user_addr, (uint64_t)(uintptr_t)vt_gpa(&f->env, moved));
	assert_int_equal(k->num[1].num, 16);
	assert_int_equal(k->acked, BIT(VB_VIRTIO_F_VERSION_1));
	assert_int_equal(f->env.log_lines, 0);
}

static void test_queue_missing_at_driver_ok(void **state)
{
	struct fixture *f = *state;
	uint8_t s = vt_drv_negotiate(&f->drv, BIT(VB_VIRTIO_F_VERSION_1));
	vt_drv_queue(&f->drv, 0, QSIZE, Q0_GPA);
	vt_drv_set_status(&f->drv, s | VB_VIRTIO_S_DRIVER_OK);
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	assert_non_null(strstr(f->env.last_log, "queue 1 is not set up at DRIVER_OK"));
	/* Checked before the kernel hears of any ring, queue 0's neither. */
	assert_int_equal(count_requests(&f->fake, VHOST_SET_FEATURES), 0);
	assert_int_equal(count_requests(&f->fake, VHOST_SET_VRING_NUM), 0);
}

static void test_hostile_ring_never_reaches_kernel(void **state)
{
	struct fixture *f = *state;
	uint8_t s = vt_drv_negotiate(&f->drv, BIT(VB_VIRTIO_F_VERSION_1));
	vt_drv_queue(&f->drv, 0, QSIZE, Q0_GPA);
	/* Queue 1 runs from the end of RAM below the gap into the gap. */
	vt_drv_queue(&f->drv, 1, QSIZE, VT_RAM_BYTES - 0x400);
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	vt_drv_set_status(&f->drv, s | VB_VIRTIO_S_DRIVER_OK);
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	assert_int_equal(count_requests(&f->fake, VHOST_SET_FEATURES), 0);
	assert_int_equal(count_requests(&f->fake, VHOST_SET_VRING_ADDR), 0);
	assert_non_null(strstr(f->env.last_log, "is not guest RAM"));
}

static void test_kernel_refuses_ring(void **state)
{
	struct fixture *f = *state;
	f->fake.fail_request = VHOST_SET_VRING_ADDR;
	f->fake.fail_errno = EFAULT;
	uint8_t s = drive_to_ok(f, BIT(VB_VIRTIO_F_VERSION_1), NULL);
	assert_true(s & VB_VIRTIO_S_NEEDS_RESET);
	assert_non_null(strstr(f->env.last_log, "vtest: VHOST_SET_VRING_ADDR: Bad address"));
	/* The queue after it was not handed over. */
	assert_int_equal(count_requests(&f->fake, VHOST_SET_VRING_KICK), 0);
}

static void test_attach_refusals(void **state)
{
	struct fixture *f = *state;
	struct vb_err err;
	/* The node is missing: the module is named. */
	f->fake.open_errno = ENOENT;
	assert_int_equal(attach(f, &err), -ENOENT);
	assert_string_equal(err.msg, "vtest: /dev/vhost-test: No such file or directory (load the vhost_test module: modprobe vhost_test)");
	assert_null(f->dev);
	f->fake.open_errno = 0;

	/* A kernel without virtio 1.0 rings. */
	f->fake.features = DEV_BIT | BIT(VB_VIRTIO_F_INDIRECT_DESC);
	assert_int_equal(attach(f, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "without the virtio 1.0 rings"));
	assert_int_equal(f->fake.closes, f->fake.opens);
	f->fake.features = RING_FEATURES;

	/* The kernel refuses the owner (another process has it). */
	f->fake.fail_request = VHOST_SET_OWNER;
	f->fake.fail_errno = EBUSY;
	assert_int_equal(attach(f, &err), -EBUSY);
	assert_string_equal(err.msg, "vtest: VHOST_SET_OWNER: Device or resource busy");
	assert_int_equal(f->fake.closes, f->fake.opens);
	f->fake.fail_request = 0;

	/* No I/O event service: nothing could relay the interrupts. */
	struct vb_dev_env saved = f->env.env;
	f->env.env.doorbell_add = NULL;
	f->env.env.doorbell_remove = NULL;
	f->env.env.doorbell_fd = NULL;
	assert_int_equal(attach(f, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "needs the I/O event thread"));
	assert_int_equal(f->fake.closes, f->fake.opens);
	f->env.env = saved;
	/* Every refused attach left no doorbell and no event behind. */
	assert_int_equal(vb_ioevent_count(f->svc), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mem_regions_without_gap),
		cmocka_unit_test(test_mem_regions_with_gap),
		cmocka_unit_test(test_ring_addr),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test_setup_teardown(test_attach, setup_mmio, teardown),
		cmocka_unit_test_setup_teardown(test_attach, setup_pci, teardown),
		cmocka_unit_test_setup_teardown(test_start_kick_call, setup_mmio, teardown),
		cmocka_unit_test_setup_teardown(test_start_kick_call, setup_pci, teardown),
		cmocka_unit_test_setup_teardown(test_queue_missing_at_driver_ok, setup_pci, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_ring_never_reaches_kernel, setup_mmio,
						teardown),
		cmocka_unit_test_setup_teardown(test_kernel_refuses_ring, setup_pci, teardown),
		cmocka_unit_test_setup_teardown(test_attach_refusals, setup_bare, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
