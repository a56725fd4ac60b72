/* vmboot-init: PID 1 of vmboot's in-memory initramfs (see ginit.h for the
 * contract with the host). Statically linked: the initramfs holds no libc.
 *
 * As PID 1 it must never exit (the kernel panics when init dies), so every
 * failure is reported on the console and the guest still reboots at the
 * end; vmboot then exits. It also reaps orphans while it waits, since they
 * are reparented to it. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guestinit/ginit.h"

#define HOST_TAG "hostroot"
#define HOST_DIR "/host"
#define MODULE_LIST "/etc/vmboot/modules"

__attribute__((format(printf, 1, 2)))
static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	/* Best effort: there is nowhere else to report a console failure. */
	if (write(2, "vmboot-init: ", 13) < 0 || write(2, line, (size_t)n) < 0)
		return;
}

/* Reads a small file into buf (NUL-terminated); "" on failure. */
static void read_text(const char *path, char *buf, size_t size)
{
	buf[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	size_t len = 0;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	close(fd);
}

static void mount_fs(const char *source, const char *target, const char *type,
		     unsigned long flags, const char *data)
{
	mkdir(target, 0755);
	if (mount(source, target, type, flags, data) && errno != EBUSY)
		say("mount %s on %s: %s\n", type, target, strerror(errno));
}

/* The kernel opens /dev/console for init when the archive has it; if it
 * could not, open it now that devtmpfs is there. */
static void ensure_stdio(void)
{
	if (fcntl(0, F_GETFD) >= 0 && fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0)
		return;
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		if (fcntl(i, F_GETFD) < 0)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

static void load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		say("module %s: %s\n", path, strerror(errno));
		return;
	}
	/* finit_module(2) has no glibc wrapper in Debian 12's libc. */
	if (syscall(SYS_finit_module, fd, "", vb_ginit_module_flags(path)) && errno != EEXIST)
		say("module %s: %s\n", path, strerror(errno));
	close(fd);
}

static void load_modules(void)
{
	static char list[65536];
	read_text(MODULE_LIST, list, sizeof(list));
	for (char *line = list, *next; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = 0;
		if (line[0] == '/')
			load_module(line);
	}
}

/* The host's root over 9p, read-only, with the API file systems and
 * scratch tmpfs mounted inside so commands chrooted there work. */
static bool mount_host(void)
{
	mkdir(HOST_DIR, 0755);
	if (mount(HOST_TAG, HOST_DIR, "9p", MS_RDONLY, "trans=virtio,version=9p2000.L")) {
		/* ENOENT: no virtio-9p channel with that tag, i.e. no share. */
		if (errno != ENOENT && errno != ENODEV)
			say("mount the host root (9p tag %s): %s\n", HOST_TAG, strerror(errno));
		return false;
	}
	static const struct { const char *type, *dir; unsigned long flags; } sub[] = {
		{ "proc", HOST_DIR "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "sysfs", HOST_DIR "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "devtmpfs", HOST_DIR "/dev", MS_NOSUID },
		{ "tmpfs", HOST_DIR "/tmp", MS_NOSUID | MS_NODEV },
		{ "tmpfs", HOST_DIR "/run", MS_NOSUID | MS_NODEV },
	};
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		struct stat st;
		if (stat(sub[i].dir, &st) || !S_ISDIR(st.st_mode))
			continue;
		if (mount(sub[i].type, sub[i].dir, sub[i].type, sub[i].flags, NULL))
			say("mount %s on %s: %s\n", sub[i].type, sub[i].dir, strerror(errno));
	}
	return true;
}

/* Child side: a session with the console as controlling terminal (job
 * control for the shell), then the program, inside the host root if any. */
static void exec_child(char *const *argv, bool in_host, bool interactive)
{
	if (interactive) {
		char active[256], dev[300];
		setsid();
		read_text("/sys/class/tty/console/active", active, sizeof(active));
		if (!vb_ginit_console_device(active, dev, sizeof(dev))) {
			int fd = open(dev, O_RDWR);
			if (fd >= 0) {
				ioctl(fd, TIOCSCTTY, 1);
				for (int i = 0; i < 3; i++)
					dup2(fd, i);
				if (fd > 2)
					close(fd);
			}
		}
	}
	if (in_host && (chroot(HOST_DIR) || chdir("/"))) {
		say("chroot %s: %s\n", HOST_DIR, strerror(errno));
		_exit(127);
	}
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("HOME", "/", 1);
	setenv("TERM", "linux", 0);
	execvp(argv[0], argv);
	say("%s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Runs argv to completion, reaping whatever else exits meanwhile. */
static int run(char *const *argv, bool in_host, bool interactive)
{
	pid_t child = fork();
	if (child < 0) {
		say("fork: %s\n", strerror(errno));
		return 127 << 8;
	}
	if (child == 0)
		exec_child(argv, in_host, interactive);
	for (;;) {
		int status;
		pid_t w = wait(&status);
		if (w == child)
			return status;
		if (w < 0 && errno != EINTR)
			return 127 << 8;
	}
}

static bool exists(const char *path)
{
	return access(path, X_OK) == 0;
}

static int shell(bool host)
{
	static char *const host_sh[] = { "/bin/sh", NULL };
	static char *const busybox_sh[] = { "/bin/busybox", "sh", NULL };
	if (host && exists(HOST_DIR "/bin/sh"))
		return run(host_sh, true, true);
	if (exists("/bin/busybox"))
		return run(busybox_sh, false, true);
	if (exists("/bin/sh"))
		return run(host_sh, false, true);
	say("no shell: no host root at %s and no busybox in the initramfs\n", HOST_DIR);
	return 127 << 8;
}

int main(int argc, char **argv)
{
	static struct vb_ginit_cmd cmd;
	static char cmdline[8192];
	char status_line[64];
	int status;

	mount_fs("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_fs("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_fs("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, NULL);
	ensure_stdio();
	load_modules();
	bool host = mount_host();

	read_text("/proc/cmdline", cmdline, sizeof(cmdline));
	int rc = vb_ginit_parse_cmd(cmdline, argc, argv, &cmd);
	if (rc) {
		say("cannot read the command (%s): %s\n", VB_GINIT_CMD_PARAM, strerror(-rc));
		status = 127 << 8;
	} else if (cmd.argc) {
		status = run(cmd.argv, host, false);
	} else {
		status = shell(host);
	}
	vb_ginit_format_status(status, status_line, sizeof(status_line));
	if (write(1, status_line, strlen(status_line)) < 0)
		say("%s", status_line);

	sync();
	reboot(RB_AUTOBOOT);
	say("reboot: %s\n", strerror(errno));
	for (;;)
		pause();
}
