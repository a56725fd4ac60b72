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
#include "util/json.h"
#include "util/log.h"

struct target;

/* A command either runs on its own, or, without run, runs each on every
 * VM named (or every running VM with --all). */
struct command {
	const char *name;
	int (*run)(const char *dir, const struct vb_ctl_cmd_args *a);
	int (*each)(const struct target *t, const char *name);
};

static void fail(const char *msg)
{
	vb_log(VB_LOG_ERROR, "%s", msg);
}

/* ---- list ---- */

struct list_state {
	const struct vb_ctl_cmd_args *a;
	struct vb_json *json; /* --json: the array being written */
	size_t count;
};

static unsigned long long get_num(const char *body, const char *key)
{
	char buf[32];
	return vb_ctl_reply_get(body, key, buf, sizeof(buf)) ? strtoull(buf, NULL, 10) : 0;
}

#define LIST_HEADER_FORMAT "%-20s %8s %-13s %4s %10s %10s  %s\n"

/* A VM whose socket is there but that gave no answer in time (hung, or
 * stopped in a debugger): one row, so the user sees it and its pid. */
static void list_not_answering(struct list_state *st, const char *name, pid_t pid)
{
	FILE *out = st->a->out;
	struct vb_json *w = st->json;
	if (w) {
		vb_json_begin_object(w);
		vb_json_key_string(w, "name", name);
		if (pid > 0)
			vb_json_key_u64(w, "pid", (uint64_t)pid);
		else
			vb_json_key_null(w, "pid");
		vb_json_key_string(w, "state", "not answering");
		vb_json_key_null(w, "cpus");
		vb_json_key_null(w, "memory_bytes");
		vb_json_key_null(w, "uptime_s");
		vb_json_key_null(w, "console");
		vb_json_end_object(w);
	} else {
		if (!st->count)
			fprintf(out, LIST_HEADER_FORMAT, "NAME", "PID", "STATE", "CPUS", "MEMORY",
				"UPTIME", "CONSOLE");
		char pid_text[24] = "-";
		if (pid > 0)
			snprintf(pid_text, sizeof(pid_text), "%ld", (long)pid);
		fprintf(out, "%-20s %8s %-13s %4s %10s %10s  %s\n", name, pid_text, "not answering",
			"-", "-", "-", "-");
	}
	st->count++;
}

/* After a call without a reply: the VM ended meanwhile (its teardown
 * answers no one, control/server.h) when its socket is gone or nobody
 * listens on it any more. */
static bool ended_meanwhile(const char *path)
{
	struct vb_err err = { .msg = "" };
	int state = vb_ctl_probe(path, &err);
	return state == VB_CTL_ABSENT || state == VB_CTL_STALE;
}

static int list_one(void *ctx, const char *name, const char *path)
{
	struct list_state *st = ctx;
	FILE *out = st->a->out;
	char *reply;
	const char *body;
	struct vb_err err = { .msg = "" };
	pid_t peer = 0;
	int rc = vb_ctl_call_within(path, "info", VB_CTL_LIST_TIMEOUT_MS, &reply, &body, &peer,
				    &err);
	if (rc == -EREMOTEIO) { /* it answered, with an error */
		vb_log(VB_LOG_WARNING, "%s: %s", name, err.msg);
		return 0;
	}
	if (rc && ended_meanwhile(path))
		return 0;
	if (rc) {
		if (rc != -ETIMEDOUT)
			vb_log(VB_LOG_WARNING, "%s: %s", name, err.msg);
		list_not_answering(st, name, peer);
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
	struct vb_json *w = st->json;
	if (w) {
		vb_json_begin_object(w);
		vb_json_key_string(w, "name", name);
		vb_json_key_u64(w, "pid", pid);
		vb_json_key_string(w, "state", state);
		vb_json_key_u64(w, "cpus", cpus);
		vb_json_key_u64(w, "memory_bytes", mem);
		vb_json_key_u64(w, "uptime_s", up);
		vb_json_key_string(w, "console", console);
		vb_json_end_object(w);
	} else {
		if (!st->count)
			fprintf(out, LIST_HEADER_FORMAT, "NAME", "PID", "STATE", "CPUS", "MEMORY",
				"UPTIME", "CONSOLE");
		char upt[32];
		snprintf(upt, sizeof(upt), "%llu:%02llu:%02llu", up / 3600, up / 60 % 60, up % 60);
		fprintf(out, "%-20s %8llu %-13s %4llu %9lluM %10s  %s\n", name, pid, state, cpus,
			mem >> 20, upt, console);
	}
	st->count++;
	free(reply);
	return 0;
}

/* --json: one array of objects; indent_levels 1 puts each on a line of
 * its own (util/json.h). */
static void json_array_begin(struct vb_json *w, const struct vb_ctl_cmd_args *a,
			     unsigned indent_levels)
{
	vb_json_init_file(w, a->out, indent_levels);
	vb_json_begin_array(w);
}

static int json_array_end(struct vb_json *w, const char *what)
{
	vb_json_end_array(w);
	int rc = vb_json_finish(w);
	if (rc)
		vb_log(VB_LOG_ERROR, "%s: writing the JSON: %s", what, strerror(-rc));
	return rc ? 1 : 0;
}

static int cmd_list(const char *dir, const struct vb_ctl_cmd_args *a)
{
	struct vb_json json;
	struct list_state st = { a, a->json ? &json : NULL, 0 };
	struct vb_err err = { "" };
	if (a->json)
		json_array_begin(&json, a, 1);
	int rc = vb_ctl_dir_scan(dir, list_one, &st, &err);
	int status = a->json ? json_array_end(&json, "list") : 0;
	if (rc) {
		vb_log(VB_LOG_ERROR, "list: %s", err.msg);
		return 1;
	}
	return status;
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
		vb_log(VB_LOG_ERROR, "no VM named \"%s\" is running (see vmboot list)%s", name,
		       state == VB_CTL_STALE ? "; removed its stale socket" : "");
		return -ENOENT;
	}
	return 0;
}

