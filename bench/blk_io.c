/* virtio-blk in process against pread/pwrite on the same file, same run.
 *
 *   blk_io IMAGE MIB SECONDS [--seccomp]
 *
 * IMAGE (MIB MiB, created here) is served by the real virtio-blk device
 * on the virtio-mmio transport of an in-process test machine
 * (tests/virtio/driver.h plays the guest driver: descriptors, avail
 * ring, doorbell through the MMIO bus, used ring). Each workload runs
 * for about SECONDS both ways, three rounds alternating, best round kept:
 *   4 KiB random reads, queue depth 1 and 32
 *   1 MiB sequential writes, queue depth 1 and 32
 * Queue depth 32 means 32 requests posted, one doorbell, 32 completions;
 * the device submits them to its io_uring at the doorbell and the
 * completions come through the I/O event service's completion event,
 * which this thread runs by hand (machine/ioevent.h, vb_ioevent_poll)
 * until all are back; the host baseline is 32 back-to-back pread/pwrite
 * calls. Without io_uring (VMBOOT_NO_IO_URING=1) the device serves them
 * in order at the doorbell. Both sides hit
 * the page cache (the file is written first; no fsync in the loop).
 * --seccomp: the measuring thread first confines itself as an I/O thread
 * of a VM does (sandbox.h, VB_SANDBOX_IO), so two runs tell what the
 * filter costs. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tests/virtio/driver.h"
#include "machine/ioevent.h"
#include "parse/desc.h"
#include "sandbox/sandbox.h"
#include "virtio/blk.h"
#include "virtio/virtq.h"

#define QUEUE_GPA 0x10000ULL
#define HDR_GPA 0x100000ULL    /* 32 headers */
#define STATUS_GPA 0x101000ULL /* 32 status bytes */
#define DATA_GPA 0x1000000ULL  /* 32 buffers of 1 MiB */
#define MMIO_BASE VB_GAP_START_BYTES
#define QD_MAX 32u
#define ROUNDS 3

