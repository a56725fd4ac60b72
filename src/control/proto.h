/* The control protocol, version 1: pure parsing and formatting, no I/O.
 *
 * A client connects to a VM's control socket (sockdir.h) and sends
 * requests, one per line, each at most VB_CTL_LINE_MAX bytes including the
 * newline:
 *     vmboot/1 COMMAND [ARG]...
 * Words are separated by spaces or tabs; only printable ASCII is allowed.
 * Commands: hello, info, pause, resume, stop [force] [timeout=SECONDS],
 * debug, stat, balloon inflate=BYTES|deflate=BYTES, console (the path of
 * the pty the console is on, if any). Every request is answered by a reply: a status line, zero
 * or more "key value" lines, and an empty line:
 *     ok                      error MESSAGE
 *     key value               protocol 1
 *     ...
 *     (empty line)            (empty line)
 * Keys are [a-z0-9_.]; values run to the end of the line. An error reply
 * always carries "protocol 1" so a client of another version learns what
 * this server speaks. The version is in every request, so the server keeps
 * no per-connection state.
 *
 * Return convention: 0 or -errno with err filled ("what: why"). */
#ifndef VB_CONTROL_PROTO_H
#define VB_CONTROL_PROTO_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define VB_CTL_PROTOCOL 1
#define VB_CTL_VERSION_WORD "vmboot/1"
/* Longest request line, newline included. */
#define VB_CTL_LINE_MAX 4096
/* Bound on a reply a client accepts (debug for 254 vCPUs fits easily). */
#define VB_CTL_REPLY_MAX (1024 * 1024)
#define VB_CTL_STOP_TIMEOUT_MAX_S 86400u

enum vb_ctl_cmd {
	VB_CTL_HELLO,
	VB_CTL_INFO,
	VB_CTL_PAUSE,
	VB_CTL_RESUME,
	VB_CTL_STOP,
	VB_CTL_DEBUG,
	VB_CTL_STAT,
	VB_CTL_BALLOON,
	VB_CTL_CONSOLE,
};

struct vb_ctl_request {
	enum vb_ctl_cmd cmd;
	bool force;          /* stop force */
	bool timeout_set;    /* stop timeout=S */
	uint32_t timeout_s;
	bool balloon_deflate;  /* balloon deflate=: shrink instead of grow */
	uint64_t balloon_bytes;
};

/* line: len bytes without the newline (not NUL-terminated). Rejects
 * control characters and bytes >= 0x80, a line of VB_CTL_LINE_MAX bytes or
 * more, a missing or wrong version word, unknown commands and arguments. */
int vb_ctl_parse_request(const char *line, size_t len, struct vb_ctl_request *req,
			 struct vb_err *err);

const char *vb_ctl_cmd_name(enum vb_ctl_cmd cmd);

/* A reply under construction: a growing heap buffer. Allocation failure
 * is remembered and turns the whole reply into an "error out of memory". */
struct vb_ctl_reply {
	char *text;
	size_t len, cap;
	bool failed;
};

void vb_ctl_reply_init(struct vb_ctl_reply *r);
void vb_ctl_reply_free(struct vb_ctl_reply *r);
/* Starts over with "ok". */
void vb_ctl_reply_ok(struct vb_ctl_reply *r);
/* Starts over with "error MESSAGE" and "protocol 1"; newlines in the
 * message become spaces. */
void vb_ctl_reply_error(struct vb_ctl_reply *r, const char *msg);
/* Appends "key value"; newlines in the value become spaces. */
void vb_ctl_reply_add(struct vb_ctl_reply *r, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The finished reply (with its empty last line); *len set. */
const char *vb_ctl_reply_finish(struct vb_ctl_reply *r, size_t *len);

/* Client side: checks a complete reply text (up to and including the empty
 * line). Returns 0 for "ok" with *body pointing at the first key line
 * inside text, or -EREMOTEIO with the server's message in err for
 * "error", or -EPROTO for anything else. */
int vb_ctl_reply_check(const char *text, const char **body, struct vb_err *err);

/* The value of key in a reply body, copied into buf; NULL when absent. */
const char *vb_ctl_reply_get(const char *body, const char *key, char *buf, size_t size);

#endif
