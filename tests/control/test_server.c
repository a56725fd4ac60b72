/* The control server thread with fake VM callbacks (control/server.h) and
 * the client (control/client.h): requests answered, bad requests get an
 * error reply and the server keeps serving, another uid is refused, an
 * orderly stop is forced after its timeout, the ops can be swapped (as
 * the builder does once a starting VM is built), the caller's thread
 * answers once the server's thread is stopped (handed over, as while the
 * guest runs), and a socket that never
 * answers (even one whose backlog is full) costs a call its deadline and
 * no more. No KVM. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/client.h"
#include "control/server.h"
#include "control/sockdir.h"

struct fake {
	atomic_int pauses, resumes, orderly_stops, forced_stops;
	_Atomic pthread_t paused_by;
};

static int fake_info(void *ctx, struct vb_ctl_reply *r, struct vb_err *err)
{
	(void)ctx;
	(void)err;
	vb_ctl_reply_add(r, "name", "fake");
	vb_ctl_reply_add(r, "state", "running");
	return 0;
}

static int fake_pause(void *ctx, struct vb_err *err)
{
	(void)err;
	struct fake *f = ctx;
	atomic_store(&f->paused_by, pthread_self());
	atomic_fetch_add(&f->pauses, 1);
	return 0;
}

static int fake_resume(void *ctx, struct vb_err *err)
{
	(void)ctx;
	return vb_err_set(err, EBUSY, "not paused");
}

static int fake_stop(void *ctx, bool force, struct vb_err *err)
{
	(void)err;
	struct fake *f = ctx;
	atomic_fetch_add(force ? &f->forced_stops : &f->orderly_stops, 1);
	return 0;
}

struct fixture {
	char base[64];
	char dir[96];
	struct fake fake;
	struct vb_ctl_server *s;
	char path[VB_CTL_PATH_MAX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	strcpy(f->base, "/tmp/vb-server-XXXXXX");
	if (!mkdtemp(f->base))
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/vmboot", f->base);
	struct vb_err err = { "" };
	if (vb_ctl_server_open(f->dir, "fake", &f->s, &err))
		return -1;
	const struct vb_ctl_ops ops = {
		.ctx = &f->fake, .info = fake_info, .pause = fake_pause,
		.resume = fake_resume, .stop = fake_stop,
	};
	if (vb_ctl_server_start(f->s, &ops, 30, &err))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s", vb_ctl_server_path(f->s));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	vb_ctl_server_close(f->s);
	/* Closing removes the socket. */
	int gone = access(f->path, F_OK) < 0;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->base);
	int rc = system(cmd);
	free(f);
	return rc == 0 && gone ? 0 : -1;
}

