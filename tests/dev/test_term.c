#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev/term.h"

static void test_filter(void **state)
{
	(void)state;
	struct vb_term_escape esc = {0};
	uint8_t out[32];
	bool quit;
	const uint8_t a[] = {'a', 0x01, 0x01, 'b', 0x01, 'c'};
	size_t n = vb_term_filter(&esc, a, sizeof(a), out, &quit);
	assert_false(quit);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "a\x01" "b\x01" "c", 5);
	/* escape split across reads */
	const uint8_t b1[] = {'z', 0x01};
	const uint8_t b2[] = {'x', 'y'};
	n = vb_term_filter(&esc, b1, 2, out, &quit);
	assert_int_equal(n, 1);
	assert_true(esc.pending);
	n = vb_term_filter(&esc, b2, 2, out, &quit);
	assert_true(quit);
	assert_int_equal(n, 0);
}

struct sink {
	pthread_mutex_t lock;
	uint8_t buf[8192];
	size_t len;
	size_t max_per_call;
	sem_t event;
	enum vb_term_event last;
};

static size_t sink_fn(void *ctx, const uint8_t *b, size_t n)
{
	struct sink *s = ctx;
	pthread_mutex_lock(&s->lock);
	if (s->max_per_call && n > s->max_per_call)
		n = s->max_per_call;
	if (n > sizeof(s->buf) - s->len)
		n = sizeof(s->buf) - s->len;
	memcpy(s->buf + s->len, b, n);
	s->len += n;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void event_fn(void *ctx, enum vb_term_event ev)
{
	struct sink *s = ctx;
	s->last = ev;
	sem_post(&s->event);
}

/* A hang guard, not a timing assertion: a broken reader fails the test
 * instead of blocking make check forever. */
static void wait_event(struct sink *s)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 60;
	int r;
	do
		r = sem_timedwait(&s->event, &ts);
	while (r < 0 && errno == EINTR);
	assert_int_equal(r, 0);
}

static void sink_init(struct sink *s, size_t max)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	sem_init(&s->event, 0, 0);
	s->max_per_call = max;
}

static void sink_fini(struct sink *s)
{
	sem_destroy(&s->event);
	pthread_mutex_destroy(&s->lock);
}

static void write_all(int fd, const void *buf, size_t n)
{
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
}

static void test_reader_eof(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct vb_term t;
	struct sink s;
	sink_init(&s, 0);
	assert_int_equal(vb_term_open(&t, p[0], NULL), 0);
	assert_false(t.raw); /* a pipe is not a terminal */
	assert_int_equal(vb_term_start_reader(&t, sink_fn, event_fn, &s, NULL), 0);
	write_all(p[1], "abc\x01\x01" "d", 6);
	close(p[1]);
	wait_event(&s);
	assert_int_equal(s.last, VB_TERM_EOF);
	vb_term_close(&t);
	assert_int_equal(s.len, 5);
	assert_memory_equal(s.buf, "abc\x01" "d", 5);
	vb_term_close(&t); /* idempotent */
	close(p[0]);
	sink_fini(&s);
}

static void test_reader_quit_and_backpressure(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct vb_term t;
	struct sink s;
	sink_init(&s, 3); /* a nearly full FIFO */
	assert_int_equal(vb_term_open(&t, p[0], NULL), 0);
	assert_int_equal(vb_term_start_reader(&t, sink_fn, event_fn, &s, NULL), 0);
	char msg[100];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (char)('A' + i % 26);
	write_all(p[1], msg, sizeof(msg));
	write_all(p[1], "\x01x", 2);
	wait_event(&s);
	assert_int_equal(s.last, VB_TERM_QUIT);
	vb_term_close(&t);
	assert_int_equal(s.len, sizeof(msg));
	assert_memory_equal(s.buf, msg, sizeof(msg));
	close(p[0]);
	close(p[1]);
	sink_fini(&s);
}

static void test_stop_while_idle(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct vb_term t;
	struct sink s;
	sink_init(&s, 0);
	assert_int_equal(vb_term_open(&t, p[0], NULL), 0);
	assert_int_equal(vb_term_start_reader(&t, sink_fn, event_fn, &s, NULL), 0);
	vb_term_close(&t); /* must not hang on a silent input */
	assert_false(t.reader_running);
	close(p[0]);
	close(p[1]);
	sink_fini(&s);
}

static int open_pty(int *slave)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0)
		return -1;
	*slave = open(ptsname(m), O_RDWR | O_NOCTTY);
	return *slave < 0 ? -1 : m;
}

static void test_raw_mode_restored(void **state)
{
	(void)state;
	int slave, master = open_pty(&slave);
	if (master < 0)
		skip();
	struct termios before, during, after;
	assert_int_equal(tcgetattr(slave, &before), 0);
	assert_true(before.c_lflag & ICANON);
	struct vb_term t;
	assert_int_equal(vb_term_open(&t, slave, NULL), 0);
	assert_true(t.raw);
	assert_int_equal(tcgetattr(slave, &during), 0);
	assert_false(during.c_lflag & (ICANON | ECHO | ISIG));
	vb_term_close(&t);
	assert_int_equal(tcgetattr(slave, &after), 0);
	assert_int_equal(after.c_lflag, before.c_lflag);
	assert_int_equal(after.c_iflag, before.c_iflag);
	close(slave);
	close(master);
}

static void test_crash_restores(void **state)
{
	(void)state;
	int slave, master = open_pty(&slave);
	if (master < 0)
		skip();
	struct termios before, after;
	assert_int_equal(tcgetattr(slave, &before), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vb_term t;
		if (vb_term_open(&t, slave, NULL) < 0 || !t.raw)
			_exit(3);
		raise(SIGSEGV);
		_exit(4);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
	assert_int_equal(tcgetattr(slave, &after), 0);
	assert_int_equal(after.c_lflag, before.c_lflag);
	close(slave);
	close(master);
}

static void test_exit_restores(void **state)
{
	(void)state;
	int slave, master = open_pty(&slave);
	if (master < 0)
		skip();
	struct termios before, after;
	assert_int_equal(tcgetattr(slave, &before), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vb_term t;
		if (vb_term_open(&t, slave, NULL) < 0 || !t.raw)
			_exit(3);
		exit(0); /* no vb_term_close: atexit must restore */
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(tcgetattr(slave, &after), 0);
	assert_int_equal(after.c_lflag, before.c_lflag);
	close(slave);
	close(master);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_reader_eof),
		cmocka_unit_test(test_reader_quit_and_backpressure),
		cmocka_unit_test(test_stop_while_idle),
		cmocka_unit_test(test_raw_mode_restored),
		cmocka_unit_test(test_crash_restores),
		cmocka_unit_test(test_exit_restores),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
