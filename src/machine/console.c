/* The host end of the guest's console (console.h). */
#include "machine/console.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util/log.h"

static long write_noted(void *ctx, const uint8_t *buf, size_t n)
{
	struct vb_host_console *c = ctx;
	if (n)
		atomic_store_explicit(&c->guest_spoke, true, memory_order_relaxed);
	return c->dest.write(c->dest.ctx, buf, n);
}

void vb_host_console_init(struct vb_host_console *c, const struct vb_console *dest)
{
	c->dest = *dest;
	c->sink = (struct vb_console){ write_noted, c };
	atomic_store(&c->guest_spoke, false);
	atomic_store(&c->quit_requested, false);
	memset(&c->term, 0, sizeof(c->term));
	c->term.in_fd = -1;
	vb_pty_init(&c->pty);
}

const struct vb_console *vb_host_console_sink(struct vb_host_console *c)
{
	return &c->sink;
}

/* The terminal reader has one context for its sink and its events: the
 * console. Input goes on to the device with the device's own context. */
static size_t feed_guest(void *ctx, const uint8_t *buf, size_t n)
{
	struct vb_host_console *c = ctx;
	return c->to_guest(c->to_guest_ctx, buf, n);
}

static void on_term_event(void *ctx, enum vb_term_event ev)
{
	struct vb_host_console *c = ctx;
	if (ev != VB_TERM_QUIT)
		return; /* end of input: the guest keeps running */
	atomic_store(&c->quit_requested, true);
	/* The run loop waits for SIGINT/SIGTERM on a signalfd. */
	kill(getpid(), SIGTERM);
}

/* The devices already hold the sink (no vCPU has run yet), so pointing its
 * destination at the pty here moves all guest output there. */
static int open_pty(struct vb_host_console *c, const struct vb_host_console_input *in,
		    struct vb_err *err)
{
	int rc = vb_pty_open(&c->pty, err);
	if (rc)
		return rc;
	c->dest = (struct vb_console){ vb_pty_console_write, &c->pty };
	vb_term_attach_fd(&c->term, c->pty.master_fd);
	c->term.confine = in->confine;
	rc = vb_term_start_reader(&c->term, feed_guest, on_term_event, c, err);
	if (!rc && !in->quiet)
		vb_log(VB_LOG_INFO, "console on %s", c->pty.path);
	return rc;
}

/* /dev/null, what service managers and --detach give: a reader thread
 * would only read its end of file, at the cost of a thread and its
 * seccomp filter. */
static bool never_has_input(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}

int vb_host_console_open(struct vb_host_console *c, const struct vb_host_console_input *in,
			 struct vb_err *err)
{
	c->to_guest = in->to_guest;
	c->to_guest_ctx = in->ctx;
	if (in->tty)
		return open_pty(c, in, err);
	if (in->in_fd < 0 || never_has_input(in->in_fd))
		return 0;
	int rc = vb_term_open(&c->term, in->in_fd, err);
	c->term.confine = in->confine;
	if (!rc)
		rc = vb_term_start_reader(&c->term, feed_guest, on_term_event, c, err);
	return rc;
}

void vb_host_console_close(struct vb_host_console *c)
{
	vb_term_close(&c->term);
	vb_pty_close(&c->pty);
}

const char *vb_host_console_pty(const struct vb_host_console *c)
{
	return c->pty.master_fd >= 0 ? c->pty.path : NULL;
}

uint64_t vb_host_console_overflows(const struct vb_host_console *c)
{
	return atomic_load(&c->pty.overflows);
}

bool vb_host_console_quit_requested(const struct vb_host_console *c)
{
	return atomic_load(&c->quit_requested);
}

void vb_host_console_note_if_quiet(const struct vb_host_console *c, const char *note)
{
	if (!atomic_load(&c->guest_spoke))
		vb_log(VB_LOG_NOTE, "%s", note);
}
