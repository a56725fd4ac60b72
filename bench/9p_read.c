/* 9P read throughput against read(2), same file, same run.
 *
 *   9p_read DIR NAME MSIZE ROUNDS
 *
 * Reads DIR/NAME to the end with read(2) in MSIZE-byte chunks, then
 * through a 9P2000.L server rooted at DIR with Tread requests whose count
 * fills an MSIZE reply, ROUNDS times each after one warm-up pass (so both
 * read the page cache). Prints the best MB/s of each and the ratio. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "readbench.h"

#include "ninep/server.h"
#include "ninep/wire.h"


static size_t msg(struct vb_9p_server *srv, uint8_t *req,
		  struct vb_9p_out *o, uint8_t type, uint8_t *resp,
		  size_t resp_bytes)
{
	int len = vb_9p_out_finish(o, type, 1);
	size_t rlen = 0;
	if (len < 0 || vb_9p_server_handle(srv, req, (size_t)len, resp,
					   resp_bytes, &rlen) ||
	    resp[4] != type + 1) {
		fprintf(stderr, "9p_read: request %u failed\n", type);
		exit(1);
	}
	return rlen;
}

static uint64_t ninep(struct vb_9p_server *srv, const char *name,
		      uint8_t *resp, uint32_t msize)
{
	uint8_t req[512];
	struct vb_9p_out o;
	vb_9p_out_init(&o, req, sizeof(req));
	vb_9p_put_u32(&o, msize);
	vb_9p_put_str(&o, "9P2000.L", 8);
	msg(srv, req, &o, VB_9P_TVERSION, resp, msize);
	vb_9p_out_init(&o, req, sizeof(req));
	vb_9p_put_u32(&o, 0);
	vb_9p_put_u32(&o, VB_9P_NOFID);
	vb_9p_put_str(&o, "", 0);
	vb_9p_put_str(&o, "", 0);
	vb_9p_put_u32(&o, 0);
	msg(srv, req, &o, VB_9P_TATTACH, resp, msize);
	vb_9p_out_init(&o, req, sizeof(req));
	vb_9p_put_u32(&o, 0);
	vb_9p_put_u32(&o, 1);
	vb_9p_put_u16(&o, 1);
	vb_9p_put_str(&o, name, strlen(name));
	msg(srv, req, &o, VB_9P_TWALK, resp, msize);
	vb_9p_out_init(&o, req, sizeof(req));
	vb_9p_put_u32(&o, 1);
	vb_9p_put_u32(&o, 0);
	msg(srv, req, &o, VB_9P_TLOPEN, resp, msize);
	uint64_t total = 0;
	for (;;) {
		vb_9p_out_init(&o, req, sizeof(req));
		vb_9p_put_u32(&o, 1);
		vb_9p_put_u64(&o, total);
		/* Rread header is 11 bytes: size, type, tag, count. */
		vb_9p_put_u32(&o, msize - 11);
		size_t rlen = msg(srv, req, &o, VB_9P_TREAD,
				  resp, msize);
		if (rlen <= 11)
			break;
		total += rlen - 11;
	}
	return total;
}

struct ninep_read {
	struct vb_9p_server *srv;
	const char *name;
	uint8_t *resp;
	uint32_t msize;
};

static uint64_t ninep_read(void *ctx)
{
	struct ninep_read *r = ctx;
	return ninep(r->srv, r->name, r->resp, r->msize);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: 9p_read DIR NAME MSIZE ROUNDS\n");
		return 2;
	}
	uint32_t msize = (uint32_t)strtoul(argv[3], NULL, 0);
	int rounds = atoi(argv[4]);
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", argv[1], argv[2]);
	uint8_t *buf = malloc(msize);
	struct vb_9p_config cfg = { .root_path = argv[1], .max_msize = msize };
	struct vb_9p_server *srv;
	struct vb_err err;
	if (!buf || vb_9p_server_create(&cfg, &srv, &err)) {
		fprintf(stderr, "9p_read: %s\n", buf ? err.msg : "no memory");
		return 1;
	}
	struct ninep_read nr = { srv, argv[2], buf, msize };
	struct bench_result r;
	if (bench_compare("9p_read", path, buf, msize, rounds, ninep_read, &nr, &r))
		return 1;
	printf("file %llu MiB, chunk %u bytes, best of %d\n",
	       (unsigned long long)(r.bytes >> 20), msize, rounds);
	printf("read(2): %.0f MB/s\n", r.best_plain_mbs);
	printf("9P Tread: %.0f MB/s\n", r.best_9p_mbs);
	printf("ratio 9P/read: %.2f\n", r.best_9p_mbs / r.best_plain_mbs);
	vb_9p_server_destroy(srv);
	free(buf);
	return 0;
}
