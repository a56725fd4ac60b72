/* 9P read throughput through the virtqueue, in process, against read(2).
 *
 *   9p_virtq DIR NAME MSIZE ROUNDS
 *
 * Like 9p_read.c, but every Tread travels the way the Linux driver posts
 * it (net/9p/trans_virtio.c): a chain with the T-message in one readable
 * descriptor and room for the R-message in one writable descriptor, on a
 * virtio-9p device over virtio-mmio, notified and completed by the test
 * driver (tests/virtio/driver.h). So this adds the transport's cost:
 * descriptor walk, gathering the request, scattering the reply into guest
 * RAM and the used ring. The read(2) side copies into a buffer of the same
 * size, and the reply is left in guest RAM (the guest would read it there).
 * Prints the best MB/s of each and the ratio. No KVM needed. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "readbench.h"

#include "driver.h"
#include "ninep/wire.h"
#include "parse/desc.h"
#include "virtio/9p.h"
#include "virtio/virtq.h"

#define QUEUE_GPA 0x10000ULL
#define REQ_GPA 0x40000ULL
#define RESP_GPA 0x100000ULL
#define MMIO_BASE VB_GAP_START_BYTES
#define MMIO_GSI 16u


struct q9 {
	struct vt_env env;
	struct vt_drv drv;
	uint32_t msize;
	const char *name; /* the file to read */
};

/* Posts the message built in o and returns the reply's length; exits when
 * the device does not answer with type + 1. */
static uint32_t rpc(struct q9 *q, struct vb_9p_out *o, uint8_t type)
{
	int len = vb_9p_out_finish(o, type, 1);
	if (len < 0) {
		fprintf(stderr, "9p_virtq: message %u too long\n", type);
		exit(1);
	}
	vt_desc(&q->drv, 0, REQ_GPA, (uint32_t)len, VB_VIRTQ_DESC_F_NEXT, 1);
	vt_desc(&q->drv, 1, RESP_GPA, q->msize, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_avail_push(&q->drv, 0);
	vt_drv_notify(&q->drv, 0);
	uint32_t id, used;
	const uint8_t *r = vt_gpa(&q->env, RESP_GPA);
	if (!vt_used_next(&q->drv, &id, &used) || used < 7 || r[4] != type + 1) {
		fprintf(stderr, "9p_virtq: request %u failed\n", type);
		exit(1);
	}
	return used;
}

static void begin(struct q9 *q, struct vb_9p_out *o)
{
	vb_9p_out_init(o, vt_gpa(&q->env, REQ_GPA), 512);
}

static void put_s(struct vb_9p_out *o, const char *s)
{
	vb_9p_put_str(o, s, strlen(s));
}

static void open_file(struct q9 *q, const char *name)
{
	struct vb_9p_out o;
	begin(q, &o);
	vb_9p_put_u32(&o, q->msize);
	put_s(&o, "9P2000.L");
	rpc(q, &o, VB_9P_TVERSION);
	begin(q, &o);
	vb_9p_put_u32(&o, 0);
	vb_9p_put_u32(&o, VB_9P_NOFID);
	put_s(&o, "");
	put_s(&o, "");
	vb_9p_put_u32(&o, 0);
	rpc(q, &o, VB_9P_TATTACH);
	begin(q, &o);
	vb_9p_put_u32(&o, 0);
	vb_9p_put_u32(&o, 1);
	vb_9p_put_u16(&o, 1);
	put_s(&o, name);
	rpc(q, &o, VB_9P_TWALK);
	begin(q, &o);
	vb_9p_put_u32(&o, 1);
	vb_9p_put_u32(&o, 0);
	rpc(q, &o, VB_9P_TLOPEN);
}

static void clunk(struct q9 *q)
{
	struct vb_9p_out o;
	begin(q, &o);
	vb_9p_put_u32(&o, 1);
	rpc(q, &o, VB_9P_TCLUNK);
}

static uint64_t ninep(struct q9 *q, const char *name)
{
	open_file(q, name);
	uint64_t total = 0;
	for (;;) {
		struct vb_9p_out o;
		begin(q, &o);
		vb_9p_put_u32(&o, 1);
		vb_9p_put_u64(&o, total);
		/* Rread header is 11 bytes: size, type, tag, count. */
		vb_9p_put_u32(&o, q->msize - 11);
		uint32_t rlen = rpc(q, &o, VB_9P_TREAD);
		if (rlen <= 11)
			break;
		total += rlen - 11;
	}
	clunk(q);
	return total;
}

static uint64_t ninep_read(void *ctx)
{
	struct q9 *q = ctx;
	return ninep(q, q->name);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: 9p_virtq DIR NAME MSIZE ROUNDS\n");
		return 2;
	}
	uint32_t msize = (uint32_t)strtoul(argv[3], NULL, 0);
	int rounds = atoi(argv[4]);
	if (msize < 4096 || msize > VB_VIRTIO_9P_MAX_MSIZE || rounds < 1) {
		fprintf(stderr, "9p_virtq: MSIZE must be 4096..%u, ROUNDS at least 1\n",
			VB_VIRTIO_9P_MAX_MSIZE);
		return 2;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", argv[1], argv[2]);
	static struct q9 q;
	q.msize = msize;
	if (vt_env_init(&q.env) < 0) {
		fprintf(stderr, "SKIP: 9p_virtq: cannot map the test guest RAM\n");
		return 77;
	}
	struct vb_device_desc desc;
	if (vb_device_desc_init(&desc, &vb_virtio_9p_type) ||
	    vb_device_set_string(&desc, "path", argv[1]) ||
	    vb_device_set_string(&desc, "tag", "bench")) {
		fprintf(stderr, "9p_virtq: out of memory\n");
		return 1;
	}
	struct vb_virtio_placement p = {
		.name = "share0", .desc = &desc, .transport = VB_VIRTIO_MMIO,
		.mmio_base = MMIO_BASE, .mmio_bytes = 0x1000, .gsi = MMIO_GSI,
	};
	if (vt_env_attach(&q.env, "9p", &p) || vt_drv_open_mmio(&q.drv, &q.env, MMIO_BASE, MMIO_GSI)) {
		fprintf(stderr, "9p_virtq: cannot attach the virtio-9p device\n");
		return 1;
	}
	uint8_t s = vt_drv_negotiate(&q.drv, 1ULL << VB_VIRTIO_F_VERSION_1 |
						     1ULL << VB_VIRTIO_9P_F_MOUNT_TAG);
	vt_drv_queue(&q.drv, 0, 16, QUEUE_GPA);
	vt_drv_set_status(&q.drv, s | VB_VIRTIO_S_DRIVER_OK);
	if (!(vt_drv_status(&q.drv) & VB_VIRTIO_S_DRIVER_OK)) {
		fprintf(stderr, "9p_virtq: the device refused DRIVER_OK\n");
		return 1;
	}
	uint8_t *buf = malloc(msize);
	if (!buf)
		return 1;
	q.name = argv[2];
	struct bench_result r;
	if (bench_compare("9p_virtq", path, buf, msize, rounds, ninep_read, &q, &r))
		return 1;
	printf("virtqueue: file %llu MiB, msize %u bytes, best of %d\n",
	       (unsigned long long)(r.bytes >> 20), msize, rounds);
	printf("read(2): %.0f MB/s\n", r.best_plain_mbs);
	printf("9P Tread through virtio-9p (mmio): %.0f MB/s\n", r.best_9p_mbs);
	printf("ratio 9P-virtqueue/read: %.2f\n", r.best_9p_mbs / r.best_plain_mbs);
	free(buf);
	vt_env_fini(&q.env);
	return 0;
}
