/* Where control sockets live, and claiming a VM name.
 *
 * Each running VM listens on DIR/NAME.sock, DIR being
 * $XDG_RUNTIME_DIR/vmboot, or /run/vmboot for root without
 * XDG_RUNTIME_DIR, or /tmp/vmboot-UID otherwise. A VM started as root
 * with `user` is that user's (its name is claimed as the user:
 * machine/vm.c), in the directory the user's session would name
 * (vb_ctl_user_dir). DIR is mode 0700 and
 * owned by the user: a directory owned by someone else, or open to group
 * or others, is refused (it would let another user plant or reach
 * sockets). Sockets are 0600. A socket file nobody listens on
 * (connect fails with ECONNREFUSED: its VM crashed) is stale and removed
 * whenever it is found; a live one means the name is in use.
 *
 * Return convention: 0 or -errno with err filled ("what: why"). */
#ifndef VB_CONTROL_SOCKDIR_H
#define VB_CONTROL_SOCKDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"

/* sun_path is 108 bytes: DIR, "/", NAME and ".sock" must fit. */
#define VB_CTL_PATH_MAX 108
#define VB_CTL_NAME_MAX 64

/* The socket directory for the effective user, from the environment.
 * An environment that is not that user's gives vb_ctl_user_dir's
 * instead: the effective uid is not the real one (root claiming a name
 * as the machine's `user`), or XDG_RUNTIME_DIR is a directory of someone
 * else (root's, still there after the switch to `user`). */
int vb_ctl_dir(char *buf, size_t size, struct vb_err *err);

/* uid's socket directory as that user's login session would name it,
 * without its environment: /run/vmboot for root, /run/user/UID/vmboot
 * when /run/user/UID is uid's (logind made it and points
 * XDG_RUNTIME_DIR there), else /tmp/vmboot-UID. */
int vb_ctl_user_dir(uid_t uid, char *buf, size_t size, struct vb_err *err);

/* Creates dir (0700, and missing parents 0755) and checks that it is a
 * directory of ours that nobody else can enter; a directory of ours with
 * looser permissions is tightened to 0700. */
int vb_ctl_dir_prepare(const char *dir, struct vb_err *err);

/* 1 to VB_CTL_NAME_MAX of [A-Za-z0-9._-], not starting with '.' or '-'. */
int vb_ctl_name_check(const char *name, struct vb_err *err);

int vb_ctl_sock_path(const char *dir, const char *name, char *buf, size_t size,
		     struct vb_err *err);

enum vb_ctl_probe {
	VB_CTL_ABSENT,  /* no such file */
	VB_CTL_STALE,   /* nobody listening: the file was removed */
	VB_CTL_LIVE,    /* a VM answers there */
};

/* Connect test on path; a stale socket is unlinked. Returns the state, or
 * -errno (not a socket, permission denied, ...). */
int vb_ctl_probe(const char *path, struct vb_err *err);

/* Claims name in dir: prepares dir, removes a stale socket, refuses a live
 * one (-EADDRINUSE, "a VM named X is already running"), then binds and
 * listens. *fd is close-on-exec and non-blocking; path receives the
 * socket's path. */
int vb_ctl_listen(const char *dir, const char *name, int *fd, char *path, size_t size,
		  struct vb_err *err);

/* Calls fn for each live VM in dir, in name order, removing stale
 * sockets on the way; fn returns 0 to go on. A missing dir holds no VMs. */
int vb_ctl_dir_scan(const char *dir, int (*fn)(void *ctx, const char *name, const char *path),
		    void *ctx, struct vb_err *err);

#endif
