/* virtio-blk with requests in flight: the disk attached beside an I/O
 * event service (machine/ioevent.h) that the test runs by hand
 * (vb_ioevent_poll), so the ring's completions arrive when the test says.
 * Many requests in flight complete exactly once with the right data; a
 * queue the guest keeps full stays at its size in flight; a reset or a
 * broken device with requests in flight drops them without touching the
 * rings; the preadv/pwritev fallback gives the same results; several
 * queues on both transports, completed at the doorbell where the kernel
 * read at once; and the ring refuses every operation but the disk's own. Skips
 * where this kernel has no io_uring. No timing is asserted. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver.h"
#include "machine/ioevent.h"
#include "parse/desc.h"
#include "virtio/blk.h"
#include "virtio/blk_uring.h"
#include "virtio/virtq.h"

#define QUEUE_GPA 0x10000ULL /* queue q at QUEUE_GPA + q * QUEUE_STRIDE */
#define QUEUE_STRIDE 0x4000ULL
#define HDR_GPA 0x100000ULL  /* request k's header (and a write's data) */
#define STATUS_GPA 0x180000ULL
#define DATA_GPA 0x200000ULL /* request k's read buffer, its status after it */
#define SLOT_BYTES 0x2000ULL
#define MMIO_BASE VB_GAP_START_BYTES
#define MMIO_GSI 16u
#define IMAGE_BYTES (1u << 20)
#define BLOCK 4096u
#define QSIZE 64u
#define CHAINS (QSIZE / 2) /* two descriptors each */
#define NO_STATUS 0xeeu
#define NO_URING_ENV "VMBOOT_NO_IO_URING"
/* Polls before giving up on completions that never come: a hang guard,
 * not a timing check. */
#define POLL_TRIES 2000

#define F(b) (1ULL << (b))
static const uint64_t features = F(VB_VIRTIO_F_VERSION_1) | F(VB_BLK_F_FLUSH);

struct fixture {
	struct vt_env env;
	struct vt_drv drv;
	struct vb_ioevent *io;
	char dir[64];
	char path[96];
	struct vb_device_desc desc;
	void *disk; /* the device's state */
};

static uint8_t image_byte(uint64_t i)
{
	return (uint8_t)(i * 13 + 5);
}

static void make_image(const char *path)
{
	vt_make_image(path, IMAGE_BYTES, image_byte);
}

/* Whether this kernel lets us have a locked-down ring at all. */
static bool have_uring(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	struct vb_blk_ring *r = NULL;
	struct vb_err err;
	bool ok = efd >= 0 && vb_blk_ring_open(efd, efd, 8, &r, &err) == 0;
	vb_blk_ring_close(r);
	if (efd >= 0)
		close(efd);
	return ok;
}

static int setup_queues(void **state, bool want_ring, unsigned queues, bool pci)
{
	if (want_ring && !have_uring()) {
		print_message("SKIP: no io_uring here\n");
		skip();
	}
	struct fixture *f = VT_FIXTURE_NEW(struct fixture);
	if (!f)
		skip();
	struct vb_err err;
	assert_int_equal(vb_ioevent_create(&f->io, NULL, NULL, &err), 0);
	vb_ioevent_plug(f->io, &f->env.env);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vb-test-blkuring-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/disk.img", f->dir);
	make_image(f->path);
	assert_int_equal(vb_device_desc_init(&f->desc, &vb_virtio_blk_type), 0);
	assert_int_equal(vb_device_set_string(&f->desc, "path", f->path), 0);
	if (queues)
		assert_int_equal(vb_device_set_number(&f->desc, "queues", queues), 0);
	struct vb_virtio_placement p = {
		.name = "data", .desc = &f->desc, .transport = pci ? VB_VIRTIO_PCI : VB_VIRTIO_MMIO,
		.pci_slot = 1, .mmio_base = MMIO_BASE, .mmio_bytes = 0x1000, .gsi = MMIO_GSI,
	};
	if (!want_ring)
		setenv(NO_URING_ENV, "1", 1);
	int rc = vt_env_attach(&f->env, "disk", &p);
	unsetenv(NO_URING_ENV);
	assert_int_equal(rc, 0);
	f->disk = f->env.devices.items[f->env.devices.count - 1].state;
	/* Completions wait for the event, so the tests can see requests in
	 * flight (test_multiqueue takes the doorbell's own). */
	vb_virtio_blk_defer(f->disk, queues == 0);
	assert_int_equal(vt_drv_open_either(&f->drv, &f->env, pci, 1, MMIO_BASE, MMIO_GSI), 0);
	*state = f;
	return 0;
}

