#include "machine/vcpu.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/sandbox.h"

/* ---- decoding ---- */

static void bad(struct vb_vcpu_exit *e, const char *why)
{
	e->kind = VB_EXIT_KIND_BAD;
	e->u.bad.why = why;
}

static void decode_io(struct kvm_run *run, size_t run_bytes, struct vb_vcpu_exit *e)
{
	uint8_t size = run->io.size;
	uint32_t count = run->io.count;
	uint64_t off = run->io.data_offset;
	if (size != 1 && size != 2 && size != 4)
		return bad(e, "port I/O size is not 1, 2 or 4");
	if (count == 0)
		return bad(e, "port I/O count is 0");
	/* x86 KVM puts the data on the page after struct kvm_run
	 * (KVM_PIO_PAGE_OFFSET); check the kernel's offset anyway so no
	 * mistake lets a guest steer our accesses outside the mapping or onto
	 * kvm_run's own fields. */
	uint64_t bytes = (uint64_t)size * count;
	if (off < sizeof(*run) || off > run_bytes ||
	    bytes > run_bytes - off)
		return bad(e, "port I/O data lies outside kvm_run");
	e->kind = VB_EXIT_KIND_IO;
	e->u.io.port = run->io.port;
	e->u.io.size = size;
	e->u.io.is_write = run->io.direction == KVM_EXIT_IO_OUT;
	e->u.io.count = count;
	e->u.io.data = (uint8_t *)run + off;
}

static void decode_mmio(struct kvm_run *run, struct vb_vcpu_exit *e)
{
	uint32_t len = run->mmio.len;
	if (len == 0 || len > sizeof(run->mmio.data))
		return bad(e, "MMIO length is not 1..8");
	e->kind = VB_EXIT_KIND_MMIO;
	e->u.mmio.addr = run->mmio.phys_addr;
	e->u.mmio.len = len;
	e->u.mmio.is_write = run->mmio.is_write != 0;
	e->u.mmio.data = run->mmio.data;
}

static void decode_system_event(struct kvm_run *run, struct vb_vcpu_exit *e)
{
	e->kind = VB_EXIT_KIND_SYSTEM_EVENT;
	e->u.sysev.raw_type = run->system_event.type;
	switch (run->system_event.type) {
	case KVM_SYSTEM_EVENT_RESET:
		e->u.sysev.type = VB_SYSEV_RESET;
		break;
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		e->u.sysev.type = VB_SYSEV_SHUTDOWN;
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		e->u.sysev.type = VB_SYSEV_CRASH;
		break;
	default:
		e->u.sysev.type = VB_SYSEV_OTHER;
		break;
	}
}

static void decode_internal(struct kvm_run *run, struct vb_vcpu_exit *e)
{
	e->kind = VB_EXIT_KIND_INTERNAL_ERROR;
	e->u.internal.suberror = run->internal.suberror;
	uint32_t n = run->internal.ndata;
	if (n > VB_EXIT_MAX_DATA)
		n = VB_EXIT_MAX_DATA;
	e->u.internal.ndata = n;
	for (uint32_t i = 0; i < n; i++)
		e->u.internal.data[i] = run->internal.data[i];
}

void vb_vcpu_decode(struct kvm_run *run, size_t run_bytes, struct vb_vcpu_exit *e)
{
	memset(e, 0, sizeof(*e));
	if (!run || run_bytes < sizeof(*run)) {
		e->kind = VB_EXIT_KIND_BAD;
		e->u.bad.why = "kvm_run mapping is smaller than struct kvm_run";
		return;
	}
	e->reason = run->exit_reason;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		decode_io(run, run_bytes, e);
		break;
	case KVM_EXIT_MMIO:
		decode_mmio(run, e);
		break;
	case KVM_EXIT_HLT:
		e->kind = VB_EXIT_KIND_HLT;
		break;
	case KVM_EXIT_SHUTDOWN:
		e->kind = VB_EXIT_KIND_SHUTDOWN;
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		decode_system_event(run, e);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		decode_internal(run, e);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		e->kind = VB_EXIT_KIND_FAIL_ENTRY;
		e->u.fail_entry.reason = run->fail_entry.hardware_entry_failure_reason;
		break;
	case KVM_EXIT_DEBUG:
		e->kind = VB_EXIT_KIND_DEBUG;
		e->u.debug.rip = run->debug.arch.pc;
		break;
	case KVM_EXIT_INTR:
		e->kind = VB_EXIT_KIND_INTR;
		break;
	default:
		e->kind = VB_EXIT_KIND_UNKNOWN;
		break;
	}
}

