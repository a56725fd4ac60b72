/* The host end of the guest's console: where guest output goes, where
 * guest input comes from, and whether the guest has said anything yet.
 *
 * Output: the devices (the UART, the virtio console) write to
 * vb_host_console_sink(), which notes that the guest has spoken and hands
 * the bytes on to a destination: vmboot's standard output, a filter in
 * front of it (the zero-config status filter, zeroconf/zeroconf.h), or,
 * with tty = true (--tty, run --detach), a new pty (dev/pty.h) that
 * `vmboot console` attaches to.
 * Input: the terminal vmboot runs in, in raw mode (dev/term.h: Ctrl-A x
 * quits, which ends the run through SIGTERM as a signal would), or the
 * pty's master; a reader thread hands the bytes to the device the
 * builder names.
 *
 * Stage order (machine/vm.h): vb_host_console_init in stage 6, before the
 * devices attach and take the sink; vb_host_console_open in stage 9, after
 * every device, so no input arrives before the device that takes it;
 * vb_host_console_close is stage 9's undo: the reader is joined before
 * the pty closes, so it never reads a closed (or reused) descriptor.
 *
 * Return convention: 0 or -errno with err filled. */
#ifndef VB_MACHINE_CONSOLE_H
#define VB_MACHINE_CONSOLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dev/dev.h"
#include "dev/pty.h"
#include "dev/term.h"
#include "util/err.h"

struct vb_host_console {
	struct vb_console sink;     /* what the devices write to */
	struct vb_console dest;     /* where their bytes go from there */
	atomic_bool guest_spoke;
	atomic_bool quit_requested; /* Ctrl-A x */
	struct vb_term term;
	struct vb_pty pty;          /* tty = true: the console's pty */
	/* The device taking input and its own context: the reader thread
	 * calls feed_guest with the console, which passes the bytes on. */
	vb_term_sink_fn to_guest;
	void *to_guest_ctx;
};

/* Where input comes from and goes to (stage 9). */
struct vb_host_console_input {
	int in_fd;           /* the terminal or pipe to read; -1 (or
			      * /dev/null): no input, no reader thread */
	bool tty;            /* a new pty instead, input and output */
	bool quiet;          /* do not log the pty's path: someone else
			      * reports it (run --detach, vm.h on_ready) */
	vb_term_sink_fn to_guest; /* the device taking input; called from
				   * the reader thread with ctx */
	void *ctx;
	/* How the reader thread confines itself (NULL: not); must outlive
	 * the console. */
	const struct vb_sandbox_policy *confine;
};

/* dest is copied. Nothing is open yet: close is a no-op until open. */
void vb_host_console_init(struct vb_host_console *c, const struct vb_console *dest);

/* What the devices write to; valid until c goes. */
const struct vb_console *vb_host_console_sink(struct vb_host_console *c);

int vb_host_console_open(struct vb_host_console *c, const struct vb_host_console_input *in,
			 struct vb_err *err);
/* Idempotent. */
void vb_host_console_close(struct vb_host_console *c);

/* The pty's path, or NULL when the console is not on a pty. */
const char *vb_host_console_pty(const struct vb_host_console *c);
/* Times the pty discarded unread output (dev/pty.h). */
uint64_t vb_host_console_overflows(const struct vb_host_console *c);

bool vb_host_console_quit_requested(const struct vb_host_console *c);

/* Logs note (util/log.h, as a note) unless the guest has written to
 * the console by now: a guest kernel that KVM-PVM emulates may stay
 * silent for minutes (cli/pvm.h). */
void vb_host_console_note_if_quiet(const struct vb_host_console *c, const char *note);

#endif
