/* The console pieces of the control side, without KVM: the protocol's
 * console request (parsed, answered, bad forms refused with an error
 * reply), the tmux command line of `vmboot console --tmux`, and the attach
 * relay (control/attach.h) against a pty standing in for a VM's console:
 * output relayed, input relayed up to the Ctrl-] that detaches, a second
 * attach refused, the VM's end seen as a hang-up, a non-pty path refused. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/attach.h"
#include "control/proto.h"
#include "control/server.h"
#include "dev/pty.h"

/* ---- protocol ---- */

static void test_parse_console(void **state)
{
	(void)state;
	struct vb_ctl_request req;
	struct vb_err err = { "" };
	const char ok[] = "vmboot/1 console";
	assert_int_equal(vb_ctl_parse_request(ok, strlen(ok), &req, &err), 0);
	assert_int_equal(req.cmd, VB_CTL_CONSOLE);
	assert_string_equal(vb_ctl_cmd_name(VB_CTL_CONSOLE), "console");
	const char extra[] = "vmboot/1 console /dev/pts/0";
	assert_int_equal(vb_ctl_parse_request(extra, strlen(extra), &req, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "console: takes no arguments"));
	const char v2[] = "vmboot/2 console";
	assert_int_equal(vb_ctl_parse_request(v2, strlen(v2), &req, &err), -EPROTONOSUPPORT);
}

static int console_ok(void *ctx, struct vb_ctl_reply *r, struct vb_err *err)
{
	(void)ctx;
	(void)err;
	vb_ctl_reply_add(r, "path", "/dev/pts/7");
	return 0;
}

static int console_none(void *ctx, struct vb_ctl_reply *r, struct vb_err *err)
{
	(void)ctx;
	(void)r;
	return vb_err_set(err, ENODEV, "the console of x is stdio, not a pty");
}

static const char *answer(const struct vb_ctl_ops *ops, const char *line, struct vb_ctl_reply *r)
{
	uint32_t t = 0;
	size_t len;
	vb_ctl_reply_init(r);
	assert_false(vb_ctl_server_answer(ops, line, strlen(line), 30, r, &t));
	return vb_ctl_reply_finish(r, &len);
}

static void test_answer_console(void **state)
{
	(void)state;
	struct vb_ctl_reply r;
	struct vb_ctl_ops ops = { .console = console_ok };
	assert_string_equal(answer(&ops, "vmboot/1 console", &r), "ok\npath /dev/pts/7\n\n");
	vb_ctl_reply_free(&r);
	/* A VM whose console is not on a pty says so. */
	ops.console = console_none;
	assert_string_equal(answer(&ops, "vmboot/1 console", &r),
			    "error console: the console of x is stdio, not a pty\nprotocol 1\n\n");
	vb_ctl_reply_free(&r);
	/* A server without the callback, and bad forms: error replies. */
	ops.console = NULL;
	assert_string_equal(answer(&ops, "vmboot/1 console", &r),
			    "error console: not supported\nprotocol 1\n\n");
	vb_ctl_reply_free(&r);
	const char *text = answer(&ops, "vmboot/1 console\x1b[2J", &r);
	assert_int_equal(strncmp(text, "error request: byte 0x1b", 24), 0);
	vb_ctl_reply_free(&r);
	text = answer(&ops, "vmboot/1 consoles", &r);
	assert_non_null(strstr(text, "unknown command \"consoles\""));
	assert_non_null(strstr(text, "console)"));
	vb_ctl_reply_free(&r);
	text = answer(&ops, "vmboot/1 hello", &r);
	assert_non_null(strstr(text, "commands hello info pause resume stop debug stat balloon console\n"));
	vb_ctl_reply_free(&r);
}

/* ---- tmux command line ---- */

static void test_tmux_argv(void **state)
{
	(void)state;
	char shell[256];
	const char *argv[VB_TMUX_ARGV_MAX];
	assert_int_equal(vb_ctl_tmux_argv("/usr/bin/vmboot", "web", false, NULL, shell,
					  sizeof(shell), argv), 0);
	assert_string_equal(argv[0], "tmux");
	assert_string_equal(argv[1], "new-window");
	assert_string_equal(argv[2], "-n");
	assert_string_equal(argv[3], "web");
	assert_string_equal(argv[4], "'/usr/bin/vmboot' console 'web'");
	assert_null(argv[5]);

	assert_int_equal(vb_ctl_tmux_argv("/opt/it's/vmboot", "db-1", true,
					  "XDG_RUNTIME_DIR=/run/user/1000", shell, sizeof(shell), argv), 0);
	assert_string_equal(argv[1], "split-window");
	assert_string_equal(argv[2], "-e");
	assert_string_equal(argv[3], "XDG_RUNTIME_DIR=/run/user/1000");
	/* The quote in the path cannot end the quoting early. */
	assert_string_equal(argv[4], "'/opt/it'\\''s/vmboot' console 'db-1'");
	assert_null(argv[5]);

	assert_int_equal(vb_ctl_tmux_argv("/usr/bin/vmboot", "web", false, NULL, shell, 20, argv),
			 -ENAMETOOLONG);
}