static int setup_ring(void **state) { return setup_queues(state, true, 0, false); }
static int setup_fallback(void **state) { return setup_queues(state, false, 0, false); }
static int setup_mq(void **state) { return setup_queues(state, true, 4, false); }
static int setup_mq_pci(void **state) { return setup_queues(state, true, 4, true); }

static int teardown(void **state)
{
	struct fixture *f = *state;
	vt_env_fini(&f->env);
	vb_ioevent_destroy(f->io);
	vb_device_desc_free(&f->desc);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct vb_blk_stats stats(struct fixture *f)
{
	struct vb_blk_stats s;
	vb_virtio_blk_stats(f->disk, &s);
	return s;
}

/* Negotiate, lay out queues [0, n) of QSIZE in drv[q], DRIVER_OK. */
static void start(struct fixture *f, struct vt_drv *drv, unsigned n)
{
	uint8_t s = vt_drv_negotiate(&f->drv, features);
	assert_true(s & VB_VIRTIO_S_FEATURES_OK);
	for (unsigned q = 0; q < n; q++) {
		drv[q] = f->drv;
		vt_drv_queue(&drv[q], q, QSIZE, QUEUE_GPA + q * QUEUE_STRIDE);
	}
	vt_drv_set_status(&f->drv, s | VB_VIRTIO_S_DRIVER_OK);
}

static void put_hdr(struct fixture *f, uint64_t gpa, uint32_t type, uint64_t sector)
{
	uint8_t *h = vt_gpa(&f->env, gpa);
	memset(h, 0, VB_BLK_HDR_BYTES);
	memcpy(h, &type, 4); /* x86 is little-endian like virtio */
	memcpy(h + 8, &sector, 8);
}

static uint64_t block_sector(unsigned block)
{
	return (uint64_t)block * (BLOCK / VB_BLK_SECTOR_BYTES);
}

/* Request slot k as chain 2k of d: read image block `block` into slot k's
 * buffer, the status byte right after the data. */
static void post_read(struct fixture *f, struct vt_drv *d, unsigned k, unsigned block)
{
	uint64_t hdr = HDR_GPA + k * SLOT_BYTES, data = DATA_GPA + k * SLOT_BYTES;
	put_hdr(f, hdr, VB_BLK_T_IN, block_sector(block));
	memset(vt_gpa(&f->env, data), 0, BLOCK);
	*vt_gpa(&f->env, data + BLOCK) = NO_STATUS;
	uint16_t i = (uint16_t)(2 * k);
	vt_desc(d, i, hdr, VB_BLK_HDR_BYTES, VB_VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
	vt_desc(d, (uint16_t)(i + 1), data, BLOCK + 1, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_avail_push(d, i);
}

/* Request slot k as chain 2k of d: write `fill` over image block `block`
 * (header and data in one buffer), the status at STATUS_GPA + k. */
static void post_write(struct fixture *f, struct vt_drv *d, unsigned k, unsigned block,
		       uint8_t fill)
{
	uint64_t hdr = HDR_GPA + k * SLOT_BYTES;
	put_hdr(f, hdr, VB_BLK_T_OUT, block_sector(block));
	memset(vt_gpa(&f->env, hdr + VB_BLK_HDR_BYTES), fill, BLOCK);
	*vt_gpa(&f->env, STATUS_GPA + k) = NO_STATUS;
	uint16_t i = (uint16_t)(2 * k);
	vt_desc(d, i, hdr, VB_BLK_HDR_BYTES + BLOCK, VB_VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
	vt_desc(d, (uint16_t)(i + 1), STATUS_GPA + k, 1, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_avail_push(d, i);
}

/* Run the completion event until d's used index reaches want. */
static void wait_used(struct fixture *f, struct vt_drv *d, uint16_t want)
{
	for (int i = 0; i < POLL_TRIES && vt_used_idx(d) != want; i++)
		assert_true(vb_ioevent_poll(f->io, 50) >= 0);
	assert_int_equal(vt_used_idx(d), want);
}

/* Takes every used entry of d: each head at most once unless `times`
 * allows more; returns how many. */
static unsigned take_used(struct vt_drv *d, unsigned seen[QSIZE], unsigned times)
{
	unsigned n = 0;
	uint32_t id, len;
	while (vt_used_next(d, &id, &len)) {
		assert_true(id < QSIZE && id % 2 == 0);
		seen[id]++;
		assert_true(seen[id] <= times);
		n++;
	}
	return n;
}

static void assert_read_ok(struct fixture *f, unsigned k, unsigned block)
{
	const uint8_t *data = vt_gpa(&f->env, DATA_GPA + k * SLOT_BYTES);
	assert_int_equal(data[BLOCK], VB_BLK_S_OK);
	for (unsigned i = 0; i < BLOCK; i++)
		if (data[i] != image_byte((uint64_t)block * BLOCK + i))
			fail_msg("slot %u byte %u: %#x, want %#x", k, i, data[i],
				 image_byte((uint64_t)block * BLOCK + i));
}

static void assert_file_block(struct fixture *f, unsigned block, uint8_t fill)
{
	uint8_t buf[BLOCK];
	int fd = open(f->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, BLOCK, (off_t)block * BLOCK), BLOCK);
	close(fd);
	for (unsigned i = 0; i < BLOCK; i++)
		assert_int_equal(buf[i], fill);
}

/* Reads, writes and a flush, all posted at once: reads of blocks k and
 * writes of blocks 200 + k. Returns how many chains were posted. */
static unsigned post_mix(struct fixture *f, struct vt_drv *d)
{
	unsigned k = 0;
	for (; k < 24; k++)
		post_read(f, d, k, (k * 7) % 200);
	for (; k < CHAINS - 1; k++)
		post_write(f, d, k, 200 + k, (uint8_t)k);
	put_hdr(f, HDR_GPA + k * SLOT_BYTES, VB_BLK_T_FLUSH, 0);
	*vt_gpa(&f->env, STATUS_GPA + k) = NO_STATUS;
	uint16_t i = (uint16_t)(2 * k);
	vt_desc(d, i, HDR_GPA + k * SLOT_BYTES, VB_BLK_HDR_BYTES, VB_VIRTQ_DESC_F_NEXT,
		(uint16_t)(i + 1));
	vt_desc(d, (uint16_t)(i + 1), STATUS_GPA + k, 1, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_avail_push(d, i);
	return k + 1;
}

static void assert_mix_done(struct fixture *f, struct vt_drv *d, unsigned posted)
{
	unsigned seen[QSIZE] = { 0 };
	assert_int_equal(take_used(d, seen, 1), posted);
	for (unsigned k = 0; k < posted; k++)
		assert_int_equal(seen[2 * k], 1);
	for (unsigned k = 0; k < 24; k++)
		assert_read_ok(f, k, (k * 7) % 200);
	for (unsigned k = 24; k < posted; k++) {
		assert_int_equal(*vt_gpa(&f->env, STATUS_GPA + k), VB_BLK_S_OK);
		if (k < posted - 1)
			assert_file_block(f, 200 + k, (uint8_t)k);
	}
}

static void test_many_in_flight(void **state)
{
	struct fixture *f = *state;
	struct vt_drv d;
	start(f, &d, 1);
	unsigned posted = post_mix(f, &d);
	vt_drv_notify(&d, 0);
	/* All went to the ring at once; none is back before its event. */
	struct vb_blk_stats s = stats(f);
	assert_true(s.ring);
	assert_int_equal(s.in_flight, posted);
	assert_int_equal(s.popped, posted);
	assert_int_equal(vt_used_idx(&d), 0);
	wait_used(f, &d, (uint16_t)posted);
	assert_mix_done(f, &d, posted);
	assert_true(vt_drv_isr(&d) & VB_VIRTIO_ISR_QUEUE);
	s = stats(f);
	assert_int_equal(s.completed, posted);
	assert_int_equal(s.dropped, 0);
	assert_int_equal(s.in_flight, 0);
	assert_false(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
}

/* The preadv/pwritev fallback: the same requests, served on the notify. */
static void test_fallback_same_results(void **state)
{
	struct fixture *f = *state;
	assert_false(stats(f).ring);
	/* One line says why, at attach. */
	assert_int_equal(f->env.log_lines, 1);
	assert_non_null(strstr(f->env.last_log, "no io_uring"));
	assert_non_null(strstr(f->env.last_log, NO_URING_ENV));
	struct vt_drv d;
	start(f, &d, 1);
	unsigned posted = post_mix(f, &d);
	vt_drv_notify(&d, 0);
	assert_int_equal(vt_used_idx(&d), posted);
	assert_mix_done(f, &d, posted);
	struct vb_blk_stats s = stats(f);
	assert_int_equal(s.completed, posted);
	assert_int_equal(s.in_flight, 0);
}

/* The guest publishes a full queue's worth of chains while as many are
 * still in flight (each chain posted twice): the device takes no more than
 * the queue's size, and every posting completes exactly once. */
static void test_queue_kept_full(void **state)
{
	struct fixture *f = *state;
	struct vt_drv d;
	start(f, &d, 1);
	for (unsigned round = 0; round < 2; round++)
		for (unsigned k = 0; k < CHAINS; k++)
			post_read(f, &d, k, k);
	vt_drv_notify(&d, 0);
	assert_int_equal(stats(f).in_flight, QSIZE);
	for (unsigned k = 0; k < CHAINS; k++)
		post_read(f, &d, k, k);
	vt_drv_notify(&d, 0);
	struct vb_blk_stats s = stats(f);
	assert_int_equal(s.in_flight, QSIZE);
	assert_int_equal(s.popped, QSIZE);
	/* Completions make room, and the device takes the rest itself. */
	wait_used(f, &d, QSIZE + CHAINS);
	unsigned seen[QSIZE] = { 0 };
	assert_int_equal(take_used(&d, seen, 3), QSIZE + CHAINS);
	for (unsigned k = 0; k < CHAINS; k++) {
		assert_int_equal(seen[2 * k], 3);
		assert_read_ok(f, k, k);
	}
	s = stats(f);
	assert_int_equal(s.max_in_flight, QSIZE);
	assert_int_equal(s.completed, QSIZE + CHAINS);
	assert_int_equal(s.in_flight, 0);
}

/* A reset with requests in flight: they are waited for and dropped; the
 * old used ring and the status bytes stay as the driver left them, and
 * the device works again after the driver sets it up anew. */
static void test_reset_in_flight(void **state)
{
	struct fixture *f = *state;
	struct vt_drv d;
	start(f, &d, 1);
	for (unsigned k = 0; k < CHAINS; k++)
		post_read(f, &d, k, k);
	vt_drv_notify(&d, 0);
	assert_int_equal(stats(f).in_flight, CHAINS);
	vt_drv_set_status(&f->drv, 0);
	struct vb_blk_stats s = stats(f);
	assert_int_equal(s.in_flight, 0);
	assert_int_equal(s.dropped, CHAINS);
	assert_int_equal(s.completed, 0);
	/* The completions' event still fires: it must not write anything. */
	for (int i = 0; i < 4; i++)
		assert_true(vb_ioevent_poll(f->io, 0) >= 0);
	assert_int_equal(vt_used_idx(&d), 0);
	for (unsigned k = 0; k < CHAINS; k++)
		assert_int_equal(*vt_gpa(&f->env, DATA_GPA + k * SLOT_BYTES + BLOCK), NO_STATUS);

	start(f, &d, 1);
	post_read(f, &d, 3, 9);
	vt_drv_notify(&d, 0);
	wait_used(f, &d, 1);
	assert_read_ok(f, 3, 9);
	s = stats(f);
	assert_int_equal(s.popped, CHAINS + 1);
	assert_int_equal(s.completed + s.dropped, s.popped);
}

/* A violation while requests are in flight: the device needs a reset, and
 * what completes meanwhile is dropped, not pushed into a stopped queue. */
static void test_broken_in_flight(void **state)
{
	struct fixture *f = *state;
	struct vt_drv d;
	start(f, &d, 1);
	for (unsigned k = 0; k < 8; k++)
		post_read(f, &d, k, k);
	/* A request whose every buffer is device-readable: no status byte. */
	put_hdr(f, HDR_GPA + 8 * SLOT_BYTES, VB_BLK_T_IN, 0);
	vt_desc(&d, 16, HDR_GPA + 8 * SLOT_BYTES, VB_BLK_HDR_BYTES, 0, 0);
	vt_avail_push(&d, 16);
	vt_drv_notify(&d, 0);
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	for (int i = 0; i < POLL_TRIES && stats(f).in_flight; i++)
		assert_true(vb_ioevent_poll(f->io, 50) >= 0);
	struct vb_blk_stats s = stats(f);
	assert_int_equal(s.in_flight, 0);
	assert_int_equal(s.dropped, 8);
	assert_int_equal(s.completed, 0);
	assert_int_equal(vt_used_idx(&d), 0);
}

/* Four queues: the configuration says so, and each queue's requests
 * complete on that queue, with its own data. */
static void test_multiqueue(void **state)
{
	struct fixture *f = *state;
	assert_true(vt_drv_device_features(&f->drv) & F(VB_BLK_F_MQ));
	assert_int_equal(vt_drv_config(&f->drv, VB_BLK_CFG_NUM_QUEUES, 2), 4);
	struct vt_drv d[4];
	start(f, d, 4);
	/* Slots k of queue q: disjoint guest buffers, blocks 10q + k. */
	for (unsigned q = 0; q < 4; q++) {
		for (unsigned k = 0; k < 8; k++)
			post_read(f, &d[q], 8 * q + k, 10 * q + k);
		vt_drv_notify(&d[q], q);
	}
	assert_int_equal(stats(f).popped, 32);
	for (unsigned q = 0; q < 4; q++)
		wait_used(f, &d[q], 8);
	for (unsigned q = 0; q < 4; q++) {
		unsigned seen[QSIZE] = { 0 };
		assert_int_equal(take_used(&d[q], seen, 1), 8);
		for (unsigned k = 0; k < 8; k++) {
			assert_int_equal(seen[2 * (8 * q + k)], 1);
			assert_read_ok(f, 8 * q + k, 10 * q + k);
		}
	}
	assert_int_equal(stats(f).completed, 32);
}

/* An empty image file, already unlinked: its descriptor. */
static int unlinked_image(void)
{
	char path[] = "/tmp/vb-test-ring-XXXXXX";
	int img = mkstemp(path);
	assert_true(img >= 0);
	unlink(path);
	return img;
}

/* Whether this process has an io_uring worker thread (iou-wrk-TID). */
static bool have_ring_worker(void)
{
	DIR *tasks = opendir("/proc/self/task");
	if (!tasks)
		return false;
	bool found = false;
	struct dirent *t;
	while (!found && (t = readdir(tasks))) {
		char path[300], comm[32] = "";
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", t->d_name);
		FILE *f = t->d_name[0] != '.' ? fopen(path, "r") : NULL;
		if (!f)
			continue;
		found = fgets(comm, sizeof(comm), f) && strncmp(comm, "iou-wrk", 7) == 0;
		fclose(f);
	}
	closedir(tasks);
	return found;
}

/* One read of bytes bytes at 0 through r, waited for; its status. */
static uint8_t ring_read(struct vb_blk_ring *r, int efd, uint8_t *buf, size_t bytes)
{
	struct iovec iov = { buf, bytes };
	struct vb_blk_aio a = { .io = { .kind = VB_BLK_IO_READ, .pos = 0, .iov = &iov, .n_iov = 1 } };
	if (vb_blk_ring_queue(r, &a) || vb_blk_ring_submit(r))
		return 0xff;
	uint8_t status = 0xff;
	for (;;) {
		uint64_t n;
		if (read(efd, &n, sizeof(n)) != (ssize_t)sizeof(n))
			return 0xff;
		if (vb_blk_ring_reap(r, &status) == &a)
			return status;
	}
}

/* The ring runs a large transfer on the kernel's io_uring workers
 * (IOSQE_ASYNC: copies side by side, as QEMU's thread pool does) and a
 * small one inline. In a child: workers stay once made, and another
 * test's would answer for ours. */
static void test_large_transfers_on_workers(void **state)
{
	(void)state;
	if (!have_uring())
		skip();
	int img = unlinked_image();
	assert_int_equal(ftruncate(img, 1 << 20), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int efd = eventfd(0, EFD_CLOEXEC);
		struct vb_blk_ring *r = NULL;
		struct vb_err err;
		static uint8_t buf[256 * 1024];
		if (efd < 0 || vb_blk_ring_open(img, efd, 8, &r, &err))
			_exit(10);
		if (ring_read(r, efd, buf, 4096) != VB_BLK_S_OK)
			_exit(11);
		if (have_ring_worker())
			_exit(12); /* the small read was not inline */
		if (ring_read(r, efd, buf, sizeof(buf)) != VB_BLK_S_OK)
			_exit(13);
		if (!have_ring_worker())
			_exit(14); /* the large read was */
		vb_blk_ring_close(r);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(img);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The ring does the disk's operations on the image and nothing else. */
static void test_ring_restrictions(void **state)
{
	(void)state;
	if (!have_uring())
		skip();
	int img = unlinked_image();
	int efd = eventfd(0, EFD_CLOEXEC);
	assert_true(efd >= 0);
	struct vb_blk_ring *r = NULL;
	struct vb_err err;
	assert_int_equal(vb_blk_ring_open(img, efd, 8, &r, &err), 0);
	/* Allowed: a read (of nothing) and a sync of the fixed image. */
	assert_int_equal(vb_blk_ring_probe(r, IORING_OP_READ, IOSQE_FIXED_FILE), 0);
	assert_int_equal(vb_blk_ring_probe(r, IORING_OP_FSYNC, IOSQE_FIXED_FILE), 0);
	/* Refused: opening files, sockets, any other operation, and the
	 * disk's own operations on a plain file descriptor. */
	assert_int_equal(vb_blk_ring_probe(r, IORING_OP_OPENAT, IOSQE_FIXED_FILE), -EACCES);
	assert_int_equal(vb_blk_ring_probe(r, IORING_OP_OPENAT, 0), -EACCES);
	assert_int_equal(vb_blk_ring_probe(r, IORING_OP_CONNECT, IOSQE_FIXED_FILE), -EACCES);
	assert_int_equal(vb_blk_ring_probe(r, IORING_OP_FALLOCATE, IOSQE_FIXED_FILE), -EACCES);
	assert_int_equal(vb_blk_ring_probe(r, IORING_OP_READ, 0), -EACCES);
	assert_int_equal(vb_blk_ring_probe(r, IORING_OP_READ, IOSQE_FIXED_FILE | IOSQE_ASYNC), 0);
	assert_int_equal(vb_blk_ring_probe(r, IORING_OP_READ, IOSQE_ASYNC), -EACCES);
	assert_int_equal(vb_blk_ring_probe(r, IORING_OP_READ, IOSQE_FIXED_FILE | IOSQE_IO_LINK),
			 -EACCES);
	/* No register operation either: no new file, no undoing. */
	int fds[1] = { efd };
	long rc = syscall(__NR_io_uring_register, vb_blk_ring_fd(r), IORING_REGISTER_FILES_UPDATE,
			  fds, 1);
	assert_int_equal(rc, -1);
	assert_int_equal(errno, EACCES);
	rc = syscall(__NR_io_uring_register, vb_blk_ring_fd(r), IORING_UNREGISTER_FILES, NULL, 0);
	assert_int_equal(rc, -1);
	assert_int_equal(errno, EACCES);
	vb_blk_ring_close(r);
	close(efd);
	close(img);
}

/* The queue count: the key, else one per vCPU within [1, 8]. */
static void test_queue_count(void **state)
{
	(void)state;
	struct vb_device_desc d;
	assert_int_equal(vb_device_desc_init(&d, &vb_virtio_blk_type), 0);
	assert_int_equal(vb_blk_queue_count(&d, 3), 3);
	assert_int_equal(vb_blk_queue_count(&d, 64), VB_BLK_MAX_QUEUES);
	assert_int_equal(vb_blk_queue_count(&d, 0), 1);
	assert_int_equal(vb_blk_queue_count(NULL, 2), 2);
	assert_int_equal(vb_device_set_number(&d, "queues", 5), 0);
	assert_int_equal(vb_blk_queue_count(&d, 2), 5);
	vb_device_desc_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_many_in_flight, setup_ring, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_same_results, setup_fallback, teardown),
		cmocka_unit_test_setup_teardown(test_queue_kept_full, setup_ring, teardown),
		cmocka_unit_test_setup_teardown(test_reset_in_flight, setup_ring, teardown),
		cmocka_unit_test_setup_teardown(test_broken_in_flight, setup_ring, teardown),
		cmocka_unit_test_setup_teardown(test_multiqueue, setup_mq, teardown),
		cmocka_unit_test_setup_teardown(test_multiqueue, setup_mq_pci, teardown),
		cmocka_unit_test(test_ring_restrictions),
		cmocka_unit_test(test_large_transfers_on_workers),
		cmocka_unit_test(test_queue_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
