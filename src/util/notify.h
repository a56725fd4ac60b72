/* Readiness and status for a service manager: systemd's notify protocol
 * (sd_notify(3); "The sd_notify protocol" in systemd's documentation),
 * written out instead of linking libsystemd.
 *
 * The manager puts the name of an AF_UNIX datagram socket in
 * $NOTIFY_SOCKET: a file system path, or an abstract-namespace name
 * written with a leading '@' (the socket address then starts with a NUL
 * byte instead). Each message is one datagram of newline-separated
 * VARIABLE=VALUE assignments: "READY=1\nSTATUS=running web, 2 vCPUs".
 * The kernel attaches the sender's credentials, which is how the manager
 * tells whose message it is; vmboot's unit (contrib/systemd) accepts
 * them from its main process only (NotifyAccess=main).
 *
 * vmboot says READY=1 once the VM is built and its vCPUs start (the
 * control socket then answers, so `vmboot stop` works), and STOPPING=1
 * when it starts shutting down (machine/vm.h on_running, on_stopping).
 *
 * Sending never blocks the VM (MSG_DONTWAIT) and a failure to send is the
 * caller's to report or ignore: the VM runs the same with no manager. */
#ifndef VB_UTIL_NOTIFY_H
#define VB_UTIL_NOTIFY_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "util/err.h"

struct vb_notifier {
	int fd; /* -1: nobody to notify (every send is then a no-op) */
	struct sockaddr_un addr;
	socklen_t addr_len;
};

/* Opens a notifier for the socket named by value ("/run/x/notify" or
 * "@abstract"); value NULL or empty gives a no-op notifier. Returns 0, or
 * -errno with err: EAFNOSUPPORT for another kind of address (systemd's
 * "vsock:"), ENAMETOOLONG when it does not fit sun_path. The socket is
 * close-on-exec. */
int vb_notify_open(struct vb_notifier *n, const char *value, struct vb_err *err);

/* vb_notify_open on $NOTIFY_SOCKET, which it then removes from the
 * environment so that no program vmboot starts (its helpers, a tmux)
 * takes vmboot's place in the protocol. */
int vb_notify_open_env(struct vb_notifier *n, struct vb_err *err);

/* Sends one message (assignments separated by '\n'). Returns 0 (also for
 * a no-op notifier) or -errno with err. */
int vb_notify_send(const struct vb_notifier *n, const char *message, struct vb_err *err);

void vb_notify_close(struct vb_notifier *n);

#endif
