/* The host terminal behind the serial console.
 *
 * vb_term_open() puts stdin in raw mode when it is a terminal (so Ctrl-C
 * and line editing reach the guest) and guarantees the saved mode comes
 * back: at vb_term_close(), at exit() (atexit), and when vmboot crashes
 * (handlers for SIGSEGV, SIGBUS, SIGABRT, SIGFPE restore the mode and
 * re-raise the signal with its default action). SIGINT/SIGTERM are the
 * caller's: it stops the VM and calls vb_term_close().
 *
 * The reader thread forwards input bytes to a sink (the UART's
 * vb_uart_feed): when the sink takes fewer bytes than offered, the rest is
 * retried every VB_TERM_RETRY_MS, so pasted text is not lost to a full
 * FIFO. Ctrl-A x quits (as in QEMU), Ctrl-A Ctrl-A sends one Ctrl-A, and
 * Ctrl-A followed by anything else sends both bytes. Quit and end of input
 * are reported through the event callback from the reader thread; after
 * EOF the thread ends instead of polling a dead descriptor.
 *
 * Only one terminal may be open at a time (the crash handlers restore one
 * saved mode). Functions return 0 or -errno and fill err. */
#ifndef VB_DEV_TERM_H
#define VB_DEV_TERM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>

#include "util/err.h"

struct vb_sandbox_policy;

#define VB_TERM_ESCAPE 0x01 /* Ctrl-A */
#define VB_TERM_RETRY_MS 10

enum vb_term_event { VB_TERM_QUIT, VB_TERM_EOF, VB_TERM_ERROR };

/* Returns how many bytes it consumed (0..n). */
typedef size_t (*vb_term_sink_fn)(void *ctx, const uint8_t *buf, size_t n);
typedef void (*vb_term_event_fn)(void *ctx, enum vb_term_event ev);

/* Escape-sequence filter, pure so it can be tested byte by byte. */
struct vb_term_escape {
	bool pending; /* the last byte was Ctrl-A */
};

/* Copy in[0..n) to out (room for 2 * n bytes), handling Ctrl-A sequences.
 * Returns bytes written to out; sets *quit (and stops) at Ctrl-A x. */
size_t vb_term_filter(struct vb_term_escape *esc, const uint8_t *in, size_t n,
		      uint8_t *out, bool *quit);

struct vb_term {
	int in_fd;
	bool raw;             /* raw mode set, restore owed */
	struct termios saved;
	bool reader_running;
	pthread_t reader;
	int stop_pipe[2];
	vb_term_sink_fn sink;
	vb_term_event_fn on_event;
	void *ctx;
	struct vb_term_escape esc;
	/* The reader confines itself first (VB_SANDBOX_IO, sandbox.h; NULL:
	 * not at all); should that fail, vb_term_start_reader fails. Set by
	 * the owner after vb_term_open or vb_term_attach_fd (which clear it)
	 * and before vb_term_start_reader; it must outlive the reader. */
	const struct vb_sandbox_policy *confine;
};

/* Raw mode if in_fd is a terminal (otherwise nothing to change). */
int vb_term_open(struct vb_term *term, int in_fd, struct vb_err *err);

/* Like vb_term_open but never touches the mode nor the crash handlers:
 * for a pty master (dev/pty.h), whose mode lives on its slave. May be used
 * while another terminal is open. */
void vb_term_attach_fd(struct vb_term *term, int in_fd);

int vb_term_start_reader(struct vb_term *term, vb_term_sink_fn sink,
			 vb_term_event_fn on_event, void *ctx,
			 struct vb_err *err);

/* Stop and join the reader (if running) and restore the terminal.
 * Idempotent. */
void vb_term_close(struct vb_term *term);

#endif
