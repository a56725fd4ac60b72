/* The client side of the control protocol (proto.h), for the vmboot
 * commands that talk to running VMs (list, stop, pause, ...).
 *
 * Return convention: 0 or -errno with err filled. An error reply from the
 * VM is -EREMOTEIO with the VM's message in err. */
#ifndef VB_CONTROL_CLIENT_H
#define VB_CONTROL_CLIENT_H

#include <sys/types.h>

#include "util/err.h"

/* Whole call, connect to last byte, waits at most this long: long enough
 * for a pause to gather every vCPU (server.h). */
#define VB_CTL_CLIENT_TIMEOUT_MS 15000

/* list's wait for each VM's info: a VM answers at once from the moment
 * its socket is bound (state "starting" while it is built), so one that
 * does not within this is shown as not answering instead of holding up
 * the rest. */
#define VB_CTL_LIST_TIMEOUT_MS 1000

/* Sends "vmboot/1 REQUEST" to the socket at path and reads the reply.
 * On 0, *reply is the malloc'd reply (caller frees) and *body points at
 * its "key value" lines. Never waits longer than VB_CTL_CLIENT_TIMEOUT_MS,
 * not even in connect (a VM that stopped accepting has a full backlog). */
int vb_ctl_call(const char *path, const char *request, char **reply, const char **body,
		struct vb_err *err);

/* The same within timeout_ms (-ETIMEDOUT after it). peer_pid (may be
 * NULL) receives the listening process's pid (SO_PEERCRED) as soon as the
 * connection exists, so a VM that then does not answer can still be
 * named; 0 when not connected. */
int vb_ctl_call_within(const char *path, const char *request, int timeout_ms, char **reply,
		       const char **body, pid_t *peer_pid, struct vb_err *err);

#endif
