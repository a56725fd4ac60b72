/* The host console's input (machine/console.h): a reader thread for a
 * pipe, none for /dev/null, which can only ever say end of file. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "machine/console.h"

struct received {
	uint8_t buf[16];
	_Atomic size_t n;
};

static size_t take(void *ctx, const uint8_t *buf, size_t n)
{
	struct received *r = ctx;
	size_t have = atomic_load(&r->n);
	size_t k = n < sizeof(r->buf) - have ? n : sizeof(r->buf) - have;
	memcpy(r->buf + have, buf, k);
	atomic_store(&r->n, have + k);
	return n;
}

static long discard(void *ctx, const uint8_t *buf, size_t n)
{
	(void)ctx;
	(void)buf;
	return (long)n;
}

static void open_console(struct vb_host_console *c, int fd, struct received *r)
{
	const struct vb_console dest = { discard, NULL };
	vb_host_console_init(c, &dest);
	const struct vb_host_console_input in = { .in_fd = fd, .to_guest = take, .ctx = r };
	struct vb_err err = { .msg = "" };
	assert_int_equal(vb_host_console_open(c, &in, &err), 0);
}

static void test_pipe_gets_a_reader(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct received r = { .n = 0 };
	struct vb_host_console c;
	open_console(&c, p[0], &r);
	assert_true(c.term.reader_running);
	assert_int_equal(write(p[1], "hi", 2), 2);
	for (int i = 0; i < 500 && atomic_load(&r.n) < 2; i++)
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	assert_int_equal(atomic_load(&r.n), 2);
	assert_memory_equal(r.buf, "hi", 2);
	vb_host_console_close(&c);
	assert_false(c.term.reader_running);
	close(p[0]);
	close(p[1]);
}

static void test_dev_null_gets_none(void **state)
{
	(void)state;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct received r = { .n = 0 };
	struct vb_host_console c;
	open_console(&c, fd, &r);
	assert_false(c.term.reader_running);
	vb_host_console_close(&c);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipe_gets_a_reader),
		cmocka_unit_test(test_dev_null_gets_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
