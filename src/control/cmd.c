#include "control/cmd.h"

#include <errno.h>
#include <spawn.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control/attach.h"
#include "control/client.h"
#include "control/proto.h"
#include "control/sockdir.h"
#include "util/io.h"

struct command {
	const char *name;
	int (*run)(const char *dir, const struct vb_ctl_cmd_args *a);
};

static void fail(const char *msg)
{
	fprintf(stderr, "vmboot: error: %s\n", msg);
}

/* ---- list ---- */

struct list_state {
	const struct vb_ctl_cmd_args *a;
	size_t count;
};

static unsigned long long get_num(const char *body, const char *key)
{
	char buf[32];
	return vb_ctl_reply_get(body, key, buf, sizeof(buf)) ? strtoull(buf, NULL, 10) : 0;
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static int list_one(void *ctx, const char *name, const char *path)
{
	struct list_state *st = ctx;
	FILE *out = st->a->out;
	char *reply;
	const char *body;
	struct vb_err err = { "" };
	if (vb_ctl_call(path, "info", &reply, &body, &err)) {
		fprintf(stderr, "vmboot: warning: %s: %s\n", name, err.msg);
		return 0;
	}
	char state[32];
	if (!vb_ctl_reply_get(body, "state", state, sizeof(state)))
		strcpy(state, "?");
	unsigned long long pid = get_num(body, "pid"), cpus = get_num(body, "cpus");
	unsigned long long mem = get_num(body, "memory_bytes"), up = get_num(body, "uptime_s");
	char console[128];
	if (!vb_ctl_reply_get(body, "console", console, sizeof(console)))
		strcpy(console, "-");
	if (st->a->json) {
		fputs(st->count ? ",\n  {\"name\": " : "\n  {\"name\": ", out);
		json_string(out, name);
		fprintf(out, ", \"pid\": %llu, \"state\": ", pid);
		json_string(out, state);
		fprintf(out, ", \"cpus\": %llu, \"memory_bytes\": %llu, \"uptime_s\": %llu, \"console\": ",
			cpus, mem, up);
		json_string(out, console);
		fputc('}', out);
	} else {
		if (!st->count)
			fprintf(out, "%-20s %8s %-8s %4s %10s %10s  %s\n", "NAME", "PID", "STATE",
				"CPUS", "MEMORY", "UPTIME", "CONSOLE");
		char upt[32];
		snprintf(upt, sizeof(upt), "%llu:%02llu:%02llu", up / 3600, up / 60 % 60, up % 60);
		fprintf(out, "%-20s %8llu %-8s %4llu %9lluM %10s  %s\n", name, pid, state, cpus,
			mem >> 20, upt, console);
	}
	st->count++;
	free(reply);
	return 0;
}

static int cmd_list(const char *dir, const struct vb_ctl_cmd_args *a)
{
	struct list_state st = { a, 0 };
	struct vb_err err = { "" };
	if (a->json)
		fputc('[', a->out);
	int rc = vb_ctl_dir_scan(dir, list_one, &st, &err);
	if (a->json)
		fputs(st.count ? "\n]\n" : "]\n", a->out);
	if (rc) {
		fprintf(stderr, "vmboot: error: list: %s\n", err.msg);
		return 1;
	}
	return 0;
}

/* ---- commands on named VMs ---- */

static int path_of(const char *dir, const char *name, char *path, size_t size)
{
	struct vb_err err = { "" };
	if (vb_ctl_sock_path(dir, name, path, size, &err)) {
		fail(err.msg);
		return -EINVAL;
	}
	int state = vb_ctl_probe(path, &err);
	if (state < 0) {
		fail(err.msg);
		return state;
	}
	if (state != VB_CTL_LIVE) {
		fprintf(stderr, "vmboot: error: no VM named \"%s\" is running (see vmboot list)%s\n",
			name, state == VB_CTL_STALE ? "; removed its stale socket" : "");
		return -ENOENT;
	}
	return 0;
}

static int call(const char *dir, const char *name, const char *request, FILE *print_to)
{
	char path[VB_CTL_PATH_MAX];
	if (path_of(dir, name, path, sizeof(path)))
		return 1;
	char *reply;
	const char *body;
	struct vb_err err = { "" };
	if (vb_ctl_call(path, request, &reply, &body, &err)) {
		fprintf(stderr, "vmboot: error: %s: %s\n", name, err.msg);
		return 1;
	}
	if (print_to)
		fputs(body, print_to);
	free(reply);
	return 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

/* The VM is gone when its socket stops answering. */
static int wait_gone(const char *dir, const char *name, uint32_t timeout_s)
{
	char path[VB_CTL_PATH_MAX];
	struct vb_err err = { "" };
	if (vb_ctl_sock_path(dir, name, path, sizeof(path), &err))
		return 1;
	/* The VM forces its own teardown at the timeout; allow it a margin to
	 * finish that before calling it stuck. */
	uint64_t polls = ((uint64_t)timeout_s + 10) * 10;
	for (uint64_t i = 0; i < polls; i++) {
		int state = vb_ctl_probe(path, &err);
		if (state == VB_CTL_ABSENT || state == VB_CTL_STALE)
			return 0;
		sleep_ms(100);
	}
	fprintf(stderr, "vmboot: error: %s: still running %u s after the stop request\n", name,
		timeout_s + 10);
	return 1;
}

static int stop_one(const char *dir, const char *name, const struct vb_ctl_cmd_args *a)
{
	char request[64];
	uint32_t timeout = a->timeout_set ? a->timeout_s : 30;
	snprintf(request, sizeof(request), "stop%s timeout=%u", a->force ? " force" : "", timeout);
	int rc = call(dir, name, request, NULL);
	if (!rc)
		rc = wait_gone(dir, name, a->force ? 0 : timeout);
	if (!rc)
		fprintf(a->out, "%s: stopped\n", name);
	return rc;
}

struct each_state {
	const struct vb_ctl_cmd_args *a;
	const char *dir;
	int (*fn)(const char *dir, const char *name, const struct vb_ctl_cmd_args *a);
	int status;
	size_t count;
};

static int each_one(void *ctx, const char *name, const char *path)
{
	struct each_state *st = ctx;
	(void)path;
	st->count++;
	if (st->fn(st->dir, name, st->a))
		st->status = 1;
	return 0;
}

/* Runs fn on the named VMs, or on every running VM with --all. */
static int for_each(const char *dir, const struct vb_ctl_cmd_args *a, const char *what,
		    int (*fn)(const char *dir, const char *name, const struct vb_ctl_cmd_args *a))
{
	if (a->all == (a->n_names > 0)) {
		fprintf(stderr, "vmboot: error: %s: give VM names or --all, not %s\n", what,
			a->all ? "both" : "neither");
		return 2;
	}
	if (a->all) {
		struct each_state st = { a, dir, fn, 0, 0 };
		struct vb_err err = { "" };
		if (vb_ctl_dir_scan(dir, each_one, &st, &err)) {
			fail(err.msg);
			return 1;
		}
		return st.status;
	}
	int status = 0;
	for (size_t i = 0; i < a->n_names; i++)
		if (fn(dir, a->names[i], a))
			status = 1;
	return status;
}

static int pause_one(const char *dir, const char *name, const struct vb_ctl_cmd_args *a)
{
	int rc = call(dir, name, "pause", NULL);
	if (!rc)
		fprintf(a->out, "%s: paused\n", name);
	return rc;
}

static int resume_one(const char *dir, const char *name, const struct vb_ctl_cmd_args *a)
{
	int rc = call(dir, name, "resume", NULL);
	if (!rc)
		fprintf(a->out, "%s: running\n", name);
	return rc;
}

static int show_one(const char *dir, const char *name, const struct vb_ctl_cmd_args *a,
		    const char *request)
{
	if (a->n_names > 1 || a->all)
		fprintf(a->out, "name %s\n", name);
	int rc = call(dir, name, request, a->out);
	if (a->n_names > 1 || a->all)
		fputc('\n', a->out);
	return rc;
}

static int stat_one(const char *dir, const char *name, const struct vb_ctl_cmd_args *a)
{
	return show_one(dir, name, a, "stat");
}

static int debug_one(const char *dir, const char *name, const struct vb_ctl_cmd_args *a)
{
	return show_one(dir, name, a, "debug");
}

static int balloon_one(const char *dir, const char *name, const struct vb_ctl_cmd_args *a)
{
	char request[64];
	snprintf(request, sizeof(request), "balloon %s=%llu", a->balloon_deflate ? "deflate" : "inflate",
		 (unsigned long long)a->balloon_bytes);
	return show_one(dir, name, a, request);
}

static int cmd_balloon(const char *dir, const struct vb_ctl_cmd_args *a)
{
	if (!a->balloon_set) {
		fprintf(stderr, "vmboot: error: balloon: give --inflate SIZE or --deflate SIZE\n");
		return 2;
	}
	return for_each(dir, a, "balloon", balloon_one);
}

static int cmd_stop(const char *dir, const struct vb_ctl_cmd_args *a)
{
	return for_each(dir, a, "stop", stop_one);
}

static int cmd_pause(const char *dir, const struct vb_ctl_cmd_args *a)
{
	return for_each(dir, a, "pause", pause_one);
}

static int cmd_resume(const char *dir, const struct vb_ctl_cmd_args *a)
{
	return for_each(dir, a, "resume", resume_one);
}

static int cmd_stat(const char *dir, const struct vb_ctl_cmd_args *a)
{
	return for_each(dir, a, "stat", stat_one);
}

static int cmd_debug(const char *dir, const struct vb_ctl_cmd_args *a)
{
	return for_each(dir, a, "debug", debug_one);
}

/* ---- console ---- */

/* Runs `tmux new-window` (or split-window) with `vmboot console NAME`, the
 * same vmboot binary, in the same socket directory. */
static int open_in_tmux(const char *name, bool split)
{
	char exe[4096], shell[8192], env[4200];
	int rc = vb_self_exe(exe, sizeof(exe));
	if (rc) {
		fprintf(stderr, "vmboot: error: console --tmux: /proc/self/exe: %s\n", strerror(-rc));
		return 1;
	}
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg)
		snprintf(env, sizeof(env), "XDG_RUNTIME_DIR=%s", xdg);
	const char *argv[VB_TMUX_ARGV_MAX];
	if (vb_ctl_tmux_argv(exe, name, split, xdg ? env : NULL, shell, sizeof(shell), argv)) {
		fprintf(stderr, "vmboot: error: console --tmux: command too long\n");
		return 1;
	}
	fflush(NULL);
	pid_t pid;
	int e = posix_spawnp(&pid, "tmux", NULL, NULL, (char *const *)argv, environ);
	if (e) {
		fprintf(stderr, "vmboot: error: console --tmux: cannot run tmux: %s\n", strerror(e));
		return 1;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "vmboot: error: console --tmux: tmux %s failed\n", argv[1]);
		return 1;
	}
	return 0;
}

