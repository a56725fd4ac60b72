#include "dev/term.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "util/log.h"

/* The one exception to "no global mutable state": a signal handler and an
 * atexit function get no context argument, yet must put the terminal back
 * when vmboot crashes or exits, so the saved mode lives in a static. It is
 * written only while no handler can use it (crash_armed is 0). */
static struct termios crash_saved;
static int crash_fd = -1;
static volatile sig_atomic_t crash_armed;
static pthread_once_t atexit_once = PTHREAD_ONCE_INIT;

static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE};
#define N_CRASH_SIGNALS (sizeof(crash_signals) / sizeof(crash_signals[0]))

static void restore_saved(void)
{
	if (crash_armed) {
		/* tcsetattr is async-signal-safe (POSIX.1-2008 2.4.3). */
		(void)tcsetattr(crash_fd, TCSANOW, &crash_saved);
	}
}

static void crash_handler(int sig)
{
	restore_saved();
	/* SA_RESETHAND made the action default again; SA_NODEFER lets the
	 * re-raised signal through at once. */
	raise(sig);
}

static void at_exit_restore(void)
{
	restore_saved();
}

static void register_atexit(void)
{
	(void)atexit(at_exit_restore);
}

static void install_crash_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = crash_handler;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_CRASH_SIGNALS; i++)
		(void)sigaction(crash_signals[i], &sa, NULL);
}

static void remove_crash_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_CRASH_SIGNALS; i++)
		(void)sigaction(crash_signals[i], &sa, NULL);
}

static void term_reset(struct vb_term *term, int in_fd)
{
	memset(term, 0, sizeof(*term));
	term->in_fd = in_fd;
	term->stop_pipe[0] = term->stop_pipe[1] = -1;
}

int vb_term_open(struct vb_term *term, int in_fd, struct vb_err *err)
{
	term_reset(term, in_fd);
	if (!isatty(in_fd))
		return 0;
	if (tcgetattr(in_fd, &term->saved) < 0)
		return vb_err_errno(err, errno, "terminal: tcgetattr");
	crash_armed = 0;
	crash_saved = term->saved;
	crash_fd = in_fd;
	crash_armed = 1;
	(void)pthread_once(&atexit_once, register_atexit);
	install_crash_handlers();
	struct termios raw = term->saved;
	cfmakeraw(&raw);
	/* Keep output post-processing: the guest sends "\r\n" anyway, and
	 * vmboot's own messages need "\n" to return the carriage. */
	raw.c_oflag |= OPOST;
	if (tcsetattr(in_fd, TCSANOW, &raw) < 0) {
		int e = errno;
		crash_armed = 0;
		remove_crash_handlers();
		return vb_err_errno(err, e, "terminal: tcsetattr");
	}
	term->raw = true;
	return 0;
}

void vb_term_attach_fd(struct vb_term *term, int in_fd)
{
	term_reset(term, in_fd);
}

size_t vb_term_filter(struct vb_term_escape *esc, const uint8_t *in, size_t n,
		      uint8_t *out, bool *quit)
{
	size_t o = 0;
	*quit = false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = in[i];
		if (!esc->pending) {
			if (c == VB_TERM_ESCAPE)
				esc->pending = true;
			else
				out[o++] = c;
			continue;
		}
		esc->pending = false;
		if (c == 'x' || c == 'X') {
			*quit = true;
			break;
		}
		if (c != VB_TERM_ESCAPE)
			out[o++] = VB_TERM_ESCAPE;
		out[o++] = c;
	}
	return o;
}

/* Offer buf to the sink until it is all taken or a stop is requested.
 * Returns false when asked to stop. */
static bool deliver(struct vb_term *t, const uint8_t *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		done += t->sink(t->ctx, buf + done, n - done);
		if (done >= n)
			break;
		struct pollfd p = {.fd = t->stop_pipe[0], .events = POLLIN};
		if (poll(&p, 1, VB_TERM_RETRY_MS) > 0)
			return false;
	}
	return true;
}

static void *reader_main(void *arg)
{
	struct vb_term *t = arg;
	uint8_t in[256], out[2 * sizeof(in)];
	for (;;) {
		struct pollfd p[2] = {
			{.fd = t->stop_pipe[0], .events = POLLIN},
			{.fd = t->in_fd, .events = POLLIN},
		};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			t->on_event(t->ctx, VB_TERM_ERROR);
			return NULL;
		}
		if (p[0].revents)
			return NULL;
		if (!p[1].revents)
			continue;
		ssize_t got = read(t->in_fd, in, sizeof(in));
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0) {
			t->on_event(t->ctx, got == 0 ? VB_TERM_EOF : VB_TERM_ERROR);
			return NULL;
		}
		bool quit;
		size_t n = vb_term_filter(&t->esc, in, (size_t)got, out, &quit);
		if (n && !deliver(t, out, n))
			return NULL;
		if (quit) {
			t->on_event(t->ctx, VB_TERM_QUIT);
			return NULL;
		}
	}
}

int vb_term_start_reader(struct vb_term *term, vb_term_sink_fn sink,
			 vb_term_event_fn on_event, void *ctx,
			 struct vb_err *err)
{
	if (term->reader_running)
		return vb_err_set(err, EBUSY, "terminal: reader already running");
	if (pipe2(term->stop_pipe, O_CLOEXEC) < 0)
		return vb_err_errno(err, errno, "terminal: pipe");
	term->sink = sink;
	term->on_event = on_event;
	term->ctx = ctx;
	int r = vb_sandbox_thread_start(&term->reader, VB_SANDBOX_IO, term->confine, reader_main,
					term, "console input", err);
	if (r) {
		close(term->stop_pipe[0]);
		close(term->stop_pipe[1]);
		term->stop_pipe[0] = term->stop_pipe[1] = -1;
		return r;
	}
	term->reader_running = true;
	return 0;
}

void vb_term_close(struct vb_term *term)
{
	if (term->reader_running) {
		uint8_t b = 0;
		ssize_t w;
		do
			w = write(term->stop_pipe[1], &b, 1);
		while (w < 0 && errno == EINTR);
		pthread_join(term->reader, NULL);
		term->reader_running = false;
	}
	for (int i = 0; i < 2; i++) {
		if (term->stop_pipe[i] >= 0)
			close(term->stop_pipe[i]);
		term->stop_pipe[i] = -1;
	}
	if (term->raw) {
		(void)tcsetattr(term->in_fd, TCSANOW, &term->saved);
		crash_armed = 0;
		remove_crash_handlers();
		term->raw = false;
	}
}
