#include "dev/pty.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

void vb_pty_init(struct vb_pty *pty)
{
	pty->master_fd = -1;
	pty->slave_fd = -1;
	pty->path[0] = 0;
	atomic_store(&pty->overflows, 0);
}

/* Raw on the slave side: the line discipline settings of a pty pair live
 * with the slave (termios(3) applies them to input arriving from the
 * master, i.e. guest output, and to what a user writes). */
static int make_raw(int fd, struct vb_err *err)
{
	struct termios t;
	if (tcgetattr(fd, &t) < 0)
		return vb_err_errno(err, errno, "pty: tcgetattr");
	cfmakeraw(&t);
	if (tcsetattr(fd, TCSANOW, &t) < 0)
		return vb_err_errno(err, errno, "pty: tcsetattr");
	return 0;
}

int vb_pty_open(struct vb_pty *pty, struct vb_err *err)
{
	vb_pty_init(pty);
	int rc;
	pty->master_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (pty->master_fd < 0)
		return vb_err_errno(err, errno, "pty: posix_openpt");
	if (grantpt(pty->master_fd) < 0 || unlockpt(pty->master_fd) < 0) {
		rc = vb_err_errno(err, errno, "pty: grantpt/unlockpt");
		goto fail;
	}
	int e = ptsname_r(pty->master_fd, pty->path, sizeof(pty->path));
	if (e) {
		rc = vb_err_errno(err, e, "pty: ptsname");
		goto fail;
	}
	pty->slave_fd = open(pty->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (pty->slave_fd < 0) {
		rc = vb_err_errno(err, errno, "pty: open %s", pty->path);
		goto fail;
	}
	rc = make_raw(pty->slave_fd, err);
	if (rc)
		goto fail;
	int flags = fcntl(pty->master_fd, F_GETFL);
	if (flags < 0 || fcntl(pty->master_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		rc = vb_err_errno(err, errno, "pty: O_NONBLOCK");
		goto fail;
	}
	return 0;
fail:
	vb_pty_close(pty);
	return rc;
}

long vb_pty_console_write(void *ctx, const uint8_t *buf, size_t n)
{
	struct vb_pty *pty = ctx;
	size_t done = 0;
	bool may_flush = true;
	if (pty->master_fd < 0)
		return -EIO;
	while (done < n) {
		ssize_t w = write(pty->master_fd, buf + done, n - done);
		if (w > 0) {
			done += (size_t)w;
			may_flush = true;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return done ? (long)done : -errno;
		if (!may_flush)
			break; /* still full after a flush: drop the rest */
		/* Full: nobody is reading. Throw the oldest unread output
		 * away rather than make the vCPU wait for a reader. */
		atomic_fetch_add(&pty->overflows, 1);
		(void)tcflush(pty->slave_fd, TCIFLUSH);
		may_flush = false;
	}
	return (long)n;
}

void vb_pty_close(struct vb_pty *pty)
{
	if (pty->slave_fd >= 0)
		close(pty->slave_fd);
	if (pty->master_fd >= 0)
		close(pty->master_fd);
	pty->slave_fd = pty->master_fd = -1;
}
