/* vmboot --seccomp on real KVM: the hello guest runs and vmboot exits 0;
 * while the ticker guest runs, every thread has no_new_privs, the main
 * thread and the vCPU thread (the one found in KVM_RUN) are in seccomp
 * filter mode, and a SIGTERM still ends the VM cleanly through the
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmboot_child.h"

static char hello[600], ticker[600], out_path[64];

/* vmboot run --seccomp on kernel, stdout into out_path; returns the pid. */
static pid_t start_seccomp_vm(const char *kernel, const char *name)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0)
			_exit(120);
		execlp(vmboot, vmboot, "run", "--kernel", kernel, "--name", name, "--mem", "64",
		       "--cpus", "1", "--seccomp", (char *)NULL);
		_exit(121);
	}
	return pid;
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

static void threads_are_confined_while_running(void **state)
{
	(void)state;
	char name[32];
	snprintf(name, sizeof(name), "seccomp-t%d", (int)getpid());
	pid_t pid = start_seccomp_vm(ticker, name);
	/* The first tick: the vCPU runs and every filter is in. */
	bool ticking = false;
	for (int i = 0; i < 100 && !ticking; i++) {
		ticking = file_has(out_path, "tick ");
		if (!ticking)
			usleep(100000);
	}
	char dir_path[64], status_path[384];
	snprintf(dir_path, sizeof(dir_path), "/proc/%d/task", (int)pid);
	DIR *dir = opendir(dir_path);
	unsigned threads = 0, confined = 0, vcpus = 0;
	bool main_confined = false;
	struct dirent *de;
	while (ticking && dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		threads++;
		snprintf(status_path, sizeof(status_path), "%s/%s/status", dir_path, de->d_name);
		if (!file_has(status_path, "NoNewPrivs:\t1\n"))
			fail_msg("thread %s: NoNewPrivs is not 1", de->d_name);
		bool filtered = file_has(status_path, "Seccomp:\t2\n");
		confined += filtered;
		if (atoi(de->d_name) == (int)pid)
			main_confined = filtered;
		if (in_kvm_run(pid, de->d_name)) {
			vcpus++;
			if (!filtered)
				fail_msg("vCPU thread %s: Seccomp is not 2", de->d_name);
		}
	}
	if (dir)
		closedir(dir);
	kill(pid, SIGTERM);
	int status = wait_exit_status(pid);
	print_message("%u threads, %u in seccomp filter mode, %u vCPU\n", threads, confined,
		      vcpus);
	assert_true(ticking);
	assert_true(main_confined);
	assert_int_equal(vcpus, 1);
	/* SIGTERM ends a run with 128 + 15 (vmboot(1), EXIT STATUS). */
	assert_int_equal(status, 128 + SIGTERM);
}

/* Under AddressSanitizer vmboot's exit runs LeakSanitizer's check, which
 * stops the world with clone and ptrace: a filtered vmboot dies of that
 * at its very end. tests/sandbox/test_sandbox covers the filters there. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

int main(void)
{
#ifdef UNDER_ASAN
	puts("SKIP: a filtered vmboot cannot exit under LeakSanitizer (ptrace at exit)");
	return 77;
#endif
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
