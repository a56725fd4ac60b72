/* A VM on its control socket: the requests of the protocol (proto.h),
 * answered by the VM-control calls of machine/vm.h.
 *
 * Why the builder does not start the server itself: machine/ sits below
 * control/ (an include only points down), so the builder knows nothing of
 * sockets. It takes a publisher instead (struct vb_vm_publisher,
 * machine/vm.h), hooks it calls at its stages, and this file makes the one
 * that serves the socket; cli/ creates it and hands it to vb_vm_run:
 *
 *   stage 0, claim     the socket DIR/NAME.sock is bound (a live VM of the
 *                      name is refused before anything is built) and the
 *                      server thread answers at once, as a starting VM:
 *                      info (state "starting") and stop (the build ends,
 *                      undone); every other request is refused, "NAME is
 *                      starting"
 *   stage 11, running  every request: info, pause, resume, stop (Ctrl-Alt-
 *                      Del, or at once with force), debug, stat, balloon,
 *                      console; the server thread ends and the thread
 *                      that waits for the run answers instead, under its
 *                      seccomp filter (server.h)
 *   first undo         as while starting, the state "stopping"; when the
 *                      hook returns no request that uses the VM's parts
 *                      is in progress (vb_ctl_server_set_ops waits)
 *   last undo          the socket is removed
 *
 * The server is the only caller of the VM's control calls, one request at
 * a time; the VM must outlive the publisher's release hook. */
#ifndef VB_CONTROL_VMCTL_H
#define VB_CONTROL_VMCTL_H

#include <stdint.h>

#include "control/server.h"
#include "machine/vm.h"

struct vb_vmctl {
	uint32_t stop_timeout_s;      /* an orderly stop becomes a forced one
				       * after this (VB_CTL_STOP_TIMEOUT_DEFAULT_S) */
	struct vb_ctl_server *server;  /* set by the claim hook */
	struct vb_vm *vm;
	/* /proc/self/statm, opened at the claim: the thread that answers
	 * while the guest runs opens no file. */
	int statm_fd;
};

/* The publisher that puts vmctl's VM on its socket. vmctl must outlive
 * the run (vb_vm_run); it needs no cleanup of its own after it. */
struct vb_vm_publisher vb_vmctl_publisher(struct vb_vmctl *vmctl);

#endif
