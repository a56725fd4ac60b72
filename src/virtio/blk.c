/* virtio-blk: the virtio device and the "disk" device type. The image and
 * its requests are blk_disk.c's (blk.h's request engine), the ring that
 * keeps them in flight blk_uring.c's. */
#include "virtio/blk.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse/desc.h"
#include "util/io.h"
#include "util/le.h"
#include "virtio/9p.h"
#include "virtio/blk_uring.h"
#include "virtio/device.h"
#include "virtio/virtio.h"
#include "sandbox/sandbox.h"

/* Set (to anything but "0") in vmboot's environment: no io_uring, every
 * request served with preadv/pwritev as where io_uring is missing. */
#define NO_URING_ENV "VMBOOT_NO_IO_URING"
/* Data buffers a request slot holds without an allocation: a 4 KiB
 * page's request has one, a large one gets an array of its own. */
#define INLINE_SEGS 4u

/* One request in flight: its chain and what is left to do. */
struct blk_slot {
	struct vb_blk_aio aio;
	uint16_t head;
	uint8_t queue;
	struct iovec *data; /* inline_data or a heap array of cap entries */
	unsigned cap;
	struct iovec inline_data[INLINE_SEGS];
};

/* A request queue's slots. At most the queue's size are in flight, so a
 * guest that keeps its queue full holds a fixed amount of memory. */
struct blk_queue {
	struct blk_slot slots[VB_BLK_QUEUE_SIZE];
	uint16_t free[VB_BLK_QUEUE_SIZE]; /* a stack of free slot indexes */
	unsigned n_free;
	unsigned in_flight;
	bool pushed; /* used entries since the last interrupt decision */
};

struct blk {
	struct vb_virtio_dev vdev;
	struct vb_blk_disk *disk;
	uint8_t config[VB_BLK_CONFIG_BYTES];
	/* The completion event and the ring; ring NULL: served synchronously. */
	struct vb_dev_env *env;
	int event_id;
	int event_fd;
	struct vb_blk_ring *ring;
	struct blk_queue *queues; /* the device's num_queues, with a ring */
	bool defer; /* completions only from the event (a test's hold) */
	struct vb_blk_stats stats;
};

unsigned vb_blk_queue_count(const struct vb_device_desc *d, unsigned cpus)
{
	uint64_t n = d && vb_device_is_set(d, "queues") ? vb_device_number(d, "queues") : cpus;
	if (n < 1)
		return 1;
	return n > VB_BLK_MAX_QUEUES ? VB_BLK_MAX_QUEUES : (unsigned)n;
}

/* ---- served synchronously ---- */

static int blk_serve(struct vb_virtio *v, void *dev, const struct vb_virtq_chain *c,
		     uint32_t *used, struct vb_err *err)
{
	struct blk *b = dev;
	b->stats.popped++;
	int r = vb_blk_request(b->disk, v->driver_features, v->iov, c->n_readable, c->n_writable,
			       used, err);
	b->stats.completed += r == 0;
	return r;
}

/* ---- in flight through the ring ---- */

static bool running_locked(const struct vb_virtio *v, unsigned q)
{
	return (v->status & VB_VIRTIO_S_DRIVER_OK) && !v->broken && v->queues[q].enabled;
}

static struct blk_slot *slot_of(struct vb_blk_aio *a)
{
	return (struct blk_slot *)(void *)((uint8_t *)a - offsetof(struct blk_slot, aio));
}

/* A free slot of bq whose data array takes segs buffers; NULL when out
 * of memory (the caller serves the request itself). */
static struct blk_slot *take_slot(struct blk_queue *bq, unsigned segs)
{
	struct blk_slot *s = &bq->slots[bq->free[bq->n_free - 1]];
	if (segs > s->cap) {
		struct iovec *grown = s->data == s->inline_data ? NULL : s->data;
		grown = realloc(grown, segs * sizeof(*grown));
		if (!grown)
			return NULL;
		s->data = grown;
		s->cap = segs;
	}
	bq->n_free--;
	bq->in_flight++;
	return s;
}

static void put_slot(struct blk_queue *bq, struct blk_slot *s)
{
	bq->free[bq->n_free++] = (uint16_t)(s - bq->slots);
	bq->in_flight--;
}