#define ASK_ENDED 2

/* Sends request to NAME; on success *reply (free it) holds the answer and
 * *body its "key value" lines. Errors are printed; returns 0, 1, or
 * ASK_ENDED, unprinted, when the VM ended before it answered. */
static int ask(const char *dir, const char *name, const char *request, char **reply,
	       char **body)
{
	char path[VB_CTL_PATH_MAX];
	if (path_of(dir, name, path, sizeof(path)))
		return 1;
	const char *lines;
	struct vb_err err = { .msg = "" };
	pid_t pid = 0;
	int rc = vb_ctl_call_within(path, request, VB_CTL_CLIENT_TIMEOUT_MS, reply, &lines, &pid,
				    &err);
	if (rc && rc != -EREMOTEIO && ended_meanwhile(path))
		return ASK_ENDED;
	if (rc == -ETIMEDOUT && pid > 0) {
		vb_log(VB_LOG_ERROR, "%s: not answering (%s); its process is %ld", name, err.msg,
		       (long)pid);
		return 1;
	}
	if (rc) {
		vb_log(VB_LOG_ERROR, "%s: %s", name, err.msg);
		return 1;
	}
	*body = *reply + (lines - *reply);
	return 0;
}

/* ask, with its every failure printed: 0 or 1. */
static int ask_running(const char *dir, const char *name, const char *request, char **reply,
		       char **body)
{
	int rc = ask(dir, name, request, reply, body);
	if (rc == ASK_ENDED)
		vb_log(VB_LOG_ERROR, "%s: it stopped before it answered", name);
	return rc ? 1 : 0;
}

static int call(const char *dir, const char *name, const char *request, FILE *print_to)
{
	char *reply, *body;
	if (ask_running(dir, name, request, &reply, &body))
		return 1;
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
	vb_log(VB_LOG_ERROR, "%s: still running %u s after the stop request", name, timeout_s + 10);
	return 1;
}

/* A command on named VMs: where their sockets are, its arguments and,
 * with --json, the array each VM's object goes into. */
struct target {
	const char *dir;
	const struct vb_ctl_cmd_args *a;
	struct vb_json *json;
};

typedef int (*per_vm_fn)(const struct target *t, const char *name);

static int stop_one(const struct target *t, const char *name)
{
	const struct vb_ctl_cmd_args *a = t->a;
	char request[64];
	uint32_t timeout = a->timeout_set ? a->timeout_s : 30;
	snprintf(request, sizeof(request), "stop%s timeout=%u", a->force ? " force" : "", timeout);
	char *reply, *body;
	/* A VM being taken apart answers no one: it is as good as stopped. */
	int rc = ask(t->dir, name, request, &reply, &body);
	if (rc == ASK_ENDED)
		rc = 0;
	else if (!rc)
		free(reply);
	if (!rc)
		rc = wait_gone(t->dir, name, a->force ? 0 : timeout);
	if (!rc)
		fprintf(a->out, "%s: stopped\n", name);
	return rc;
}

