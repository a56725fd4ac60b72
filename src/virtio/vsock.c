/* virtio-vsock (virtio 1.x, 5.10) on the host's vhost-vsock.
 *
 * The guest gets a socket address, its CID, and talks AF_VSOCK to the
 * host (CID 2) and, through it, to other guests. The data path is the
 * host kernel's: vhost-vsock serves the rx and tx queues (the vhost
 * backend, vhost.h, does everything but the two ioctls of this type:
 * VHOST_VSOCK_SET_GUEST_CID at attach, VHOST_VSOCK_SET_RUNNING at
 * DRIVER_OK and reset). The event queue stays here: the guest fills it
 * with buffers for transport events, and vmboot, which never migrates a
 * guest, has none to send (5.10.6.7: VIRTIO_VSOCK_EVENT_TRANSPORT_RESET).
 *
 * A CID is unique on the host: the kernel refuses one another VM holds
 * (EADDRINUSE), and vmboot says so at run; --check can only hold the
 * range (3 to 2^32-2: 0, 1 and 2 are the hypervisor, loopback and host,
 * and 2^32-1 is VMADDR_CID_ANY) and one device per machine.
 *
 * Registry glue: vb_virtio_vsock_type, the device type "vsock" (cid;
 * --vsock CID). */

#include <errno.h>
#include <linux/vhost.h>
#include <stdlib.h>
#include <string.h>

#include "parse/devtype.h"
#include "virtio/device.h"
#include "virtio/vhost.h"
#include "virtio/virtio.h"
#include "sandbox/sandbox.h"

#define VB_VIRTIO_ID_VSOCK 19u
#define VSOCK_NODE "/dev/vhost-vsock"
#define VSOCK_MODULE "vhost_vsock"
/* Messages name the type: there is one per machine. */
#define VSOCK_NAME "vsock"

/* 5.10.2: rx (host to guest), tx (guest to host), event. vhost-vsock
 * serves the first two. */
#define Q_RX 0u
#define Q_TX 1u
#define Q_EVENT 2u
#define KERNEL_QUEUES 2u
#define VSOCK_QUEUE_SIZE 256
/* 5.10.4: guest_cid, le64. */
#define CFG_BYTES 8u

/* 5.10.4 and linux/vm_sockets.h: reserved CIDs. */
#define CID_FIRST_GUEST 3
#define CID_LAST_GUEST 0xfffffffeLL

struct vsock {
	struct vb_virtio_dev vdev;
	struct vb_vhost vhost;
	const struct vb_dev_env *env;
	uint64_t cid;
	bool running; /* VHOST_VSOCK_SET_RUNNING 1 done */
};

static int set_running(struct vsock *s, int on, struct vb_err *err)
{
	int r = vb_vhost_ioctl(&s->vhost, VHOST_VSOCK_SET_RUNNING, &on,
			       on ? "VHOST_VSOCK_SET_RUNNING 1" : "VHOST_VSOCK_SET_RUNNING 0", err);
	if (!r)
		s->running = on;
	return r;
}

/* The kernel stops serving the rings (reset, detach). Stopping a device
 * it knows cannot fail short of a broken vhost fd, and then there is
 * nothing left to stop. */
static void stop_kernel(struct vsock *s)
{
	struct vb_err ignored;
	if (s->running)
		(void)set_running(s, 0, &ignored);
	s->running = false;
}

static void vsock_config_read(void *dev, uint32_t off, uint8_t *data, uint32_t size)
{
	const struct vsock *s = dev;
	uint8_t cfg[CFG_BYTES];
	for (unsigned i = 0; i < CFG_BYTES; i++)
		cfg[i] = (uint8_t)(s->cid >> (8 * i));
	memcpy(data, cfg + off, size); /* the core checked off + size */
}

static int vsock_notify(struct vb_virtio *v, void *dev, unsigned q, struct vb_err *err)
{
	(void)v;
	(void)err;
	/* Event buffers wait for an event that never comes (see above). */
	if (q != Q_EVENT)
		vb_vhost_kick(&((struct vsock *)dev)->vhost, q);
	return 0;
}

static int vsock_activate(struct vb_virtio *v, void *dev, struct vb_err *err)
{
	struct vsock *s = dev;
	int r = vb_vhost_start(&s->vhost, v, err);
	return r ? r : set_running(s, 1, err);
}

static void vsock_reset(void *dev)
{
	stop_kernel(dev);
}

