/* bootbench: boots a tiny guest in two VMMs, side by side, and compares
 * what each run costs.
 *
 * Usage: bootbench RUNS GUEST_MIB EXPECT NAME1 CMD1 NAME2 CMD2 [NAME CMD]...
 *   CMD is one string split at spaces (no quoting). Each VMM must put the
 *   guest's serial output, and nothing else, on its stdout, and exit 0
 *   when the guest resets. EXPECT is that output without its final line
 *   end (checked on every run). Further NAME CMD pairs are baselines
 *   (e.g. `vmboot --version`: exec, dynamic linking, exit; or a variant
 *   of the first, such as vmboot without its seccomp filters) timed the
 *   same way, with only their exit status checked, and NAME1's CPU time
 *   over theirs.
 *   Ratios are NAME1 / NAME2.
 *
 * Timed runs (interleaved, after one untimed warm-up run of each):
 *   first  exec -> first byte on the stdout pipe. The guest's first port
 *          access is its first serial byte, so this is exec -> first port
 *          write, plus the VMM's write(2) and our wake-up.
 *   exit   exec -> wait4() returns.
 *   cpu    user + system time of the whole process (wait4 rusage; KVM
 *          counts time in the guest as the vCPU thread's user time).
 *   maxrss peak resident set (wait4 rusage), which includes guest RAM the
 *          guest or the VMM touched.
 * Memory runs (separate, so they do not disturb the timings): stdout is a
 *   pipe of one page, filled but for one byte, so the first guest byte
 *   arrives and the second cannot be written: the guest is held at its
 *   second serial write. Then /proc/PID/smaps gives the resident size of
 *   the guest RAM mapping (the writable mapping at least GUEST_MIB large);
 *   the guest touches no memory after its first byte.
 *   overhead = max(median maxrss, median RSS at first output) - median
 *   guest RAM resident. Why the max: ru_maxrss can read below what
 *   /proc showed while the process lived (the kernel folds per-thread
 *   RSS counts into the peak only now and then, and KVM faults guest RAM
 *   in from the vCPU thread), so either alone may undercount.
 *
 * Paired: runs alternate (NAME1, NAME2, ... then again), so when every run
 *   worked the CPU ratio is also taken run by run, NAME1's i-th over
 *   NAME2's i-th: their median, with a distribution-free 95% interval
 *   (the order statistics a sign test puts around a median), drifts of
 *   the machine over the whole run cancelling out.
 * Env: BOOTBENCH_MAX_CPU_RATIO, the goal for NAME1's CPU over NAME2's
 *   (default 0.10: vmboot against QEMU; 1.05 for vmboot against itself
 *   without its seccomp filters). BOOTBENCH_PAIRS=1: also print each
 *   pair's CPU times, "pair NAME1_MS NAME2_MS", one line a run, for a
 *   caller that pools the pairs of several benches (bench/boot/run).
 *
 * Exit status: 0 when every run booted and printed EXPECT, 1 otherwise,
 * 2 on usage errors. Whether the goals are met is printed, not returned:
 * on a nested, emulated CPU absolute times say little. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 64
#define MAX_RUNS 1000
#define OUT_MAX 256
/* A VMM that has not printed within this long is stuck. */
#define FIRST_TIMEOUT_MS 60000
#define MEM_RUNS 3

#define MAX_VMMS 6

struct vmm {
	const char *name;
	int baseline; /* no guest: output not checked, no memory runs */
	char *argv[MAX_ARGS + 1];
	double first_ms[MAX_RUNS];
	double exit_ms[MAX_RUNS];
	double cpu_ms[MAX_RUNS];
	double sys_ms[MAX_RUNS];
	double maxrss_kib[MAX_RUNS];
	double guest_kib[MEM_RUNS];
	double total_kib[MEM_RUNS];
	int n_ok;
	int n_mem;
	int failures;
};