struct each_state {
	const struct target *t;
	per_vm_fn fn;
	int status;
};

static int each_one(void *ctx, const char *name, const char *path)
{
	struct each_state *st = ctx;
	(void)path;
	if (st->fn(st->t, name))
		st->status = 1;
	return 0;
}

/* Runs fn on the named VMs, or on every running VM with --all. */
static int for_each(const struct target *t, const char *what, per_vm_fn fn)
{
	const struct vb_ctl_cmd_args *a = t->a;
	if (a->all == (a->n_names > 0)) {
		vb_log(VB_LOG_ERROR, "%s: give VM names or --all, not %s", what,
		       a->all ? "both" : "neither");
		return 2;
	}
	if (a->all) {
		struct each_state st = { t, fn, 0 };
		struct vb_err err = { "" };
		if (vb_ctl_dir_scan(t->dir, each_one, &st, &err)) {
			fail(err.msg);
			return 1;
		}
		return st.status;
	}
	int status = 0;
	for (size_t i = 0; i < a->n_names; i++)
		if (fn(t, a->names[i]))
			status = 1;
	return status;
}

/* stat and debug: for_each, and with --json one array around the objects
 * of the VMs that answered. A usage error prints no JSON: nothing was
 * asked. */
static int for_each_json(const char *dir, const struct vb_ctl_cmd_args *a, const char *what,
			 per_vm_fn fn, unsigned indent_levels)
{
	struct vb_json json;
	struct target t = { dir, a, NULL };
	if (!a->json || a->all == (a->n_names > 0))
		return for_each(&t, what, fn);
	t.json = &json;
	json_array_begin(&json, a, indent_levels);
	int status = for_each(&t, what, fn);
	return json_array_end(&json, what) ? 1 : status;
}

static int pause_one(const struct target *t, const char *name)
{
	int rc = call(t->dir, name, "pause", NULL);
	if (!rc)
		fprintf(t->a->out, "%s: paused\n", name);
	return rc;
}

static int resume_one(const struct target *t, const char *name)
{
	int rc = call(t->dir, name, "resume", NULL);
	if (!rc)
		fprintf(t->a->out, "%s: running\n", name);
	return rc;
}

/* ---- stat and debug as JSON ----
 * The reply's "key value" lines become members. A value of decimal digits
 * that fits 64 bits is a number; any other value is a string as the text
 * form shows it, so registers stay "0x..." strings: 64-bit addresses lose
 * their low bits in parsers that read numbers as doubles (JavaScript,
 * jq 1.6). */

/* The next "key value" line of a reply body, split in place; false at the
 * empty line that ends it. */
static bool next_line(char **p, char **key, char **value)
{
	char *line = *p, *end = strchr(line, '\n');
	if (!*line || *line == '\n')
		return false;
	if (end)
		*end = 0;
	*p = end ? end + 1 : line + strlen(line);
	*key = line;
	char *space = strchr(line, ' ');
	*value = space ? space + 1 : line + strlen(line);
	if (space)
		*space = 0;
	return true;
}

static void json_value(struct vb_json *w, const char *value)
{
	size_t len = strlen(value);
	char *end;
	errno = 0;
	unsigned long long n = strtoull(value, &end, 10);
	if (len && strspn(value, "0123456789") == len && !errno && !*end)
		vb_json_u64(w, n);
	else
		vb_json_string(w, value);
}

/* stat: {"name": NAME, KEY: VALUE, ...}; the keys with a dot
 * (guest.mem_free) go into an object named by what comes before it. The
 * server sends each such group's lines together. */
static void stat_json(struct vb_json *w, const char *name, char *body)
{
	char *key, *value, group[64] = "";
	vb_json_begin_object(w);
	vb_json_key_string(w, "name", name);
	while (next_line(&body, &key, &value)) {
		char *dot = strchr(key, '.');
		if (dot)
			*dot = 0;
		if (group[0] && (!dot || strcmp(group, key))) {
			vb_json_end_object(w);
			group[0] = 0;
		}
		if (dot && !group[0]) {
			snprintf(group, sizeof(group), "%s", key);
			vb_json_key(w, key);
			vb_json_begin_object(w);
		}
		vb_json_key(w, dot ? dot + 1 : key);
		json_value(w, value);
	}
	if (group[0])
		vb_json_end_object(w);
	vb_json_end_object(w);
}

