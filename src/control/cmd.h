/* The vmboot commands that talk to running VMs: list, stop, pause,
 * resume, stat, debug (client.h underneath). cli.c parses the command
 * line and calls vb_ctl_cmd_run. `balloon` grows or shrinks the target of
 * the VM's virtio-balloon (--inflate / --deflate SIZE); `console` attaches
 * the terminal to a VM's pty console, or opens it in tmux (attach.h).
 *
 * Output goes to args->out, errors to stderr as "vmboot: error: ...".
 * Returns an exit status: 0 done, 1 failed (no such VM, error reply), 2
 * usage error. */
#ifndef VB_CONTROL_CMD_H
#define VB_CONTROL_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vb_ctl_cmd_args {
	const char *const *names; /* VM names (borrowed) */
	size_t n_names;
	bool all;                 /* every running VM of this user */
	bool json;                /* list, stat, debug: one JSON array */
	bool force;               /* stop: tear down at once */
	bool timeout_set;         /* stop: seconds before forcing */
	uint32_t timeout_s;
	bool balloon_set;         /* balloon: --inflate or --deflate given */
	bool balloon_deflate;
	uint64_t balloon_bytes;
	bool tmux;                /* console: in a new tmux window */
	bool split;               /* console: in a new tmux pane */
	FILE *out;
};

/* True for "list", "stop", "pause", "resume", "stat", "debug", "balloon",
 * "console". */
bool vb_ctl_cmd_known(const char *command);

int vb_ctl_cmd_run(const char *command, const struct vb_ctl_cmd_args *args);

#endif