static void note_in_flight(struct blk *b, const struct blk_queue *bq)
{
	if (bq->in_flight > b->stats.max_in_flight)
		b->stats.max_in_flight = bq->in_flight;
}

static int push(struct blk *b, unsigned q, uint16_t head, uint32_t used, struct vb_err *err)
{
	int r = vb_virtio_push_locked(&b->vdev.vio, q, head, used, err);
	if (r == 0) {
		b->stats.completed++;
		b->queues[q].pushed = true;
	}
	return r;
}

/* Start the chain just popped from queue q: to the ring if it moves data,
 * else (and when the ring has no room) served and pushed now. */
static int start_request(struct blk *b, unsigned q, const struct vb_virtq_chain *c,
			 struct vb_err *err)
{
	struct vb_virtio *v = &b->vdev.vio;
	struct blk_queue *bq = &b->queues[q];
	struct blk_slot *s = take_slot(bq, c->n_readable + c->n_writable);
	if (!s) {
		uint32_t used;
		int r = vb_blk_request(b->disk, v->driver_features, v->iov, c->n_readable,
				       c->n_writable, &used, err);
		return r < 0 ? r : push(b, q, c->head, used, err);
	}
	struct vb_blk_io *io = &s->aio.io;
	int r = vb_blk_begin(b->disk, v->driver_features, v->iov, c->n_readable, c->n_writable,
			     s->data, s->cap, io, err);
	if (r == 0 && io->kind != VB_BLK_IO_DONE && vb_blk_ring_queue(b->ring, &s->aio) == 0) {
		s->head = c->head;
		s->queue = (uint8_t)q;
		note_in_flight(b, bq);
		return 0;
	}
	put_slot(bq, s);
	return r < 0 ? r : push(b, q, c->head, vb_blk_end(io, vb_blk_run(b->disk, io)), err);
}

/* Pop and start what queue q has, up to its size in flight and a queue's
 * worth of chains per call. Returns 1 when it stopped at that budget with
 * room left (more may be waiting), 0, or -errno on a guest violation. */
static int fill_queue(struct blk *b, unsigned q, struct vb_err *err)
{
	struct vb_virtio *v = &b->vdev.vio;
	unsigned limit = v->queues[q].size;
	for (unsigned budget = limit; budget > 0; budget--) {
		if (b->queues[q].in_flight >= limit)
			return 0;
		struct vb_virtq_chain c;
		int r = vb_virtio_pop_locked(v, q, &c, err);
		if (r <= 0)
			return r;
		b->stats.popped++;
		r = start_request(b, q, &c, err);
		if (r < 0)
			return r;
	}
	return 1;
}

/* The I/O event thread comes back to us once it has served the others:
 * its eventfd counts like a completion. */
static void come_back(struct blk *b)
{
	uint64_t one = 1;
	if (write(b->event_fd, &one, sizeof(one)) != (ssize_t)sizeof(one)) {
		/* An eventfd only fails a write of 1 at its maximum count,
		 * which means a wakeup is pending anyway. */
	}
}

static void signal_pushed(struct blk *b, unsigned q)
{
	if (!b->queues[q].pushed)
		return;
	b->queues[q].pushed = false;
	vb_virtio_signal_locked(&b->vdev.vio, q);
}

/* A request done with status: pushed, or dropped when its queue stopped
 * (the driver reset the device, or broke it) while it was in flight. */
static void complete(struct blk *b, struct blk_slot *s, uint8_t status)
{
	struct vb_virtio *v = &b->vdev.vio;
	unsigned q = s->queue;
	uint16_t head = s->head;
	uint32_t used = running_locked(v, q) ? vb_blk_end(&s->aio.io, status) : 0;
	put_slot(&b->queues[q], s);
	if (!used) {
		b->stats.dropped++;
		return;
	}
	struct vb_err err;
	if (push(b, q, head, used, &err) < 0)
		vb_virtio_fail_locked(v, err.msg);
}

/* Every request the ring has done, without waiting. */
static void reap_done(struct blk *b)
{
	uint8_t status;
	struct vb_blk_aio *a;
	while ((a = vb_blk_ring_reap(b->ring, &status)))
		complete(b, slot_of(a), status);
}

/* The doorbell of queue q: its chains to the ring, in one submission.
 * What the kernel did at once (data in the page cache) is pushed now,
 * saving the completion event's round trip; the event still fires and
 * finds the rest. */
