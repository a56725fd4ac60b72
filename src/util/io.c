#include "util/io.h"

#include <errno.h>
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

long vb_console_write_fd(void *ctx, const uint8_t *buf, size_t n)
{
	return vb_write_all(*(const int *)ctx, buf, n);
}
