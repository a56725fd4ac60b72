/* The workloads of bench/nested-io, run inside the inner guest (and the
 * TCP receiver, run on the outer VM). Built static, so one binary runs in
 * both without libraries:
 *
 *   ioload read PATH                   buffered sequential read to EOF, 1 MiB blocks
 *   ioload direct PATH COUNT           COUNT sequential 4 KiB O_DIRECT reads, one at a time
 *   ioload random PATH READERS COUNT   READERS processes, each COUNT random 4 KiB O_DIRECT reads
 *   ioload write PATH MIB              MIB MiB of sequential 1 MiB writes, then fsync
 *   ioload send ADDR PORT MIB          MIB MiB over TCP to ADDR:PORT, until the receiver
 *                                      confirms the byte count
 *   ioload sink PORT                   the receiver, on 127.0.0.1:PORT, one connection at a time
 *
 * Each workload prints "SECONDS BYTES" (wall time of the whole workload,
 * CLOCK_MONOTONIC) on stdout and exits 0; on an error it prints what
 * failed on stderr and exits 1. busybox dd has no iflag=direct and the
 * guest's /proc/uptime only counts centiseconds, hence this program. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BLOCK_BYTES 4096u
#define CHUNK_BYTES (1024u * 1024u)

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints "ioload: WHAT: strerror(errno)" and returns -1. */
static int fail(const char *what)
{
	fprintf(stderr, "ioload: %s: %s\n", what, strerror(errno));
	return -1;
}

static int parse_count(const char *text, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || end == text || *end || v == 0 || v > (1ULL << 40)) {
		fprintf(stderr, "ioload: \"%s\": want a positive count\n", text);
		return -1;
	}
	*out = v;
	return 0;
}

/* An O_DIRECT buffer must be aligned to the device's logical block. */
static void *aligned_buffer(size_t bytes)
{
	void *p = NULL;
	if (posix_memalign(&p, BLOCK_BYTES, bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	memset(p, 0xa5, bytes);
	return p;
}

static int open_direct(const char *path, uint64_t *blocks)
{
	int fd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0)
		return fail(path);
	off_t end = lseek(fd, 0, SEEK_END);
	if (end < (off_t)BLOCK_BYTES) {
		close(fd);
		errno = end < 0 ? errno : EINVAL;
		return fail("size of the device");
	}
	*blocks = (uint64_t)end / BLOCK_BYTES;
	return fd;
}

static int read_block(int fd, void *buf, uint64_t block)
{
	ssize_t got = pread(fd, buf, BLOCK_BYTES, (off_t)(block * BLOCK_BYTES));
	if (got == (ssize_t)BLOCK_BYTES)
		return 0;
	if (got >= 0)
		errno = EIO; /* a short O_DIRECT read inside the device */
	return fail("pread");
}

static void report(double start, uint64_t bytes)
{
	printf("%.6f %" PRIu64 "\n", now_seconds() - start, bytes);
}

static int do_read(const char *path)
{
	char *buf = aligned_buffer(CHUNK_BYTES);
	int fd = open(path, O_RDONLY);
	if (!buf || fd < 0)
		return fail(path);
	uint64_t total = 0;
	double start = now_seconds();
	ssize_t got;
	while ((got = read(fd, buf, CHUNK_BYTES)) > 0)
		total += (uint64_t)got;
	if (got < 0)
		return fail("read");
	report(start, total);
	close(fd);
	free(buf);
	return 0;
}

static int do_direct(const char *path, uint64_t count)
{
	uint64_t blocks;
	void *buf = aligned_buffer(BLOCK_BYTES);
	int fd = open_direct(path, &blocks);
	if (!buf || fd < 0)
		return -1;
	double start = now_seconds();
	for (uint64_t i = 0; i < count; i++)
		if (read_block(fd, buf, i % blocks))
			return -1;
	report(start, count * BLOCK_BYTES);
	close(fd);
	free(buf);
	return 0;
}

/* A fixed sequence per reader, so both VMMs read the same blocks. */
static uint64_t next_random(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return *state >> 33;
}

/* One reader process; returns its exit status. */
static int random_reader(const char *path, unsigned reader, uint64_t count)
{
	uint64_t blocks, state = 0x9e3779b97f4a7c15ULL * (reader + 1u);
	void *buf = aligned_buffer(BLOCK_BYTES);
	int fd = open_direct(path, &blocks);
	if (!buf || fd < 0)
		return 1;
	for (uint64_t i = 0; i < count; i++)
		if (read_block(fd, buf, next_random(&state) % blocks))
			return 1;
	return 0;
}

/* Waits for n children; returns how many failed. */
static unsigned reap(unsigned n)
{
	unsigned failed = 0;
	for (unsigned i = 0; i < n; i++) {
		int status;
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	return failed;
}

static int do_random(const char *path, uint64_t readers, uint64_t count)
{
	if (readers > 64) {
		fprintf(stderr, "ioload: at most 64 readers\n");
		return -1;
	}
	fflush(stdout);
	double start = now_seconds();
	unsigned started = 0;
	for (; started < readers; started++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(random_reader(path, started, count));
		if (pid < 0)
			break;
	}
	unsigned failed = reap(started) + (unsigned)(readers - started);
	if (failed) {
		fprintf(stderr, "ioload: %u of %" PRIu64 " readers failed\n", failed, readers);
		return -1;
	}
	report(start, readers * count * BLOCK_BYTES);
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t put = write(fd, buf, len);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return fail("write");
		buf += put;
		len -= (size_t)put;
	}
	return 0;
}

static int do_write(const char *path, uint64_t mib)
{
	char *buf = aligned_buffer(CHUNK_BYTES);
	int fd = open(path, O_WRONLY);
	if (!buf || fd < 0)
		return fail(path);
	double start = now_seconds();
	for (uint64_t i = 0; i < mib; i++)
		if (write_all(fd, buf, CHUNK_BYTES))
			return -1;
	if (fsync(fd))
		return fail("fsync");
	report(start, mib * CHUNK_BYTES);
	close(fd);
	free(buf);
	return 0;
}

static int parse_address(const char *addr, const char *port, struct sockaddr_in *sa)
{
	uint64_t p;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1) {
		fprintf(stderr, "ioload: \"%s\": want an IPv4 address\n", addr);
		return -1;
	}
	if (parse_count(port, &p) || p > 65535) {
		fprintf(stderr, "ioload: \"%s\": want a port\n", port);
		return -1;
	}
	sa->sin_port = htons((uint16_t)p);
	return 0;
}

