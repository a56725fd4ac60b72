/* vmboot under a service manager's notify protocol, on real KVM: a
 * datagram socket of the test's is $NOTIFY_SOCKET (a path, then an
 * abstract '@' name) and vmboot runs a tiny flat guest.
 *   - ticker.bin runs until stopped: READY=1 with "STATUS=running NAME,
 *     1 vCPU" arrives while vmboot still runs, nothing more until
 *     `vmboot stop`, then STOPPING=1, and vmboot exits 0;
 *   - hello.bin resets by itself: READY=1, then STOPPING=1 naming the
 *     guest's stop, exit 0;
 *   - run --detach: the READY=1 comes from the child that stays, names it
 *     with MAINPID= (the pid the parent printed), and is queued before the
 *     parent exits.
 *
 * Needs /dev/kvm (else SKIP, 77). Finds vmboot and the guests as
 * tests/kvm/vmboot_child.h says. */
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../kvm/vmboot_child.h"

/* How long a message may take before the test gives up on it: a limit
 * against hanging, not a timing assertion (a VM build takes well under a
 * second here, far longer under sanitizers or in the nested harness). */
#define RECV_LIMIT_S 120

static char base[32], run_dir[64], out_path[64];

struct listener {
	int fd;
	char name[96]; /* as NOTIFY_SOCKET spells it */
};

static void listen_on(struct listener *l, bool abstract)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	if (abstract) {
		snprintf(l->name, sizeof(l->name), "@vb-test-notify-vm-%ld", (long)getpid());
		memcpy(sa.sun_path, l->name, strlen(l->name));
		sa.sun_path[0] = 0;
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(l->name));
	} else {
		snprintf(l->name, sizeof(l->name), "%s/notify", base);
		strcpy(sa.sun_path, l->name);
		len = sizeof(sa);
	}
	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(l->fd >= 0);
	assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, len), 0);
	struct timeval tv = { RECV_LIMIT_S, 0 };
	assert_int_equal(setsockopt(l->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
}

static void unlisten(struct listener *l)
{
	close(l->fd);
	if (l->name[0] == '/')
		unlink(l->name);
}

/* The next message (waiting at most RECV_LIMIT_S), NUL-terminated. */
static void next_message(const struct listener *l, char *buf, size_t size, int flags)
{
	ssize_t n = recv(l->fd, buf, size - 1, flags);
	if (n < 0)
		print_message("recv: %s\n", strerror(errno));
	assert_true(n >= 0);
	buf[n] = 0;
	print_message("notify: %s\n", buf);
}

static bool nothing_queued(const struct listener *l)
{
	char buf[64];
	return recv(l->fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

/* vmboot run GUEST --name NAME in the background, $NOTIFY_SOCKET set. */
static void start_guest(const char *guest, const char *name, const char *notify)
{
	char kernel[600];
	snprintf(kernel, sizeof(kernel), "%s/%s", guests, guest);
	start_vm(kernel, name, out_path, notify);
}

static int wait_vm(void)
{
	int status;
	assert_int_equal(waitpid(vm_pid, &status, 0), vm_pid);
	vm_pid = -1;
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static bool vm_alive(void)
{
	int status;
	return waitpid(vm_pid, &status, WNOHANG) == 0;
}

static void test_ticker_until_stopped(void **state)
{
	(void)state;
	struct listener l;
	listen_on(&l, false);
	start_guest("ticker.bin", "notify-path", l.name);
	char msg[512], buf[4096];
	next_message(&l, msg, sizeof(msg), 0);
	assert_string_equal(msg, "READY=1\nSTATUS=running notify-path, 1 vCPU");
	/* Ready before the guest ends: the ticker runs until stopped. */
	assert_true(vm_alive());
	assert_true(nothing_queued(&l));
	assert_int_equal(sh(buf, sizeof(buf), "%s stop notify-path", vmboot), 0);
	next_message(&l, msg, sizeof(msg), 0);
	assert_non_null(strstr(msg, "STOPPING=1\nSTATUS=stopping: "));
	assert_int_equal(wait_vm(), 0);
	assert_true(nothing_queued(&l));
	unlisten(&l);
}

static void test_hello_stops_itself(void **state)
{
	(void)state;
	struct listener l;
	listen_on(&l, true);
	start_guest("hello.bin", "notify-abstract", l.name);
	char msg[512];
	next_message(&l, msg, sizeof(msg), 0);
	assert_string_equal(msg, "READY=1\nSTATUS=running notify-abstract, 1 vCPU");
	next_message(&l, msg, sizeof(msg), 0);
	assert_true(!strncmp(msg, "STOPPING=1\nSTATUS=stopping: ", 28));
	assert_null(strchr(msg + 28, '\n')); /* the reason stays on its line */
	assert_int_equal(wait_vm(), 0);
	assert_true(nothing_queued(&l));
	unlisten(&l);
}

static void test_detach(void **state)
{
	(void)state;
	struct listener l;
	listen_on(&l, false);
	char buf[4096], msg[512];
	int rc = sh(buf, sizeof(buf),
		    "NOTIFY_SOCKET='%s' %s run --detach --kernel %s/ticker.bin --name notify-detach "
		    "--mem 64 --cpus 1 </dev/null",
		    l.name, vmboot, guests);
	assert_int_equal(rc, 0);
	const char *pid_line = strstr(buf, "pid ");
	assert_non_null(pid_line);
	long pid = strtol(pid_line + 4, NULL, 10);
	assert_true(pid > 0);
	/* Sent before the child told the parent, so before the parent exited. */
	next_message(&l, msg, sizeof(msg), MSG_DONTWAIT);
	char want[160];
	snprintf(want, sizeof(want), "READY=1\nSTATUS=running notify-detach, 1 vCPU\nMAINPID=%ld",
		 pid);
	assert_string_equal(msg, want);
	assert_int_equal(sh(buf, sizeof(buf), "%s stop notify-detach", vmboot), 0);
	next_message(&l, msg, sizeof(msg), 0);
	assert_non_null(strstr(msg, "STOPPING=1"));
	unlisten(&l);
}

/* After each test: no VM of the test's left running, whatever failed. */
static int stop_vms(void **state)
{
	(void)state;
	kill_vm();
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "%s stop --all --force >/dev/null 2>&1", vmboot);
	if (system(cmd) == -1)
		print_message("cannot run %s stop --all: %s\n", vmboot, strerror(errno));
	return 0;
}

static int remove_base(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	char ticker[600];
	int rc = vmboot_child_init("ticker.bin", ticker, sizeof(ticker));
	if (rc)
		return rc;
	strcpy(base, "/tmp/vb-notify-XXXXXX");
	if (!mkdtemp(base))
		return 99;
	/* The VMs' control sockets, away from the user's. */
	snprintf(run_dir, sizeof(run_dir), "%s/run", base);
	snprintf(out_path, sizeof(out_path), "%s/console", base);
	if (mkdir(run_dir, 0700))
		return 99;
	setenv("XDG_RUNTIME_DIR", run_dir, 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_ticker_until_stopped, stop_vms),
		cmocka_unit_test_teardown(test_hello_stops_itself, stop_vms),
		cmocka_unit_test_teardown(test_detach, stop_vms),
	};
	return cmocka_run_group_tests(tests, NULL, remove_base);
}
