/* A stand-in VM for the console tests, without KVM: it claims NAME's
 * control socket like vmboot run --tty does, puts a "console" on a pty
 * (dev/pty.h) and answers info, console, stop, and stat and debug with
 * fixed numbers in the real VM's form (a balloon with guest statistics;
 * two vCPUs, one with a 64-bit kernel address in rip). Its "guest" prints
 * "fake tick N" every 200 ms and answers each input line with
 * "fake got LINE". Prints "ready PATH" on stdout once it answers, and
 * exits 0 when stopped (or after 120 s, so a broken test leaves nothing
 * behind).
 *
 * fakevm --hang NAME is a hung VM instead: it claims NAME's socket,
 * accepts connections and never answers (as a VM stopped in a debugger
 * would look); "ready PATH" names the socket; it exits after 60 s.
 * fakevm --ending NAME is a VM being taken apart: it does the same until
 * the first connection comes, then closes everything, removes its socket
 * and exits, having answered nothing (as vmboot's teardown does).
 *
 * Usage: fakevm [--hang | --ending] NAME */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control/server.h"
#include "control/sockdir.h"
#include "dev/pty.h"

struct fake {
	const char *name;
	struct vb_pty pty;
	atomic_bool stop;
};

static int fake_info(void *ctx, struct vb_ctl_reply *r, struct vb_err *err)
{
	struct fake *f = ctx;
	(void)err;
	vb_ctl_reply_add(r, "name", "%s", f->name);
	vb_ctl_reply_add(r, "pid", "%ld", (long)getpid());
	vb_ctl_reply_add(r, "state", "running");
	vb_ctl_reply_add(r, "cpus", "1");
	vb_ctl_reply_add(r, "memory_bytes", "%d", 64 << 20);
	vb_ctl_reply_add(r, "uptime_s", "0");
	vb_ctl_reply_add(r, "console", "%s", f->pty.path);
	return 0;
}

static int fake_console(void *ctx, struct vb_ctl_reply *r, struct vb_err *err)
{
	struct fake *f = ctx;
	(void)err;
	vb_ctl_reply_add(r, "path", "%s", f->pty.path);
	return 0;
}

static int fake_stat(void *ctx, struct vb_ctl_reply *r, struct vb_err *err)
{
	(void)ctx;
	(void)err;
	vb_ctl_reply_add(r, "memory_bytes", "%d", 64 << 20);
	vb_ctl_reply_add(r, "host_rss_bytes", "%d", 12 << 20);
	vb_ctl_reply_add(r, "balloon", "waiting for the guest driver");
	vb_ctl_reply_add(r, "balloon_target_bytes", "%d", 16 << 20);
	vb_ctl_reply_add(r, "guest.mem_free", "%d", 40 << 20);
	vb_ctl_reply_add(r, "guest.mem_total", "%d", 60 << 20);
	return 0;
}

static int fake_debug(void *ctx, struct vb_ctl_reply *r, struct vb_err *err)
{
	(void)ctx;
	(void)err;
	for (unsigned i = 0; i < 2; i++) {
		char key[32];
		snprintf(key, sizeof(key), "vcpu%u.rip", i);
		vb_ctl_reply_add(r, key, "0x%016llx", i ? 0xffffffff81000000ull : 0x100000ull);
		snprintf(key, sizeof(key), "vcpu%u.cr0", i);
		vb_ctl_reply_add(r, key, "0x%016llx", 0x80050033ull);
		snprintf(key, sizeof(key), "vcpu%u.cs", i);
		vb_ctl_reply_add(r, key, "selector 0x%04x base 0x%llx limit 0x%x type %u dpl %u db %u l %u",
				 0x10, 0ull, 0xffffffffu, 11, 0, 0, 1);
	}
	return 0;
}

static int fake_stop(void *ctx, bool force, struct vb_err *err)
{
	struct fake *f = ctx;
	(void)force;
	(void)err;
	atomic_store(&f->stop, true);
	return 0;
}

static void say(struct fake *f, const char *text)
{
	(void)vb_pty_console_write(&f->pty, (const uint8_t *)text, strlen(text));
}

/* Input arrives in pieces: answer each complete line. */
static void take_input(struct fake *f, char *line, size_t *used)
{
	ssize_t n = read(f->pty.master_fd, line + *used, 255 - *used);
	if (n <= 0)
		return;
	*used += (size_t)n;
	line[*used] = 0;
	char *end;
	while ((end = strpbrk(line, "\r\n"))) {
		*end = 0;
		if (end > line) {
			char reply[300];
			snprintf(reply, sizeof(reply), "fake got %s\r\n", line);
			say(f, reply);
		}
		*used -= (size_t)(end + 1 - line);
		memmove(line, end + 1, *used + 1);
	}
	if (*used == 255)
		*used = 0;
}

/* Accepts and holds every connection, answering nothing; with
 * end_at_first, only until the first one. */
static int hang(const char *name, bool end_at_first)
{
	struct vb_err err = { .msg = "" };
	char dir[VB_CTL_PATH_MAX], path[VB_CTL_PATH_MAX];
	int fd, held[64], n_held = 0;
	if (vb_ctl_dir(dir, sizeof(dir), &err) ||
	    vb_ctl_listen(dir, name, &fd, path, sizeof(path), &err)) {
		fprintf(stderr, "fakevm: %s\n", err.msg);
		return 1;
	}
	printf("ready %s\n", path);
	fflush(stdout);
	for (unsigned tick = 0; tick < 600; tick++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0)
			continue;
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0 && n_held < 64)
			held[n_held++] = c;
		else if (c >= 0)
			close(c);
		if (c >= 0 && end_at_first) {
			usleep(300000); /* the teardown takes a while */
			break;
		}
	}
	while (n_held > 0)
		close(held[--n_held]);
	close(fd);
	unlink(path);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--hang"))
		return hang(argv[2], false);
	if (argc == 3 && !strcmp(argv[1], "--ending"))
		return hang(argv[2], true);
	struct fake f = { .name = argc == 2 ? argv[1] : NULL };
	struct vb_err err = { .msg = "" };
	char dir[VB_CTL_PATH_MAX];
	struct vb_ctl_server *server = NULL;
	if (!f.name) {
		fprintf(stderr, "usage: fakevm [--hang | --ending] NAME\n");
		return 2;
	}
	const struct vb_ctl_ops ops = {
		.ctx = &f, .info = fake_info, .console = fake_console, .stop = fake_stop,
		.stat = fake_stat, .debug = fake_debug,
	};
	if (vb_ctl_dir(dir, sizeof(dir), &err) || vb_ctl_server_open(dir, f.name, &server, &err) ||
	    vb_pty_open(&f.pty, &err) || vb_ctl_server_start(server, &ops, 5, &err)) {
		fprintf(stderr, "fakevm: %s\n", err.msg);
		vb_ctl_server_close(server);
		return 1;
	}
	printf("ready %s\n", f.pty.path);
	fflush(stdout);
	char line[256];
	size_t used = 0;
	for (unsigned tick = 0; tick < 600 && !atomic_load(&f.stop); tick++) {
		char text[64];
		snprintf(text, sizeof(text), "fake tick %u\r\n", tick);
		say(&f, text);
		struct pollfd p = { .fd = f.pty.master_fd, .events = POLLIN };
		if (poll(&p, 1, 200) > 0)
			take_input(&f, line, &used);
	}
	vb_ctl_server_close(server);
	vb_pty_close(&f.pty);
	return 0;
}