static int attach_here(const char *name, const char *pty)
{
	struct vb_err err = { "" };
	enum vb_attach_end end = VB_ATTACH_DETACHED;
	fprintf(stderr, "vmboot: console of %s on %s; Ctrl-] detaches\n", name, pty);
	if (vb_ctl_attach(pty, 0, 1, &end, &err)) {
		fprintf(stderr, "vmboot: error: %s: %s\n", name, err.msg);
		return 1;
	}
	switch (end) {
	case VB_ATTACH_HANGUP:
		fprintf(stderr, "\nvmboot: %s: the console closed: the VM has ended\n", name);
		break;
	case VB_ATTACH_DETACHED:
		fprintf(stderr, "\nvmboot: detached from %s (it keeps running)\n", name);
		break;
	case VB_ATTACH_SIGNAL:
	case VB_ATTACH_OUTPUT_GONE:
		break;
	}
	return 0;
}

static int cmd_console(const char *dir, const struct vb_ctl_cmd_args *a)
{
	if (a->all || a->n_names != 1) {
		fprintf(stderr, "vmboot: error: console: give one VM name\n");
		return 2;
	}
	const char *name = a->names[0], *tmux = getenv("TMUX");
	if (a->tmux && (!tmux || !*tmux)) {
		fprintf(stderr, "vmboot: error: console --tmux: not inside tmux ($TMUX is not set); "
				"run it in a tmux pane, or without --tmux\n");
		return 1;
	}
	char path[VB_CTL_PATH_MAX], pty[128];
	if (path_of(dir, name, path, sizeof(path)))
		return 1;
	char *reply;
	const char *body;
	struct vb_err err = { "" };
	if (vb_ctl_call(path, "console", &reply, &body, &err)) {
		fprintf(stderr, "vmboot: error: %s: %s\n", name, err.msg);
		return 1;
	}
	const char *got = vb_ctl_reply_get(body, "path", pty, sizeof(pty));
	free(reply);
	if (!got) {
		fprintf(stderr, "vmboot: error: %s: the console reply has no path\n", name);
		return 1;
	}
	return a->tmux ? open_in_tmux(name, a->split) : attach_here(name, pty);
}

static const struct command commands[] = {
	{ "list", cmd_list },   { "stop", cmd_stop }, { "pause", cmd_pause },
	{ "resume", cmd_resume }, { "stat", cmd_stat }, { "debug", cmd_debug },
	{ "balloon", cmd_balloon }, { "console", cmd_console },
};

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

bool vb_ctl_cmd_known(const char *command)
{
	return find(command) != NULL;
}

int vb_ctl_cmd_run(const char *command, const struct vb_ctl_cmd_args *args)
{
	const struct command *c = find(command);
	if (!c) {
		fprintf(stderr, "vmboot: error: unknown control command \"%s\"\n", command);
		return 2;
	}
	if (c->run == cmd_list && args->n_names) {
		fprintf(stderr, "vmboot: error: list takes no VM names\n");
		return 2;
	}
	char dir[VB_CTL_PATH_MAX];
	struct vb_err err = { "" };
	if (vb_ctl_dir(dir, sizeof(dir), &err)) {
		fail(err.msg);
		return 1;
	}
	return c->run(dir, args);
}