struct bench {
	int runs;
	uint64_t guest_bytes;
	const char *expect;
	double max_cpu_ratio; /* the goal for NAME1's CPU over NAME2's */
	/* Shared with the child: the time just before execve(). */
	struct timespec *exec_ts;
};

static double ts_ms(const struct timespec *t)
{
	return (double)t->tv_sec * 1e3 + (double)t->tv_nsec / 1e6;
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return ts_ms(&t);
}

static double tv_ms(const struct timeval *t)
{
	return (double)t->tv_sec * 1e3 + (double)t->tv_usec / 1e3;
}

static int split_cmd(struct vmm *v, char *cmd)
{
	int n = 0;
	for (char *tok = strtok(cmd, " "); tok; tok = strtok(NULL, " ")) {
		if (n == MAX_ARGS)
			return -E2BIG;
		v->argv[n++] = tok;
	}
	v->argv[n] = NULL;
	return n ? 0 : -EINVAL;
}

/* In the child: stdin and stderr to /dev/null, stdout to out_fd, then
 * exec. Only async-signal-safe calls: we may be a fork of a process
 * with other state. */
static void child_exec(const struct bench *b, const struct vmm *v, int out_fd)
{
	int null = open("/dev/null", O_RDWR);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 2) < 0 || dup2(out_fd, 1) < 0)
		_exit(126);
	clock_gettime(CLOCK_MONOTONIC, b->exec_ts);
	execvp(v->argv[0], v->argv);
	_exit(127);
}

/* Reads the child's output until EOF into out (NUL-terminated, cut at
 * OUT_MAX - 1 bytes). first_ms gets the time the first byte arrived.
 * Returns 0, or -ETIMEDOUT if nothing came within FIRST_TIMEOUT_MS. */
static int read_output(int fd, char *out, double *first_ms)
{
	size_t len = 0;
	int timeout = FIRST_TIMEOUT_MS;
	*first_ms = -1;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int rc = poll(&p, 1, timeout);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return rc ? -errno : -ETIMEDOUT;
		char buf[4096];
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (*first_ms < 0) {
			*first_ms = now_ms();
			timeout = -1;
		}
		size_t take = (size_t)n;
		if (take > OUT_MAX - 1 - len)
			take = OUT_MAX - 1 - len;
		memcpy(out + len, buf, take);
		len += take;
	}
	out[len] = '\0';
	return 0;
}

static int check_status(const struct vmm *v, int status, const char *out,
			const char *expect)
{
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bootbench: %s: %s %d\n", v->name,
			WIFEXITED(status) ? "exit status" : "killed by signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -1;
	}
	if (!expect)
		return 0;
	size_t len = strlen(out);
	while (len && (out[len - 1] == '\n' || out[len - 1] == '\r'))
		len--;
	if (strlen(expect) != len || memcmp(out, expect, len) != 0) {
		fprintf(stderr, "bootbench: %s: guest output \"%s\", expected \"%s\"\n",
			v->name, out, expect);
		return -1;
	}
	return 0;
}

/* One timed run. record = 0 for the warm-up. */
static int timed_run(const struct bench *b, struct vmm *v, int record)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(p[0]);
		close(p[1]);
		return e;
	}
	if (pid == 0)
		child_exec(b, v, p[1]);
	close(p[1]);

	char out[OUT_MAX];
	double first;
	int rc = read_output(p[0], out, &first);
	close(p[0]);
	if (rc < 0)
		kill(pid, SIGKILL);
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return -errno;
	double end = now_ms();
	if (rc < 0) {
		fprintf(stderr, "bootbench: %s: no output within %d ms\n", v->name,
			FIRST_TIMEOUT_MS);
		return rc;
	}
	if (check_status(v, status, out, v->baseline ? NULL : b->expect) < 0)
		return -EIO;
	if (record) {
		double start = ts_ms(b->exec_ts);
		int i = v->n_ok++;
		v->first_ms[i] = first - start;
		v->exit_ms[i] = end - start;
		v->cpu_ms[i] = tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime);
		v->sys_ms[i] = tv_ms(&ru.ru_stime);
		v->maxrss_kib[i] = (double)ru.ru_maxrss;
	}
	return 0;
}

