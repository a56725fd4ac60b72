/* Loading the seccomp programs of vmboot's thread kinds (sandbox.h),
 * which libseccomp compiled from the allowlists when vmboot was built
 * (filters.h), and the debug mode's SIGSYS handler. */
#include "sandbox/sandbox.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/filters.h"
#include "util/thread.h"

const char *vb_sandbox_kind_name(enum vb_sandbox_kind kind)
{
	return (unsigned)kind < VB_SANDBOX_KINDS ? vb_filter_kind_names[kind] : "unknown";
}

int vb_sandbox_no_new_privs(struct vb_err *err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return vb_err_errno(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
	return 0;
}

/* ---- the debug mode ---- */

/* The kind of the thread that faulted, for the SIGSYS handler; the
 * names of the calls are filters.h's, resolved when vmboot was built. */
static _Thread_local const char *debug_kind = "?";

static void put(const char *s)
{
	size_t n = strlen(s);
	while (n) {
		ssize_t w = write(STDERR_FILENO, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Async-signal-safe: no stdio. */
static void put_hex(unsigned long v)
{
	char buf[2 + 2 * sizeof(v) + 1], *p = buf + sizeof(buf) - 1;
	*p = '\0';
	do {
		*--p = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	put(p);
}

static void put_dec(unsigned long v)
{
	char buf[24], *p = buf + sizeof(buf) - 1;
	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(p);
}

static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
	(void)sig;
	(void)uctx;
	int nr = si->si_syscall;
	const char *name = nr >= 0 && nr < VB_FILTER_SYSCALL_NAMES ? vb_filter_syscall_names[nr] : NULL;
	put("vmboot: error: seccomp: the ");
	put(debug_kind);
	put(" thread made a forbidden system call: ");
	put(name ? name : "unknown");
	put(" (");
	put_dec((unsigned long)nr);
	put(") at ");
	put_hex((unsigned long)(uintptr_t)si->si_call_addr);
	put("\n");
	/* exit_group itself: _exit may be intercepted (a sanitizer's leak
	 * check at exit), and those calls are forbidden here too. */
	syscall(SYS_exit_group, VB_SANDBOX_DEBUG_EXIT);
}

static bool debug_wanted(void)
{
	const char *v = getenv("VMBOOT_SECCOMP_DEBUG");
	return v && strcmp(v, "1") == 0;
}

static int debug_prepare(struct vb_err *err)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return vb_err_errno(err, errno, "seccomp: SIGSYS handler");
	sigset_t sys;
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
	return 0;
}

/* ---- loading ---- */

/* The program as compiled, or a copy with this process's pid where the
 * I/O kind's kill(self, SIGTERM) compares it and, in the debug mode, with
 * traps for kills. */
static int load(enum vb_sandbox_kind kind, const struct vb_filter_program *p, bool debug,
		struct vb_err *err)
{
	const char *name = vb_filter_kind_names[kind];
	struct sock_fprog prog = { .len = p->len, .filter = (struct sock_filter *)p->insns };
	struct sock_filter *patched = NULL;
	if (p->n_pid_slots || debug) {
		patched = malloc(p->len * sizeof(*patched));
		if (!patched)
			return vb_err_set(err, ENOMEM, "seccomp: %s filter: out of memory", name);
		memcpy(patched, p->insns, p->len * sizeof(*patched));
		for (unsigned i = 0; i < p->n_pid_slots; i++)
			patched[p->pid_slots[i]].k = (uint32_t)getpid();
		for (unsigned i = 0; debug && i < p->len; i++)
			patched[i].k = vb_filter_debug_action(patched[i]);
		prog.filter = patched;
	}
	/* PR_SET_SECCOMP wants no_new_privs (or CAP_SYS_ADMIN); vmboot set
	 * it first thing, a test may not have. */
	int r = 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		r = vb_err_errno(err, errno, "seccomp: %s filter", name);
	free(patched);
	return r;
}

static int enter(enum vb_sandbox_kind kind, unsigned needs, bool user_switch_ahead,
		 struct vb_err *err)
{
	if ((unsigned)kind >= VB_SANDBOX_KINDS)
		return vb_err_set(err, EINVAL, "seccomp: no thread kind %d", (int)kind);
	if (needs & ~(unsigned)VB_SANDBOX_NEEDS_ALL)
		return vb_err_set(err, EINVAL, "seccomp: no needs 0x%x", needs);
	bool debug = debug_wanted();
	if (debug) {
		int r = debug_prepare(err);
		if (r)
			return r;
		debug_kind = vb_filter_kind_names[kind];
	}
	return load(kind, &vb_filter_programs[kind][needs][user_switch_ahead], debug, err);
}

int vb_sandbox_enter(enum vb_sandbox_kind kind, unsigned needs, struct vb_err *err)
{
	return enter(kind, needs, false, err);
}

bool vb_sandbox_filters_for_vms(void)
{
#ifdef VB_SANDBOX_UNDER_ASAN
	return false;
#else
	return true;
#endif
}

int vb_sandbox_confine(enum vb_sandbox_kind kind, const struct vb_sandbox_policy *policy,
		       struct vb_err *err)
{
	if (!policy)
		return 0;
	bool switch_ahead = atomic_load(&policy->user_switch_ahead);
	if (policy->drop_caps) {
		vb_caps keep = policy->keep_caps;
		if (switch_ahead)
			keep |= VB_CAP(CAP_SETUID) | VB_CAP(CAP_SETGID);
		int r = vb_privs_drop_caps(keep, err);
		if (r)
			return r;
	}
	return policy->seccomp && vb_sandbox_filters_for_vms()
		       ? enter(kind, policy->needs, switch_ahead, err)
		       : 0;
}

struct confine_start {
	enum vb_sandbox_kind kind;
	const struct vb_sandbox_policy *policy;
};

static int confine_first(void *arg, struct vb_err *err)
{
	const struct confine_start *c = arg;
	return vb_sandbox_confine(c->kind, c->policy, err);
}

int vb_sandbox_thread_start(pthread_t *thread, enum vb_sandbox_kind kind,
			    const struct vb_sandbox_policy *policy, void *(*fn)(void *), void *arg,
			    const char *what, struct vb_err *err)
{
	struct confine_start c = { kind, policy };
	return vb_thread_start_checked(thread, confine_first, &c, fn, arg, what, err);
}
