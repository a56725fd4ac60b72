/* vb_open_expect (util/io.h): the one way vmboot opens a file a machine
 * file names. A FIFO, a socket, a character device and a directory where
 * a file is wanted are refused without blocking and with a message that
 * names the kind; a regular file and a directory where one is wanted
 * open, close-on-exec and blocking again; O_CREAT creates a missing file
 * but never opens a FIFO in its place. alarm() turns a hang (the bug this
 * guards against) into a failure. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/io.h"

struct dir {
	char path[64];
	char fifo[96], file[96], sub[96], sock[96], link[96], fresh[96];
	int sock_fd;
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));
	if (!d)
		return -1;
	strcpy(d->path, "/tmp/vb-io-XXXXXX");
	if (!mkdtemp(d->path))
		return -1;
	snprintf(d->fifo, sizeof(d->fifo), "%s/fifo", d->path);
	snprintf(d->file, sizeof(d->file), "%s/file", d->path);
	snprintf(d->sub, sizeof(d->sub), "%s/sub", d->path);
	snprintf(d->sock, sizeof(d->sock), "%s/sock", d->path);
	snprintf(d->link, sizeof(d->link), "%s/link-to-fifo", d->path);
	snprintf(d->fresh, sizeof(d->fresh), "%s/fresh", d->path);
	if (mkfifo(d->fifo, 0600) || mkdir(d->sub, 0700) || symlink(d->fifo, d->link))
		return -1;
	FILE *f = fopen(d->file, "w");
	if (!f || fputs("kernel bytes", f) < 0 || fclose(f))
		return -1;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d->sock);
	d->sock_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (d->sock_fd < 0 || bind(d->sock_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(d->sock_fd, 1))
		return -1;
	alarm(20);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	alarm(0);
	close(d->sock_fd);
	unlink(d->fifo);
	unlink(d->file);
	unlink(d->sock);
	unlink(d->link);
	unlink(d->fresh);
	rmdir(d->sub);
	int rc = rmdir(d->path);
	free(d);
	return rc;
}

/* path is refused with rc and a message containing text. */
static void refused(const char *path, int flags, unsigned kinds, int rc, const char *text)
{
	struct vb_err err = { .msg = "" };
	assert_int_equal(vb_open_expect(path, flags, kinds, NULL, &err), rc);
	if (!strstr(err.msg, text))
		fail_msg("\"%s\" lacks \"%s\"", err.msg, text);
	assert_non_null(strstr(err.msg, path));
}

static void test_fifo_refused_without_blocking(void **state)
{
	struct dir *d = *state;
	/* No writer: a plain open(O_RDONLY) would wait here for ever. */
	refused(d->fifo, O_RDONLY, VB_FILE_REGULAR, -EINVAL, "is a FIFO, not a regular file");
	refused(d->fifo, O_RDWR, VB_FILE_REGULAR | VB_FILE_BLOCK, -EINVAL,
		"is a FIFO, not a regular file or a block device");
	refused(d->fifo, O_WRONLY, VB_FILE_REGULAR, -EINVAL, "is a FIFO");
	refused(d->fifo, O_PATH, VB_FILE_REGULAR | VB_FILE_BLOCK | VB_FILE_DIR, -EINVAL,
		"is a FIFO, not a regular file, a block device or a directory");
	/* Symbolic links are followed, to what they point at. */
	refused(d->link, O_RDONLY, VB_FILE_REGULAR, -EINVAL, "is a FIFO");
	/* O_CREAT on an existing FIFO refuses it rather than opening it. */
	refused(d->fifo, O_RDWR | O_CREAT, VB_FILE_REGULAR, -EINVAL, "is a FIFO");
}

static void test_directory(void **state)
{
	struct dir *d = *state;
	refused(d->sub, O_RDONLY, VB_FILE_REGULAR, -EISDIR, "is a directory, not a regular file");
	refused(d->sub, O_RDWR, VB_FILE_REGULAR | VB_FILE_BLOCK, -EISDIR, "is a directory");
	struct vb_err err = { .msg = "" };
	struct stat st;
	int fd = vb_open_expect(d->sub, O_RDONLY | O_DIRECTORY, VB_FILE_DIR, &st, &err);
	assert_true(fd >= 0);
	assert_true(S_ISDIR(st.st_mode));
	close(fd);
	fd = vb_open_expect(d->sub, O_PATH, VB_FILE_REGULAR | VB_FILE_DIR, NULL, &err);
	assert_true(fd >= 0);
	close(fd);
	/* A file where only a directory will do. */
	refused(d->file, O_RDONLY, VB_FILE_DIR, -ENOTDIR, "is a regular file, not a directory");
}

static void test_char_device_and_socket(void **state)
{
	struct dir *d = *state;
	refused("/dev/null", O_RDONLY, VB_FILE_REGULAR, -EINVAL,
		"is a character device, not a regular file");
	refused("/dev/null", O_RDWR | O_CREAT, VB_FILE_REGULAR, -EINVAL, "a character device");
	refused(d->sock, O_RDONLY, VB_FILE_REGULAR | VB_FILE_BLOCK, -EINVAL,
		"is a socket, not a regular file or a block device");
}