/* ---- dispatch ---- */

static enum vb_vcpu_action from_handler(int r, const char *what, uint64_t addr,
					struct vb_err *err)
{
	if (r == 0)
		return VB_VCPU_CONTINUE;
	if (r == VB_EXIT_STOP) {
		if (err && err->msg[0] == '\0')
			vb_err_set(err, 0, "guest stop via %s 0x%llx", what,
				   (unsigned long long)addr);
		return VB_VCPU_STOP;
	}
	if (r > 0) {
		vb_err_set(err, EPROTO, "%s 0x%llx: handler returned %d", what,
			   (unsigned long long)addr, r);
		return VB_VCPU_FAIL;
	}
	if (err && err->msg[0] == '\0')
		vb_err_errno(err, -r, "%s 0x%llx", what, (unsigned long long)addr);
	else
		vb_err_prefix(err, "%s 0x%llx", what, (unsigned long long)addr);
	return VB_VCPU_FAIL;
}

static enum vb_vcpu_action handle_io(const struct vb_exit_handlers *h,
				     struct vb_vcpu_exit *e, struct vb_err *err)
{
	/* String I/O (rep ins/outs) arrives as count back-to-back elements;
	 * the device sees them as count single accesses, in order. */
	for (uint32_t i = 0; i < e->u.io.count; i++) {
		uint8_t *d = e->u.io.data + (size_t)i * e->u.io.size;
		if (!h->pio) {
			if (!e->u.io.is_write)
				memset(d, 0xff, e->u.io.size);
			continue;
		}
		int r = h->pio(h->ctx, e->u.io.port, e->u.io.is_write, d, e->u.io.size, err);
		enum vb_vcpu_action a = from_handler(r, "port", e->u.io.port, err);
		if (a != VB_VCPU_CONTINUE)
			return a;
	}
	return VB_VCPU_CONTINUE;
}

static enum vb_vcpu_action handle_mmio(const struct vb_exit_handlers *h,
				       struct vb_vcpu_exit *e, struct vb_err *err)
{
	if (!h->mmio) {
		if (!e->u.mmio.is_write)
			memset(e->u.mmio.data, 0xff, e->u.mmio.len);
		return VB_VCPU_CONTINUE;
	}
	int r = h->mmio(h->ctx, e->u.mmio.addr, e->u.mmio.is_write, e->u.mmio.data,
			e->u.mmio.len, err);
	return from_handler(r, "MMIO", e->u.mmio.addr, err);
}

