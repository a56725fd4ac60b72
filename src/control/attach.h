/* `vmboot console NAME`: attaching the user's terminal to a VM console
 * that is on a pty (dev/pty.h; the VM tells its path through the control
 * protocol's `console` request), and opening it in tmux.
 *
 * vb_ctl_attach relays bytes both ways between in_fd/out_fd and the pty
 * until the user types the detach key (Ctrl-], as in telnet), the VM
 * ends (the pty hangs up), or SIGINT/SIGTERM/SIGHUP arrives. in_fd is put
 * in raw mode when it is a terminal and always restored (dev/term.h); it
 * need not be a terminal: at its end of file only output is relayed.
 * Exactly one attached console per VM: the pty is flock()ed, and a second
 * attach is refused (-EBUSY) rather than splitting the input between two
 * readers.
 *
 * Return convention: 0 or -errno with err filled. */
#ifndef VB_CONTROL_ATTACH_H
#define VB_CONTROL_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define VB_ATTACH_DETACH_KEY 0x1d /* Ctrl-] */

enum vb_attach_end {
	VB_ATTACH_DETACHED, /* the detach key */
	VB_ATTACH_HANGUP,   /* the VM closed its console: it has ended */
	VB_ATTACH_SIGNAL,   /* SIGINT, SIGTERM or SIGHUP */
	VB_ATTACH_OUTPUT_GONE, /* out_fd cannot be written (a closed pipe) */
};

/* pty_path must name a terminal under /dev/pts/ (anything else is refused,
 * so a confused VM cannot make us write a user's file). */
int vb_ctl_attach(const char *pty_path, int in_fd, int out_fd, enum vb_attach_end *end,
		  struct vb_err *err);

/* Up to this many argv entries, NULL included. */
#define VB_TMUX_ARGV_MAX 10

/* The tmux command that opens `EXE console NAME` in a new window named
 * NAME (split: a new pane of the current window instead). shell receives
 * the command tmux hands to the shell, with EXE and NAME single-quoted;
 * env_assign ("XDG_RUNTIME_DIR=...", or NULL) is passed with -e so the new
 * window finds the same socket directory as this process. argv points
 * into shell and env_assign. Returns 0, or -ENAMETOOLONG. */
int vb_ctl_tmux_argv(const char *exe, const char *name, bool split, const char *env_assign,
		     char *shell, size_t size, const char *argv[VB_TMUX_ARGV_MAX]);

#endif
