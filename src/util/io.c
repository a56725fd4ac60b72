#include "util/io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

long vb_write_all(int fd, const uint8_t *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(fd, buf + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return done ? (long)done : (w < 0 ? -errno : -EIO);
		done += (size_t)w;
	}
	return (long)done;
}

int vb_write_all_wait(int fd, const void *buf, size_t n, bool is_socket,
		      int (*room)(void *ctx, int fd), void *ctx)
{
	const uint8_t *p = buf;
	size_t done = 0;
	while (done < n) {
		ssize_t w = is_socket ? send(fd, p + done, n - done, MSG_NOSIGNAL) :
					write(fd, p + done, n - done);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return -errno;
		if (room(ctx, fd) <= 0)
			return -ETIMEDOUT;
	}
	return 0;
}

int vb_self_exe(char *buf, size_t size)
{
	if (size < 2)
		return -ENAMETOOLONG;
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= size - 1)
		return -ENAMETOOLONG;
	buf[n] = 0;
	return 0;
}

int vb_self_dir(char *buf, size_t size)
{
	int rc = vb_self_exe(buf, size);
	if (rc)
		return rc;
	char *slash = strrchr(buf, '/');
	if (!slash)
		return -ENOENT;
	*(slash == buf ? slash + 1 : slash) = 0;
	return 0;
}

void vb_console_fd_open(struct vb_console_fd *c, int fd, int cancel_fd)
{
	*c = (struct vb_console_fd){ .fd = fd, .cancel_fd = cancel_fd, .nonblock_fd = -1 };
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return;
	c->is_socket = S_ISSOCK(st.st_mode);
	c->is_regular = S_ISREG(st.st_mode);
	if (S_ISFIFO(st.st_mode)) {
		char path[32];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		c->nonblock_fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	}
}

void vb_console_fd_close(struct vb_console_fd *c)
{
	if (c->nonblock_fd >= 0)
		close(c->nonblock_fd);
	c->nonblock_fd = -1;
}

/* Until fd polls writable (a pipe: a free page), or the cancel came: 1, 0
 * (cancelled) or -errno. */
static int wait_writable(const struct vb_console_fd *c)
{
	struct pollfd p[2] = { { .fd = c->fd, .events = POLLOUT },
			       { .fd = c->cancel_fd, .events = POLLIN } };
	for (;;) {
		int r = poll(p, c->cancel_fd >= 0 ? 2 : 1, -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		/* Output still goes while fd takes it, cancelled or not: what
		 * the guest wrote just before it powered off is kept. */
		if (p[0].revents)
			return 1;
		if (c->cancel_fd >= 0 && (p[1].revents & POLLIN))
			return 0;
	}
}

/* A write that cannot block: what fd takes now, or -1 with errno (EAGAIN:
 * nothing fits). Elsewhere a write waited for by wait_writable, no more
 * than PIPE_BUF bytes, which POLLOUT promises room for. */
static ssize_t write_some(const struct vb_console_fd *c, const uint8_t *buf, size_t n,
			  bool polled)
{
	if (c->is_socket)
		return send(c->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (c->is_regular)
		return write(c->fd, buf, n);
	if (c->nonblock_fd >= 0)
		return write(c->nonblock_fd, buf, n);
	if (!polled) {
		errno = EAGAIN;
		return -1;
	}
	return write(c->fd, buf, n < PIPE_BUF ? n : PIPE_BUF);
}

long vb_console_write_fd(void *ctx, const uint8_t *buf, size_t n)
{
	const struct vb_console_fd *c = ctx;
	size_t done = 0;
	bool polled = false;
	while (done < n) {
		ssize_t w = write_some(c, buf + done, n - done, polled);
		polled = false;
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w == 0)
			return done ? (long)done : -EIO;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return done ? (long)done : -errno;
		int r = wait_writable(c);
		if (r <= 0)
			return done ? (long)done : (r ? r : -ECANCELED);
		polled = true;
	}
	return (long)done;
}

const char *vb_file_kind_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFBLK: return "a block device";
	case S_IFCHR: return "a character device";
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	case S_IFLNK: return "a symbolic link";
	default: return "of an unknown kind";
	}
}

