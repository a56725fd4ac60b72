/* What the read benchmarks (9p_read.c, 9p_virtq.c) share: a monotonic
 * clock in seconds and the read(2) baseline they are measured against. */
#ifndef VB_BENCH_READBENCH_H
#define VB_BENCH_READBENCH_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static inline double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads path to the end in chunk-byte read(2) calls; returns the bytes. */
static inline uint64_t bench_read_plain(const char *path, uint8_t *buf, uint32_t chunk)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		exit(1);
	}
	uint64_t total = 0;
	ssize_t n;
	while ((n = read(fd, buf, chunk)) > 0)
		total += (uint64_t)n;
	close(fd);
	return total;
}

/* The measurement both benchmarks make: after one warm-up read(2) pass
 * (page cache warm for both sides), rounds of read(2) of path and of
 * read_9p(ctx), keeping each side's best MB/s. Returns 0, or 1 when
 * read_9p returned another byte count than read(2) did (tool names the
 * benchmark in that message). */
struct bench_result {
	uint64_t bytes;
	double best_plain_mbs, best_9p_mbs;
};

static inline int bench_compare(const char *tool, const char *path, uint8_t *buf, uint32_t chunk,
				int rounds, uint64_t (*read_9p)(void *ctx), void *ctx,
				struct bench_result *r)
{
	r->bytes = bench_read_plain(path, buf, chunk);
	r->best_plain_mbs = r->best_9p_mbs = 0;
	for (int i = 0; i < rounds; i++) {
		double t = bench_now();
		uint64_t n = bench_read_plain(path, buf, chunk);
		double mbs = (double)n / 1e6 / (bench_now() - t);
		r->best_plain_mbs = mbs > r->best_plain_mbs ? mbs : r->best_plain_mbs;
		t = bench_now();
		n = read_9p(ctx);
		if (n != r->bytes) {
			fprintf(stderr, "%s: read %llu of %llu bytes\n", tool, (unsigned long long)n,
				(unsigned long long)r->bytes);
			return 1;
		}
		mbs = (double)n / 1e6 / (bench_now() - t);
		r->best_9p_mbs = mbs > r->best_9p_mbs ? mbs : r->best_9p_mbs;
	}
	return 0;
}

#endif
