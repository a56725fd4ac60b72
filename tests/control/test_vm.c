/* Control of a real VM: vmboot runs tests/guests/ticker.bin (one line per
 * RTC second on COM1) on /dev/kvm and the vmboot commands drive it: list
 * shows it (and cleans a stale socket), a second VM of the same name is
 * refused, garbage gets an error reply, another uid is refused, pause
 * stops the ticks, debug shows registers, resume continues them, stop ends
 * the VM with status 0 through Ctrl-Alt-Del on the keyboard controller.
 *
 * Needs /dev/kvm (else SKIP, 77): run it with tests/nested/run-cmd. Finds
 * vmboot and ticker.bin as tests/kvm/vmboot_child.h says. */
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
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../kvm/vmboot_child.h"
#include "control/client.h"

static char base[32], dir[48], out_path[64], sock[80];
static char ticker[600];

static unsigned ticks(void)
{
	FILE *f = fopen(out_path, "r");
	if (!f)
		return 0;
	unsigned n = 0;
	char line[256];
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "tick ", 5))
			n++;
	fclose(f);
	return n;
}

/* Polls (at most limit_s seconds) until the tick count passes n. */
static bool wait_ticks_above(unsigned n, unsigned limit_s)
{
	for (unsigned i = 0; i < limit_s * 10; i++) {
		if (ticks() > n)
			return true;
		usleep(100000);
	}
	return false;
}

static void make_stale(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
}

static int child_as_nobody(bool fs_root)
{
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, fs_root ? 0 : 65534))
		return 90;
	if (fs_root)
		setfsuid(0);
	struct vb_err err = { "" };
	char *reply;
	const char *body;
	int rc = vb_ctl_call(sock, "pause", &reply, &body, &err);
	if (!fs_root)
		return rc == -EACCES ? 0 : 91;
	if (rc == -EREMOTEIO && strstr(err.msg, "permission denied"))
		return 0;
	fprintf(stderr, "as uid 65534 with fsuid 0: %d %s\n", rc, err.msg);
	return 92;
}

static void check_other_uid(void)
{
	if (geteuid() != 0) {
		print_message("SKIP part: another uid needs root\n");
		return;
	}
	for (int fs_root = 0; fs_root < 2; fs_root++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			_exit(child_as_nobody(fs_root));
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
}

static void check_garbage(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct timeval tv = { 10, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(send(fd, "\x7f\x45LF garbage\n", 13, MSG_NOSIGNAL), 13);
	char buf[512] = "";
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	assert_true(n > 0);
	print_message("garbage reply: %s", buf);
	assert_true(!strncmp(buf, "error ", 6));
}

static void test_control(void **state)
{
	(void)state;
	char buf[8192];
	assert_int_equal(mkdir(dir, 0700), 0);
	char stale[80];
	snprintf(stale, sizeof(stale), "%s/crashed.sock", dir);
	make_stale(stale);

	start_vm(ticker, "tick", out_path, NULL);
	assert_true(wait_ticks_above(0, 120));
	assert_int_equal(access(sock, F_OK), 0);

	assert_int_equal(sh(buf, sizeof(buf), "%s list", vmboot), 0);
	assert_non_null(strstr(buf, "tick"));
	assert_non_null(strstr(buf, "running"));
	assert_int_equal(access(stale, F_OK), -1);
	assert_int_equal(sh(buf, sizeof(buf), "%s list --json", vmboot), 0);
	assert_non_null(strstr(buf, "\"name\": \"tick\""));

	assert_int_equal(sh(buf, sizeof(buf), "%s run --kernel %s --name tick --mem 64 </dev/null",
			    vmboot, ticker), 1);
	assert_non_null(strstr(buf, "a VM named \"tick\" is already running"));

	check_garbage();
	check_other_uid();

	assert_int_equal(sh(buf, sizeof(buf), "%s pause tick", vmboot), 0);
	assert_int_equal(sh(buf, sizeof(buf), "%s list", vmboot), 0);
	assert_non_null(strstr(buf, "paused"));
	unsigned paused_at = ticks();
	sleep(3); /* three RTC seconds: a running ticker prints three lines */
	assert_int_equal(ticks(), paused_at);

	assert_int_equal(sh(buf, sizeof(buf), "%s debug tick", vmboot), 0);
	assert_non_null(strstr(buf, "vcpu0.rip 0x"));
	assert_non_null(strstr(buf, "vcpu0.cs selector 0x1000"));
	assert_int_equal(sh(buf, sizeof(buf), "%s stat tick", vmboot), 0);
	assert_non_null(strstr(buf, "memory_bytes 67108864"));

	assert_int_equal(sh(buf, sizeof(buf), "%s resume tick", vmboot), 0);
	assert_true(wait_ticks_above(paused_at, 30));

	assert_int_equal(sh(buf, sizeof(buf), "%s stop tick --timeout 60", vmboot), 0);
	int status;
	assert_int_equal(waitpid(vm_pid, &status, 0), vm_pid);
	vm_pid = -1;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(access(sock, F_OK), -1);
	assert_int_equal(sh(buf, sizeof(buf), "%s stop tick", vmboot), 1);
	assert_non_null(strstr(buf, "no VM named \"tick\" is running"));
}

static int teardown(void **state)
{
	(void)state;
	kill_vm();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	int rc = vmboot_child_init("ticker.bin", ticker, sizeof(ticker));
	if (rc)
		return rc;
	strcpy(base, "/tmp/vb-ctlvm-XXXXXX");
	if (!mkdtemp(base))
		return 99;
	/* A private socket directory: vmboot and the commands agree on it
	 * through the environment, and no real VM's name is in the way. */
	setenv("XDG_RUNTIME_DIR", base, 1);
	snprintf(dir, sizeof(dir), "%s/vmboot", base);
	snprintf(out_path, sizeof(out_path), "%s/console.txt", base);
	snprintf(sock, sizeof(sock), "%s/tick.sock", dir);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_control, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
