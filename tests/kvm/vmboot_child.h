/* The built vmboot on a tiny flat guest (tests/guests/), as a child
 * process of a cmocka test, for tests that drive a real VM from outside
 * (tests/control/test_vm.c, tests/service/test_notify_vm.c). Finds vmboot
 * in $VB_VMBOOT, $VB_BUILDDIR/vmboot or PATH, and the guests in
 * $VB_GUEST_DIR, $VB_BUILDDIR/tests/guests or the current directory.
 * Include after <cmocka.h>; failures end the test via cmocka. */
#ifndef VB_TESTS_KVM_VMBOOT_CHILD_H
#define VB_TESTS_KVM_VMBOOT_CHILD_H

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char vmboot[512], guests[512];
static pid_t vm_pid = -1; /* the running `vmboot run`, or -1 */

/* Fills vmboot and guests, then GUEST's path into path. 0 when /dev/kvm
 * opens and GUEST is readable; else prints the SKIP line, returns 77. */
static inline int vmboot_child_init(const char *guest, char *path, size_t size)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("SKIP: /dev/kvm not available\n");
		return 77;
	}
	close(fd);
	const char *v = getenv("VB_VMBOOT"), *b = getenv("VB_BUILDDIR"), *g = getenv("VB_GUEST_DIR");
	if (v)
		snprintf(vmboot, sizeof(vmboot), "%s", v);
	else if (b)
		snprintf(vmboot, sizeof(vmboot), "%s/vmboot", b);
	else
		snprintf(vmboot, sizeof(vmboot), "vmboot");
	if (g)
		snprintf(guests, sizeof(guests), "%s", g);
	else if (b)
		snprintf(guests, sizeof(guests), "%s/tests/guests", b);
	else
		snprintf(guests, sizeof(guests), ".");
	snprintf(path, size, "%s/%s", guests, guest);
	if (access(path, R_OK)) {
		printf("SKIP: %s not found\n", path);
		return 77;
	}
	return 0;
}

/* vmboot run --kernel KERNEL --name NAME --mem 64 --cpus 1 in the
 * background (vm_pid), stdin /dev/null, stdout into OUT_PATH, with
 * $NOTIFY_SOCKET set to NOTIFY unless it is NULL. */
static inline void start_vm(const char *kernel, const char *name, const char *out_path,
			    const char *notify)
{
	vm_pid = fork();
	assert_true(vm_pid >= 0);
	if (vm_pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0)
			_exit(120);
		if (notify)
			setenv("NOTIFY_SOCKET", notify, 1);
		execlp(vmboot, vmboot, "run", "--kernel", kernel, "--name", name, "--mem", "64",
		       "--cpus", "1", (char *)NULL);
		_exit(121);
	}
}

/* Kills and reaps the VM if one is left (after a failed test). */
static inline void kill_vm(void)
{
	if (vm_pid > 0) {
		kill(vm_pid, SIGKILL);
		waitpid(vm_pid, NULL, 0);
		vm_pid = -1;
	}
}

/* Runs a shell command; its stdout and stderr into buf. Returns the exit
 * status (128 when it did not exit). */
static inline int sh(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int sh(char *buf, size_t size, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(buf, 1, size - 1, p);
	buf[n] = 0;
	int status = pclose(p);
	print_message("$ %s\n%s", cmd, buf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

#endif
