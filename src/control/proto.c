#include "control/proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/grow.h"

static const char *const cmd_names[] = {
	[VB_CTL_HELLO] = "hello", [VB_CTL_INFO] = "info",   [VB_CTL_PAUSE] = "pause",
	[VB_CTL_RESUME] = "resume", [VB_CTL_STOP] = "stop", [VB_CTL_DEBUG] = "debug",
	[VB_CTL_STAT] = "stat", [VB_CTL_BALLOON] = "balloon", [VB_CTL_CONSOLE] = "console",
};
#define N_CMDS (sizeof(cmd_names) / sizeof(cmd_names[0]))

/* Enough for "stop force timeout=N" with room for a mistake to be named. */
#define MAX_WORDS 8

const char *vb_ctl_cmd_name(enum vb_ctl_cmd cmd)
{
	return (unsigned)cmd < N_CMDS ? cmd_names[cmd] : "?";
}

struct word {
	const char *p;
	size_t len;
};

static bool word_is(const struct word *w, const char *s)
{
	return w->len == strlen(s) && !memcmp(w->p, s, w->len);
}

/* Splits at spaces and tabs; returns the word count or -E2BIG. */
static int split(const char *line, size_t len, struct word *words)
{
	int n = 0;
	size_t i = 0;
	while (i < len) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (n == MAX_WORDS)
			return -E2BIG;
		words[n].p = line + i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		words[n].len = (size_t)(line + i - words[n].p);
		n++;
	}
	return n;
}

static int parse_timeout(const struct word *w, struct vb_ctl_request *req, struct vb_err *err)
{
	static const char prefix[] = "timeout=";
	size_t plen = sizeof(prefix) - 1;
	uint64_t v = 0;
	if (w->len == plen)
		return vb_err_set(err, EINVAL, "stop: timeout= needs a number of seconds");
	for (size_t i = plen; i < w->len; i++) {
		char c = w->p[i];
		if (c < '0' || c > '9' || v > VB_CTL_STOP_TIMEOUT_MAX_S)
			return vb_err_set(err, EINVAL, "stop: timeout: expected 0 to %u seconds",
					  VB_CTL_STOP_TIMEOUT_MAX_S);
		v = v * 10 + (uint64_t)(c - '0');
	}
	if (v > VB_CTL_STOP_TIMEOUT_MAX_S)
		return vb_err_set(err, EINVAL, "stop: timeout: expected 0 to %u seconds",
				  VB_CTL_STOP_TIMEOUT_MAX_S);
	req->timeout_set = true;
	req->timeout_s = (uint32_t)v;
	return 0;
}

static int parse_stop_args(const struct word *args, int n, struct vb_ctl_request *req,
			   struct vb_err *err)
{
	for (int i = 0; i < n; i++) {
		if (word_is(&args[i], "force"))
			req->force = true;
		else if (args[i].len >= 8 && !memcmp(args[i].p, "timeout=", 8)) {
			int rc = parse_timeout(&args[i], req, err);
			if (rc)
				return rc;
		} else
			return vb_err_set(err, EINVAL,
					  "stop: unknown argument \"%.*s\" (force, timeout=SECONDS)",
					  (int)(args[i].len > 64 ? 64 : args[i].len), args[i].p);
	}
	return 0;
}

/* balloon inflate=BYTES | deflate=BYTES, decimal. */
static int parse_balloon_args(const struct word *args, int n, struct vb_ctl_request *req,
			      struct vb_err *err)
{
	static const char usage[] = "balloon: expected one argument inflate=BYTES or deflate=BYTES";
	if (n != 1)
		return vb_err_set(err, EINVAL, "%s", usage);
	size_t plen = args[0].len >= 8 && !memcmp(args[0].p, "inflate=", 8) ? 8 :
		      args[0].len >= 8 && !memcmp(args[0].p, "deflate=", 8) ? 8 : 0;
	if (!plen || args[0].len == plen || args[0].len > plen + 19)
		return vb_err_set(err, EINVAL, "%s", usage);
	uint64_t v = 0;
	for (size_t i = plen; i < args[0].len; i++) {
		char c = args[0].p[i];
		if (c < '0' || c > '9' || v > (UINT64_MAX - 9) / 10)
			return vb_err_set(err, EINVAL, "%s", usage);
		v = v * 10 + (uint64_t)(c - '0');
	}
	req->balloon_deflate = args[0].p[0] == 'd';
	req->balloon_bytes = v;
	return 0;
}

static int check_chars(const char *line, size_t len, struct vb_err *err)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c == '\t')
			continue;
		if (c < 0x20 || c >= 0x7f)
			return vb_err_set(err, EINVAL,
					  "request: byte 0x%02x at offset %zu is not printable ASCII",
					  c, i);
	}
	return 0;
}

