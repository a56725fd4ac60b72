/* Least privilege: the capabilities a running VM keeps, and the user it
 * runs as.
 *
 * vmboot's normal way is an ordinary user in group kvm: then there is
 * nothing to give up. Started as root, it opens what needs root during the
 * build (tap devices, vhost, images and shares owned by others) and then
 * gives up every capability the running VM does not use; with
 * `user = "NAME"` / `--user NAME` it becomes that user instead, and keeps
 * no capability at all.
 *
 * Capabilities are per thread in Linux: every thread drops its own, at the
 * point where it confines itself (sandbox.h), and a thread created later
 * inherits the smaller set. A user switch (setresuid through libc) applies
 * to every thread of the process at once.
 *
 * Return convention: 0, or -errno with err filled ("what: why"). */
#ifndef VB_SANDBOX_PRIVS_H
#define VB_SANDBOX_PRIVS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

/* A set of capabilities, bit N for capability number N (linux/capability.h). */
typedef uint64_t vb_caps;
#define VB_CAP(n) ((vb_caps)1 << (n))

/* What a running VM still needs as root: a 9P share serves files on the
 * guest's behalf with root's access to them (CAP_DAC_OVERRIDE,
 * CAP_DAC_READ_SEARCH, CAP_FOWNER); nothing else does. */
vb_caps vb_privs_runtime_caps(bool serves_shares);

/* The calling thread keeps only keep ∩ what it has: effective, permitted,
 * inheritable, and the bounding set; ambient capabilities are cleared.
 * A thread with no capabilities (vmboot run by an ordinary user) returns 0
 * at once. */
int vb_privs_drop_caps(vb_caps keep, struct vb_err *err);

/* The user named in `user`, looked up once (at --check time too). */
struct vb_user {
	char name[64];
	uid_t uid;
	gid_t gid;
	gid_t groups[64];
	int n_groups;
};

int vb_privs_lookup_user(const char *name, struct vb_user *u, struct vb_err *err);

/* Becomes u for every thread of the process (supplementary groups, gid,
 * then uid: real, effective and saved) and checks that root cannot be
 * regained. Needs root (CAP_SETUID, CAP_SETGID); vmboot run by u itself
 * is u already, and nothing changes.
 *
 * glibc makes every thread make the same calls (and aborts the process
 * when one thread fails where another succeeded): a thread that confined
 * itself before the switch must still hold CAP_SETUID and CAP_SETGID
 * and be allowed setgroups, setresgid and setresuid. The switch then
 * clears every thread's capabilities. */
int vb_privs_switch_user(const struct vb_user *u, struct vb_err *err);

/* For a moment, u's effective uid and gid while the real and saved ones
 * stay root's (setegid, seteuid: every thread, as above): whatever is
 * created meanwhile belongs to u. The builder claims the VM's name so
 * (machine/vm.c), which puts the control socket where u finds it
 * (control/sockdir.h). vb_privs_end_assume returns to the saved ids.
 * Same conditions as vb_privs_switch_user. */
struct vb_privs_ids {
	uid_t euid;
	gid_t egid;
};

int vb_privs_assume_user(const struct vb_user *u, struct vb_privs_ids *saved,
			 struct vb_err *err);
int vb_privs_end_assume(const struct vb_privs_ids *saved, struct vb_err *err);

#endif
