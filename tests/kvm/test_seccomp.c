/* The seccomp filters on real KVM (on by default): the hello guest runs
 * and vmboot exits 0; while the ticker guest runs with a user-mode NIC, a
 * 9P share and console input, every thread of vmboot (main, vCPU,
 * control, doorbells, the NIC's I/O, the console reader) and the
 * vmboot-net helper have no_new_privs and are in seccomp filter mode, the
 * helper has no capability and vmboot keeps only the share's file access
 * (run as root), and a SIGTERM still ends the VM cleanly through the
 * teardown under the filters. Skips (77) without /dev/kvm. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox/sandbox.h"
#include "vmboot_child.h"

static char hello[600], ticker[600], out_path[64];

/* vmboot run on kernel (the filters are on by default), stdout into
 * out_path, stdin from *in_fd (the test's end of a pipe, kept open so the
 * console reader runs; NULL: /dev/null), with extra arguments (NULL
 * ended); returns the pid. */
static pid_t start_vm_args(const char *kernel, const char *name, int *in_fd, ...)
{
	const char *argv[32] = { vmboot, "run", "--kernel", kernel, "--name", name,
				 "--mem", "64", "--cpus", "1" };
	size_t n = 10;
	va_list ap;
	va_start(ap, in_fd);
	for (const char *a; n < 31 && (a = va_arg(ap, const char *));)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	int pipe_fds[2] = { -1, -1 };
	if (in_fd)
		assert_int_equal(pipe2(pipe_fds, O_CLOEXEC), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int in = in_fd ? pipe_fds[0] : open("/dev/null", O_RDONLY);
		int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0)
			_exit(120);
		execvp(vmboot, (char *const *)(uintptr_t)argv);
		_exit(121);
	}
	if (in_fd) {
		close(pipe_fds[0]);
		*in_fd = pipe_fds[1];
	}
	return pid;
}

static pid_t start_seccomp_vm(const char *kernel, const char *name)
{
	return start_vm_args(kernel, name, NULL, (const char *)NULL);
}