static const char *kinds_text(unsigned kinds)
{
	switch (kinds & (VB_FILE_REGULAR | VB_FILE_BLOCK | VB_FILE_DIR)) {
	case VB_FILE_REGULAR: return "a regular file";
	case VB_FILE_BLOCK: return "a block device";
	case VB_FILE_DIR: return "a directory";
	case VB_FILE_REGULAR | VB_FILE_BLOCK: return "a regular file or a block device";
	case VB_FILE_REGULAR | VB_FILE_DIR: return "a regular file or a directory";
	case VB_FILE_BLOCK | VB_FILE_DIR: return "a block device or a directory";
	case 0: return "anything";
	default: return "a regular file, a block device or a directory";
	}
}

static unsigned kind_of(mode_t mode)
{
	if (S_ISREG(mode))
		return VB_FILE_REGULAR;
	if (S_ISBLK(mode))
		return VB_FILE_BLOCK;
	return S_ISDIR(mode) ? VB_FILE_DIR : 0;
}

int vb_fd_expect(int fd, const char *path, unsigned kinds, struct stat *st_out,
		 struct vb_err *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return vb_err_errno(err, errno, "%s", path);
	if (!(kind_of(st.st_mode) & kinds)) {
		int e = S_ISDIR(st.st_mode) ? EISDIR : kinds == VB_FILE_DIR ? ENOTDIR : EINVAL;
		return vb_err_set(err, e, "%s: is %s, not %s", path, vb_file_kind_name(st.st_mode),
				  kinds_text(kinds));
	}
	if (st_out)
		*st_out = st;
	return 0;
}

/* Every open of a named file: O_NONBLOCK so that the open itself never
 * waits (a FIFO without a writer, a tty without carrier), O_NOCTTY so a
 * terminal never becomes vmboot's controlling terminal. */
#define OPEN_ALWAYS (O_NONBLOCK | O_CLOEXEC | O_NOCTTY)

/* The descriptor of the real open: the right kind, the file that was
 * looked at (seen; NULL when just created), and blocking again. */
static int finish_open(int fd, const char *path, unsigned kinds, const struct stat *seen,
		       struct stat *st_out, struct vb_err *err)
{
	struct stat st;
	int rc = vb_fd_expect(fd, path, kinds, &st, err);
	if (!rc && seen && (st.st_dev != seen->st_dev || st.st_ino != seen->st_ino))
		rc = vb_err_set(err, ESTALE, "%s: replaced by another file while being opened",
				path);
	int fl = rc ? 0 : fcntl(fd, F_GETFL);
	if (!rc && (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0))
		rc = vb_err_errno(err, errno, "%s: fcntl", path);
	if (rc) {
		close(fd);
		return rc;
	}
	if (st_out)
		*st_out = st;
	return fd;
}

int vb_open_expect(const char *path, int flags, unsigned kinds, struct stat *st_out,
		   struct vb_err *err)
{
	/* With O_CREAT, a path that appears between the look and the
	 * exclusive create is looked at again (once). */
	for (int round = 0;; round++) {
		int look = open(path, O_PATH | O_CLOEXEC);
		if (look < 0 && errno == ENOENT && (flags & O_CREAT) && round < 2) {
			int fd = open(path, flags | O_EXCL | OPEN_ALWAYS, 0600);
			if (fd < 0 && errno == EEXIST)
				continue;
			if (fd < 0)
				return vb_err_errno(err, errno, "%s", path);
			return finish_open(fd, path, kinds, NULL, st_out, err);
		}
		if (look < 0)
			return vb_err_errno(err, errno, "%s", path);
		struct stat seen;
		int rc = vb_fd_expect(look, path, kinds, &seen, err);
		if (rc || (flags & O_PATH)) {
			if (rc)
				close(look);
			else if (st_out)
				*st_out = seen;
			return rc ? rc : look;
		}
		close(look);
		int fd = open(path, (flags & ~O_CREAT) | OPEN_ALWAYS);
		if (fd < 0)
			return vb_err_errno(err, errno, "%s", path);
		return finish_open(fd, path, kinds, &seen, st_out, err);
	}
}
