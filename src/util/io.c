#include "util/io.h"

#include <errno.h>
#include <string.h>
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

long vb_console_write_fd(void *ctx, const uint8_t *buf, size_t n)
{
	return vb_write_all(*(const int *)ctx, buf, n);
}
