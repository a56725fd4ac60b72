/* How a run reports to what started it:
 *   - a service manager (util/notify.h, contrib/systemd): READY=1 when the
 *     vCPUs start, STOPPING=1 when the run ends, each with a STATUS= line
 *     for `systemctl status`;
 *   - run --detach: the VM is built in a child in a session of its own;
 *     the parent waits until the child says the VM is ready (its name,
 *     console pty and log on a pipe), prints them and exits 0. Until then
 *     the child's errors go to the user's terminal as usual; if it exits
 *     without a word, the parent exits with its status. A detached VM's
 *     later messages go to NAME.log beside its control socket (same
 *     directory and owner, mode 0600), so a VM that fails after the user
 *     got the prompt back leaves its reason somewhere.
 * Both plug into the builder's hooks (machine/vm.h: on_running,
 * on_stopping, on_ready). */
#ifndef VB_CLI_SERVICE_H
#define VB_CLI_SERVICE_H

#include <stdbool.h>

#include "machine/vm.h"
#include "util/notify.h"

struct vb_service {
	struct vb_notifier notifier;
	bool detached; /* run --detach: this is the child that stays */
};

/* Opens $NOTIFY_SOCKET (a warning when it is unusable: the run goes on
 * without) and sets vm_opts' on_running and on_stopping. Call it before
 * anything is started, which then cannot inherit $NOTIFY_SOCKET, and in
 * the process that stays (after vb_detach_fork). s must outlive the run. */
void vb_service_open(struct vb_service *s, bool detached, struct vb_vm_options *vm_opts);
void vb_service_close(struct vb_service *s);

struct vb_detach {
	int fd; /* the pipe's write end in the child; -1 once used */
};

/* Forks. Returns -1 in the child, which goes on to build the VM with d
 * set and vm_opts' on_ready reporting to the parent; in the parent,
 * returns its exit status once the child is ready or gone. */
int vb_detach_fork(struct vb_detach *d, struct vb_vm_options *vm_opts);
/* After the run: closes the pipe if the VM never became ready. */
void vb_detach_close(struct vb_detach *d);

#endif
