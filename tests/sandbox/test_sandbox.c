/* Each thread kind's seccomp filter (src/sandbox): in a child process, a
 * call the kind never makes kills the process with SIGSYS, and a call it
 * makes still works; ioctl is filtered by request number, kill by target
 * and signal; the debug mode names the forbidden call and exits 159; the
 * policy's switches; Landlock's file restriction. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/vhost.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox/sandbox.h"

/* What the child does once confined. */
enum probe { PROBE_WRITE, PROBE_EXECVE, PROBE_PTRACE, PROBE_SOCKET, PROBE_OPENAT,
	     PROBE_BAD_IOCTL, PROBE_KILL_INIT, PROBE_SETRESUID, PROBE_PREAD, PROBE_VHOST_IOCTL };

/* The child ends with exit_group itself: _exit goes through the
 * sanitizers' interceptor, whose leak check (ptrace, clone) a filter
 * forbids, and the child would die of that instead. */
__attribute__((noreturn)) static void child_exit(int status)
{
	syscall(SYS_exit_group, status);
	abort(); /* not reached */
}

/* The child's exit status when the call came back (forbidden or not). */
#define CAME_BACK 42
#define ENTER_FAILED 43

static void probe(enum probe p, int out_fd)
{
	char *const argv[] = { "/bin/true", NULL };
	switch (p) {
	case PROBE_WRITE:
		child_exit(write(out_fd, "ok", 2) == 2 ? 0 : 1);
	case PROBE_EXECVE:
		syscall(SYS_execve, "/bin/true", argv, NULL);
		break;
	case PROBE_PTRACE:
		syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
		break;
	case PROBE_SOCKET:
		syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
		break;
	case PROBE_OPENAT:
		syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
		break;
	case PROBE_BAD_IOCTL:
		/* A KVM request that is not KVM_RUN: on a pipe it would fail
		 * with ENOTTY, if the filter let it through at all. */
		syscall(SYS_ioctl, out_fd, KVM_CREATE_VM, 0);
		break;
	case PROBE_KILL_INIT:
		/* Signal 0 only checks: harmless if it came back. */
		syscall(SYS_kill, 1, 0);
		break;
	case PROBE_SETRESUID:
		/* -1s change nothing: what the filter allows is the point. */
		syscall(SYS_setresuid, -1, -1, -1);
		break;
	case PROBE_PREAD: {
		/* A disk's read: on a pipe it fails with ESPIPE. */
		char c;
		syscall(SYS_pread64, out_fd, &c, 1, 0);
		break;
	}
	case PROBE_VHOST_IOCTL:
		/* ENOTTY on a pipe. */
		syscall(SYS_ioctl, out_fd, VHOST_RESET_OWNER, 0);
		break;
	}
	child_exit(CAME_BACK);
}

/* Forks a child that enters kind's filter for needs and makes the probe;
 * returns its wait status. The pipe's read end gets what the child wrote
 * to out_fd (stderr too, with debug). */
static int run_child_for(enum vb_sandbox_kind kind, unsigned needs, enum probe p, bool debug,
			 char *out, size_t out_size)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		if (debug) {
			setenv("VMBOOT_SECCOMP_DEBUG", "1", 1);
			dup2(fds[1], STDERR_FILENO);
		} else {
			unsetenv("VMBOOT_SECCOMP_DEBUG");
		}
		struct vb_err err;
		if (vb_sandbox_no_new_privs(&err) < 0 || vb_sandbox_enter(kind, needs, &err) < 0)
			child_exit(ENTER_FAILED);
		probe(p, fds[1]);
	}
	close(fds[1]);
	size_t used = 0;
	ssize_t n;
	while (used + 1 < out_size && (n = read(fds[0], out + used, out_size - 1 - used)) > 0)
		used += (size_t)n;
	out[used] = '\0';
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* The programs for the machine with every device: the most a kind may. */
static int run_child(enum vb_sandbox_kind kind, enum probe p, bool debug, char *out,
		     size_t out_size)
{
	return run_child_for(kind, VB_SANDBOX_NEEDS_ALL, p, debug, out, out_size);
}

static void assert_killed_for(enum vb_sandbox_kind kind, unsigned needs, enum probe p)
{
	char out[256];
	int status = run_child_for(kind, needs, p, false, out, sizeof(out));
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS)
		fail_msg("%s filter, needs 0x%x, probe %d: want death by SIGSYS, got status 0x%x",
			 vb_sandbox_kind_name(kind), needs, (int)p, status);
}

static void assert_killed(enum vb_sandbox_kind kind, enum probe p)
{
	assert_killed_for(kind, VB_SANDBOX_NEEDS_ALL, p);
}