/* Sums Rss over all mappings (total) and over writable mappings of at
 * least guest_bytes (the guest RAM). */
static int read_smaps(pid_t pid, uint64_t guest_bytes, double *guest_kib, double *total_kib)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	int in_guest = 0;
	unsigned long long kib;
	*guest_kib = *total_kib = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		char perms[8];
		if (sscanf(line, "%llx-%llx %7s", &lo, &hi, perms) == 3) {
			in_guest = hi - lo >= guest_bytes && perms[1] == 'w';
		} else if (sscanf(line, "Rss: %llu kB", &kib) == 1) {
			*total_kib += (double)kib;
			if (in_guest)
				*guest_kib += (double)kib;
		}
	}
	fclose(f);
	return *total_kib > 0 ? 0 : -ENODATA;
}

/* A pipe of one page holding PIPE_PAGE - 1 bytes: it takes one more
 * byte, then a write blocks (or fails with EAGAIN if the VMM made its
 * stdout non-blocking, as QEMU does). The write end is made blocking
 * again before the child inherits it. */
#define PIPE_PAGE 4096
static int make_nearly_full_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	int rc = 0;
	char fill[PIPE_PAGE - 1];
	memset(fill, '#', sizeof(fill));
	if (fcntl(p[1], F_SETPIPE_SZ, PIPE_PAGE) != PIPE_PAGE)
		rc = errno ? -errno : -EINVAL;
	else if (write(p[1], fill, sizeof(fill)) != (ssize_t)sizeof(fill))
		rc = -EIO;
	if (rc < 0) {
		close(p[0]);
		close(p[1]);
	}
	return rc;
}

