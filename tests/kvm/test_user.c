/* vmboot run --user nobody, started as root, on real KVM: while the ticker
 * guest runs, every thread of vmboot is nobody with no capability left,
 * the console's pty and the control socket are nobody's, and nobody's own
 * `vmboot list` finds the VM and `vmboot stop` ends it; the VM exits 0
 * and its socket is gone. Skips (77) without /dev/kvm or root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
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

#include "control/sockdir.h"
#include "vmboot_child.h"

static char ticker[600];
static uid_t nobody_uid;
static gid_t nobody_gid;

/* vmboot run --tty --user nobody on kernel; stdout and stderr stay the
 * test's (the console is on the pty). */
static pid_t start_user_vm(const char *kernel, const char *name)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		if (in < 0 || dup2(in, 0) < 0)
			_exit(120);
		execlp(vmboot, vmboot, "run", "--kernel", kernel, "--name", name, "--mem", "64",
		       "--cpus", "1", "--tty", "--user", "nobody", (char *)NULL);
		_exit(121);
	}
	return pid;
}

static bool read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return true;
}

/* The value of "Key:\t..." in a /proc status file, up to the line's end. */
static const char *status_field(const char *status, const char *key, char *out, size_t size)
{
	const char *at = strstr(status, key);
	if (!at)
		return "";
	at += strlen(key);
	size_t n = strcspn(at, "\n");
	snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), at);
	return out;
}

/* Waits up to 10 s for the main thread to be nobody: the build is done.
 * Fails at once should vmboot end instead. */
static void wait_until_nobody(pid_t pid)
{
	char path[64], status[4096], uid[64], want[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned)nobody_uid, (unsigned)nobody_uid,
		 (unsigned)nobody_uid, (unsigned)nobody_uid);
	for (int i = 0; i < 100; i++) {
		int ended;
		if (waitpid(pid, &ended, WNOHANG) == pid) {
			vm_pid = -1;
			fail_msg("vmboot ended before it ran as nobody: status 0x%x", ended);
		}
		if (read_file(path, status, sizeof(status)) &&
		    !strcmp(status_field(status, "Uid:\t", uid, sizeof(uid)), want))
			return;
		usleep(100000);
	}
	fail_msg("vmboot never became nobody (uid %u)", (unsigned)nobody_uid);
}

/* Every thread: nobody's uid and gid, no capability. */
static void assert_threads_are_nobody(pid_t pid)
{
	char dir_path[64], path[384], status[4096], field[64], uid[64], gid[64];
	snprintf(dir_path, sizeof(dir_path), "/proc/%d/task", (int)pid);
	snprintf(uid, sizeof(uid), "%u\t%u\t%u\t%u", (unsigned)nobody_uid, (unsigned)nobody_uid,
		 (unsigned)nobody_uid, (unsigned)nobody_uid);
	snprintf(gid, sizeof(gid), "%u\t%u\t%u\t%u", (unsigned)nobody_gid, (unsigned)nobody_gid,
		 (unsigned)nobody_gid, (unsigned)nobody_gid);
	DIR *dir = opendir(dir_path);
	assert_non_null(dir);
	unsigned threads = 0;
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/status", dir_path, de->d_name);
		if (!read_file(path, status, sizeof(status)))
			continue; /* the thread ended meanwhile */
		threads++;
		const char *checks[][2] = {
			{ "Uid:\t", uid }, { "Gid:\t", gid },
			{ "CapEff:\t", "0000000000000000" }, { "CapPrm:\t", "0000000000000000" },
			{ "CapAmb:\t", "0000000000000000" },
		};
		for (size_t c = 0; c < sizeof(checks) / sizeof(checks[0]); c++)
			if (strcmp(status_field(status, checks[c][0], field, sizeof(field)),
				   checks[c][1]))
				fail_msg("thread %s: %s%s, want %s", de->d_name, checks[c][0], field,
					 checks[c][1]);
	}
	closedir(dir);
	print_message("%u threads, all nobody with no capability\n", threads);
	assert_true(threads >= 2); /* the main thread and at least the vCPU */
}

/* The pty vmboot holds open (its slave end, /dev/pts/N) is nobody's. */
static void assert_pty_is_nobodys(pid_t pid)
{
	char dir_path[64], link[320], target[256];
	snprintf(dir_path, sizeof(dir_path), "/proc/%d/fd", (int)pid);
	DIR *dir = opendir(dir_path);
	assert_non_null(dir);
	bool found = false;
	struct dirent *de;
	while (!found && (de = readdir(dir))) {
		snprintf(link, sizeof(link), "%s/%s", dir_path, de->d_name);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		found = !strncmp(target, "/dev/pts/", 9);
	}
	closedir(dir);
	assert_true(found);
	struct stat st;
	assert_int_equal(stat(target, &st), 0);
	if (st.st_uid != nobody_uid)
		fail_msg("%s: owned by uid %u, want nobody (%u)", target, (unsigned)st.st_uid,
			 (unsigned)nobody_uid);
}

/* vmboot COMMAND [NAME] as nobody (util-linux's setpriv), without root's
 * XDG_RUNTIME_DIR; its output into out. Returns the exit status. */
static int vmboot_as_nobody(char *out, size_t size, const char *command, const char *name)
{
	return sh(out, size,
		  "setpriv --reuid=%u --regid=%u --clear-groups env -u XDG_RUNTIME_DIR %s %s %s",
		  (unsigned)nobody_uid, (unsigned)nobody_gid, vmboot, command, name);
}

static void runs_as_nobody_and_nobody_controls_it(void **state)
{
	(void)state;
	char name[32], dir[VB_CTL_PATH_MAX], sock[VB_CTL_PATH_MAX + 40], out[1024];
	struct vb_err err = { "" };
	snprintf(name, sizeof(name), "user-%d", (int)getpid());
	assert_int_equal(vb_ctl_user_dir(nobody_uid, dir, sizeof(dir), &err), 0);
	snprintf(sock, sizeof(sock), "%s/%s.sock", dir, name);

	vm_pid = start_user_vm(ticker, name);
	wait_until_nobody(vm_pid);
	assert_threads_are_nobody(vm_pid);
	assert_pty_is_nobodys(vm_pid);
	struct stat st;
	assert_int_equal(lstat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_uid, nobody_uid);

	assert_int_equal(vmboot_as_nobody(out, sizeof(out), "list", ""), 0);
	assert_non_null(strstr(out, name));
	assert_int_equal(vmboot_as_nobody(out, sizeof(out), "stop", name), 0);

	int status;
	assert_int_equal(waitpid(vm_pid, &status, 0), vm_pid);
	vm_pid = -1;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(lstat(sock, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static int teardown(void **state)
{
	(void)state;
	kill_vm();
	return 0;
}

int main(void)
{
	if (geteuid() != 0) {
		printf("SKIP: switching to nobody needs the test to run as root (uid %u)\n",
		       (unsigned)geteuid());
		return 77;
	}
	const struct passwd *pw = getpwnam("nobody");
	if (!pw) {
		puts("SKIP: no user nobody");
		return 77;
	}
	nobody_uid = pw->pw_uid;
	nobody_gid = pw->pw_gid;
	int skip = vmboot_child_init("ticker.bin", ticker, sizeof(ticker));
	if (skip)
		return skip;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(runs_as_nobody_and_nobody_controls_it, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
