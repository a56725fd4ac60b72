/* The client side of the control protocol (proto.h), for the vmboot
 * commands that talk to running VMs (list, stop, pause, ...).
 *
 * Return convention: 0 or -errno with err filled. An error reply from the
 * VM is -EREMOTEIO with the VM's message in err. */
#ifndef VB_CONTROL_CLIENT_H
#define VB_CONTROL_CLIENT_H

#include "util/err.h"

/* Whole call, connect to last byte, waits at most this long: long enough
 * for a pause to gather every vCPU (server.h). */
#define VB_CTL_CLIENT_TIMEOUT_MS 15000

/* Sends "vmboot/1 REQUEST" to the socket at path and reads the reply.
 * On 0, *reply is the malloc'd reply (caller frees) and *body points at
 * its "key value" lines. */
int vb_ctl_call(const char *path, const char *request, char **reply, const char **body,
		struct vb_err *err);

#endif