static int wait_exit_status(pid_t pid)
{
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("vmboot died of signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static bool file_has(const char *path, const char *needle)
{
	char buf[8192];
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static void hello_runs_and_exits_0(void **state)
{
	(void)state;
	char name[32];
	snprintf(name, sizeof(name), "seccomp-h%d", (int)getpid());
	pid_t pid = start_seccomp_vm(hello, name);
	assert_int_equal(wait_exit_status(pid), 0);
	assert_true(file_has(out_path, "hello from guest"));
}

/* True when the task is seen in ioctl(fd, KVM_RUN) (syscall 16, request
 * 0xae80) in one of a few looks. */
static bool in_kvm_run(pid_t pid, const char *tid)
{
	char path[320], line[256];
	snprintf(path, sizeof(path), "/proc/%d/task/%s/syscall", (int)pid, tid);
	for (int look = 0; look < 200; look++) {
		FILE *f = fopen(path, "r");
		if (!f)
			return false;
		bool hit = fgets(line, sizeof(line), f) && !strncmp(line, "16 ", 3) &&
			   strstr(line, " 0xae80 ");
		fclose(f);
		if (hit)
			return true;
		usleep(1000);
	}
	return false;
}

/* The status line "Key:\tvalue" of a /proc status file into val. */
static bool status_field(const char *path, const char *key, char *val, size_t size)
{
	char line[256];
	size_t klen = strlen(key);
	FILE *f = fopen(path, "r");
	bool found = false;
	while (f && !found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		snprintf(val, size, "%s", line + klen + 1 + strspn(line + klen + 1, " \t"));
		val[strcspn(val, "\n")] = '\0';
		found = true;
	}
	if (f)
		fclose(f);
	return found;
}

static void assert_status(const char *path, const char *who, const char *key, const char *want)
{
	char val[128];
	if (!status_field(path, key, val, sizeof(val)))
		fail_msg("%s: no %s in %s", who, key, path);
	if (strcmp(val, want))
		fail_msg("%s: %s is %s, not %s", who, key, val, want);
}

struct confinement {
	unsigned threads, vcpus;
};

/* Every thread of pid: no_new_privs, a seccomp filter, exactly caps. */
static struct confinement check_threads(pid_t pid, const char *caps)
{
	char dir_path[64], status_path[384], who[300];
	snprintf(dir_path, sizeof(dir_path), "/proc/%d/task", (int)pid);
	DIR *dir = opendir(dir_path);
	assert_non_null(dir);
	struct confinement c = { 0 };
	for (struct dirent *de; (de = readdir(dir));) {
		if (de->d_name[0] == '.')
			continue;
		c.threads++;
		snprintf(status_path, sizeof(status_path), "%s/%s/status", dir_path, de->d_name);
		snprintf(who, sizeof(who), "vmboot thread %s", de->d_name);
		assert_status(status_path, who, "NoNewPrivs", "1");
		assert_status(status_path, who, "Seccomp", "2");
		if (caps)
			assert_status(status_path, who, "CapEff", caps);
		c.vcpus += in_kvm_run(pid, de->d_name);
	}
	closedir(dir);
	return c;
}

/* The vmboot-net child of pid: confined, and not one capability. */
static bool check_helper(pid_t pid)
{
	char path[96], children[256];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(children, 1, sizeof(children) - 1, f) : 0;
	if (f)
		fclose(f);
	children[n] = '\0';
	int helper = atoi(children);
	if (helper <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/status", helper);
	assert_status(path, "vmboot-net", "NoNewPrivs", "1");
	assert_status(path, "vmboot-net", "Seccomp", "2");
	assert_status(path, "vmboot-net", "CapEff", "0000000000000000");
	return true;
}

static void threads_are_confined_while_running(void **state)
{
	(void)state;
	char name[32], share[64];
	snprintf(name, sizeof(name), "seccomp-t%d", (int)getpid());
	snprintf(share, sizeof(share), "/tmp/vb-seccomp-share-%d", (int)getpid());
	assert_int_equal(mkdir(share, 0700), 0);
	char share_arg[96];
	snprintf(share_arg, sizeof(share_arg), "%s,ro", share);
	int in_fd;
	pid_t pid = start_vm_args(ticker, name, &in_fd, "--network", "user", "--disk", share_arg,
				  (const char *)NULL);
	/* The first tick: the vCPU runs and every filter is in. */
	bool ticking = false;
	for (int i = 0; i < 100 && !ticking; i++) {
		ticking = file_has(out_path, "tick ");
		if (!ticking)
			usleep(100000);
	}
	if (!ticking) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("the ticker guest did not tick");
	}
	/* As root, vmboot keeps root's file access for the share alone:
	 * CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER. */
	struct confinement c = check_threads(pid, geteuid() == 0 ? "000000000000000e" : NULL);
	bool helper = check_helper(pid);
	close(in_fd);
	kill(pid, SIGTERM);
	int status = wait_exit_status(pid);
	rmdir(share);
	print_message("%u threads, all in seccomp filter mode, %u vCPU\n", c.threads, c.vcpus);
	assert_true(helper);
	assert_int_equal(c.vcpus, 1);
	/* main, vCPU, control, doorbells, the NIC's I/O, console input */
	assert_true(c.threads >= 6);
	/* SIGTERM ends a run with 128 + 15 (vmboot(1), EXIT STATUS). */
	assert_int_equal(status, 128 + SIGTERM);
}

int main(void)
{
	if (!vb_sandbox_filters_for_vms()) {
		puts("SKIP: a sanitizer build loads no filter for a VM (sandbox.h)");
		return 77;
	}
	int skip = vmboot_child_init("hello.bin", hello, sizeof(hello));
	if (!skip)
		skip = vmboot_child_init("ticker.bin", ticker, sizeof(ticker));
	if (skip)
		return skip;
	snprintf(out_path, sizeof(out_path), "/tmp/vb-seccomp-%d.out", (int)getpid());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hello_runs_and_exits_0),
		cmocka_unit_test(threads_are_confined_while_running),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(out_path);
	return r;
}
