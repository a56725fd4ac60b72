#include "virtio/balloon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/le.h"
#include "virtio/device.h"
#include "virtio/virtio.h"

#define VB_VIRTIO_ID_BALLOON 5u

/* Feature bits (5.5.3). MUST_TELL_HOST (0) is not offered: deflate needs
 * no host work, so the guest may reuse pages at once. */
#define F_STATS_VQ 1
#define F_DEFLATE_ON_OOM 2

/* Queues (5.5.2). */
#define Q_INFLATE 0u
#define Q_DEFLATE 1u
#define Q_STATS 2u

#define BALLOON_QUEUE_SIZE 128
/* 5.5.6.3: struct virtio_balloon_stat is packed: le16 tag, le64 val. */
#define STAT_ENTRY_BYTES 10u
/* Entries read from one stats buffer at most; Linux sends 10 or so. */
#define STAT_MAX_ENTRIES 64u
/* Config space (5.5.4): le32 num_pages, le32 actual. */
#define CFG_NUM_PAGES 0u
#define CFG_ACTUAL 4u
#define CFG_BYTES 8u

struct vb_virtio_balloon {
	struct vb_virtio_dev vdev;
	uint64_t host_page_bytes;
	/* Protected by vdev.vio.lock. */
	struct vb_balloon_stats st;
	bool stats_held;   /* the driver's stats buffer is with us */
	uint16_t stats_head;
};

static const char *const stat_names[VB_BALLOON_S_COUNT] = {
	"swap_in", "swap_out", "major_faults", "minor_faults", "mem_free",
	"mem_total", "mem_available", "disk_caches", "hugetlb_allocations", "hugetlb_failures",
};

const char *vb_virtio_balloon_stat_name(unsigned t)
{
	return t < VB_BALLOON_S_COUNT ? stat_names[t] : NULL;
}

/* A run of contiguous guest pages waiting for one madvise. */
struct run {
	uint64_t gpa;
	uint64_t bytes;
};

static void release_run(struct vb_virtio_balloon *b, struct run *r)
{
	if (!r->bytes)
		return;
	/* Checked when the run was built: every page is guest RAM. Pages
	 * smaller than the host's cannot be given back alone; skip them. */
	uint8_t *host = vb_gmem_ptr(b->vdev.vio.mem, r->gpa, r->bytes);
	uint64_t mask = b->host_page_bytes - 1;
	uint64_t start = ((uint64_t)(uintptr_t)host + mask) & ~mask;
	uint64_t end = ((uint64_t)(uintptr_t)host + r->bytes) & ~mask;
	if (host && end > start)
		(void)madvise((void *)(uintptr_t)start, end - start, MADV_DONTNEED);
	r->bytes = 0;
}

/* One PFN from the inflate (release true) or deflate queue. */
static void take_pfn(struct vb_virtio_balloon *b, uint32_t pfn, bool release, struct run *r)
{
	uint64_t gpa = (uint64_t)pfn * VB_VIRTIO_BALLOON_PAGE_BYTES;
	if (!vb_gmem_ptr(b->vdev.vio.mem, gpa, VB_VIRTIO_BALLOON_PAGE_BYTES)) {
		b->st.bad_pfns++;
		return;
	}
	if (!release) {
		b->st.deflated_pages++;
		return;
	}
	b->st.inflated_pages++;
	/* Contiguous within one RAM slot: vb_gmem_ptr of the whole run holds. */
	if (r->bytes && r->gpa + r->bytes == gpa &&
	    vb_gmem_ptr(b->vdev.vio.mem, r->gpa, r->bytes + VB_VIRTIO_BALLOON_PAGE_BYTES)) {
		r->bytes += VB_VIRTIO_BALLOON_PAGE_BYTES;
		return;
	}
	release_run(b, r);
	r->gpa = gpa;
	r->bytes = VB_VIRTIO_BALLOON_PAGE_BYTES;
}

/* The readable segments of c hold an array of le32 PFNs (5.5.6); an entry
 * may straddle two segments. Trailing bytes short of an entry are ignored. */