int vb_ctl_parse_request(const char *line, size_t len, struct vb_ctl_request *req,
			 struct vb_err *err)
{
	memset(req, 0, sizeof(*req));
	if (len >= VB_CTL_LINE_MAX)
		return vb_err_set(err, EMSGSIZE, "request: longer than %d bytes",
				  VB_CTL_LINE_MAX - 1);
	/* A CR before the newline is what a telnet-style client sends. */
	if (len && line[len - 1] == '\r')
		len--;
	int rc = check_chars(line, len, err);
	if (rc)
		return rc;
	struct word w[MAX_WORDS];
	int n = split(line, len, w);
	if (n == -E2BIG)
		return vb_err_set(err, E2BIG, "request: more than %d words", MAX_WORDS);
	if (n == 0)
		return vb_err_set(err, EINVAL, "request: empty line");
	if (!word_is(&w[0], VB_CTL_VERSION_WORD)) {
		if (w[0].len > 7 && !memcmp(w[0].p, "vmboot/", 7))
			return vb_err_set(err, EPROTONOSUPPORT,
					  "unsupported protocol version \"%.*s\" (this VM speaks %s)",
					  (int)(w[0].len > 32 ? 32 : w[0].len), w[0].p,
					  VB_CTL_VERSION_WORD);
		return vb_err_set(err, EINVAL, "request: expected \"%s COMMAND\"",
				  VB_CTL_VERSION_WORD);
	}
	if (n < 2)
		return vb_err_set(err, EINVAL, "request: no command after %s", VB_CTL_VERSION_WORD);
	size_t c = 0;
	while (c < N_CMDS && !word_is(&w[1], cmd_names[c]))
		c++;
	if (c == N_CMDS)
		return vb_err_set(err, EINVAL,
				  "unknown command \"%.*s\" (hello, info, pause, resume, stop, debug, stat, balloon, console)",
				  (int)(w[1].len > 64 ? 64 : w[1].len), w[1].p);
	req->cmd = (enum vb_ctl_cmd)c;
	if (req->cmd == VB_CTL_STOP)
		return parse_stop_args(w + 2, n - 2, req, err);
	if (req->cmd == VB_CTL_BALLOON)
		return parse_balloon_args(w + 2, n - 2, req, err);
	if (n > 2)
		return vb_err_set(err, EINVAL, "%s: takes no arguments", cmd_names[c]);
	return 0;
}

/* ---- replies ---- */

void vb_ctl_reply_init(struct vb_ctl_reply *r)
{
	memset(r, 0, sizeof(*r));
}

void vb_ctl_reply_free(struct vb_ctl_reply *r)
{
	free(r->text);
	memset(r, 0, sizeof(*r));
}

static void append(struct vb_ctl_reply *r, const char *s, size_t n)
{
	if (!r->failed && vb_text_append(&r->text, &r->len, &r->cap, s, n))
		r->failed = true;
}

/* Appends s with line breaks flattened: a value must stay on its line. */
static void append_flat(struct vb_ctl_reply *r, const char *s)
{
	for (; *s; s++) {
		char c = (*s == '\n' || *s == '\r') ? ' ' : *s;
		append(r, &c, 1);
	}
}

void vb_ctl_reply_ok(struct vb_ctl_reply *r)
{
	r->len = 0;
	r->failed = false;
	append(r, "ok\n", 3);
}

void vb_ctl_reply_error(struct vb_ctl_reply *r, const char *msg)
{
	r->len = 0;
	r->failed = false;
	append(r, "error ", 6);
	append_flat(r, msg && *msg ? msg : "unknown error");
	append(r, "\nprotocol 1\n", 12);
}

void vb_ctl_reply_add(struct vb_ctl_reply *r, const char *key, const char *fmt, ...)
{
	char value[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	append(r, key, strlen(key));
	append(r, " ", 1);
	append_flat(r, value);
	append(r, "\n", 1);
}

const char *vb_ctl_reply_finish(struct vb_ctl_reply *r, size_t *len)
{
	static const char oom[] = "error out of memory\nprotocol 1\n\n";
	append(r, "\n", 1);
	if (r->failed) {
		*len = sizeof(oom) - 1;
		return oom;
	}
	*len = r->len;
	return r->text;
}

int vb_ctl_reply_check(const char *text, const char **body, struct vb_err *err)
{
	if (!strncmp(text, "ok\n", 3)) {
		*body = text + 3;
		return 0;
	}
	if (!strncmp(text, "error ", 6)) {
		const char *end = strchr(text + 6, '\n');
		int n = end ? (int)(end - text - 6) : (int)strlen(text + 6);
		return vb_err_set(err, EREMOTEIO, "%.*s", n > 900 ? 900 : n, text + 6);
	}
	return vb_err_set(err, EPROTO, "reply: not a vmboot control reply");
}

const char *vb_ctl_reply_get(const char *body, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	for (const char *p = body; *p && *p != '\n';) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n > klen && !memcmp(p, key, klen) && p[klen] == ' ') {
			size_t vlen = n - klen - 1;
			if (size == 0)
				return NULL;
			if (vlen >= size)
				vlen = size - 1;
			memcpy(buf, p + klen + 1, vlen);
			buf[vlen] = 0;
			return buf;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return NULL;
}
