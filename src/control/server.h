/* The control server: answers control requests (proto.h) on a VM's
 * socket (sockdir.h) by calling the VM's callbacks, on a thread of its own
 * or, handed over, on the caller's.
 *
 * A VM's use (vmctl.h, through the builder's publisher hooks):
 * vb_ctl_server_open and vb_ctl_server_start in the first stage (claiming
 * the VM's name, so a name in use is refused before anything is built,
 * and answering at once, so `list` and `stop` never wait on a VM that is
 * still being built). The ops answer for a VM that is starting until the
 * build is done, when vb_ctl_server_set_ops gives the full ones and
 * the thread is stopped, handed over: while the guest runs, the
 * thread that waits for the run answers (machine/vcpu.h: vb_run_service),
 * under its own seccomp filter, so no thread runs unfiltered beside the
 * guest and none loads a filter of its own for this. The teardown sets
 * the starting-style ones back before it takes the VM apart (nobody
 * answers then: a client waits, then finds the socket gone), and
 * vb_ctl_server_close (removing the socket) is the last undo.
 *
 * Only the socket's owner may talk to it: the peer's uid (SO_PEERCRED) must
 * equal the server's effective uid, on top of the 0700 directory. One
 * connection is served at a time and every read and write waits at most
 * VB_CTL_IO_TIMEOUT_MS, so a client that stalls delays others but never
 * the vCPUs, which never wait for the server; served by the caller, a
 * wait also ends when one of its cancel descriptors becomes readable.
 *
 * Callbacks run on the serving thread. Those that fill a reply get it
 * already started with "ok"; any of them returns 0 or -errno with err
 * filled, which becomes an error reply. A NULL callback answers "not
 * supported". stop(force = false) asks the guest to power off; if the VM
 * is still there after VB_CTL_STOP_NUDGE_S (or half the timeout, when
 * shorter) the server asks once more, the other way the VM knows (the
 * power button first, Ctrl-Alt-Del second: machine/vm.h); if it is still
 * there after the timeout (the request's, else the server's default), the
 * server calls stop(force = true), which must end the run. */
#ifndef VB_CONTROL_SERVER_H
#define VB_CONTROL_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "control/proto.h"
#include "util/err.h"

#define VB_CTL_IO_TIMEOUT_MS 5000
#define VB_CTL_STOP_TIMEOUT_DEFAULT_S 30u
#define VB_CTL_STOP_NUDGE_S 5u

struct vb_ctl_ops {
	void *ctx;
	int (*info)(void *ctx, struct vb_ctl_reply *r, struct vb_err *err);
	int (*pause)(void *ctx, struct vb_err *err);
	int (*resume)(void *ctx, struct vb_err *err);
	int (*stop)(void *ctx, bool force, struct vb_err *err);
	int (*debug)(void *ctx, struct vb_ctl_reply *r, struct vb_err *err);
	int (*stat)(void *ctx, struct vb_ctl_reply *r, struct vb_err *err);
	/* Grow (deflate false) or shrink the balloon's target by bytes;
	 * replies with the new target. */
	int (*balloon)(void *ctx, bool deflate, uint64_t bytes, struct vb_ctl_reply *r,
		       struct vb_err *err);
	/* Replies "path /dev/pts/N" when the console is on a pty; an error
	 * (ENODEV) when it is on vmboot's standard input and output. */
	int (*console)(void *ctx, struct vb_ctl_reply *r, struct vb_err *err);
};

struct vb_ctl_server;

/* Claims name in dir (vb_ctl_listen). */
int vb_ctl_server_open(const char *dir, const char *name, struct vb_ctl_server **out,
		       struct vb_err *err);

/* Starts the thread, with every signal blocked. It loads no seccomp
 * filter: it must be gone (vb_ctl_server_stop) before guest code
 * runs. ops is copied; ops->ctx must outlive the server. */
int vb_ctl_server_start(struct vb_ctl_server *s, const struct vb_ctl_ops *ops,
			uint32_t stop_timeout_s, struct vb_err *err);

/* Replaces the ops (copied). When it returns, no callback of the old ops
 * runs or will run: a request being answered finishes first. */
void vb_ctl_server_set_ops(struct vb_ctl_server *s, const struct vb_ctl_ops *ops);

const char *vb_ctl_server_path(const struct vb_ctl_server *s);

/* Stops and joins the thread (callbacks are never called again) but keeps
 * the name claimed. The builder's undo of the start stage, so the VM's
 * parts the callbacks use can go. */
void vb_ctl_server_stop(struct vb_ctl_server *s);

/* Handed over: once vb_ctl_server_stop returned, the caller's thread may
 * answer instead. When vb_ctl_server_fd is readable (POLLIN) or
 * vb_ctl_server_timeout_ms (-1: never) has run out, it calls
 * vb_ctl_server_serve, which takes the stop steps that are due and, if
 * readable, serves one client; a wait for that client ends early when
 * cancel_a or cancel_b (-1: none) is readable. */
int vb_ctl_server_fd(const struct vb_ctl_server *s);
int vb_ctl_server_timeout_ms(const struct vb_ctl_server *s);
void vb_ctl_server_serve(struct vb_ctl_server *s, bool readable, int cancel_a, int cancel_b);

/* Stops and joins the thread if started, closes and unlinks the socket,
 * frees s. NULL is fine. */
void vb_ctl_server_close(struct vb_ctl_server *s);

/* The whole request -> reply step, without sockets (tests use it). Returns
 * true when the request was a stop that was accepted without force, with
 * *timeout_s the seconds to wait before forcing. */
bool vb_ctl_server_answer(const struct vb_ctl_ops *ops, const char *line, size_t len,
			  uint32_t default_timeout_s, struct vb_ctl_reply *r,
			  uint32_t *timeout_s);

#endif