/* A segment register's "selector 0x10 base 0x0 ... l 1": an object of
 * those pairs. */
static void segment_json(struct vb_json *w, char *value)
{
	char *save = NULL;
	vb_json_begin_object(w);
	for (char *k = strtok_r(value, " ", &save); k; k = strtok_r(NULL, " ", &save)) {
		char *v = strtok_r(NULL, " ", &save);
		vb_json_key(w, k);
		if (v)
			json_value(w, v);
		else
			vb_json_null(w);
	}
	vb_json_end_object(w);
}

/* debug: {"name": NAME, "vcpus": [{"id": N, "rip": "0x...", ...,
 * "cs": {"selector": "0x0010", ...}}, ...]} from the vcpuN.REG lines. */
static void debug_json(struct vb_json *w, const char *name, char *body)
{
	char *key, *value;
	long vcpu = -1;
	vb_json_begin_object(w);
	vb_json_key_string(w, "name", name);
	vb_json_key(w, "vcpus");
	vb_json_begin_array(w);
	while (next_line(&body, &key, &value)) {
		char *reg = key;
		bool numbered = !strncmp(key, "vcpu", 4) && key[4] >= '0' && key[4] <= '9';
		long id = numbered ? strtol(key + 4, &reg, 10) : -1;
		if (id < 0 || *reg != '.')
			continue; /* not a vCPU's: none today */
		if (id != vcpu) {
			if (vcpu >= 0)
				vb_json_end_object(w);
			vb_json_begin_object(w);
			vb_json_key_u64(w, "id", (uint64_t)id);
			vcpu = id;
		}
		vb_json_key(w, reg + 1);
		if (strchr(value, ' '))
			segment_json(w, value);
		else
			json_value(w, value);
	}
	if (vcpu >= 0)
		vb_json_end_object(w);
	vb_json_end_array(w);
	vb_json_end_object(w);
}

/* Prints a VM's reply: its lines (after a "name NAME" line when there are
 * several VMs), or with --json its object. */
static int show_one(const struct target *t, const char *name, const char *request,
		    void (*to_json)(struct vb_json *w, const char *name, char *body))
{
	const struct vb_ctl_cmd_args *a = t->a;
	char *reply, *body;
	if (t->json) {
		if (ask_running(t->dir, name, request, &reply, &body))
			return 1;
		to_json(t->json, name, body);
		free(reply);
		return 0;
	}
	if (a->n_names > 1 || a->all)
		fprintf(a->out, "name %s\n", name);
	int rc = call(t->dir, name, request, a->out);
	if (a->n_names > 1 || a->all)
		fputc('\n', a->out);
	return rc;
}

static int stat_one(const struct target *t, const char *name)
{
	return show_one(t, name, "stat", stat_json);
}

static int debug_one(const struct target *t, const char *name)
{
	return show_one(t, name, "debug", debug_json);
}

static int balloon_one(const struct target *t, const char *name)
{
	const struct vb_ctl_cmd_args *a = t->a;
	char request[64];
	snprintf(request, sizeof(request), "balloon %s=%llu", a->balloon_deflate ? "deflate" : "inflate",
		 (unsigned long long)a->balloon_bytes);
	return show_one(t, name, request, NULL);
}

static int cmd_balloon(const char *dir, const struct vb_ctl_cmd_args *a)
{
	if (!a->balloon_set) {
		fprintf(stderr, "vmboot: error: balloon: give --inflate SIZE or --deflate SIZE\n");
		return 2;
	}
	struct target t = { dir, a, NULL };
	return for_each(&t, "balloon", balloon_one);
}

static int cmd_stat(const char *dir, const struct vb_ctl_cmd_args *a)
{
	return for_each_json(dir, a, "stat", stat_one, 1); /* a VM a line */
}

static int cmd_debug(const char *dir, const struct vb_ctl_cmd_args *a)
{
	return for_each_json(dir, a, "debug", debug_one, 3); /* a vCPU a line */
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
	{ "list", cmd_list, NULL },       { "stop", NULL, stop_one },
	{ "pause", NULL, pause_one },     { "resume", NULL, resume_one },
	{ "stat", cmd_stat, NULL },       { "debug", cmd_debug, NULL },
	{ "balloon", cmd_balloon, NULL }, { "console", cmd_console, NULL },
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
	if (c->run)
		return c->run(dir, args);
	struct target t = { dir, args, NULL };
	return for_each(&t, c->name, c->each);
}