static int blk_notify(struct vb_virtio *v, void *dev, unsigned q, struct vb_err *err)
{
	struct blk *b = dev;
	if (!b->ring)
		return vb_virtio_serve_locked(v, q, dev, blk_serve, err);
	int r = fill_queue(b, q, err);
	(void)vb_blk_ring_submit(b->ring);
	if (r == 1)
		come_back(b);
	if (!b->defer)
		reap_done(b);
	for (unsigned i = 0; i < b->vdev.ops->num_queues; i++)
		signal_pushed(b, i);
	return r < 0 ? r : 0;
}

static void refill(struct blk *b)
{
	struct vb_virtio *v = &b->vdev.vio;
	bool more = false;
	for (unsigned q = 0; q < b->vdev.ops->num_queues; q++) {
		if (!running_locked(v, q))
			continue;
		struct vb_err err;
		int r = fill_queue(b, q, &err);
		if (r < 0)
			vb_virtio_fail_locked(v, err.msg);
		more |= r == 1;
	}
	(void)vb_blk_ring_submit(b->ring);
	if (more)
		come_back(b);
}

/* The ring's completion event, on the I/O event thread: every request
 * done is pushed, one interrupt per queue for the batch, and the queues
 * get what the guest posted meanwhile (beyond a queue at its limit, the
 * driver's doorbell came and went). */
static void blk_completions(void *opaque, unsigned unused)
{
	(void)unused;
	struct blk *b = opaque;
	struct vb_virtio *v = &b->vdev.vio;
	pthread_mutex_lock(&v->lock);
	if (b->ring) {
		reap_done(b);
		refill(b);
		for (unsigned q = 0; q < b->vdev.ops->num_queues; q++)
			signal_pushed(b, q);
	}
	pthread_mutex_unlock(&v->lock);
}

static unsigned in_flight(const struct blk *b)
{
	unsigned n = 0;
	for (unsigned q = 0; b->queues && q < b->vdev.ops->num_queues; q++)
		n += b->queues[q].in_flight;
	return n;
}

/* Wait for every request in flight and drop it: what a reset and a
 * detach need before the rings go. */
static void drain(struct blk *b)
{
	struct vb_blk_aio *a;
	while (b->ring && (a = vb_blk_ring_drain(b->ring))) {
		struct blk_slot *s = slot_of(a);
		put_slot(&b->queues[s->queue], s);
		b->stats.dropped++;
	}
}

/* Device reset (the core already forgot the queues): nothing in flight
 * may complete into the rings the driver takes back. */
static void blk_reset(void *dev)
{
	struct blk *b = dev;
	drain(b);
	for (unsigned q = 0; b->queues && q < b->vdev.ops->num_queues; q++)
		b->queues[q].pushed = false;
}

/* ---- attach and detach ---- */

static void blk_config_read(void *dev, uint32_t off, uint8_t *data, uint32_t size)
{
	struct blk *b = dev;
	memcpy(data, b->config + off, size);
}

static bool uring_refused(void)
{
	const char *v = getenv(NO_URING_ENV);
	return v && *v && strcmp(v, "0");
}

static int alloc_queues(struct blk *b, unsigned n, struct vb_err *err)
{
	b->queues = calloc(n, sizeof(*b->queues));
	if (!b->queues)
		return vb_err_errno(err, ENOMEM, "disk %s: request slots", b->vdev.name);
	for (unsigned q = 0; q < n; q++) {
		struct blk_queue *bq = &b->queues[q];
		for (unsigned i = 0; i < VB_BLK_QUEUE_SIZE; i++) {
			bq->slots[i].data = bq->slots[i].inline_data;
			bq->slots[i].cap = INLINE_SEGS;
			bq->free[i] = (uint16_t)(VB_BLK_QUEUE_SIZE - 1 - i);
		}
		bq->n_free = VB_BLK_QUEUE_SIZE;
	}
	return 0;
}

/* The ring and its completion event, made now, before any thread
 * confines itself (blk_uring.h says why). Without the I/O event thread,
 * nothing: requests are served synchronously. Without io_uring, one line
 * says why, and the same. */