static void test_regular_file(void **state)
{
	struct dir *d = *state;
	struct vb_err err = { .msg = "" };
	struct stat st;
	int fd = vb_open_expect(d->file, O_RDONLY, VB_FILE_REGULAR, &st, &err);
	assert_true(fd >= 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, strlen("kernel bytes"));
	/* Blocking again, close-on-exec, and the file's bytes. */
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	char buf[32] = "";
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), strlen("kernel bytes"));
	assert_string_equal(buf, "kernel bytes");
	close(fd);
	/* Read-write, as a disk image is opened. */
	fd = vb_open_expect(d->file, O_RDWR, VB_FILE_REGULAR | VB_FILE_BLOCK, NULL, &err);
	assert_true(fd >= 0);
	close(fd);
}

static void test_missing_and_create(void **state)
{
	struct dir *d = *state;
	refused(d->fresh, O_RDONLY, VB_FILE_REGULAR, -ENOENT, "No such file or directory");
	struct vb_err err = { .msg = "" };
	struct stat st;
	int fd = vb_open_expect(d->fresh, O_RDWR | O_CREAT, VB_FILE_REGULAR, &st, &err);
	assert_true(fd >= 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 077, 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
	/* Existing now: opened, not created again. */
	fd = vb_open_expect(d->fresh, O_RDWR | O_CREAT, VB_FILE_REGULAR, NULL, &err);
	assert_true(fd >= 0);
	close(fd);
}

static void test_fd_expect(void **state)
{
	struct dir *d = *state;
	struct vb_err err = { .msg = "" };
	int fd = open(d->fifo, O_RDWR | O_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(vb_fd_expect(fd, "/shm-name", VB_FILE_REGULAR, NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "/shm-name: is a FIFO, not a regular file");
	close(fd);
}

/* A console on a pipe nobody reads: what fits is written, then the write
 * waits until the cancel, and says how much went. */
static void test_console_write_cancelled_when_full(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	int size = fcntl(p[1], F_GETPIPE_SZ);
	assert_true(size > 0);
	int cancel = eventfd(0, EFD_CLOEXEC);
	assert_true(cancel >= 0);
	struct vb_console_fd c;
	vb_console_fd_open(&c, p[1], cancel);
	assert_true(c.nonblock_fd >= 0);
	uint8_t *buf = calloc(1, (size_t)size + 100);
	assert_non_null(buf);
	uint64_t one = 1;
	assert_int_equal(write(cancel, &one, sizeof(one)), sizeof(one));
	/* The cancel is seen only while waiting: the pipe's worth goes first. */
	assert_int_equal(vb_console_write_fd(&c, buf, (size_t)size + 100), size);
	assert_int_equal(vb_console_write_fd(&c, buf, 1), -ECANCELED);
	vb_console_fd_close(&c);
	free(buf);
	close(cancel);
	close(p[0]);
	close(p[1]);
}

/* Without a cancel it is a plain write-all; a reader gone is an error. */
static void test_console_write_all_and_broken_pipe(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct vb_console_fd c;
	vb_console_fd_open(&c, p[1], -1);
	assert_int_equal(vb_console_write_fd(&c, (const uint8_t *)"hello", 5), 5);
	char got[6] = { 0 };
	assert_int_equal(read(p[0], got, 5), 5);
	assert_string_equal(got, "hello");
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(vb_console_write_fd(&c, (const uint8_t *)"x", 1), -EPIPE);
	vb_console_fd_close(&c);
	close(p[1]);
}

/* A pipe with room for one byte but no free page: poll says it is full,
 * yet that byte goes, and only the next waits (for the cancel). The
 * other end of the pipe is what it was: blocking. */
static void test_console_write_last_byte_of_full_pipe(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	long page = sysconf(_SC_PAGESIZE);
	assert_int_equal(fcntl(p[1], F_SETPIPE_SZ, (int)page), page);
	uint8_t *fill = calloc(1, (size_t)page);
	assert_non_null(fill);
	assert_int_equal(write(p[1], fill, (size_t)page - 1), page - 1);
	struct pollfd pf = { .fd = p[1], .events = POLLOUT };
	assert_int_equal(poll(&pf, 1, 0), 0);
	int cancel = eventfd(0, EFD_CLOEXEC);
	assert_true(cancel >= 0);
	struct vb_console_fd c;
	vb_console_fd_open(&c, p[1], cancel);
	assert_int_equal(vb_console_write_fd(&c, (const uint8_t *)"b", 1), 1);
	uint64_t one = 1;
	assert_int_equal(write(cancel, &one, sizeof(one)), sizeof(one));
	assert_int_equal(vb_console_write_fd(&c, (const uint8_t *)"e", 1), -ECANCELED);
	assert_false(fcntl(p[1], F_GETFL) & O_NONBLOCK);
	assert_int_equal(read(p[0], fill, (size_t)page), page);
	assert_int_equal(fill[page - 1], 'b');
	vb_console_fd_close(&c);
	free(fill);
	close(cancel);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fifo_refused_without_blocking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_char_device_and_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_regular_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_expect, setup, teardown),
		cmocka_unit_test(test_console_write_cancelled_when_full),
		cmocka_unit_test(test_console_write_all_and_broken_pipe),
		cmocka_unit_test(test_console_write_last_byte_of_full_pipe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