/* Sends raw bytes and reads until the reply's empty line or EOF. */
static char *raw(const char *path, const void *data, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct timeval tv = { 10, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	size_t done = 0;
	while (done < len) {
		ssize_t w = send(fd, (const char *)data + done, len - done, MSG_NOSIGNAL);
		if (w <= 0)
			break; /* the server may hang up on an oversized request */
		done += (size_t)w;
	}
	char *buf = calloc(1, 8192);
	assert_non_null(buf);
	size_t used = 0;
	while (used < 8191 && !strstr(buf, "\n\n")) {
		ssize_t n = recv(fd, buf + used, 8191 - used, 0);
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	return buf;
}

static void test_requests(void **state)
{
	struct fixture *f = *state;
	struct vb_err err = { "" };
	char *reply;
	const char *body;
	char v[32];
	assert_int_equal(vb_ctl_call(f->path, "hello", &reply, &body, &err), 0);
	assert_string_equal(vb_ctl_reply_get(body, "protocol", v, sizeof(v)), "1");
	free(reply);
	assert_int_equal(vb_ctl_call(f->path, "info", &reply, &body, &err), 0);
	assert_string_equal(vb_ctl_reply_get(body, "name", v, sizeof(v)), "fake");
	free(reply);
	assert_int_equal(vb_ctl_call(f->path, "pause", &reply, &body, &err), 0);
	free(reply);
	assert_int_equal(atomic_load(&f->fake.pauses), 1);
	/* A callback's error becomes an error reply with its context. */
	assert_int_equal(vb_ctl_call(f->path, "resume", &reply, &body, &err), -EREMOTEIO);
	assert_string_equal(err.msg, "resume: not paused");
	/* No callback: not supported. */
	assert_int_equal(vb_ctl_call(f->path, "debug", &reply, &body, &err), -EREMOTEIO);
	assert_string_equal(err.msg, "debug: not supported");
	assert_int_equal(vb_ctl_call(f->path, "frobnicate", &reply, &body, &err), -EREMOTEIO);
	assert_non_null(strstr(err.msg, "unknown command \"frobnicate\""));
}

static void test_bad_requests(void **state)
{
	struct fixture *f = *state;
	char *r = raw(f->path, "\x01\x02garbage\xff\n", 11);
	assert_true(!strncmp(r, "error ", 6));
	assert_non_null(strstr(r, "not printable ASCII"));
	assert_non_null(strstr(r, "\nprotocol 1\n\n"));
	free(r);
	r = raw(f->path, "vmboot/7 info\n", 14);
	assert_non_null(strstr(r, "error unsupported protocol version \"vmboot/7\""));
	free(r);
	/* Several requests on one connection, the bad one in the middle. */
	r = raw(f->path, "vmboot/1 hello\nnonsense\n", 24);
	assert_true(!strncmp(r, "ok\n", 3));
	free(r);

	size_t big = 3 * VB_CTL_LINE_MAX;
	char *line = malloc(big);
	assert_non_null(line);
	memset(line, 'x', big);
	r = raw(f->path, line, big);
	assert_non_null(strstr(r, "error request: longer than 4095 bytes"));
	free(r);
	free(line);

	/* After all that the server still answers. */
	struct vb_err err = { "" };
	char *reply;
	const char *body;
	assert_int_equal(vb_ctl_call(f->path, "info", &reply, &body, &err), 0);
	free(reply);
}

static void test_stop_timeout(void **state)
{
	struct fixture *f = *state;
	struct vb_err err = { "" };
	char *reply;
	const char *body;
	char v[32];
	assert_int_equal(vb_ctl_call(f->path, "stop timeout=4", &reply, &body, &err), 0);
	assert_string_equal(vb_ctl_reply_get(body, "stop", v, sizeof(v)), "requested");
	free(reply);
	assert_int_equal(atomic_load(&f->fake.orderly_stops), 1);
	/* The fake VM ignores the request: the server asks once more (at half
	 * the timeout here, the nudge: the other way the VM knows), then
	 * forces it. Waits up to 20 s for that; no assertion on how long it
	 * took. */
	for (int i = 0; i < 200 && !atomic_load(&f->fake.forced_stops); i++)
		usleep(100000);
	assert_int_equal(atomic_load(&f->fake.orderly_stops), 2);
	assert_int_equal(atomic_load(&f->fake.forced_stops), 1);
	assert_int_equal(vb_ctl_call(f->path, "stop force", &reply, &body, &err), 0);
	assert_string_equal(vb_ctl_reply_get(body, "stop", v, sizeof(v)), "forced");
	free(reply);
	assert_int_equal(atomic_load(&f->fake.forced_stops), 2);
}

/* A client on its own thread: a pause, then a stop the fake VM ignores. */
static void *handed_over_client(void *arg)
{
	struct fixture *f = arg;
	struct vb_err err = { "" };
	char *reply;
	const char *body;
	int rc = vb_ctl_call(f->path, "pause", &reply, &body, &err);
	if (!rc)
		free(reply);
	if (!rc)
		rc = vb_ctl_call(f->path, "stop timeout=2", &reply, &body, &err);
	if (!rc)
		free(reply);
	return (void *)(intptr_t)rc;
}

/* Handed over, the test's thread answers: it polls the socket and calls
 * serve, which also takes the forced stop when its time comes. */
static void test_handed_over(void **state)
{
	struct fixture *f = *state;
	vb_ctl_server_stop(f->s);
	pthread_t client;
	assert_int_equal(pthread_create(&client, NULL, handed_over_client, f), 0);
	/* At most ~20 s; no assertion on how long it took. */
	for (int i = 0; i < 200 && !atomic_load(&f->fake.forced_stops); i++) {
		struct pollfd p = { .fd = vb_ctl_server_fd(f->s), .events = POLLIN };
		int ms = vb_ctl_server_timeout_ms(f->s);
		int n = poll(&p, 1, ms >= 0 && ms < 100 ? ms : 100);
		vb_ctl_server_serve(f->s, n > 0 && (p.revents & POLLIN), -1, -1);
	}
	void *rc;
	pthread_join(client, &rc);
	assert_int_equal((intptr_t)rc, 0);
	assert_int_equal(atomic_load(&f->fake.pauses), 1);
	assert_true(pthread_equal(atomic_load(&f->fake.paused_by), pthread_self()));
	assert_int_equal(atomic_load(&f->fake.orderly_stops), 2);
	assert_int_equal(atomic_load(&f->fake.forced_stops), 1);
}

/* As uid 65534: exit 0 when refused as expected. With fs_root the child
 * keeps root's file access (fsuid 0), so it gets past the 0700 directory
 * and the server's SO_PEERCRED check (which sees the euid) must refuse. */
static int child_as_nobody(const char *path, bool fs_root)
{
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, fs_root ? 0 : 65534))
		return 90;
	if (fs_root)
		setfsuid(0);
	struct vb_err err = { "" };
	char *reply;
	const char *body;
	int rc = vb_ctl_call(path, "pause", &reply, &body, &err);
	if (!fs_root)
		return rc == -EACCES ? 0 : 91;
	if (rc != -EREMOTEIO || !strstr(err.msg, "permission denied: uid 65534")) {
		fprintf(stderr, "as uid 65534 with fsuid 0: %d %s\n", rc, err.msg);
		return 92;
	}
	return 0;
}