/* Reads exactly len bytes; 0 when they came, -1 on EOF or an error. */
static int read_exact(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t got = read(fd, p, len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			errno = got ? errno : EPIPE;
			return fail("read");
		}
		p += got;
		len -= (size_t)got;
	}
	return 0;
}

/* The receiver's reply, the byte count it read before our end-of-file,
 * says that every byte arrived: the time covers the whole transfer, not
 * just filling the socket buffers. */
static int do_send(const char *addr, const char *port, uint64_t mib)
{
	struct sockaddr_in sa;
	char *buf = aligned_buffer(CHUNK_BYTES);
	if (!buf || parse_address(addr, port, &sa))
		return -1;
	double start = now_seconds();
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return fail("connect");
	for (uint64_t i = 0; i < mib; i++)
		if (write_all(fd, buf, CHUNK_BYTES))
			return -1;
	uint64_t echoed;
	if (shutdown(fd, SHUT_WR) || read_exact(fd, &echoed, sizeof(echoed)))
		return fail("the receiver's byte count");
	if (echoed != mib * CHUNK_BYTES) {
		fprintf(stderr, "ioload: the receiver got %" PRIu64 " of %" PRIu64 " bytes\n",
			echoed, mib * CHUNK_BYTES);
		return -1;
	}
	report(start, echoed);
	close(fd);
	free(buf);
	return 0;
}

/* Counts one connection's bytes up to its end-of-file and sends the count
 * back (host byte order: both ends are this program on x86). */
static void sink_one(int conn, char *buf)
{
	uint64_t total = 0;
	ssize_t got;
	while ((got = read(conn, buf, CHUNK_BYTES)) > 0)
		total += (uint64_t)got;
	if (got < 0)
		fail("sink: read");
	else
		write_all(conn, (const char *)&total, sizeof(total));
	close(conn);
}

static int do_sink(const char *port)
{
	struct sockaddr_in sa;
	char *buf = aligned_buffer(CHUNK_BYTES);
	if (!buf || parse_address("127.0.0.1", port, &sa))
		return -1;
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4))
		return fail("sink: listen");
	for (;;) {
		int conn = accept(fd, NULL, NULL);
		if (conn >= 0)
			sink_one(conn, buf);
		else if (errno != EINTR && errno != ECONNABORTED)
			return fail("sink: accept");
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: ioload read PATH | direct PATH COUNT | random PATH READERS COUNT\n"
			"       | write PATH MIB | send ADDR PORT MIB | sink PORT\n");
	return 2;
}

static int run(int argc, char **argv)
{
	const char *mode = argv[1];
	uint64_t a, b;
	if (!strcmp(mode, "read") && argc == 3)
		return do_read(argv[2]);
	if (!strcmp(mode, "direct") && argc == 4)
		return parse_count(argv[3], &a) ? -1 : do_direct(argv[2], a);
	if (!strcmp(mode, "random") && argc == 5)
		return parse_count(argv[3], &a) || parse_count(argv[4], &b) ? -1
									: do_random(argv[2], a, b);
	if (!strcmp(mode, "write") && argc == 4)
		return parse_count(argv[3], &a) ? -1 : do_write(argv[2], a);
	if (!strcmp(mode, "send") && argc == 5)
		return parse_count(argv[4], &a) ? -1 : do_send(argv[2], argv[3], a);
	if (!strcmp(mode, "sink") && argc == 3)
		return do_sink(argv[2]);
	return -2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	int r = run(argc, argv);
	if (r == -2)
		return usage();
	return r ? 1 : 0;
}
