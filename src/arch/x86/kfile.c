/* The loader's only file I/O, kept apart so the core stays testable on
 * byte buffers. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/x86/boot.h"
#include "util/io.h"

static int read_all(int fd, uint8_t *buf, size_t bytes)
{
	size_t done = 0;

	while (done < bytes) {
		ssize_t n = read(fd, buf + done, bytes - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* the file shrank under us */
		done += (size_t)n;
	}
	return 0;
}

int vb_x86_read_file(const char *what, const char *path, uint64_t max_bytes,
		     uint8_t **data, size_t *bytes, struct vb_err *err)
{
	struct stat st;
	uint8_t *buf;
	int fd, rc;

	*data = NULL;
	*bytes = 0;
	/* Never a FIFO or device: open would wait, read never end. */
	fd = vb_open_expect(path, O_RDONLY, VB_FILE_REGULAR, &st, err);
	if (fd < 0) {
		vb_err_prefix(err, "%s", what);
		return fd;
	}
	if ((uint64_t)st.st_size > max_bytes || (uint64_t)st.st_size > SIZE_MAX) {
		rc = vb_refuse(err, VB_REFUSAL_FILE_SIZE, EFBIG,
			       "%s: %s is %jd bytes, larger than guest RAM "
			       "(%" PRIu64 " bytes)", what, path, (intmax_t)st.st_size,
			       max_bytes);
		goto out;
	}
	/* malloc(0) may return NULL; keep one byte so an empty file reads. */
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		rc = vb_err_errno(err, ENOMEM, "%s: read %s", what, path);
		goto out;
	}
	rc = read_all(fd, buf, (size_t)st.st_size);
	if (rc < 0) {
		free(buf);
		rc = vb_err_errno(err, -rc, "%s: read %s", what, path);
		goto out;
	}
	*data = buf;
	*bytes = (size_t)st.st_size;
out:
	close(fd);
	return rc;
}