struct bench {
	struct vt_env env;
	struct vt_drv drv;
	struct vb_ioevent *io;
	int fd;
	uint64_t image_bytes;
	uint64_t rng;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t next_rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

struct workload {
	const char *name;
	bool write;
	bool random;
	uint32_t bytes;
	unsigned qd;
};

/* Offset of request i of a workload (the same sequence both ways). */
static uint64_t offset_of(struct bench *b, const struct workload *w, uint64_t i)
{
	uint64_t slots = b->image_bytes / w->bytes;
	if (w->random)
		return (next_rand(&b->rng) % slots) * w->bytes;
	return (i % slots) * w->bytes;
}

static void die(const char *what)
{
	fprintf(stderr, "blk_io: %s\n", what);
	exit(1);
}

/* One batch of qd requests through the host syscalls. */
static void batch_plain(struct bench *b, const struct workload *w, uint64_t first)
{
	for (unsigned k = 0; k < w->qd; k++) {
		uint8_t *buf = vt_gpa(&b->env, DATA_GPA + (uint64_t)k * (1u << 20));
		off_t off = (off_t)offset_of(b, w, first + k);
		ssize_t n = w->write ? pwrite(b->fd, buf, w->bytes, off) : pread(b->fd, buf, w->bytes, off);
		if (n != (ssize_t)w->bytes)
			die("pread/pwrite");
	}
}

/* One batch of qd requests through virtio-blk: post, one doorbell, reap. */
static void batch_virtio(struct bench *b, const struct workload *w, uint64_t first)
{
	struct vt_drv *d = &b->drv;
	for (unsigned k = 0; k < w->qd; k++) {
		uint64_t sector = offset_of(b, w, first + k) / VB_BLK_SECTOR_BYTES;
		uint8_t *h = vt_gpa(&b->env, HDR_GPA + 16ULL * k);
		uint32_t type = w->write ? VB_BLK_T_OUT : VB_BLK_T_IN;
		memset(h, 0, 16);
		memcpy(h, &type, 4);       /* x86: little-endian like virtio */
		memcpy(h + 8, &sector, 8);
		uint16_t i = (uint16_t)(3 * k);
		vt_desc(d, i, HDR_GPA + 16ULL * k, 16, VB_VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
		vt_desc(d, (uint16_t)(i + 1), DATA_GPA + (uint64_t)k * (1u << 20), w->bytes,
			VB_VIRTQ_DESC_F_NEXT | (w->write ? 0 : VB_VIRTQ_DESC_F_WRITE), (uint16_t)(i + 2));
		vt_desc(d, (uint16_t)(i + 2), STATUS_GPA + k, 1, VB_VIRTQ_DESC_F_WRITE, 0);
		vt_avail_push(d, i);
	}
	vt_drv_notify(d, 0);
	for (unsigned k = 0; k < w->qd; k++) {
		uint32_t id, len;
		while (!vt_used_next(d, &id, &len))
			if (vb_ioevent_poll(b->io, -1) < 0)
				die("request not completed");
		if (*vt_gpa(&b->env, STATUS_GPA + id / 3) != VB_BLK_S_OK)
			die("request failed");
	}
	(void)vt_drv_isr(d);
}

/* Requests per second of one side, run for about seconds. */
static double measure(struct bench *b, const struct workload *w, bool virtio, double seconds)
{
	b->rng = 42;
	uint64_t done = 0;
	double t0 = now(), t;
	do {
		for (int rep = 0; rep < 8; rep++) {
			if (virtio)
				batch_virtio(b, w, done);
			else
				batch_plain(b, w, done);
			done += w->qd;
		}
		t = now();
	} while (t - t0 < seconds);
	return (double)done / (t - t0);
}

static void make_image(const char *path, uint64_t bytes)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die("create image");
	static uint8_t chunk[1 << 20];
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (uint8_t)(i * 31 + 7);
	for (uint64_t at = 0; at < bytes; at += sizeof(chunk))
		if (pwrite(fd, chunk, sizeof(chunk), (off_t)at) != (ssize_t)sizeof(chunk))
			die("write image");
	close(fd);
}

int main(int argc, char **argv)
{
	bool seccomp = argc == 5 && !strcmp(argv[4], "--seccomp");
	if (argc != 4 && !seccomp)
		die("usage: blk_io IMAGE MIB SECONDS [--seccomp]");
	const char *path = argv[1];
	uint64_t mib = strtoull(argv[2], NULL, 10);
	double seconds = atof(argv[3]);
	if (mib < 64 || seconds <= 0)
		die("MIB must be >= 64 and SECONDS > 0");
	static struct bench b;
	b.image_bytes = mib << 20;
	make_image(path, b.image_bytes);
	if (vt_env_init(&b.env) < 0)
		die("cannot map guest RAM");
	struct vb_err io_err;
	if (vb_ioevent_create(&b.io, NULL, NULL, &io_err) < 0)
		die(io_err.msg);
	vb_ioevent_plug(b.io, &b.env.env);
	struct vb_device_desc desc;
	if (vb_device_desc_init(&desc, &vb_virtio_blk_type) ||
	    vb_device_set_string(&desc, "path", path))
		die("out of memory");
	struct vb_virtio_placement p = {
		.name = "bench", .desc = &desc, .transport = VB_VIRTIO_MMIO,
		.mmio_base = MMIO_BASE, .mmio_bytes = 0x1000, .gsi = 16,
	};
	if (vt_env_attach(&b.env, "disk", &p) < 0 || vt_drv_open_mmio(&b.drv, &b.env, MMIO_BASE, 16) < 0)
		die("attach virtio-blk");
	uint8_t s = vt_drv_negotiate(&b.drv, 1ULL << VB_VIRTIO_F_VERSION_1 | 1ULL << VB_BLK_F_FLUSH);
	if (!(s & VB_VIRTIO_S_FEATURES_OK))
		die("features");
	vt_drv_queue(&b.drv, 0, 256, QUEUE_GPA);
	vt_drv_set_status(&b.drv, s | VB_VIRTIO_S_DRIVER_OK);
	b.fd = open(path, O_RDWR);
	if (b.fd < 0)
		die("open image");
	unlink(path); /* now: an I/O thread's filter has no unlink */
	/* Touch the buffers so page faults are not part of the first round. */
	memset(vt_gpa(&b.env, DATA_GPA), 0x5a, (size_t)QD_MAX << 20);
	struct vb_err err;
	if (seccomp && (vb_sandbox_no_new_privs(&err) ||
			vb_sandbox_enter(VB_SANDBOX_IO, VB_SANDBOX_NEEDS_BACKENDS, &err)))
		die(err.msg);
	printf("seccomp: %s\n", seccomp ? "the I/O thread filter" : "none");
	struct vb_blk_stats st;
	vb_virtio_blk_stats(b.env.devices.items[b.env.devices.count - 1].state, &st);
	printf("requests: %s\n", st.ring ? "io_uring" : "preadv/pwritev at the doorbell");

	static const struct workload loads[] = {
		{ "4k-randread  qd1 ", false, true, 4096, 1 },
		{ "4k-randread  qd32", false, true, 4096, 32 },
		{ "1m-seqwrite  qd1 ", true, false, 1u << 20, 1 },
		{ "1m-seqwrite  qd32", true, false, 1u << 20, 32 },
	};
	int worst_ok = 1;
	for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
		const struct workload *w = &loads[i];
		double plain = 0, vio = 0;
		for (int r = 0; r < ROUNDS; r++) {
			double x = measure(&b, w, false, seconds / ROUNDS);
			double y = measure(&b, w, true, seconds / ROUNDS);
			plain = x > plain ? x : plain;
			vio = y > vio ? y : vio;
		}
		double ratio = vio / plain;
		printf("%s  pread/pwrite %9.0f IOPS %8.1f MB/s | virtio-blk %9.0f IOPS %8.1f MB/s | "
		       "ratio %.2f\n",
		       w->name, plain, plain * w->bytes / 1e6, vio, vio * w->bytes / 1e6, ratio);
		if (ratio < 0.9)
			worst_ok = 0;
	}
	printf("goal: ratio >= 0.90 on every line: %s\n", worst_ok ? "met" : "NOT met");
	close(b.fd);
	vt_env_fini(&b.env);
	vb_ioevent_destroy(b.io);
	return 0;
}
