/* The notify protocol (util/notify.h) against real datagram sockets: a
 * file system path and an abstract '@' name receive exactly the message
 * sent; no socket named is a no-op; $NOTIFY_SOCKET is removed from the
 * environment once read; the socket is close-on-exec; other kinds of
 * address, names that do not fit and a socket nobody listens on are
 * errors that name NOTIFY_SOCKET. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/notify.h"

struct listener {
	int fd;
	char name[96]; /* as NOTIFY_SOCKET spells it */
	char dir[64];
};

static void listen_on(struct listener *l, bool abstract)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	l->dir[0] = 0;
	if (abstract) {
		snprintf(l->name, sizeof(l->name), "@vb-test-notify-%ld", (long)getpid());
		memcpy(sa.sun_path, l->name, strlen(l->name));
		sa.sun_path[0] = 0;
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(l->name));
	} else {
		strcpy(l->dir, "/tmp/vb-notify-XXXXXX");
		assert_non_null(mkdtemp(l->dir));
		snprintf(l->name, sizeof(l->name), "%s/notify", l->dir);
		strcpy(sa.sun_path, l->name);
		len = sizeof(sa);
	}
	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(l->fd >= 0);
	assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, len), 0);
}

static void unlisten(struct listener *l)
{
	close(l->fd);
	if (l->dir[0]) {
		unlink(l->name);
		rmdir(l->dir);
	}
}

static void expect_message(const struct listener *l, const char *want)
{
	char buf[512];
	ssize_t n = recv(l->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(n >= 0);
	buf[n] = 0;
	assert_string_equal(buf, want);
}

static void round_trip(bool abstract)
{
	struct listener l;
	listen_on(&l, abstract);
	struct vb_notifier n;
	struct vb_err err = { "" };
	assert_int_equal(vb_notify_open(&n, l.name, &err), 0);
	assert_true(n.fd >= 0);
	assert_true(fcntl(n.fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(vb_notify_send(&n, "READY=1\nSTATUS=running web, 2 vCPUs", &err), 0);
	assert_int_equal(vb_notify_send(&n, "STOPPING=1", &err), 0);
	expect_message(&l, "READY=1\nSTATUS=running web, 2 vCPUs");
	expect_message(&l, "STOPPING=1");
	vb_notify_close(&n);
	assert_int_equal(n.fd, -1);
	unlisten(&l);
}

static void test_path(void **state)
{
	(void)state;
	round_trip(false);
}

static void test_abstract(void **state)
{
	(void)state;
	round_trip(true);
}

static void test_nobody_to_tell(void **state)
{
	(void)state;
	struct vb_notifier n;
	struct vb_err err = { "" };
	assert_int_equal(vb_notify_open(&n, NULL, &err), 0);
	assert_int_equal(n.fd, -1);
	assert_int_equal(vb_notify_send(&n, "READY=1", &err), 0);
	vb_notify_close(&n);
	assert_int_equal(vb_notify_open(&n, "", &err), 0);
	assert_int_equal(n.fd, -1);
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(vb_notify_open_env(&n, &err), 0);
	assert_int_equal(n.fd, -1);
}

/* Read once, then gone: nothing vmboot starts can notify in its name. */
static void test_env_removed(void **state)
{
	(void)state;
	struct listener l;
	listen_on(&l, false);
	setenv("NOTIFY_SOCKET", l.name, 1);
	struct vb_notifier n;
	struct vb_err err = { "" };
	assert_int_equal(vb_notify_open_env(&n, &err), 0);
	assert_null(getenv("NOTIFY_SOCKET"));
	assert_int_equal(vb_notify_send(&n, "READY=1", &err), 0);
	expect_message(&l, "READY=1");
	vb_notify_close(&n);
	unlisten(&l);

	setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
	assert_int_equal(vb_notify_open_env(&n, &err), -EAFNOSUPPORT);
	assert_null(getenv("NOTIFY_SOCKET"));
}

static void test_errors(void **state)
{
	(void)state;
	struct vb_notifier n;
	struct vb_err err = { "" };
	assert_int_equal(vb_notify_open(&n, "vsock:2:1234", &err), -EAFNOSUPPORT);
	assert_non_null(strstr(err.msg, "NOTIFY_SOCKET"));
	assert_int_equal(n.fd, -1);
	assert_int_equal(vb_notify_open(&n, "relative/path", &err), -EAFNOSUPPORT);

	char long_name[200];
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[0] = '/';
	long_name[sizeof(long_name) - 1] = 0;
	assert_int_equal(vb_notify_open(&n, long_name, &err), -ENAMETOOLONG);
	/* 108 bytes: an abstract name fits exactly, a path (NUL) does not. */
	long_name[108] = 0;
	long_name[0] = '@';
	assert_int_equal(vb_notify_open(&n, long_name, &err), 0);
	vb_notify_close(&n);
	long_name[0] = '/';
	assert_int_equal(vb_notify_open(&n, long_name, &err), -ENAMETOOLONG);

	/* A path nobody listens on: the send fails, with the reason. */
	struct listener l;
	listen_on(&l, false);
	unlisten(&l);
	assert_int_equal(vb_notify_open(&n, l.name, &err), 0);
	int rc = vb_notify_send(&n, "READY=1", &err);
	assert_true(rc == -ENOENT || rc == -ECONNREFUSED);
	assert_non_null(strstr(err.msg, "NOTIFY_SOCKET: send"));
	vb_notify_close(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_abstract),
		cmocka_unit_test(test_nobody_to_tell),
		cmocka_unit_test(test_env_removed),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