static void walk_pfns(struct vb_virtio_balloon *b, const struct vb_virtq_chain *c, bool release)
{
	uint8_t acc[4];
	unsigned have = 0;
	struct run r = { 0, 0 };
	for (unsigned i = 0; i < c->n_readable; i++) {
		const uint8_t *p = b->vdev.vio.iov[i].iov_base;
		for (size_t k = 0; k < b->vdev.vio.iov[i].iov_len; k++) {
			acc[have++] = p[k];
			if (have == 4) {
				take_pfn(b, (uint32_t)vb_le_get(acc, 4), release, &r);
				have = 0;
			}
		}
	}
	release_run(b, &r);
}

/* One page list; the inflate queue's pages go back to the host. */
static int page_list(void *dev, const struct vb_virtq_chain *c, bool release, struct vb_err *err)
{
	/* 5.5.6: the PFN arrays are device-readable only. */
	if (c->n_writable)
		return vb_err_set(err, EINVAL, "page list with a device-writable buffer");
	walk_pfns(dev, c, release);
	return 0;
}

static int inflate(struct vb_virtio *v, void *dev, const struct vb_virtq_chain *c,
		   uint32_t *written, struct vb_err *err)
{
	(void)v;
	(void)written;
	return page_list(dev, c, true, err);
}

static int deflate(struct vb_virtio *v, void *dev, const struct vb_virtq_chain *c,
		   uint32_t *written, struct vb_err *err)
{
	(void)v;
	(void)written;
	return page_list(dev, c, false, err);
}

static void parse_stats(struct vb_virtio_balloon *b, const struct vb_virtq_chain *c)
{
	uint8_t buf[STAT_MAX_ENTRIES * STAT_ENTRY_BYTES];
	size_t got = 0;
	for (unsigned i = 0; i < c->n_readable && got < sizeof(buf); i++) {
		size_t n = b->vdev.vio.iov[i].iov_len;
		if (n > sizeof(buf) - got)
			n = sizeof(buf) - got;
		memcpy(buf + got, b->vdev.vio.iov[i].iov_base, n);
		got += n;
	}
	for (size_t off = 0; off + STAT_ENTRY_BYTES <= got; off += STAT_ENTRY_BYTES) {
		unsigned tag = (unsigned)vb_le_get(buf + off, 2);
		/* 5.5.6.3: the device ignores tags it does not know. */
		if (tag >= VB_BALLOON_S_COUNT)
			continue;
		b->st.value[tag] = vb_le_get(buf + off + 2, 8);
		b->st.valid |= 1u << tag;
	}
	b->st.stats_updates++;
}

static int stats_notify(struct vb_virtio *v, struct vb_virtio_balloon *b, struct vb_err *err)
{
	int r;
	struct vb_virtq_chain c;
	while ((r = vb_virtio_pop_locked(v, Q_STATS, &c, err)) > 0) {
		if (c.n_writable)
			return vb_err_set(err, EINVAL, "stats buffer is device-writable");
		parse_stats(b, &c);
		/* The driver keeps one buffer here; an extra one goes back. */
		if (b->stats_held) {
			r = vb_virtio_push_locked(v, Q_STATS, b->stats_head, 0, err);
			if (r < 0)
				return r;
			vb_virtio_signal_locked(v, Q_STATS);
		}
		b->stats_held = true;
		b->stats_head = c.head;
	}
	return r;
}

static int balloon_notify(struct vb_virtio *v, void *dev, unsigned q, struct vb_err *err)
{
	struct vb_virtio_balloon *b = dev;
	int r = q == Q_STATS ? stats_notify(v, b, err)
			     : vb_virtio_serve_locked(v, q, b, q == Q_INFLATE ? inflate : deflate, err);
	return r < 0 ? r : 0;
}

static void balloon_config_read(void *dev, uint32_t off, uint8_t *data, uint32_t size)
{
	struct vb_virtio_balloon *b = dev;
	uint8_t cfg[CFG_BYTES];
	vb_le_put(cfg + CFG_NUM_PAGES, b->st.target_pages, 4);
	vb_le_put(cfg + CFG_ACTUAL, b->st.actual_pages, 4);
	memcpy(data, cfg + off, size); /* off + size <= CFG_BYTES: the core checked */
}

