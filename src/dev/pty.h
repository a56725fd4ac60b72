/* A pseudo-terminal as the guest console's host end (`tty = true`,
 * --tty, run --detach).
 *
 * vb_pty_open creates a pty pair (posix_openpt, grantpt, unlockpt) and
 * keeps both ends: the master is what vmboot reads (guest input, through a
 * vb_term reader: vb_term_attach_fd) and writes (guest output:
 * vb_pty_console_write); the slave stays open in vmboot so that
 *   - its line discipline is raw once and for all (no echo of guest
 *     output back into the guest, no CR/LF translation, no signals), and
 *   - reading the master never sees the hang-up a pty shows while nobody
 *     holds the slave, so the reader thread does not spin.
 * Users attach by opening path (vmboot console does, with an flock so
 * that a second `vmboot console` is refused instead of splitting input).
 *
 * Guest output must never stall a vCPU: the master is non-blocking, and
 * when the pty's buffer is full (nobody attached, or a slow reader) the
 * unread output is flushed and the new output written: someone attaching
 * later sees the latest output, not the oldest. Each such discard counts
 * one overflow (how many bytes it took is not knowable: part of the
 * buffer may still be on its way to the line discipline).
 *
 * Ownership: the pty belongs to its struct vb_pty until vb_pty_close.
 * Return convention: 0 or -errno with err filled. */
#ifndef VB_DEV_PTY_H
#define VB_DEV_PTY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* /dev/pts/N: 10 digits are more than any kernel hands out. */
#define VB_PTY_PATH_MAX 64

struct vb_pty {
	int master_fd; /* non-blocking, close-on-exec */
	int slave_fd;  /* held open: raw mode, no hang-up */
	char path[VB_PTY_PATH_MAX];
	atomic_ullong overflows; /* times unread output was discarded */
};

/* Sets both fds to -1: vb_pty_close is then a no-op. */
void vb_pty_init(struct vb_pty *pty);

int vb_pty_open(struct vb_pty *pty, struct vb_err *err);

/* struct vb_console write function (dev/dev.h); ctx is the struct
 * vb_pty. Never blocks; returns n (what did not fit was dropped) or
 * -errno on a real error (-EIO once the pty is gone). */
long vb_pty_console_write(void *ctx, const uint8_t *buf, size_t n);

/* Closes both ends (an attached `vmboot console` then sees the hang-up).
 * Idempotent. */
void vb_pty_close(struct vb_pty *pty);

#endif