static void assert_came_back_for(enum vb_sandbox_kind kind, unsigned needs, enum probe p)
{
	char out[256];
	int status = run_child_for(kind, needs, p, false, out, sizeof(out));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != CAME_BACK)
		fail_msg("%s filter, needs 0x%x, probe %d: want the call back, got status 0x%x",
			 vb_sandbox_kind_name(kind), needs, (int)p, status);
}

static void assert_allowed_write(enum vb_sandbox_kind kind)
{
	char out[256];
	int status = run_child(kind, PROBE_WRITE, false, out, sizeof(out));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(out, "ok");
}

static const enum vb_sandbox_kind all_kinds[] = { VB_SANDBOX_MAIN, VB_SANDBOX_VCPU, VB_SANDBOX_IO,
						  VB_SANDBOX_NETD };

static void every_kind_writes_and_dies_of_ptrace_and_execve(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(all_kinds) / sizeof(all_kinds[0]); i++) {
		assert_allowed_write(all_kinds[i]);
		assert_killed(all_kinds[i], PROBE_PTRACE);
		assert_killed(all_kinds[i], PROBE_EXECVE);
	}
}

static void vcpu_makes_no_socket_and_no_other_kvm_ioctl(void **state)
{
	(void)state;
	assert_killed(VB_SANDBOX_VCPU, PROBE_SOCKET);
	assert_killed(VB_SANDBOX_VCPU, PROBE_BAD_IOCTL);
}

static void io_makes_no_socket(void **state)
{
	(void)state;
	assert_killed(VB_SANDBOX_IO, PROBE_SOCKET);
	assert_killed(VB_SANDBOX_IO, PROBE_BAD_IOCTL);
}

static void main_opens_no_file(void **state)
{
	(void)state;
	assert_killed(VB_SANDBOX_MAIN, PROBE_OPENAT);
	assert_killed(VB_SANDBOX_MAIN, PROBE_BAD_IOCTL);
}

/* A machine's devices pick what its vCPU and I/O threads may: without a
 * disk, NIC or share no file is read and no vhost device set up, without
 * a share no file opened. */
static void device_threads_get_only_what_the_devices_need(void **state)
{
	(void)state;
	static const enum vb_sandbox_kind device_kinds[] = { VB_SANDBOX_VCPU, VB_SANDBOX_IO };
	for (size_t i = 0; i < sizeof(device_kinds) / sizeof(device_kinds[0]); i++) {
		enum vb_sandbox_kind kind = device_kinds[i];
		assert_killed_for(kind, 0, PROBE_PREAD);
		assert_killed_for(kind, 0, PROBE_VHOST_IOCTL);
		assert_killed_for(kind, 0, PROBE_OPENAT);
		assert_came_back_for(kind, VB_SANDBOX_NEEDS_BACKENDS, PROBE_PREAD);
		assert_came_back_for(kind, VB_SANDBOX_NEEDS_BACKENDS, PROBE_VHOST_IOCTL);
		assert_killed_for(kind, VB_SANDBOX_NEEDS_BACKENDS, PROBE_OPENAT);
		assert_came_back_for(kind, VB_SANDBOX_NEEDS_ALL, PROBE_OPENAT);
	}
	assert_killed_for(VB_SANDBOX_MAIN, 0, PROBE_VHOST_IOCTL);
	assert_came_back_for(VB_SANDBOX_MAIN, VB_SANDBOX_NEEDS_BACKENDS, PROBE_VHOST_IOCTL);
}

static void netd_makes_no_kvm_ioctl(void **state)
{
	(void)state;
	assert_killed(VB_SANDBOX_NETD, PROBE_BAD_IOCTL);
}

static void debug_mode_names_the_call(void **state)
{
	(void)state;
	char out[512];
	int status = run_child(VB_SANDBOX_VCPU, PROBE_SOCKET, true, out, sizeof(out));
	print_message("%s", out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), VB_SANDBOX_DEBUG_EXIT);
	assert_non_null(strstr(out, "the vcpu thread made a forbidden system call: socket ("));
	assert_non_null(strstr(out, ") at 0x"));
}

/* The console reader's Ctrl-A x: SIGTERM to vmboot itself, and no other
 * signal to anyone. */
static void io_ends_vmboot_with_sigterm_only(void **state)
{
	(void)state;
	assert_killed(VB_SANDBOX_IO, PROBE_KILL_INIT);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vb_err err;
		signal(SIGTERM, SIG_DFL);
		if (vb_sandbox_no_new_privs(&err) < 0 || vb_sandbox_enter(VB_SANDBOX_IO, 0, &err) < 0)
			child_exit(ENTER_FAILED);
		syscall(SYS_kill, getpid(), SIGTERM);
		child_exit(CAME_BACK);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
}