static int start_ring(struct blk *b, struct vb_dev_env *env, struct vb_err *err)
{
	if (!env->doorbell_add || !env->doorbell_remove || !env->doorbell_fd)
		return 0;
	unsigned n = b->vdev.ops->num_queues;
	struct vb_err why;
	int r = uring_refused() ? vb_err_set(&why, EPERM, "%s is set", NO_URING_ENV) : 0;
	if (!r) {
		r = env->doorbell_add(env->doorbell_ctx, NULL, blk_completions, b, 0, &b->event_id,
				      &why);
		if (r < 0)
			b->event_id = -1;
	}
	b->env = env;
	if (!r) {
		b->event_fd = env->doorbell_fd(env->doorbell_ctx, b->event_id, false);
		r = b->event_fd < 0 ? vb_err_set(&why, EBADF, "no eventfd for completions") : 0;
	}
	if (!r)
		r = vb_blk_ring_open(vb_blk_fd(b->disk), b->event_fd, n * VB_BLK_QUEUE_SIZE,
				     &b->ring, &why);
	if (r < 0) {
		vb_dev_env_log(env, "disk %s: no io_uring (%s); requests served with preadv/pwritev",
			       b->vdev.name, why.msg);
		return 0;
	}
	return alloc_queues(b, n, err);
}

static int blk_setup(struct vb_virtio_dev *d, struct vb_virtio_setup *s, struct vb_err *err)
{
	struct blk *b = (struct blk *)d;
	b->event_id = -1;
	const char *path = vb_virtio_setup_string(s, "path");
	if (!path)
		return vb_err_set(err, EINVAL, "disk %s: no image path", d->name);
	bool readonly = vb_device_bool(s->p->desc, "readonly");
	int r = vb_blk_open(d->name, path, readonly, &b->disk, err);
	if (r < 0)
		return r;
	vb_blk_config(b->disk, b->config);
	vb_le_put(b->config + VB_BLK_CFG_NUM_QUEUES, d->ops->num_queues, 2);
	s->features = readonly ? VB_BLK_FEATURES_RO : VB_BLK_FEATURES_RW;
	return start_ring(b, s->env, err);
}

static void blk_teardown(struct vb_virtio_dev *d)
{
	struct blk *b = (struct blk *)d;
	drain(b);
	vb_blk_ring_close(b->ring);
	if (b->event_id >= 0)
		b->env->doorbell_remove(b->env->doorbell_ctx, b->event_id);
	for (unsigned q = 0; b->queues && q < d->ops->num_queues; q++)
		for (unsigned i = 0; i < VB_BLK_QUEUE_SIZE; i++)
			if (b->queues[q].slots[i].data != b->queues[q].slots[i].inline_data)
				free(b->queues[q].slots[i].data);
	free(b->queues);
	vb_blk_close(b->disk);
}

void vb_virtio_blk_defer(void *state, bool defer)
{
	struct blk *b = state;
	pthread_mutex_lock(&b->vdev.vio.lock);
	b->defer = defer;
	pthread_mutex_unlock(&b->vdev.vio.lock);
}

void vb_virtio_blk_stats(void *state, struct vb_blk_stats *out)
{
	struct blk *b = state;
	pthread_mutex_lock(&b->vdev.vio.lock);
	*out = b->stats;
	out->in_flight = in_flight(b);
	out->ring = b->ring != NULL;
	pthread_mutex_unlock(&b->vdev.vio.lock);
}

/* One table per queue count, since the core reads num_queues from the
 * ops (virtio.h); a read-only disk offers other features: its setup says
 * which. */
#define BLK_DEVICE(n)                                                                     \
	{ .name = "virtio-blk", .device_id = VB_VIRTIO_ID_BLK, .features = VB_BLK_FEATURES_RW, \
	  .num_queues = (n), .queue_max_size = VB_BLK_QUEUE_SIZE,                            \
	  .config_bytes = VB_BLK_CONFIG_BYTES, .config_read = blk_config_read,               \
	  .queue_notify = blk_notify, .reset = blk_reset, .state_bytes = sizeof(struct blk), \
	  .setup = blk_setup, .teardown = blk_teardown }
static const struct vb_virtio_device_ops blk_devices[] = {
	BLK_DEVICE(1), BLK_DEVICE(2), BLK_DEVICE(3), BLK_DEVICE(4),
	BLK_DEVICE(5), BLK_DEVICE(6), BLK_DEVICE(7), BLK_DEVICE(8),
};
_Static_assert(VB_COUNT(blk_devices) == VB_BLK_MAX_QUEUES, "one table per queue count");
_Static_assert(VB_BLK_MAX_QUEUES <= VB_VIRTIO_MAX_QUEUES, "the core has that many queues");

