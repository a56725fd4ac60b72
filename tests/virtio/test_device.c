/* The attach and detach every virtio device shares (virtio/device.h), with
 * a made-up device that counts its hooks: the order, the features setup
 * chooses, and the unwinding of every step when a later one fails. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver.h"
#include "virtio/device.h"

#define MMIO_BASE VB_GAP_START_BYTES
#define MMIO_GSI 5u
#define FAKE_FEATURE 3

/* What the test sees of the device's life. */
struct trace {
	int fail_setup, fail_start;  /* -errno to fail with, or 0 */
	unsigned setups, starts, stops, teardowns;
	char order[16];              /* s(etup) S(tart) p(stop) t(eardown) */
};

struct fake {
	struct vb_virtio_dev vdev;
	struct trace *trace;
};

static void note(struct trace *t, char c)
{
	size_t n = strlen(t->order);
	if (n + 1 < sizeof(t->order))
		t->order[n] = c;
}

static int fake_setup(struct vb_virtio_dev *d, struct vb_virtio_setup *s, struct vb_err *err)
{
	struct fake *f = (struct fake *)d;
	f->trace = s->arg;
	f->trace->setups++;
	note(f->trace, 's');
	s->features |= 1ULL << FAKE_FEATURE;
	return f->trace->fail_setup ? vb_err_set(err, -f->trace->fail_setup, "%s: setup", d->name)
				    : 0;
}

static int fake_start(struct vb_virtio_dev *d, struct vb_err *err)
{
	struct trace *t = ((struct fake *)d)->trace;
	t->starts++;
	note(t, 'S');
	return t->fail_start ? vb_err_set(err, -t->fail_start, "%s: start", d->name) : 0;
}

static void fake_stop(struct vb_virtio_dev *d)
{
	struct trace *t = ((struct fake *)d)->trace;
	t->stops++;
	note(t, 'p');
}

static void fake_teardown(struct vb_virtio_dev *d)
{
	struct trace *t = ((struct fake *)d)->trace;
	t->teardowns++;
	note(t, 't');
}

static int fake_notify(struct vb_virtio *v, void *dev, unsigned q, struct vb_err *err)
{
	(void)v;
	(void)dev;
	(void)q;
	(void)err;
	return 0;
}

static const struct vb_virtio_device_ops fake_device = {
	.name = "virtio-fake", .device_id = 99, .num_queues = 1, .queue_max_size = 16,
	.queue_notify = fake_notify,
	.state_bytes = sizeof(struct fake), .setup = fake_setup, .start = fake_start,
	.stop = fake_stop, .teardown = fake_teardown,
};

static const struct vb_device_ops fake_ops = VB_VIRTIO_DEVICE_OPS("fake", &fake_device);

static const struct vb_virtio_placement mmio_place = {
	.name = "fake0", .transport = VB_VIRTIO_MMIO, .mmio_base = MMIO_BASE, .mmio_bytes = 0x1000,
	.gsi = MMIO_GSI,
};

static int setup(void **state)
{
	struct vt_env *e = vt_fixture_new(sizeof(*e), 0);
	if (!e)
		return -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	vt_env_fini(*state);
	free(*state);
	return 0;
}

static void test_attach_detach(void **state)
{
	struct vt_env *e = *state;
	struct trace t = { 0 };
	struct vb_err err;
	void *dev = NULL;
	size_t ranges = e->mmio.count;
	assert_int_equal(vb_virtio_dev_attach_arg(&fake_ops, &e->env, &mmio_place, &t, &dev, &err),
			 0);
	assert_string_equal(t.order, "sS");
	assert_int_equal(e->mmio.count, ranges + 1);
	assert_string_equal(((struct vb_virtio_dev *)dev)->name, "fake0");
	/* The driver sees what setup offered. */
	struct vt_drv drv;
	assert_int_equal(vt_drv_open_mmio(&drv, e, MMIO_BASE, MMIO_GSI), 0);
	assert_true(vt_drv_device_features(&drv) & (1ULL << FAKE_FEATURE));
	vb_virtio_dev_detach(dev);
	assert_string_equal(t.order, "sSpt");
	assert_int_equal(e->mmio.count, ranges);
}

static void test_setup_fails(void **state)
{
	struct vt_env *e = *state;
	struct trace t = { .fail_setup = -EIO };
	struct vb_err err;
	void *dev = NULL;
	size_t ranges = e->mmio.count;
	assert_int_equal(vb_virtio_dev_attach_arg(&fake_ops, &e->env, &mmio_place, &t, &dev, &err),
			 -EIO);
	assert_string_equal(err.msg, "fake0: setup");
	/* Its own resources undone, nothing else ever done. */
	assert_string_equal(t.order, "st");
	assert_int_equal(e->mmio.count, ranges);
	assert_null(dev);
}

static void test_start_fails(void **state)
{
	struct vt_env *e = *state;
	struct trace t = { .fail_start = -EAGAIN };
	struct vb_err err;
	void *dev = NULL;
	size_t ranges = e->mmio.count;
	assert_int_equal(vb_virtio_dev_attach_arg(&fake_ops, &e->env, &mmio_place, &t, &dev, &err),
			 -EAGAIN);
	/* No stop for a start that failed; the transport is gone again. */
	assert_string_equal(t.order, "sSt");
	assert_int_equal(e->mmio.count, ranges);
	/* The window and the line are free: the same placement attaches. */
	t = (struct trace){ 0 };
	assert_int_equal(vb_virtio_dev_attach_arg(&fake_ops, &e->env, &mmio_place, &t, &dev, &err),
			 0);
	vb_virtio_dev_detach(dev);
}

/* Without a placement: PCI, first free slot, named as the ops. */
static void test_pc_default(void **state)
{
	struct vt_env *e = *state;
	struct trace t = { 0 };
	struct vb_err err;
	void *dev = NULL;
	assert_int_equal(vb_virtio_dev_attach_arg(&fake_ops, &e->env, NULL, &t, &dev, &err), 0);
	assert_string_equal(((struct vb_virtio_dev *)dev)->name, "fake");
	vb_virtio_dev_detach(dev);
	vb_virtio_dev_detach(NULL);
	assert_int_equal(t.teardowns, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attach_detach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_setup_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pc_default, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
