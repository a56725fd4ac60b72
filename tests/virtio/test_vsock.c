/* virtio-vsock (virtio/vsock.c) through the registry, on a fake
 * vhost-vsock: device id 19 and the guest's CID in configuration space on
 * both transports; VHOST_VSOCK_SET_GUEST_CID at attach and the message
 * when another VM holds the CID; the rx and tx queues handed to the kernel
 * and set running at DRIVER_OK, stopped at reset and at detach; the event
 * queue kept in vmboot (its doorbell still reaches vmboot, the kernel
 * never hears of it); the kernel's SEQPACKET bit offered to the guest. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev/pci.h"
#include "driver.h"
#include "machine/ioevent.h"
#include "machine/registry.h"
#include "parse/desc.h"
#include "virtio/device.h"
#include "virtio/vhost.h"

#define BIT(n) (1ULL << (n))
#define RING_FEATURES \
	(BIT(VB_VIRTIO_F_VERSION_1) | BIT(VB_VIRTIO_F_INDIRECT_DESC) | BIT(VB_VIRTIO_F_EVENT_IDX))
#define F_SEQPACKET BIT(1) /* VIRTIO_VSOCK_F_SEQPACKET, 5.10.3 */
#define MMIO_BASE VB_GAP_START_BYTES
#define MMIO_GSI 16u
#define MMIO_DEVICE_ID 0x008u
#define MMIO_CONFIG 0x100u
#define CID 42u
#define FAKE_FD 7000
#define MAX_IOCTLS 64

struct fake {
	int cid_errno; /* VHOST_VSOCK_SET_GUEST_CID answers this */
	unsigned long requests[MAX_IOCTLS];
	int running[MAX_IOCTLS]; /* SET_RUNNING's argument, by request index */
	unsigned n;
	uint64_t cid;
	unsigned closes;
	int kick_fd[2];
};

static int fake_open(void *ctx, const char *path)
{
	(void)ctx;
	assert_string_equal(path, "/dev/vhost-vsock");
	return FAKE_FD;
}

static int fake_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	struct fake *f = ctx;
	assert_int_equal(fd, FAKE_FD);
	assert_true(f->n < MAX_IOCTLS);
	unsigned i = f->n++;
	f->requests[i] = request;
	switch (request) {
	case VHOST_GET_FEATURES: *(uint64_t *)arg = RING_FEATURES | F_SEQPACKET; break;
	case VHOST_VSOCK_SET_GUEST_CID:
		f->cid = *(uint64_t *)arg;
		return -f->cid_errno;
	case VHOST_VSOCK_SET_RUNNING: f->running[i] = *(int *)arg; break;
	case VHOST_SET_VRING_KICK: {
		const struct vhost_vring_file *k = arg;
		assert_true(k->index < 2); /* never the event queue */
		f->kick_fd[k->index] = k->fd;
		break;
	}
	case VHOST_SET_VRING_NUM:
	case VHOST_SET_VRING_ADDR:
		assert_true(*(const unsigned *)arg < 2);
		break;
	case VHOST_RESET_OWNER: return -ENOTTY;
	default: break;
	}
	return 0;
}

static void fake_close(void *ctx, int fd)
{
	(void)fd;
	((struct fake *)ctx)->closes++;
}

/* How many times SET_RUNNING was called with on. */
static unsigned running_calls(const struct fake *f, int on)
{
	unsigned n = 0;
	for (unsigned i = 0; i < f->n; i++)
		n += f->requests[i] == VHOST_VSOCK_SET_RUNNING && f->running[i] == on;
	return n;
}

struct fixture {
	struct vt_env env;
	struct vt_drv drv;
	struct vb_ioevent *svc;
	struct fake fake;
	struct vb_vhost_kernel kernel;
	struct vb_device_desc desc;
	void *dev;
	bool pci;
};

static const struct vb_device_type *vsock_type(void)
{
	size_t n;
	const struct vb_device_type *const *types = vb_device_types(&n);
	const struct vb_device_type *t = vb_device_type_find(types, n, "vsock");
	assert_non_null(t);
	return t;
}

static int attach(struct fixture *f, struct vb_err *err)
{
	const struct vb_device_type *t = vsock_type();
	struct vb_virtio_placement p = {
		.name = "vsock0", .desc = &f->desc,
		.transport = f->pci ? VB_VIRTIO_PCI : VB_VIRTIO_MMIO,
		.pci_slot = 1, .mmio_base = MMIO_BASE, .mmio_bytes = 0x1000, .gsi = MMIO_GSI,
	};
	f->dev = NULL;
	return vb_virtio_dev_attach_arg(t->ops, &f->env.env, &p, &f->kernel, &f->dev, err);
}

static int setup(void **state, bool pci, bool attached)
{
	struct fixture *f = VT_FIXTURE_NEW(struct fixture);
	if (!f)
		return -1;
	f->pci = pci;
	f->kernel = (struct vb_vhost_kernel){ fake_open, fake_ioctl, fake_close, &f->fake };
	assert_int_equal(vb_device_desc_init(&f->desc, vsock_type()), 0);
	assert_int_equal(vb_device_set_number(&f->desc, "cid", CID), 0);
	struct vb_err err;
	assert_int_equal(vb_ioevent_create(&f->svc, NULL, NULL, &err), 0);
	vb_ioevent_plug(f->svc, &f->env.env);
	*state = f;
	if (!attached)
		return 0;
	if (attach(f, &err) < 0)
		fail_msg("attach: %s", err.msg);
	assert_int_equal(vt_drv_open_either(&f->drv, &f->env, pci, 1, MMIO_BASE, MMIO_GSI), 0);
	return 0;
}

static int setup_mmio(void **state) { return setup(state, false, true); }
static int setup_pci(void **state) { return setup(state, true, true); }
static int setup_bare(void **state) { return setup(state, true, false); }