static void test_other_uid(void **state)
{
	struct fixture *f = *state;
	if (geteuid() != 0) {
		print_message("SKIP part: running as another uid needs root\n");
		return;
	}
	for (int fs_root = 0; fs_root < 2; fs_root++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			_exit(child_as_nobody(f->path, fs_root));
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(atomic_load(&f->fake.pauses), 0);
}

static int starting_info(void *ctx, struct vb_ctl_reply *r, struct vb_err *err)
{
	(void)ctx;
	(void)err;
	vb_ctl_reply_add(r, "state", "starting");
	return 0;
}

static void test_set_ops(void **state)
{
	struct fixture *f = *state;
	struct vb_err err = { .msg = "" };
	char *reply;
	const char *body;
	char v[32];
	assert_int_equal(vb_ctl_call(f->path, "info", &reply, &body, &err), 0);
	assert_string_equal(vb_ctl_reply_get(body, "state", v, sizeof(v)), "running");
	free(reply);
	const struct vb_ctl_ops ops = { .ctx = &f->fake, .info = starting_info };
	vb_ctl_server_set_ops(f->s, &ops);
	assert_int_equal(vb_ctl_call(f->path, "info", &reply, &body, &err), 0);
	assert_string_equal(vb_ctl_reply_get(body, "state", v, sizeof(v)), "starting");
	free(reply);
	assert_int_equal(vb_ctl_call(f->path, "pause", &reply, &body, &err), -EREMOTEIO);
	assert_string_equal(err.msg, "pause: not supported");
	assert_int_equal(atomic_load(&f->fake.pauses), 0);
}

/* A socket bound and listening with backlog 0, never accepting: the call
 * connects (queued), gets no answer and ends at its deadline, naming the
 * listener's pid; once the backlog is full a blocking connect would wait
 * for ever, and the probe and the call must not. alarm() turns such a
 * hang into a failure. */
static void test_silent_socket(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/silent.sock", f->dir);
	int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(listener >= 0);
	assert_int_equal(bind(listener, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(listener, 0), 0);
	alarm(30);

	struct vb_err err = { .msg = "" };
	char *reply;
	const char *body;
	pid_t peer = 0;
	assert_int_equal(vb_ctl_call_within(sa.sun_path, "info", 200, &reply, &body, &peer, &err),
			 -ETIMEDOUT);
	assert_int_equal(peer, getpid());

	int queued[16], n_queued = 0;
	bool full = false;
	while (!full && n_queued < 16) {
		int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		assert_true(c >= 0);
		if (connect(c, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			queued[n_queued++] = c;
			continue;
		}
		assert_int_equal(errno, EAGAIN);
		close(c);
		full = true;
	}
	assert_true(full);
	assert_int_equal(vb_ctl_probe(sa.sun_path, &err), VB_CTL_LIVE);
	assert_int_equal(vb_ctl_call_within(sa.sun_path, "info", 200, &reply, &body, &peer, &err),
			 -ETIMEDOUT);
	assert_non_null(strstr(err.msg, "backlog is full"));
	assert_int_equal(peer, 0);

	alarm(0);
	while (n_queued > 0)
		close(queued[--n_queued]);
	close(listener);
	unlink(sa.sun_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handed_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_uid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_ops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_socket, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
