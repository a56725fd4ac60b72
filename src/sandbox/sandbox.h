/* Confining vmboot's threads: a seccomp filter per thread kind, and
 * no_new_privs for the whole process.
 *
 * When: vb_sandbox_no_new_privs() first thing in main() (and in the
 * vmboot-net helper), so every thread and every program vmboot runs
 * inherits it. vb_sandbox_enter() once per thread, after the build is done
 * and before the thread touches anything the guest controls: a vCPU thread
 * just before its first KVM_RUN, a service thread at its start, the main
 * thread once every thread it starts has started (a filter is inherited by
 * the threads a thread creates after it, and filters stack).
 *
 * What: each kind's allowlist is the system calls that thread kind makes in
 * vmboot, libc's hidden ones included (allowlist.c names each group and
 * why; libseccomp compiles them when vmboot is built, filters.h);
 * ioctl only with the request numbers the kind uses. Anything else kills the
 * whole process (SECCOMP_RET_KILL_PROCESS): a thread that does what it never
 * does is a thread the guest took over. With VMBOOT_SECCOMP_DEBUG=1 in the
 * environment a forbidden call instead raises SIGSYS, whose handler prints
 * the call's name and the address it was made from on stderr and ends the
 * process with status 159 (128 + SIGSYS).
 *
 * The filter applies to the calling thread only (no TSYNC) and cannot be
 * taken off again. Return convention: 0, or -errno with err filled. */
#ifndef VB_SANDBOX_SANDBOX_H
#define VB_SANDBOX_SANDBOX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "sandbox/privs.h"
#include "util/err.h"

enum vb_sandbox_kind {
	VB_SANDBOX_MAIN, /* the run loop and the control socket, then the teardown */
	VB_SANDBOX_VCPU, /* KVM_RUN and the exits' device handlers */
	VB_SANDBOX_IO,   /* doorbell, device worker and console reader threads */
	VB_SANDBOX_NETD, /* the vmboot-net helper, serving frames */
};
#define VB_SANDBOX_KINDS (VB_SANDBOX_NETD + 1)

/* What a machine's devices make their threads do beyond what every VM's
 * do (each device type says which, parse/devtype.h): a kind's program
 * allows the calls of the needs given and no others, so the threads of a
 * VM without a disk, a NIC or a share cannot read a file or send a frame
 * at all. */
enum vb_sandbox_needs {
	/* disk images, frames, vhost: pread/pwrite, fsync, io_uring_enter,
	 * send/recv, vhost and tap ioctls */
	VB_SANDBOX_NEEDS_BACKENDS = 1u << 0,
	/* the 9P server's file operations: openat2, mkdirat, unlinkat, ... */
	VB_SANDBOX_NEEDS_HOST_FILES = 1u << 1,
};
#define VB_SANDBOX_NEEDS_ALL (VB_SANDBOX_NEEDS_BACKENDS | VB_SANDBOX_NEEDS_HOST_FILES)
/* The number of combinations: the programs of a kind. */
#define VB_SANDBOX_NEEDS_SETS (VB_SANDBOX_NEEDS_ALL + 1)

/* The exit status of a process the debug mode's SIGSYS handler ended. */
#define VB_SANDBOX_DEBUG_EXIT 159

/* "main", "vcpu", "io", "netd". */
const char *vb_sandbox_kind_name(enum vb_sandbox_kind kind);

/* PR_SET_NO_NEW_PRIVS on the calling thread and all it creates or runs
 * afterwards: no exec can gain privileges (setuid bits, file
 * capabilities) again. */
int vb_sandbox_no_new_privs(struct vb_err *err);

/* The calling thread and all it creates afterwards give up the file
 * system (Landlock), all but reading the files in readable (a missing one
 * is skipped): no open, create, write, exec or directory listing anywhere
 * else, whatever the permissions. Needs no_new_privs. Without Landlock in
 * the kernel it changes nothing and leaves *enforced false. */
int vb_sandbox_restrict_files(const char *const *readable, size_t n, bool *enforced,
			      struct vb_err *err);

/* Installs kind's filter for needs (enum vb_sandbox_needs) on the
 * calling thread (see above). */
int vb_sandbox_enter(enum vb_sandbox_kind kind, unsigned needs, struct vb_err *err);

/* How a VM's threads confine themselves: seccomp (the machine's
 * `seccomp`, on unless turned off) and the capabilities each thread keeps
 * (privs.h; drop_caps false in tests that run no VM). */
struct vb_sandbox_policy {
	bool seccomp;
	unsigned needs; /* enum vb_sandbox_needs: what the machine's devices do */
	bool drop_caps;
	vb_caps keep_caps;
	/* A user switch is still to come (privs.h): libc will run it on
	 * every thread, so a thread confining itself now keeps what that
	 * takes. The builder clears it once switched. */
	atomic_bool user_switch_ahead;
};

/* False in a build with AddressSanitizer, whose exit-time leak check
 * needs calls the filters forbid: vb_sandbox_confine then loads no filter
 * (vb_sandbox_enter still does). */
bool vb_sandbox_filters_for_vms(void);

/* The calling thread gives up what policy says: capabilities first
 * (capset is not in any allowlist), then kind's filter. NULL policy: a
 * no-op (a device driven by a test). */
int vb_sandbox_confine(enum vb_sandbox_kind kind, const struct vb_sandbox_policy *policy,
		       struct vb_err *err);

/* A service thread of kind (vb_thread_start_checked): it confines itself
 * as policy says before fn(arg) runs, and a thread that cannot is joined
 * and its error returned here. */
int vb_sandbox_thread_start(pthread_t *thread, enum vb_sandbox_kind kind,
			    const struct vb_sandbox_policy *policy, void *(*fn)(void *), void *arg,
			    const char *what, struct vb_err *err);

#endif
