/* Small I/O helpers shared by the console paths. */
#ifndef VB_UTIL_IO_H
#define VB_UTIL_IO_H

#include <stddef.h>
#include <stdint.h>

/* Writes all n bytes to fd, retrying short writes and EINTR. Returns n, the
 * bytes written before an error, or -errno when nothing was written. */
long vb_write_all(int fd, const uint8_t *buf, size_t n);

/* The struct vb_console write function for a file descriptor: ctx points
 * at an int holding it (dev/dev.h). */
long vb_console_write_fd(void *ctx, const uint8_t *buf, size_t n);

/* The running executable's path (/proc/self/exe), and its directory, where
 * vmboot's helper programs (vmboot-net, vmboot-init) are looked for first.
 * 0, or -errno (-ENAMETOOLONG when buf is too small). */
int vb_self_exe(char *buf, size_t size);
int vb_self_dir(char *buf, size_t size);

#endif