static int teardown(void **state)
{
	struct fixture *f = *state;
	vb_ioevent_stop(f->svc);
	vb_virtio_dev_detach(f->dev);
	vt_env_fini(&f->env);
	vb_ioevent_destroy(f->svc);
	vb_device_desc_free(&f->desc);
	free(f);
	return 0;
}

static uint32_t bus_read32(struct fixture *f, uint64_t addr)
{
	uint8_t b[4] = { 0 };
	vb_bus_dispatch(&f->env.mmio, addr, b, 4, false);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void test_identity_and_cid(void **state)
{
	struct fixture *f = *state;
	/* Device id 19 (5: virtio-vsock): PCI 1af4:1053, MMIO DeviceID. */
	if (f->pci)
		assert_int_equal(vb_pci_config_read(f->env.env.pci, 0, 1, 0, 2, 2), 0x1040 + 19);
	else
		assert_int_equal(bus_read32(f, MMIO_BASE + MMIO_DEVICE_ID), 19);
	/* guest_cid, le64, in configuration space (5.10.4). */
	uint64_t cfg = f->pci ? f->drv.device : MMIO_BASE + MMIO_CONFIG;
	assert_int_equal(bus_read32(f, cfg), CID);
	assert_int_equal(bus_read32(f, cfg + 4), 0);
	/* The kernel was told the same, before any ring. */
	assert_int_equal(f->fake.cid, CID);
	assert_int_equal(f->fake.requests[3], VHOST_VSOCK_SET_GUEST_CID);
	/* The kernel's SEQPACKET is offered; rings as the core's. */
	assert_true(vt_drv_device_features(&f->drv) & F_SEQPACKET);
	/* Three doorbells (rx, tx, event) and two interrupt relays. */
	assert_int_equal(vb_ioevent_count(f->svc), 5);
}

static void test_running(void **state)
{
	struct fixture *f = *state;
	uint8_t s = vt_drv_negotiate(&f->drv, BIT(VB_VIRTIO_F_VERSION_1) | F_SEQPACKET);
	assert_true(s & VB_VIRTIO_S_FEATURES_OK);
	vt_drv_queue(&f->drv, 0, 128, 0x10000);
	vt_drv_queue(&f->drv, 1, 128, 0x20000);
	vt_drv_queue(&f->drv, 2, 16, 0x30000);
	assert_int_equal(running_calls(&f->fake, 1), 0);
	vt_drv_set_status(&f->drv, s | VB_VIRTIO_S_DRIVER_OK);
	assert_false(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	/* Rings first, then running, last. */
	assert_int_equal(running_calls(&f->fake, 1), 1);
	assert_int_equal(f->fake.requests[f->fake.n - 1], VHOST_VSOCK_SET_RUNNING);

	/* The event queue is vmboot's: its doorbell is not the kernel's, and
	 * buffers posted there are left alone (no used entry, no interrupt). */
	vt_avail_push(&f->drv, 0);
	vt_drv_notify(&f->drv, 2);
	uint32_t id, len;
	assert_false(vt_used_next(&f->drv, &id, &len));
	assert_false(vt_drv_line(&f->drv));
	assert_false(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);

	/* Reset stops the kernel; DRIVER_OK again starts it again. */
	vt_drv_set_status(&f->drv, 0);
	assert_int_equal(running_calls(&f->fake, 0), 1);
	s = vt_drv_negotiate(&f->drv, BIT(VB_VIRTIO_F_VERSION_1));
	for (unsigned q = 0; q < 3; q++)
		vt_drv_queue(&f->drv, q, 64, 0x40000 + 0x4000ULL * q);
	vt_drv_set_status(&f->drv, s | VB_VIRTIO_S_DRIVER_OK);
	assert_int_equal(running_calls(&f->fake, 1), 2);

	/* Detach stops it once more, then gives the fd back. */
	vb_ioevent_stop(f->svc);
	vb_virtio_dev_detach(f->dev);
	f->dev = NULL;
	assert_int_equal(running_calls(&f->fake, 0), 2);
	assert_int_equal(f->fake.closes, 1);
	assert_int_equal(f->fake.requests[f->fake.n - 1], VHOST_RESET_OWNER);
}

static void test_refusals(void **state)
{
	struct fixture *f = *state;
	struct vb_err err;
	/* Another VM on the host has the CID. */
	f->fake.cid_errno = EADDRINUSE;
	assert_int_equal(attach(f, &err), -EADDRINUSE);
	assert_string_equal(err.msg, "vsock: cid 42 is already used by another VM on this host");
	assert_int_equal(f->fake.closes, 1);
	assert_null(f->dev);
	/* Anything else the kernel says is passed on with the CID's ioctl. */
	f->fake.cid_errno = EINVAL;
	assert_int_equal(attach(f, &err), -EINVAL);
	assert_string_equal(err.msg, "vsock: VHOST_VSOCK_SET_GUEST_CID: Invalid argument");
	assert_int_equal(f->fake.closes, 2);
	f->fake.cid_errno = 0;
	/* A description without a CID (the schema requires one). */
	vb_device_desc_free(&f->desc);
	assert_int_equal(vb_device_desc_init(&f->desc, vsock_type()), 0);
	assert_int_equal(attach(f, &err), -EINVAL);
	assert_string_equal(err.msg, "vsock: no cid");
	assert_int_equal(vb_ioevent_count(f->svc), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity_and_cid, setup_mmio, teardown),
		cmocka_unit_test_setup_teardown(test_identity_and_cid, setup_pci, teardown),
		cmocka_unit_test_setup_teardown(test_running, setup_mmio, teardown),
		cmocka_unit_test_setup_teardown(test_running, setup_pci, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup_bare, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