/* Forks a child that confines itself as kind with policy, then probes. */
static int confine_child(enum vb_sandbox_kind kind, const struct vb_sandbox_policy *policy,
			 enum probe p)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vb_err err;
		unsetenv("VMBOOT_SECCOMP_DEBUG");
		if (vb_sandbox_no_new_privs(&err) < 0 || vb_sandbox_confine(kind, policy, &err) < 0)
			child_exit(ENTER_FAILED);
		probe(p, STDOUT_FILENO);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* A thread that confines itself before a user switch lets libc's setxid
 * broadcast through; after it (or without one) the call is forbidden. */
static void user_switch_ahead_allows_setresuid(void **state)
{
	(void)state;
	if (!vb_sandbox_filters_for_vms()) {
		print_message("a sanitizer build: vb_sandbox_confine loads no filter\n");
		return;
	}
	struct vb_sandbox_policy ahead = { .seccomp = true };
	atomic_store(&ahead.user_switch_ahead, true);
	int status = confine_child(VB_SANDBOX_IO, &ahead, PROBE_SETRESUID);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), CAME_BACK);
	struct vb_sandbox_policy done = { .seccomp = true };
	status = confine_child(VB_SANDBOX_IO, &done, PROBE_SETRESUID);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

/* seccomp = false loads no filter; a NULL policy changes nothing. */
static void confine_without_seccomp_loads_no_filter(void **state)
{
	(void)state;
	struct vb_sandbox_policy off = { .seccomp = false };
	int status = confine_child(VB_SANDBOX_VCPU, &off, PROBE_SOCKET);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), CAME_BACK);
	status = confine_child(VB_SANDBOX_VCPU, NULL, PROBE_SOCKET);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), CAME_BACK);
}

/* Landlock: after vb_sandbox_restrict_files, the one file named reads,
 * and nothing else opens or gets made. Exit codes tell which step went
 * wrong. */
static void restrict_files_leaves_only_the_named_file(void **state)
{
	(void)state;
	char allowed[64], made[80];
	snprintf(allowed, sizeof(allowed), "/tmp/vb-landlock-%d", (int)getpid());
	snprintf(made, sizeof(made), "%s.new", allowed);
	int fd = open(allowed, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vb_err err;
		const char *const readable[] = { allowed, "/nonexistent/skipped" };
		bool enforced;
		if (vb_sandbox_no_new_privs(&err) < 0 ||
		    vb_sandbox_restrict_files(readable, 2, &enforced, &err) < 0)
			child_exit(ENTER_FAILED);
		if (!enforced)
			child_exit(77);
		int ok = open(allowed, O_RDONLY);
		if (ok < 0)
			child_exit(1);
		if (open(allowed, O_WRONLY) >= 0 || errno != EACCES)
			child_exit(2);
		if (open("/etc/passwd", O_RDONLY) >= 0 || errno != EACCES)
			child_exit(3);
		if (open(made, O_WRONLY | O_CREAT, 0600) >= 0 || errno != EACCES)
			child_exit(4);
		child_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(allowed);
	unlink(made);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		print_message("Landlock is not available here: nothing enforced\n");
		return;
	}
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void unknown_kind_is_refused(void **state)
{
	(void)state;
	struct vb_err err = { { 0 } };
	/* In this process: a refusal installs nothing. */
	assert_int_equal(vb_sandbox_enter((enum vb_sandbox_kind)99, 0, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no thread kind 99"));
	assert_int_equal(vb_sandbox_enter(VB_SANDBOX_VCPU, VB_SANDBOX_NEEDS_ALL + 1, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no needs 0x4"));
	assert_int_equal(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_kind_writes_and_dies_of_ptrace_and_execve),
		cmocka_unit_test(vcpu_makes_no_socket_and_no_other_kvm_ioctl),
		cmocka_unit_test(io_makes_no_socket),
		cmocka_unit_test(main_opens_no_file),
		cmocka_unit_test(device_threads_get_only_what_the_devices_need),
		cmocka_unit_test(netd_makes_no_kvm_ioctl),
		cmocka_unit_test(debug_mode_names_the_call),
		cmocka_unit_test(io_ends_vmboot_with_sigterm_only),
		cmocka_unit_test(user_switch_ahead_allows_setresuid),
		cmocka_unit_test(confine_without_seccomp_loads_no_filter),
		cmocka_unit_test(restrict_files_leaves_only_the_named_file),
		cmocka_unit_test(unknown_kind_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