/* ---- attach ---- */

struct attach_run {
	char path[VB_PTY_PATH_MAX];
	int in_fd, out_fd;
	int rc;
	enum vb_attach_end end;
	struct vb_err err;
	pthread_t tid;
};

static void *attach_main(void *arg)
{
	struct attach_run *a = arg;
	a->rc = vb_ctl_attach(a->path, a->in_fd, a->out_fd, &a->end, &a->err);
	return NULL;
}

/* Reads from fd until want appears in what was read (at most ms). */
static bool read_until(int fd, const char *want, int ms, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = 0;
	for (int waited = 0; waited < ms && !strstr(buf, want); waited += 10) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 10) <= 0)
			continue;
		ssize_t n = read(fd, buf + used, size - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
		buf[used] = 0;
	}
	return strstr(buf, want) != NULL;
}

static void start_attach(struct attach_run *a, const struct vb_pty *pty, int in_fd, int out_fd)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->path, sizeof(a->path), "%s", pty->path);
	a->in_fd = in_fd;
	a->out_fd = out_fd;
	assert_int_equal(pthread_create(&a->tid, NULL, attach_main, a), 0);
}

static void test_attach_relay_and_detach(void **state)
{
	(void)state;
	struct vb_pty pty;
	struct vb_err err = { "" };
	if (vb_pty_open(&pty, &err)) {
		print_message("SKIP: %s\n", err.msg);
		skip();
	}
	int in[2], out[2];
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	struct attach_run a;
	start_attach(&a, &pty, in[0], out[1]);

	char buf[4096];
	/* VM output reaches the user; retry the write until the attach has
	 * opened the pty (output written before is what a late reader may
	 * or may not see, so it is not asserted). */
	bool seen = false;
	for (int i = 0; i < 100 && !seen; i++) {
		vb_pty_console_write(&pty, (const uint8_t *)"guest says hi\r\n", 15);
		seen = read_until(out[0], "guest says hi", 50, buf, sizeof(buf));
	}
	assert_true(seen);

	/* A second attach is refused while the first holds the console. */
	struct vb_err err2 = { "" };
	enum vb_attach_end end2;
	assert_int_equal(vb_ctl_attach(pty.path, -1, out[1], &end2, &err2), -EBUSY);
	assert_non_null(strstr(err2.msg, "already attached"));

	/* User input goes to the VM up to Ctrl-], which detaches. */
	assert_int_equal(write(in[1], "uname\r\x1dnot sent", 16), 16);
	assert_int_equal(pthread_join(a.tid, NULL), 0);
	assert_int_equal(a.rc, 0);
	assert_int_equal(a.end, VB_ATTACH_DETACHED);
	assert_true(read_until(pty.master_fd, "uname\r", 1000, buf, sizeof(buf)));
	assert_null(strstr(buf, "not sent"));

	/* Detached: the console is free again; the VM ending is a hang-up. */
	start_attach(&a, &pty, -1, out[1]);
	usleep(100000);
	vb_pty_close(&pty);
	assert_int_equal(pthread_join(a.tid, NULL), 0);
	if (a.rc == -ENOENT || a.rc == -EIO) {
		/* The pty went away before the attach opened it. */
		print_message("note: attach started after close: %s\n", a.err.msg);
	} else {
		assert_int_equal(a.rc, 0);
		assert_int_equal(a.end, VB_ATTACH_HANGUP);
	}
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
}

static void test_attach_refuses_non_pty(void **state)
{
	(void)state;
	struct vb_err err = { "" };
	enum vb_attach_end end;
	assert_int_equal(vb_ctl_attach("/etc/passwd", -1, 1, &end, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "is not a pty"));
	assert_int_equal(vb_ctl_attach("/dev/pts/../../etc/passwd", -1, 1, &end, &err), -EINVAL);
	assert_int_equal(vb_ctl_attach("/dev/pts/999999", -1, 1, &end, &err), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_console),
		cmocka_unit_test(test_answer_console),
		cmocka_unit_test(test_tmux_argv),
		cmocka_unit_test(test_attach_relay_and_detach),
		cmocka_unit_test(test_attach_refuses_non_pty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
