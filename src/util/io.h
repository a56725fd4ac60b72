/* Small I/O helpers: writing everything, opening the files a machine
 * file names, finding vmboot's own executable. */
#ifndef VB_UTIL_IO_H
#define VB_UTIL_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "util/err.h"

/* Writes all n bytes to fd, retrying short writes and EINTR. Returns n, the
 * bytes written before an error, or -errno when nothing was written. */
long vb_write_all(int fd, const uint8_t *buf, size_t n);

/* Writes all n bytes to a non-blocking fd, retrying EINTR; when fd is
 * full, room(ctx, fd) waits for it and returns > 0 once it may take more,
 * or 0 or -errno to give up. A socket is written with send(MSG_NOSIGNAL),
 * so a peer that hung up cannot SIGPIPE the process. Returns 0, -errno
 * from the write, or -ETIMEDOUT when room gave up. */
int vb_write_all_wait(int fd, const void *buf, size_t n, bool is_socket,
		      int (*room)(void *ctx, int fd), void *ctx);

/* A console on a host file descriptor (dev/dev.h's struct vb_console,
 * write vb_console_write_fd, ctx one of these, set up by
 * vb_console_fd_open). A write waits for fd to take more only until
 * cancel_fd (an eventfd; -1: never) is readable: a reader that stopped
 * reading (a full pipe, a terminal on XOFF) cannot keep a VM from ending.
 * What fd takes is written, cancelled or not; to a pipe or a socket
 * without waiting for poll's idea of room (a page), so the last bytes a
 * nearly full pipe holds still go. */
struct vb_console_fd {
	int fd;
	int cancel_fd;
	int nonblock_fd; /* fd's pipe opened anew, O_NONBLOCK; or -1 */
	bool is_socket;
	bool is_regular; /* a file: written at once, never waited for */
};

/* For a pipe or FIFO, a second open file description of it with
 * O_NONBLOCK, which leaves the one fd shares with other processes
 * blocking (/proc/self/fd; where that fails, writes wait for poll). */
void vb_console_fd_open(struct vb_console_fd *c, int fd, int cancel_fd);
void vb_console_fd_close(struct vb_console_fd *c);

/* Returns n, what was written before an error or the cancel, or -errno
 * (-ECANCELED) when nothing was. */
long vb_console_write_fd(void *ctx, const uint8_t *buf, size_t n);

/* The running executable's path (/proc/self/exe), and its directory, where
 * vmboot's helper programs (vmboot-net, vmboot-init) are looked for first.
 * 0, or -errno (-ENAMETOOLONG when buf is too small). */
int vb_self_exe(char *buf, size_t size);
int vb_self_dir(char *buf, size_t size);

/* The kinds of file vb_open_expect accepts, or'ed together. */
enum {
	VB_FILE_REGULAR = 1u << 0,
	VB_FILE_BLOCK = 1u << 1,
	VB_FILE_DIR = 1u << 2,
};

/* Opens a path the user named, never waiting and only when it is one of
 * kinds (VB_FILE_*): a FIFO, socket or character device, or a directory
 * where none is wanted, is refused before anything opens it for reading,
 * so a FIFO can never block vmboot in open(2) and a device is never
 * opened for its side effects.
 *
 * How: an O_PATH descriptor first (which opens nothing), fstat and the
 * kind check; then, unless flags hold O_PATH (look only), the real
 * open(path, flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY), which must be
 * the same file (one swapped in meanwhile is refused); O_NONBLOCK is then
 * cleared, as it means nothing for these kinds. With O_CREAT in flags a
 * missing path is created (O_EXCL, mode 0600 before the umask), so a FIFO
 * that appears meanwhile is not opened either.
 *
 * Returns the descriptor (close-on-exec), with *st filled when st is not
 * NULL, or -errno with err "PATH: why": the open's errno (ENOENT ...),
 * EISDIR for a directory, ENOTDIR for a non-directory where only a
 * directory will do, EINVAL for any other wrong kind ("PATH: is a FIFO,
 * not a regular file"). */
int vb_open_expect(const char *path, int flags, unsigned kinds, struct stat *st,
		   struct vb_err *err);

/* The kind check alone, for a descriptor opened elsewhere (shm_open):
 * fstat fd into *st (may be NULL) and return 0, or -errno with err as
 * above (path only names the file in the message). */
int vb_fd_expect(int fd, const char *path, unsigned kinds, struct stat *st,
		 struct vb_err *err);

/* "a regular file", "a FIFO", "a socket" ... for a st_mode. */
const char *vb_file_kind_name(mode_t mode);

#endif
