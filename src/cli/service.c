/* How a run reports to what started it (service.h). */
#include "cli/service.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "control/sockdir.h"
#include "util/io.h"
#include "util/log.h"

/* ---- a service manager ---- */

static void service_send(struct vb_service *s, const char *message)
{
	struct vb_err err = { "" };
	if (vb_notify_send(&s->notifier, message, &err))
		vb_log(VB_LOG_WARNING, "%s", err.msg);
}

static void service_running(void *ctx, const char *name, unsigned n_vcpus)
{
	struct vb_service *s = ctx;
	char message[160];
	int n = snprintf(message, sizeof(message), "READY=1\nSTATUS=running %s, %u vCPU%s", name,
			 n_vcpus, n_vcpus == 1 ? "" : "s");
	/* run --detach: the process the manager started exits once this
	 * child is ready, so the child names itself the main process (the
	 * unit then needs NotifyAccess=all: vmboot(1)). */
	if (s->detached && n > 0 && (size_t)n < sizeof(message))
		snprintf(message + n, sizeof(message) - (size_t)n, "\nMAINPID=%ld", (long)getpid());
	service_send(s, message);
}

static void service_stopping(void *ctx, const char *why)
{
	static const char head[] = "STOPPING=1\nSTATUS=";
	char message[VB_ERR_MSG_BYTES + 32];
	snprintf(message, sizeof(message), "%sstopping: %s", head, why);
	/* One assignment per line: a newline in the reason would start
	 * another. */
	for (char *p = message + sizeof(head) - 1; *p; p++)
		if (*p == '\n')
			*p = ' ';
	service_send(ctx, message);
}

void vb_service_open(struct vb_service *s, bool detached, struct vb_vm_options *vm_opts)
{
	struct vb_err err = { "" };
	s->detached = detached;
	if (vb_notify_open_env(&s->notifier, &err))
		vb_log(VB_LOG_WARNING, "%s: no readiness notification", err.msg);
	vm_opts->on_running = service_running;
	vm_opts->on_stopping = service_stopping;
	vm_opts->notify_ctx = s;
}

void vb_service_close(struct vb_service *s)
{
	vb_notify_close(&s->notifier);
}

/* ---- run --detach ---- */

/* NAME.log beside the control socket (service.h). Returns the fd or -1
 * (then the messages are lost, as with no terminal at all). */
static int open_detach_log(const char *name, char *path, size_t size)
{
	struct vb_err err;
	char dir[256];
	if (vb_ctl_dir(dir, sizeof(dir), &err) < 0)
		return -1;
	int n = snprintf(path, size, "%s/%s.log", dir, name);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
}

static void detach_ready(void *ctx, const char *name, const char *console_path)
{
	struct vb_detach *d = ctx;
	char log_path[320] = "none";
	int log = open_detach_log(name, log_path, sizeof(log_path));
	if (log < 0)
		snprintf(log_path, sizeof(log_path), "none");
	char line[VB_NAME_MAX + 4 + 160 + sizeof(log_path)];
	int n = snprintf(line, sizeof(line), "%s %s %s\n", name,
			 console_path ? console_path : "none", log_path);
	if (n > 0 && (size_t)n < sizeof(line))
		(void)vb_write_all(d->fd, (const uint8_t *)line, (size_t)n);
	close(d->fd);
	d->fd = -1;
	/* Let go of the user's terminal: nobody is there to read later
	 * messages, and holding it would keep a pipe open after the parent. */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		(void)dup2(null, 0);
		(void)dup2(null, 1);
		(void)dup2(null, 2);
		close(null);
	}
	if (log >= 0) {
		(void)dup2(log, 2);
		close(log);
	}
}

/* In the parent: returns the exit status. */
static int detach_wait(pid_t child, int fd)
{
	char buf[512];
	size_t used = 0;
	for (;;) {
		ssize_t n = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (used += (size_t)n) == sizeof(buf) - 1)
			break;
	}
	close(fd);
	buf[used] = 0;
	char *space = strchr(buf, ' '), *nl = strchr(buf, '\n');
	if (!space || !nl || nl < space) {
		int status;
		while (waitpid(child, &status, 0) < 0)
			if (errno != EINTR)
				return VB_EXIT_INVALID;
		if (WIFEXITED(status))
			return WEXITSTATUS(status) ? WEXITSTATUS(status) : VB_EXIT_INVALID;
		return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
	*nl = 0;
	char *console = space + 1, *log = strchr(console, ' ');
	*space = 0;
	if (log)
		*log++ = 0;
	printf("name %s\npid %ld\nconsole %s\nlog %s\n", buf, (long)child, console,
	       log ? log : "none");
	return VB_EXIT_OK;
}

int vb_detach_fork(struct vb_detach *d, struct vb_vm_options *vm_opts)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		vb_log(VB_LOG_ERROR, "--detach: pipe: %s", strerror(errno));
		return VB_EXIT_INVALID;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		vb_log(VB_LOG_ERROR, "--detach: fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return VB_EXIT_INVALID;
	}
	if (pid > 0) {
		close(p[1]);
		return detach_wait(pid, p[0]);
	}
	close(p[0]);
	/* A session of its own: the terminal's Ctrl-C and hang-up are not
	 * the VM's business any more. */
	(void)setsid();
	d->fd = p[1];
	vm_opts->on_ready = detach_ready;
	vm_opts->ready_ctx = d;
	return -1;
}

void vb_detach_close(struct vb_detach *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}