static int memory_run(const struct bench *b, struct vmm *v)
{
	int p[2];
	int rc = make_nearly_full_pipe(p);
	if (rc < 0)
		return rc;
	pid_t pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(p[0]);
		close(p[1]);
		return rc;
	}
	if (pid == 0)
		child_exec(b, v, p[1]);
	close(p[1]);

	double guest = 0, total = 0, deadline = now_ms() + FIRST_TIMEOUT_MS;
	rc = -ETIMEDOUT;
	while (now_ms() < deadline) {
		int queued = 0;
		if (ioctl(p[0], FIONREAD, &queued) == 0 && queued >= PIPE_PAGE) {
			rc = read_smaps(pid, b->guest_bytes, &guest, &total);
			break;
		}
		if (waitpid(pid, NULL, WNOHANG | __WALL) == pid) {
			pid = -1;
			rc = -ECHILD;
			break;
		}
		usleep(200);
	}
	if (pid > 0) {
		/* Drain the filler and the guest output so the VMM can finish. */
		char buf[4096];
		if (rc < 0)
			kill(pid, SIGKILL);
		while (read(p[0], buf, sizeof(buf)) > 0)
			;
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	close(p[0]);
	if (rc < 0) {
		fprintf(stderr, "bootbench: %s: memory run: %s\n", v->name, strerror(-rc));
		return rc;
	}
	v->guest_kib[v->n_mem] = guest;
	v->total_kib[v->n_mem] = total;
	v->n_mem++;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *xs, int n)
{
	if (n == 0)
		return 0;
	qsort(xs, (size_t)n, sizeof(*xs), cmp_double);
	return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

/* The median of NAME1's run-by-run CPU over NAME2's, and the 95% interval
 * around it: the k-th smallest and largest ratios, k = (n - 1.96 sqrt n) / 2
 * (a sign test's normal approximation). False without a full pairing. */
static bool paired_cpu_ratio(const struct bench *b, const struct vmm *v, double *mid, double *lo,
			     double *hi)
{
	int n = b->runs;
	if (v[0].n_ok != n || v[1].n_ok != n || n < 6)
		return false;
	double ratios[MAX_RUNS];
	for (int i = 0; i < n; i++)
		ratios[i] = v[1].cpu_ms[i] > 0 ? v[0].cpu_ms[i] / v[1].cpu_ms[i] : 0;
	*mid = median(ratios, n);
	/* The largest k with n - 2k >= 1.96 sqrt(n), squared: no libm. */
	int k = 1;
	while (n - 2 * (k + 1) >= 0 &&
	       (double)(n - 2 * (k + 1)) * (n - 2 * (k + 1)) >= 1.96 * 1.96 * n)
		k++;
	*lo = ratios[k - 1];
	*hi = ratios[n - k];
	return true;
}

static void row(const char *what, const char *unit, double a, double b)
{
	printf("%-30s %12.3f %12.3f  %-4s %7.3f\n", what, a, b, unit, b > 0 ? a / b : 0);
}

static void report_baselines(struct vmm *v, int n)
{
	double cpu0 = median(v[0].cpu_ms, v[0].n_ok);
	printf("baselines (process start or a variant; %s's CPU / theirs):\n", v[0].name);
	for (int i = 2; i < n; i++) {
		double exit_ = median(v[i].exit_ms, v[i].n_ok);
		double cpu = median(v[i].cpu_ms, v[i].n_ok);
		double rss = median(v[i].maxrss_kib, v[i].n_ok) / 1024;
		printf("  %-28s exec -> exit %9.3f ms, CPU %9.3f ms (%.3f), peak RSS %7.3f MiB\n",
		       v[i].name, exit_, cpu, cpu > 0 ? cpu0 / cpu : 0, rss);
	}
}

static void report(const struct bench *b, struct vmm *v)
{
	double first[2], exit_[2], cpu[2], sys[2], rss[2], guest[2], total[2], over[2];
	/* Before the medians below sort the runs out of their order. */
	double pair_mid, pair_lo, pair_hi;
	bool paired = paired_cpu_ratio(b, v, &pair_mid, &pair_lo, &pair_hi);
	for (int i = 0; i < 2; i++) {
		first[i] = median(v[i].first_ms, v[i].n_ok);
		exit_[i] = median(v[i].exit_ms, v[i].n_ok);
		cpu[i] = median(v[i].cpu_ms, v[i].n_ok);
		sys[i] = median(v[i].sys_ms, v[i].n_ok);
		rss[i] = median(v[i].maxrss_kib, v[i].n_ok) / 1024;
		guest[i] = median(v[i].guest_kib, v[i].n_mem) / 1024;
		total[i] = median(v[i].total_kib, v[i].n_mem) / 1024;
		over[i] = (rss[i] > total[i] ? rss[i] : total[i]) - guest[i];
	}
	printf("medians of %d timed runs each (plus 1 warm-up), %d memory runs; "
	       "guest RAM %" PRIu64 " MiB\n",
	       b->runs, MEM_RUNS, b->guest_bytes >> 20);
	printf("%-30s %12s %12s  %-4s %7s\n", "", v[0].name, v[1].name, "", "ratio");
	row("exec -> first port write", "ms", first[0], first[1]);
	row("exec -> exit", "ms", exit_[0], exit_[1]);
	row("CPU time, user+sys", "ms", cpu[0], cpu[1]);
	row("  of which sys", "ms", sys[0], sys[1]);
	row("peak RSS", "MiB", rss[0], rss[1]);
	row("RSS at first output", "MiB", total[0], total[1]);
	row("guest RAM resident", "MiB", guest[0], guest[1]);
	row("RSS overhead (max - guest)", "MiB", over[0], over[1]);
	double ratio = cpu[1] > 0 ? cpu[0] / cpu[1] : 0;
	printf("goal: %s CPU <= %.2f x %s CPU: %s (%.3f)\n", v[0].name, b->max_cpu_ratio,
	       v[1].name, ratio <= b->max_cpu_ratio ? "met" : "NOT met", ratio);
	if (paired)
		printf("paired, run by run: CPU ratio median %.3f, 95%% interval %.3f to %.3f: "
		       "goal %s\n",
		       pair_mid, pair_lo, pair_hi, pair_mid <= b->max_cpu_ratio ? "met" : "NOT met");
	printf("goal: %s CPU < 2 ms: %s (%.3f ms; nesting and KVM-PVM inflate it)\n", v[0].name,
	       cpu[0] < 2 ? "met" : "NOT met", cpu[0]);
	printf("goal: %s RSS overhead < 3 MiB: %s (%.3f MiB)\n", v[0].name,
	       over[0] < 3 ? "met" : "NOT met", over[0]);
}

int main(int argc, char **argv)
{
	int n = (argc - 4) / 2;
	if (argc < 8 || argc % 2 || n > MAX_VMMS) {
		fprintf(stderr, "usage: bootbench RUNS GUEST_MIB EXPECT NAME1 CMD1 NAME2 CMD2 "
				"[NAME CMD]... (at most %d)\n", MAX_VMMS);
		return 2;
	}
	const char *max_ratio = getenv("BOOTBENCH_MAX_CPU_RATIO");
	struct bench b = { .expect = argv[3], .max_cpu_ratio = max_ratio ? atof(max_ratio) : 0.10 };
	char *end;
	long runs = strtol(argv[1], &end, 10);
	long mib = strtol(argv[2], NULL, 10);
	if (*end || runs < 1 || runs > MAX_RUNS || mib < 1) {
		fprintf(stderr, "bootbench: RUNS must be 1..%d and GUEST_MIB positive\n", MAX_RUNS);
		return 2;
	}
	b.runs = (int)runs;
	b.guest_bytes = (uint64_t)mib << 20;

	static struct vmm v[MAX_VMMS];
	for (int i = 0; i < n; i++) {
		v[i].name = argv[4 + 2 * i];
		v[i].baseline = i >= 2;
		if (split_cmd(&v[i], argv[5 + 2 * i]) < 0) {
			fprintf(stderr, "bootbench: %s: bad command\n", v[i].name);
			return 2;
		}
	}
	b.exec_ts = mmap(NULL, sizeof(*b.exec_ts), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (b.exec_ts == MAP_FAILED) {
		perror("bootbench: mmap");
		return 1;
	}

	for (int i = 0; i < n; i++)
		if (timed_run(&b, &v[i], 0) < 0)
			v[i].failures++;
	for (int r = 0; r < b.runs; r++)
		for (int i = 0; i < n; i++)
			if (timed_run(&b, &v[i], 1) < 0)
				v[i].failures++;
	for (int r = 0; r < MEM_RUNS; r++)
		for (int i = 0; i < 2; i++)
			if (memory_run(&b, &v[i]) < 0)
				v[i].failures++;

	const char *pairs = getenv("BOOTBENCH_PAIRS");
	if (pairs && !strcmp(pairs, "1") && v[0].n_ok == b.runs && v[1].n_ok == b.runs)
		for (int r = 0; r < b.runs; r++)
			printf("pair %.4f %.4f\n", v[0].cpu_ms[r], v[1].cpu_ms[r]);
	report(&b, v);
	if (n > 2)
		report_baselines(v, n);
	/* A child's peak RSS (wait4) is at least what it inherited by fork
	 * before its execve (fs/exec.c keeps the old mm's high-water mark). */
	struct rusage self;
	if (getrusage(RUSAGE_SELF, &self) == 0)
		printf("driver's own peak RSS %.3f MiB: a floor under every peak RSS above\n",
		       (double)self.ru_maxrss / 1024);
	int failures = 0;
	for (int i = 0; i < n; i++) {
		if (v[i].failures)
			printf("FAILED: %s: %d of %d runs\n", v[i].name, v[i].failures,
			       b.runs + 1 + (v[i].baseline ? 0 : MEM_RUNS));
		failures += v[i].failures;
	}
	return failures ? 1 : 0;
}