static void balloon_config_write(void *dev, uint32_t off, const uint8_t *data, uint32_t size)
{
	struct vb_virtio_balloon *b = dev;
	uint8_t cfg[CFG_BYTES];
	vb_le_put(cfg + CFG_ACTUAL, b->st.actual_pages, 4);
	/* 5.5.4: num_pages is the device's; the driver writes only actual. */
	for (uint32_t i = 0; i < size; i++)
		if (off + i >= CFG_ACTUAL)
			cfg[off + i] = data[i];
	b->st.actual_pages = (uint32_t)vb_le_get(cfg + CFG_ACTUAL, 4);
}

static void balloon_reset(void *dev)
{
	struct vb_virtio_balloon *b = dev;
	/* The queues are gone with the reset; the host's target stays. */
	b->stats_held = false;
	b->st.actual_pages = 0;
}

void vb_virtio_balloon_set_target(struct vb_virtio_balloon *b, uint32_t target_pages)
{
	struct vb_virtio *v = &b->vdev.vio;
	pthread_mutex_lock(&v->lock);
	b->st.target_pages = target_pages;
	vb_virtio_config_changed_locked(v);
	pthread_mutex_unlock(&v->lock);
}

void vb_virtio_balloon_get_stats(struct vb_virtio_balloon *b, struct vb_balloon_stats *out)
{
	pthread_mutex_lock(&b->vdev.vio.lock);
	*out = b->st;
	out->driver_ok = (b->vdev.vio.status & VB_VIRTIO_S_DRIVER_OK) && !b->vdev.vio.broken;
	pthread_mutex_unlock(&b->vdev.vio.lock);
}

bool vb_virtio_balloon_stats_request(struct vb_virtio_balloon *b)
{
	struct vb_virtio *v = &b->vdev.vio;
	bool sent = false;
	pthread_mutex_lock(&v->lock);
	struct vb_err err;
	/* Linux posts its first stats buffer and kicks during probe, before
	 * DRIVER_OK, and the core ignores that early doorbell: look at the
	 * ring here so that buffer is found. */
	if (!v->broken && v->queues[Q_STATS].enabled && (v->status & VB_VIRTIO_S_DRIVER_OK) &&
	    stats_notify(v, b, &err) < 0)
		vb_virtio_fail_locked(v, err.msg);
	if (b->stats_held && !v->broken && v->queues[Q_STATS].enabled) {
		if (vb_virtio_push_locked(v, Q_STATS, b->stats_head, 0, &err) < 0) {
			vb_virtio_fail_locked(v, err.msg);
		} else {
			b->stats_held = false;
			sent = true;
			vb_virtio_signal_locked(v, Q_STATS);
		}
	}
	pthread_mutex_unlock(&v->lock);
	return sent;
}

static int balloon_setup(struct vb_virtio_dev *d, struct vb_virtio_setup *s, struct vb_err *err)
{
	(void)s;
	(void)err;
	long page = sysconf(_SC_PAGESIZE);
	((struct vb_virtio_balloon *)d)->host_page_bytes =
		page > 0 ? (uint64_t)page : VB_VIRTIO_BALLOON_PAGE_BYTES;
	return 0;
}

static const struct vb_virtio_device_ops balloon_device = {
	.name = "virtio-balloon", .device_id = VB_VIRTIO_ID_BALLOON,
	.features = (1ULL << F_STATS_VQ) | (1ULL << F_DEFLATE_ON_OOM),
	.num_queues = 3, .queue_max_size = BALLOON_QUEUE_SIZE, .config_bytes = CFG_BYTES,
	.config_read = balloon_config_read, .config_write = balloon_config_write,
	.queue_notify = balloon_notify, .reset = balloon_reset,
	.state_bytes = sizeof(struct vb_virtio_balloon), .setup = balloon_setup,
};

const struct vb_device_ops vb_virtio_balloon_ops = VB_VIRTIO_DEVICE_OPS("balloon", &balloon_device);

static const struct vb_device_flag balloon_flags[] = {
	{ .long_name = "--balloon", .help = "add a virtio memory balloon" },
};

const struct vb_device_type vb_virtio_balloon_type = {
	.name = "balloon", .help = "virtio-balloon memory balloon", .virtio = true, .single = true,
	.flags = balloon_flags, .n_flags = VB_COUNT(balloon_flags),
	.model = "virtio-balloon", .ops = &vb_virtio_balloon_ops,
};