static int vsock_setup(struct vb_virtio_dev *d, struct vb_virtio_setup *s, struct vb_err *err)
{
	struct vsock *vs = (struct vsock *)d;
	vs->env = s->env;
	if (!s->p->desc || !vb_device_is_set(s->p->desc, "cid"))
		return vb_err_set(err, EINVAL, "%s: no cid", VSOCK_NAME);
	vs->cid = vb_device_number(s->p->desc, "cid");
	/* s->arg: the vhost kernel interface in tests; NULL is the host's. */
	int r = vb_vhost_open(&vs->vhost, s->arg, VSOCK_NODE, VSOCK_MODULE, VSOCK_NAME,
			      KERNEL_QUEUES, err);
	if (!r)
		r = vb_vhost_set_mem(&vs->vhost, s->env->mem, err);
	if (!r) {
		uint64_t cid = vs->cid;
		r = vb_vhost_ioctl(&vs->vhost, VHOST_VSOCK_SET_GUEST_CID, &cid,
				   "VHOST_VSOCK_SET_GUEST_CID", err);
		/* What --check cannot know: another VM on this host has it. */
		if (r == -EADDRINUSE)
			vb_err_set(err, EADDRINUSE, "%s: cid %llu is already used by another VM on this host",
				   VSOCK_NAME, (unsigned long long)vs->cid);
	}
	if (!r)
		s->features = vb_vhost_device_features(&vs->vhost);
	return r;
}

static int vsock_start(struct vb_virtio_dev *d, struct vb_err *err)
{
	struct vsock *s = (struct vsock *)d;
	return vb_vhost_wire(&s->vhost, s->env, &d->vio, err);
}

static void vsock_stop(struct vb_virtio_dev *d)
{
	struct vsock *s = (struct vsock *)d;
	pthread_mutex_lock(&d->vio.lock);
	stop_kernel(s);
	pthread_mutex_unlock(&d->vio.lock);
	vb_vhost_unwire(&s->vhost);
}

static void vsock_teardown(struct vb_virtio_dev *d)
{
	vb_vhost_close(&((struct vsock *)d)->vhost);
}

static const struct vb_virtio_device_ops vsock_device = {
	.name = "virtio-vsock", .device_id = VB_VIRTIO_ID_VSOCK,
	.num_queues = 3, .queue_max_size = VSOCK_QUEUE_SIZE, .config_bytes = CFG_BYTES,
	.config_read = vsock_config_read, .queue_notify = vsock_notify,
	.reset = vsock_reset, .activate = vsock_activate,
	.state_bytes = sizeof(struct vsock), .setup = vsock_setup, .start = vsock_start,
	.stop = vsock_stop, .teardown = vsock_teardown,
};

static const struct vb_device_ops vsock_ops = VB_VIRTIO_DEVICE_OPS("vsock", &vsock_device);

/* --vsock CID */
static int vsock_flag(struct vb_node *dev, const char *flag, char *arg, struct vb_err *err)
{
	char *end;
	errno = 0;
	unsigned long long cid = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-' || cid > INT64_MAX)
		return vb_flag_error(err, flag, "\"%s\" is not a CID", arg);
	return vb_flag_put_int(dev, "cid", (int64_t)cid, flag) ? -ENOMEM : 0;
}

static const struct vb_key_schema vsock_keys[] = {
	{ .name = "cid", .type = VB_KEY_UINT, .required = true,
	  .min = CID_FIRST_GUEST, .max = CID_LAST_GUEST,
	  .help = "the guest's vsock address (CID), unique on the host" },
};

static const struct vb_device_flag vsock_flags[] = {
	{ .long_name = "--vsock", .arg = "CID",
	  .help = "add a virtio-vsock socket device with guest CID (host: /dev/vhost-vsock)",
	  .parse = vsock_flag },
};

static const struct vb_plan_field vsock_plan[] = {
	{ .key = "cid", .text_prefix = "  cid ", .json_name = "cid" },
};

const struct vb_device_type vb_virtio_vsock_type = {
	.name = "vsock", .help = "virtio-vsock sockets to the host, on vhost-vsock",
	.virtio = true, .single = true,
	.keys = vsock_keys, .n_keys = VB_COUNT(vsock_keys),
	.flags = vsock_flags, .n_flags = VB_COUNT(vsock_flags),
	.model = "virtio-vsock", .plan = vsock_plan, .n_plan = VB_COUNT(vsock_plan),
	.sandbox_needs = VB_SANDBOX_NEEDS_BACKENDS, .ops = &vsock_ops,
};