/* The shared virtio attach, with the table of the disk's queue count. */
static int blk_attach(const struct vb_device_ops *self, struct vb_dev_env *env,
		      const void *config, void **state, struct vb_err *err)
{
	const struct vb_virtio_placement *p = config;
	unsigned n = vb_blk_queue_count(p ? p->desc : NULL, p ? p->cpus : 0);
	struct vb_device_ops mine = *self;
	mine.data = &blk_devices[n - 1];
	return vb_virtio_dev_attach(&mine, env, config, state, err);
}

const struct vb_device_ops vb_virtio_blk_ops = {
	.name = "disk", .attach = blk_attach, .detach = vb_virtio_dev_detach,
	.data = &blk_devices[0],
};

/* -d PATH[,ro][,queues=N], as kvmtool's plus the queue count. */
static int blk_option(struct vb_node *dev, const char *flag, const char *opt, struct vb_err *err)
{
	static const char queues[] = "queues=";
	if (!strcmp(opt, "ro"))
		return vb_flag_put_bool(dev, "readonly", true, flag) ? -ENOMEM : 0;
	if (strncmp(opt, queues, sizeof(queues) - 1))
		return vb_flag_error(err, flag, "unknown option \"%s\" (\"ro\" or \"queues=N\")",
				     opt);
	const char *digits = opt + sizeof(queues) - 1;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(digits, &end, 10);
	/* The range is the schema's, checked with the file's keys. */
	if (*digits < '0' || *digits > '9' || *end || errno || n > INT64_MAX)
		return vb_flag_error(err, flag, "queues=%s: not a number", digits);
	return vb_flag_put_int(dev, "queues", (int64_t)n, flag) ? -ENOMEM : 0;
}

static int blk_flag(struct vb_node *dev, const char *flag, char *arg, struct vb_err *err)
{
	char *fields[4];
	size_t n = vb_flag_split(arg, fields, 4);
	if (vb_flag_put_string(dev, "path", fields[0], flag))
		return -ENOMEM;
	for (size_t i = 1; i < n; i++) {
		int r = blk_option(dev, flag, fields[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

static const struct vb_key_schema blk_keys[] = {
	{ .name = "path", .type = VB_KEY_PATH, .required = true,
	  .file_kinds = VB_FILE_REGULAR | VB_FILE_BLOCK | VB_FILE_DIR,
	  .help = "raw image file (virtio-blk), or a directory (9p root filesystem)" },
	{ .name = "readonly", .type = VB_KEY_BOOL, .default_text = "false",
	  .help = "the guest cannot write to the disk" },
	{ .name = "queues", .type = VB_KEY_UINT, .min = 1, .max = VB_BLK_MAX_QUEUES,
	  .default_text = "the number of vCPUs, at most 8",
	  .help = "request queues (virtio-blk multiqueue), served independently" },
};

static const struct vb_device_flag blk_flags[] = {
	{ .long_name = "--disk", .short_name = 'd', .arg = "PATH[,ro][,queues=N]",
	  .help = "add a disk image or directory; repeatable", .parse = blk_flag },
};

static uint64_t plan_queues(const struct vb_device_desc *d, unsigned cpus)
{
	return vb_blk_queue_count(d, cpus);
}

static const struct vb_plan_field blk_plan[] = {
	{ .key = "path", .text_prefix = "  ", .json_name = "path" },
	{ .key = "queues", .text_prefix = "  queues ", .json_name = "queues",
	  .number = plan_queues },
};

const struct vb_device_type vb_virtio_blk_type = {
	.name = "disk", .help = "virtio-blk disk image, or a 9p root directory", .virtio = true,
	.keys = blk_keys, .n_keys = VB_COUNT(blk_keys),
	.flags = blk_flags, .n_flags = VB_COUNT(blk_flags),
	.model = "virtio-blk", .plan = blk_plan, .n_plan = VB_COUNT(blk_plan),
	.dir_root = &vb_virtio_9p_type, .sandbox_needs = VB_SANDBOX_NEEDS_BACKENDS,
	.ops = &vb_virtio_blk_ops,
};