static enum vb_vcpu_action handle_internal(const struct vb_exit_handlers *h,
					   const struct vb_vcpu_exit *e, struct vb_err *err)
{
	char data[VB_EXIT_MAX_DATA * 20 + 1];
	size_t used = 0;
	data[0] = '\0';
	for (uint32_t i = 0; i < e->u.internal.ndata && used < sizeof(data); i++) {
		int n = snprintf(data + used, sizeof(data) - used, " 0x%llx",
				 (unsigned long long)e->u.internal.data[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	bool emulation = e->u.internal.suberror == KVM_INTERNAL_ERROR_EMULATION;
	vb_err_set(err, EIO, "KVM internal error: suberror %u%s%s%s%s",
		   e->u.internal.suberror, emulation ? " (emulation failure)" : "",
		   e->u.internal.ndata ? "; data:" : "", data,
		   emulation && h->host_is_pvm
			   ? "; this host's KVM is KVM-PVM (/sys/module/kvm_pvm), which emulates guest kernel code and cannot emulate every instruction: run on hardware-virtualization KVM"
			   : "");
	return VB_VCPU_FAIL;
}

static enum vb_vcpu_action handle_system_event(const struct vb_vcpu_exit *e,
					       struct vb_err *err)
{
	switch (e->u.sysev.type) {
	case VB_SYSEV_RESET:
		vb_err_set(err, 0, "guest reset");
		return VB_VCPU_STOP;
	case VB_SYSEV_SHUTDOWN:
		vb_err_set(err, 0, "guest poweroff");
		return VB_VCPU_STOP;
	case VB_SYSEV_CRASH:
		vb_err_set(err, EIO, "guest crashed (KVM_SYSTEM_EVENT_CRASH)");
		return VB_VCPU_FAIL;
	case VB_SYSEV_OTHER:
	default:
		vb_err_set(err, EIO, "unexpected KVM system event type %u", e->u.sysev.raw_type);
		return VB_VCPU_FAIL;
	}
}

enum vb_vcpu_action vb_vcpu_handle_exit(const struct vb_exit_handlers *h,
					struct vb_vcpu_exit *e, struct vb_err *err)
{
	if (err)
		err->msg[0] = '\0';
	switch (e->kind) {
	case VB_EXIT_KIND_IO:
		return handle_io(h, e, err);
	case VB_EXIT_KIND_MMIO:
		return handle_mmio(h, e, err);
	case VB_EXIT_KIND_HLT:
		/* Only seen without the in-kernel irqchip, where nothing can
		 * wake the vCPU again. */
		vb_err_set(err, 0, "guest halted");
		return VB_VCPU_STOP;
	case VB_EXIT_KIND_SHUTDOWN:
		/* A triple fault resets a PC; the guest asked for a reset. */
		vb_err_set(err, 0, "guest reset (triple fault)");
		return VB_VCPU_STOP;
	case VB_EXIT_KIND_SYSTEM_EVENT:
		return handle_system_event(e, err);
	case VB_EXIT_KIND_INTERNAL_ERROR:
		return handle_internal(h, e, err);
	case VB_EXIT_KIND_FAIL_ENTRY:
		vb_err_set(err, EIO, "KVM_RUN: VM entry failed, hardware reason 0x%llx",
			   (unsigned long long)e->u.fail_entry.reason);
		return VB_VCPU_FAIL;
	case VB_EXIT_KIND_DEBUG:
		if (!h->debug)
			return VB_VCPU_CONTINUE;
		return from_handler(h->debug(h->ctx, e->u.debug.rip, err), "debug exit at",
				    e->u.debug.rip, err);
	case VB_EXIT_KIND_INTR:
		return VB_VCPU_CONTINUE;
	case VB_EXIT_KIND_BAD:
		vb_err_set(err, EPROTO, "kvm_run: %s", e->u.bad.why);
		return VB_VCPU_FAIL;
	case VB_EXIT_KIND_UNKNOWN:
	default:
		vb_err_set(err, ENOTSUP, "unhandled KVM exit reason %u", e->reason);
		return VB_VCPU_FAIL;
	}
}

/* ---- the run loop ---- */

struct runner;

struct vb_vcpu_ctl {
	pthread_mutex_t lock;  /* taken before a runner's lock, never after */
	pthread_cond_t cond;   /* CLOCK_MONOTONIC; pause, hold and leave */
	bool pause;            /* requested: vCPU threads hold */
	bool stop;             /* requested: the run ends */
	struct vb_err why;
	unsigned live;         /* vCPU threads inside vcpu_main */
	unsigned held;         /* of those, waiting on cond */
	struct runner *run;    /* the run in progress, once its threads exist */
};

struct vcpu_thread;

static void stop_locked(struct vb_vcpu_ctl *c);

struct runner {
	struct vb_kvm_vcpu *vcpus;
	unsigned n;
	const struct vb_exit_handlers *h;
	struct vb_vcpu_ctl *ctl;
	struct vcpu_thread *threads;
	pthread_mutex_t lock;     /* the result */
	atomic_bool stop;
	/* The start gate, under ctl->lock: no vCPU enters the guest before
	 * every vCPU thread and the main thread have their seccomp filter. */
	unsigned confined;        /* vCPU threads past their confinement */
	bool gate_open;
	int wake_fd;              /* eventfd: a vCPU finished the run */
	bool have_result;
	struct vb_run_result res;
	int rc;
};

struct vcpu_thread {
	struct runner *r;
	unsigned i;
	pthread_t tid;
	bool started;
};

static void kick_handler(int sig)
{
	(void)sig; /* only there so the signal interrupts KVM_RUN */
}

static void finish(struct runner *r, unsigned i, enum vb_vcpu_action a, int rc,
		   const struct vb_err *why)
{
	pthread_mutex_lock(&r->lock);
	if (!r->have_result) {
		r->have_result = true;
		r->res.action = a;
		r->res.vcpu = r->vcpus[i].index;
		r->res.why = *why;
		r->rc = rc;
	}
	pthread_mutex_unlock(&r->lock);
	atomic_store(&r->stop, true);
	uint64_t one = 1;
	/* eventfd writes of 1 cannot block or fail short of overflow. */
	if (write(r->wake_fd, &one, sizeof(one)) < 0)
		return;
}

/* Holds the calling vCPU thread while a pause is requested. Under the
 * ctl lock, which every kick (pause or stop) also takes to set
 * immediate_exit: so clearing it here cannot lose a kick, and a pause kick
 * that was already consumed by this hold does not make the next KVM_RUN
 * return at once forever. */
static void hold_if_paused(struct runner *r, struct vb_kvm_vcpu *v)
{
	struct vb_vcpu_ctl *c = r->ctl;
	pthread_mutex_lock(&c->lock);
	if (c->pause && !atomic_load(&r->stop)) {
		c->held++;
		pthread_cond_broadcast(&c->cond);
		while (c->pause && !atomic_load(&r->stop))
			pthread_cond_wait(&c->cond, &c->lock);
		c->held--;
	}
	if (!atomic_load(&r->stop))
		__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&c->lock);
}

static void ctl_count(struct vb_vcpu_ctl *c, int delta)
{
	pthread_mutex_lock(&c->lock);
	c->live = (unsigned)((int)c->live + delta);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* A vCPU thread, confined (or failed to be): counted, then held until
 * the gate opens or the run stops. */
static void pass_gate(struct runner *r)
{
	struct vb_vcpu_ctl *c = r->ctl;
	pthread_mutex_lock(&c->lock);
	r->confined++;
	pthread_cond_broadcast(&c->cond);
	while (!r->gate_open && !atomic_load(&r->stop))
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
}

/* The main thread: once every vCPU thread is confined, it
 * confines itself and opens the gate. Until then guest code has not run,
 * so a guest that takes over a vCPU thread through a device bug finds
 * every other thread of vmboot filtered too. */
static int confine_then_open_gate(struct runner *r, struct vb_err *err)
{
	struct vb_vcpu_ctl *c = r->ctl;
	pthread_mutex_lock(&c->lock);
	while (r->confined < r->n && !atomic_load(&r->stop))
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
	int rc = vb_sandbox_confine(VB_SANDBOX_MAIN, r->h->confine, err);
	if (rc == 0) {
		pthread_mutex_lock(&c->lock);
		r->gate_open = true;
		pthread_cond_broadcast(&c->cond);
		pthread_mutex_unlock(&c->lock);
	}
	return rc;
}

static void *vcpu_main(void *arg)
{
	struct vcpu_thread *t = arg;
	struct runner *r = t->r;
	struct vb_kvm_vcpu *v = &r->vcpus[t->i];
	sigset_t kick;
	sigemptyset(&kick);
	sigaddset(&kick, VB_VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);

	struct vb_err why = { { 0 } };
	ctl_count(r->ctl, +1);
	if (vb_sandbox_confine(VB_SANDBOX_VCPU, r->h->confine, &why) < 0) {
		vb_err_prefix(&why, "vCPU %u", v->index);
		finish(r, t->i, VB_VCPU_FAIL, -EPERM, &why);
	}
	pass_gate(r);
	while (!atomic_load(&r->stop)) {
		hold_if_paused(r, v);
		if (atomic_load(&r->stop))
			break;
		int rc = vb_kvm_vcpu_run(v);
		if (rc == -EINTR || rc == -EAGAIN)
			continue;
		if (rc < 0) {
			vb_err_errno(&why, -rc, "vCPU %u: KVM_RUN", v->index);
			finish(r, t->i, VB_VCPU_FAIL, rc, &why);
			break;
		}
		struct vb_vcpu_exit e;
		vb_vcpu_decode(v->run, v->run_bytes, &e);
		enum vb_vcpu_action a = vb_vcpu_handle_exit(r->h, &e, &why);
		if (a == VB_VCPU_CONTINUE)
			continue;
		if (a == VB_VCPU_FAIL)
			vb_err_prefix(&why, "vCPU %u", v->index);
		finish(r, t->i, a, a == VB_VCPU_FAIL ? -EIO : 0, &why);
		break;
	}
	ctl_count(r->ctl, -1);
	return NULL;
}

/* Under c->lock. immediate_exit closes the window between a thread's
 * checks and its next KVM_RUN: a signal landing there would otherwise be
 * lost (api.rst: immediate_exit). */
static void kick_threads(struct runner *r, struct vcpu_thread *threads)
{
	for (unsigned i = 0; i < r->n; i++) {
		if (!threads[i].started)
			continue;
		__atomic_store_n(&r->vcpus[i].run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		pthread_kill(threads[i].tid, VB_VCPU_KICK_SIGNAL);
	}
}

static void kick_all(struct runner *r, struct vcpu_thread *threads)
{
	if (r->h->ending)
		r->h->ending(r->h->ctx);
	pthread_mutex_lock(&r->ctl->lock);
	atomic_store(&r->stop, true);
	r->ctl->run = NULL;
	kick_threads(r, threads);
	pthread_cond_broadcast(&r->ctl->cond);
	pthread_mutex_unlock(&r->ctl->lock);
	for (unsigned i = 0; i < r->n; i++) {
		if (threads[i].started)
			pthread_join(threads[i].tid, NULL);
		threads[i].started = false;
	}
	for (unsigned i = 0; i < r->n; i++)
		__atomic_store_n(&r->vcpus[i].run->immediate_exit, 0, __ATOMIC_SEQ_CST);
}

static int64_t monotonic_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* The poll timeout until the handlers' timer is due (calling it when it
 * is), or -1 when there is none or it has run. */
static int timer_timeout(struct runner *r, int64_t *due_ms)
{
	if (*due_ms < 0)
		return -1;
	int64_t left = *due_ms - monotonic_ms();
	if (left > 0)
		return left > INT32_MAX ? INT32_MAX : (int)left;
	*due_ms = -1;
	r->h->timer(r->h->ctx);
	return -1;
}

/* The sooner of two poll timeouts (-1: none). */
static int sooner(int a_ms, int b_ms)
{
	if (a_ms < 0)
		return b_ms;
	if (b_ms < 0)
		return a_ms;
	return a_ms < b_ms ? a_ms : b_ms;
}

/* Waits for a finished vCPU or SIGINT/SIGTERM, serving the handlers'
 * service meanwhile; returns the signal, 0, or -errno if poll itself
 * failed. */
static int wait_for_stop(struct runner *r, int sig_fd)
{
	const struct vb_run_service *svc = r->h->service;
	struct pollfd fds[3] = {
		{ .fd = r->wake_fd, .events = POLLIN },
		{ .fd = sig_fd, .events = POLLIN },
		{ .fd = svc ? svc->fd : -1, .events = POLLIN },
	};
	int64_t due_ms = r->h->timer && r->h->timer_ms ? monotonic_ms() + r->h->timer_ms : -1;
	for (;;) {
		int svc_ms = svc ? svc->timeout_ms(svc->ctx) : -1;
		int ready = poll(fds, 3, sooner(timer_timeout(r, &due_ms), svc_ms));
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fds[0].revents & POLLIN)
			return 0;
		if (fds[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				return (int)si.ssi_signo;
		}
		/* A broken service is dropped, not spun on. */
		if (fds[2].revents & (POLLERR | POLLNVAL))
			fds[2].fd = -1;
		if (svc)
			svc->serve(svc->ctx, fds[2].revents & POLLIN, r->wake_fd, sig_fd);
	}
}

static int start_threads(struct runner *r, struct vcpu_thread *threads,
			 struct vb_err *err)
{
	for (unsigned i = 0; i < r->n; i++) {
		threads[i].r = r;
		threads[i].i = i;
		int e = pthread_create(&threads[i].tid, NULL, vcpu_main, &threads[i]);
		if (e != 0)
			return vb_err_errno(err, e, "vCPU %u: pthread_create", r->vcpus[i].index);
		threads[i].started = true;
	}
	return 0;
}

static int run_threads(struct runner *r, int sig_fd, struct vb_run_result *res,
		       struct vb_err *err)
{
	struct vcpu_thread *threads = calloc(r->n, sizeof(*threads));
	if (!threads)
		return vb_err_errno(err, ENOMEM, "vCPU threads");
	r->threads = threads;
	int rc = start_threads(r, threads, err);
	/* After the last thread this one starts: a filter is inherited. */
	if (rc == 0)
		rc = confine_then_open_gate(r, err);
	if (rc == 0) {
		pthread_mutex_lock(&r->ctl->lock);
		r->ctl->run = r;
		if (r->ctl->stop) /* requested before the run was visible */
			stop_locked(r->ctl);
		pthread_mutex_unlock(&r->ctl->lock);
	}
	int sig = rc < 0 ? 0 : wait_for_stop(r, sig_fd);
	kick_all(r, threads);
	free(threads);
	if (rc < 0)
		return rc;
	if (sig < 0 && !r->have_result)
		return vb_err_errno(err, -sig, "run: poll");

	if (sig > 0 && !r->have_result) {
		memset(res, 0, sizeof(*res));
		res->action = VB_VCPU_STOP;
		res->signal = sig;
		vb_err_set(&res->why, 0, "stopped by signal %d (%s)", sig, strsignal(sig));
		return 0;
	}
	*res = r->res;
	if (r->res.action == VB_VCPU_FAIL) {
		*err = r->res.why;
		return r->rc < 0 ? r->rc : -EIO;
	}
	return 0;
}

/* ---- control ---- */

static int ctl_init(struct vb_vcpu_ctl *c, struct vb_err *err)
{
	memset(c, 0, sizeof(*c));
	pthread_condattr_t attr;
	int e = pthread_condattr_init(&attr);
	if (!e)
		e = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!e)
		e = pthread_cond_init(&c->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (e)
		return vb_err_errno(err, e, "vCPU control: condition variable");
	e = pthread_mutex_init(&c->lock, NULL);
	if (e) {
		pthread_cond_destroy(&c->cond);
		return vb_err_errno(err, e, "vCPU control: mutex");
	}
	return 0;
}

static void ctl_fini(struct vb_vcpu_ctl *c)
{
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
}

int vb_vcpu_ctl_create(struct vb_vcpu_ctl **out, struct vb_err *err)
{
	*out = NULL;
	struct vb_vcpu_ctl *c = malloc(sizeof(*c));
	if (!c)
		return vb_err_set(err, ENOMEM, "vCPU control: out of memory");
	int rc = ctl_init(c, err);
	if (rc) {
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void vb_vcpu_ctl_destroy(struct vb_vcpu_ctl *c)
{
	if (!c)
		return;
	ctl_fini(c);
	free(c);
}

int vb_vcpu_ctl_pause(struct vb_vcpu_ctl *c, unsigned timeout_ms, struct vb_err *err)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->lock);
	c->pause = true;
	if (c->run)
		kick_threads(c->run, c->run->threads);
	int e = 0;
	while (c->run && c->held < c->live && e != ETIMEDOUT)
		e = pthread_cond_timedwait(&c->cond, &c->lock, &deadline);
	bool all_held = !c->run || c->held >= c->live;
	unsigned held = c->held, live = c->live;
	pthread_mutex_unlock(&c->lock);
	if (!all_held)
		return vb_err_set(err, ETIMEDOUT,
				  "only %u of %u vCPUs stopped within %u ms (one is busy in a device); the pause completes when it returns",
				  held, live, timeout_ms);
	return 0;
}

void vb_vcpu_ctl_resume(struct vb_vcpu_ctl *c)
{
	pthread_mutex_lock(&c->lock);
	c->pause = false;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

bool vb_vcpu_ctl_paused(struct vb_vcpu_ctl *c)
{
	pthread_mutex_lock(&c->lock);
	bool p = c->pause;
	pthread_mutex_unlock(&c->lock);
	return p;
}

static void wake(int fd)
{
	uint64_t one = 1;
	/* eventfd writes of 1 cannot block or fail short of overflow. */
	if (write(fd, &one, sizeof(one)) < 0)
		return;
}

/* Under c->lock, with c->stop set: ends the run in progress, if any. */
static void stop_locked(struct vb_vcpu_ctl *c)
{
	struct runner *r = c->run;
	if (r) {
		pthread_mutex_lock(&r->lock);
		if (!r->have_result) {
			r->have_result = true;
			memset(&r->res, 0, sizeof(r->res));
			r->res.action = VB_VCPU_STOP;
			r->res.why = c->why;
			r->rc = 0;
		}
		pthread_mutex_unlock(&r->lock);
		atomic_store(&r->stop, true);
		pthread_cond_broadcast(&c->cond);
		wake(r->wake_fd);
	}
}

void vb_vcpu_ctl_stop(struct vb_vcpu_ctl *c, const char *why)
{
	pthread_mutex_lock(&c->lock);
	vb_err_set(&c->why, 0, "%s", why ? why : "stopped");
	c->stop = true;
	stop_locked(c);
	pthread_mutex_unlock(&c->lock);
}

/* ---- running ---- */

int vb_vcpu_run_all(struct vb_kvm_vcpu *vcpus, unsigned n,
		    const struct vb_exit_handlers *h, struct vb_run_result *res,
		    struct vb_err *err)
{
	return vb_vcpu_run_all_ctl(vcpus, n, h, NULL, res, err);
}

int vb_vcpu_run_all_ctl(struct vb_kvm_vcpu *vcpus, unsigned n,
			const struct vb_exit_handlers *h, struct vb_vcpu_ctl *ctl,
			struct vb_run_result *res, struct vb_err *err)
{
	memset(res, 0, sizeof(*res));
	if (n == 0)
		return vb_err_set(err, EINVAL, "run: no vCPUs");
	/* Without a caller's ctl the run gets a private one, so there is a
	 * single code path. */
	struct vb_vcpu_ctl own;
	if (!ctl) {
		int rc = ctl_init(&own, err);
		if (rc)
			return rc;
		ctl = &own;
	}
	struct runner r = { .vcpus = vcpus, .n = n, .h = h, .ctl = ctl, .wake_fd = -1 };
	atomic_init(&r.stop, false);
	pthread_mutex_init(&r.lock, NULL);

	/* SIGINT/SIGTERM are read from a signalfd by this thread, so they
	 * must be blocked here and, by inheritance, in every vCPU thread. The
	 * kick signal is blocked here too and unblocked only in vCPU threads. */
	sigset_t block, old_mask;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, VB_VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &block, &old_mask);

	struct sigaction kick = { .sa_handler = kick_handler }, old_kick;
	sigemptyset(&kick.sa_mask);
	sigaction(VB_VCPU_KICK_SIGNAL, &kick, &old_kick);

	int rc;
	sigset_t stop_sigs;
	sigemptyset(&stop_sigs);
	sigaddset(&stop_sigs, SIGINT);
	sigaddset(&stop_sigs, SIGTERM);
	int sig_fd = signalfd(-1, &stop_sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	r.wake_fd = eventfd(0, EFD_CLOEXEC);
	if (sig_fd < 0 || r.wake_fd < 0)
		rc = vb_err_errno(err, errno, "run: %s", sig_fd < 0 ? "signalfd" : "eventfd");
	else
		rc = run_threads(&r, sig_fd, res, err);

	if (sig_fd >= 0) {
		/* Consume a SIGINT/SIGTERM that arrived while stopping, so
		 * restoring the mask does not deliver it with its default
		 * (fatal) action. */
		struct signalfd_siginfo si;
		while (read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			;
		close(sig_fd);
	}
	if (r.wake_fd >= 0)
		close(r.wake_fd);
	sigaction(VB_VCPU_KICK_SIGNAL, &old_kick, NULL);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	pthread_mutex_destroy(&r.lock);
	if (ctl == &own)
		ctl_fini(&own);
	return rc;
}
