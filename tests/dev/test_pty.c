/* The pty console backend (dev/pty.h): guest output reaches the slave
 * unchanged (raw: no echo, no CR/LF translation), a full pty never blocks
 * the writer and keeps the newest output, user input reaches a vb_term
 * reader on the master, and a user holding the slave sees the hang-up
 * when the pty closes. */
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

#include "dev/pty.h"
#include "dev/term.h"

static int setup(void **state)
{
	static struct vb_pty pty;
	struct vb_err err = { "" };
	if (access("/dev/ptmx", R_OK | W_OK)) {
		print_message("SKIP: /dev/ptmx: %s\n", strerror(errno));
		exit(77);
	}
	if (vb_pty_open(&pty, &err)) {
		print_message("SKIP: %s\n", err.msg);
		exit(77);
	}
	*state = &pty;
	return 0;
}

static int teardown(void **state)
{
	vb_pty_close(*state);
	return 0;
}

/* Reads what is available on fd within ms, into buf (NUL-terminated). */
static size_t drain(int fd, char *buf, size_t size, int ms)
{
	size_t used = 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (used + 1 >= size || poll(&p, 1, ms) <= 0)
			break;
		ssize_t n = read(fd, buf + used, size - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
		ms = 50; /* after the first piece, only what follows at once */
	}
	buf[used] = 0;
	return used;
}

static void test_output_raw(void **state)
{
	struct vb_pty *pty = *state;
	assert_string_equal(pty->path, ptsname(pty->master_fd));
	assert_int_equal(strncmp(pty->path, "/dev/pts/", 9), 0);
	int user = open(pty->path, O_RDWR | O_NOCTTY);
	assert_true(user >= 0);
	const char out[] = "boot\nline\r\n\x03\x7f";
	assert_int_equal(vb_pty_console_write(pty, (const uint8_t *)out, sizeof(out) - 1),
			 sizeof(out) - 1);
	char buf[64];
	assert_int_equal(drain(user, buf, sizeof(buf), 2000), sizeof(out) - 1);
	assert_memory_equal(buf, out, sizeof(out) - 1);
	/* Nothing echoed back towards the guest. */
	assert_int_equal(drain(pty->master_fd, buf, sizeof(buf), 100), 0);
	close(user);
}

static void test_full_does_not_block(void **state)
{
	struct vb_pty *pty = *state;
	uint8_t chunk[4096];
	memset(chunk, 'a', sizeof(chunk));
	/* Far more than a pty holds (64 KiB of buffers plus 4 KiB of line
	 * discipline in Linux): with nobody reading, a blocking write would
	 * hang here. */
	for (int i = 0; i < 128; i++)
		assert_int_equal(vb_pty_console_write(pty, chunk, sizeof(chunk)), sizeof(chunk));
	assert_true(atomic_load(&pty->overflows) > 0);
	assert_int_equal(vb_pty_console_write(pty, (const uint8_t *)"END", 3), 3);
	/* Whoever attaches now sees the newest output, ending in END. */
	int user = open(pty->path, O_RDWR | O_NOCTTY);
	assert_true(user >= 0);
	static char buf[256 * 1024];
	size_t n = drain(user, buf, sizeof(buf), 2000);
	assert_true(n >= 3);
	assert_true(n < 128 * sizeof(chunk));
	assert_memory_equal(buf + n - 3, "END", 3);
	close(user);
}

struct sink {
	pthread_mutex_t lock;
	char got[64];
	size_t n;
};

static size_t sink_fn(void *ctx, const uint8_t *buf, size_t n)
{
	struct sink *s = ctx;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < n && s->n + 1 < sizeof(s->got); i++)
		s->got[s->n++] = (char)buf[i];
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void event_fn(void *ctx, enum vb_term_event ev)
{
	(void)ctx;
	(void)ev;
}

static void test_input_reaches_reader(void **state)
{
	struct vb_pty *pty = *state;
	struct sink s = { PTHREAD_MUTEX_INITIALIZER, "", 0 };
	struct vb_term term;
	struct vb_err err = { "" };
	vb_term_attach_fd(&term, pty->master_fd);
	assert_int_equal(vb_term_start_reader(&term, sink_fn, event_fn, &s, &err), 0);
	int user = open(pty->path, O_RDWR | O_NOCTTY);
	assert_true(user >= 0);
	assert_int_equal(write(user, "ls\r", 3), 3);
	size_t n = 0;
	for (int i = 0; i < 200 && n < 3; i++) {
		usleep(10000);
		pthread_mutex_lock(&s.lock);
		n = s.n;
		pthread_mutex_unlock(&s.lock);
	}
	vb_term_close(&term);
	/* Raw: the CR is not turned into a newline. */
	assert_int_equal(n, 3);
	assert_memory_equal(s.got, "ls\r", 3);
	close(user);
}

static void test_hangup_on_close(void **state)
{
	(void)state;
	struct vb_pty pty;
	struct vb_err err = { "" };
	assert_int_equal(vb_pty_open(&pty, &err), 0);
	int user = open(pty.path, O_RDWR | O_NOCTTY);
	assert_true(user >= 0);
	vb_pty_close(&pty);
	vb_pty_close(&pty); /* idempotent */
	assert_int_equal(pty.master_fd, -1);
	char c;
	/* Linux reports a closed master as EIO (or end of file). */
	ssize_t n = read(user, &c, 1);
	assert_true(n == 0 || (n < 0 && errno == EIO));
	assert_int_equal(vb_pty_console_write(&pty, (const uint8_t *)"x", 1), -EIO);
	close(user);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_output_raw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_does_not_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_input_reaches_reader, setup, teardown),
		cmocka_unit_test(test_hangup_on_close),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
