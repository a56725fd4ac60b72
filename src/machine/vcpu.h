/* vCPU exits and the run loop.
 *
 * Three layers, the first two pure so tests drive them with synthetic
 * struct kvm_run buffers and no /dev/kvm:
 *   vb_vcpu_decode       struct kvm_run -> struct vb_vcpu_exit, checking
 *                        every kernel-supplied offset and size against the
 *                        mmap'ed kvm_run size
 *   vb_vcpu_handle_exit  calls the port/MMIO callbacks and turns the exit
 *                        into an action: continue, stop or fail
 *   vb_vcpu_run_all      the last builder stage: one thread per vCPU doing
 *                        KVM_RUN until some vCPU, a callback or SIGINT/
 *                        SIGTERM asks to stop; then every vCPU is kicked
 *                        out of KVM_RUN and joined
 *
 * Handler callbacks return 0 (handled), VB_EXIT_STOP (the guest asked for
 * reset or poweroff: vmboot exits with status 0) or -errno with err filled
 * (the run fails with that message). The run loop calls them from every
 * vCPU thread at once, under no lock of its own: the buses are fixed
 * before the first KVM_RUN (dev/bus.h) and each device serializes its own
 * state, so an exit to one device never waits for another's. Where one
 * device's lock is taken under another's, the order is fixed: PCI host,
 * then the virtio core, then MSI-X, then the VM's MSI routes; nothing
 * takes them the other way round (dev/msix.h). */
#ifndef VB_MACHINE_VCPU_H
#define VB_MACHINE_VCPU_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "machine/kvm.h"
#include "sandbox/sandbox.h"
#include "util/err.h"

/* Positive so it cannot collide with -errno. */
#define VB_EXIT_STOP 1

enum vb_exit_kind {
	VB_EXIT_KIND_IO,
	VB_EXIT_KIND_MMIO,
	VB_EXIT_KIND_HLT,
	VB_EXIT_KIND_SHUTDOWN,       /* triple fault: a PC resets */
	VB_EXIT_KIND_SYSTEM_EVENT,
	VB_EXIT_KIND_INTERNAL_ERROR,
	VB_EXIT_KIND_FAIL_ENTRY,
	VB_EXIT_KIND_DEBUG,
	VB_EXIT_KIND_INTR,           /* KVM_EXIT_INTR: a signal interrupted KVM_RUN */
	VB_EXIT_KIND_UNKNOWN,
	VB_EXIT_KIND_BAD,            /* kvm_run contents failed validation */
};

enum vb_system_event { VB_SYSEV_RESET, VB_SYSEV_SHUTDOWN, VB_SYSEV_CRASH, VB_SYSEV_OTHER };

#define VB_EXIT_MAX_DATA 16

struct vb_vcpu_exit {
	enum vb_exit_kind kind;
	uint32_t reason;             /* raw exit_reason */
	union {
		struct {
			uint16_t port;
			uint8_t size;        /* 1, 2 or 4 */
			bool is_write;       /* out/outs */
			uint32_t count;      /* > 1 for string I/O (rep ins/outs) */
			uint8_t *data;       /* size * count bytes inside kvm_run */
		} io;
		struct {
			uint64_t addr;
			uint32_t len;        /* 1..8 */
			bool is_write;
			uint8_t *data;       /* kvm_run->mmio.data */
		} mmio;
		struct {
			enum vb_system_event type;
			uint32_t raw_type;
		} sysev;
		struct {
			uint32_t suberror;
			uint32_t ndata;      /* clamped to VB_EXIT_MAX_DATA */
			uint64_t data[VB_EXIT_MAX_DATA];
		} internal;
		struct {
			uint64_t reason;     /* hardware entry failure reason */
		} fail_entry;
		struct {
			uint64_t rip;
		} debug;
		struct {
			const char *why;     /* VB_EXIT_KIND_BAD */
		} bad;
	} u;
};

/* Decodes run (run_bytes mapped). Never fails: bad contents become
 * VB_EXIT_KIND_BAD with a reason. */
void vb_vcpu_decode(struct kvm_run *run, size_t run_bytes, struct vb_vcpu_exit *e);

/* Work for the thread that waits for the run, between its other waits
 * (the control socket: vm.h, vb_vm_publisher.running): it runs under
 * that thread's seccomp filter, with no thread of its own. */
struct vb_run_service {
	void *ctx;
	int fd; /* polled for POLLIN; -1: no service */
	/* Milliseconds until serve is due without fd (-1: never). */
	int (*timeout_ms)(void *ctx);
	/* fd readable or the timeout run out. A wait inside it must end
	 * when cancel_a or cancel_b is readable: the run ended, or a signal
	 * came. */
	void (*serve)(void *ctx, bool readable, int cancel_a, int cancel_b);
};

struct vb_exit_handlers {
	void *ctx;
	/* One access of size 1, 2 or 4 bytes; for reads fill data. NULL:
	 * writes are dropped and reads return all ones (a floating ISA bus). */
	int (*pio)(void *ctx, uint16_t port, bool is_write, uint8_t *data,
		   uint8_t size, struct vb_err *err);
	/* len 1..8. NULL: as for pio. */
	int (*mmio)(void *ctx, uint64_t addr, bool is_write, uint8_t *data,
		    uint32_t len, struct vb_err *err);
	/* Single-step/breakpoint exits; NULL: continue. */
	int (*debug)(void *ctx, uint64_t rip, struct vb_err *err);
	/* Explain emulation failures as KVM-PVM limits (vb_kvm.is_pvm). */
	bool host_is_pvm;
	/* Called once, timer_ms after the vCPUs start, by the thread that
	 * waits for the run to end (not a vCPU thread), unless
	 * the run ended first. NULL or 0 ms: no timer. */
	void (*timer)(void *ctx);
	unsigned timer_ms;
	/* Confine the run's threads (sandbox/sandbox.h; NULL: not): each
	 * vCPU thread as VB_SANDBOX_VCPU before its first KVM_RUN, and the
	 * calling thread as VB_SANDBOX_MAIN once they all started, for good
	 * (the filter stays after the run returns). */
	const struct vb_sandbox_policy *confine;
	/* Called once when the run ends, before the vCPU threads are kicked
	 * and joined (NULL: nothing): whatever could keep one of them from
	 * coming back gives up. */
	void (*ending)(void *ctx);
	/* NULL: none. */
	const struct vb_run_service *service;
};

enum vb_vcpu_action { VB_VCPU_CONTINUE, VB_VCPU_STOP, VB_VCPU_FAIL };

/* Fills err on VB_VCPU_FAIL; on VB_VCPU_STOP err holds the reason
 * ("guest reset", "guest poweroff"). */
enum vb_vcpu_action vb_vcpu_handle_exit(const struct vb_exit_handlers *h,
					struct vb_vcpu_exit *e, struct vb_err *err);

/* The signal that kicks vCPU threads out of KVM_RUN. The run loop installs
 * a no-op handler for it while vCPUs run. */
#define VB_VCPU_KICK_SIGNAL SIGUSR1

struct vb_run_result {
	enum vb_vcpu_action action;  /* STOP or FAIL */
	int signal;                  /* SIGINT/SIGTERM that stopped the run, or 0 */
	uint32_t vcpu;               /* the vCPU that stopped or failed the run */
	struct vb_err why;           /* reason text for stop and fail */
};

/* Control of a run from other threads (the control server): pause holds
 * every vCPU thread outside KVM_RUN on a condition variable, so the guest
 * makes no progress until resume; stop ends the run as if the guest had
 * powered off. A ctl lives longer than the run it is given to (it may be
 * paused before the run starts: the vCPUs then start held) and is
 * created/destroyed by the caller. All functions are thread safe. */
struct vb_vcpu_ctl;

int vb_vcpu_ctl_create(struct vb_vcpu_ctl **out, struct vb_err *err);
void vb_vcpu_ctl_destroy(struct vb_vcpu_ctl *c);

/* Kicks every vCPU out of KVM_RUN and waits, at most timeout_ms, until
 * each is held. Returns 0, or -ETIMEDOUT (the pause stays requested and
 * completes when the busy vCPU comes back) with err filled. */
int vb_vcpu_ctl_pause(struct vb_vcpu_ctl *c, unsigned timeout_ms, struct vb_err *err);
void vb_vcpu_ctl_resume(struct vb_vcpu_ctl *c);
bool vb_vcpu_ctl_paused(struct vb_vcpu_ctl *c);

/* Ends the run in progress (or the next one at once) with action STOP and
 * why as its reason. */
void vb_vcpu_ctl_stop(struct vb_vcpu_ctl *c, const char *why);

/* Runs vcpus[0..n) until stop. Blocks SIGINT and SIGTERM in the calling
 * thread (and so in the vCPU threads) for the duration, reads them from a
 * signalfd, and restores the mask. Any other thread of the process must
 * keep SIGINT/SIGTERM blocked, or the kernel may deliver them there.
 * Returns 0 when the guest or a signal stopped the run (res->action
 * STOP), or -errno with err filled when a vCPU failed or setup failed. */
int vb_vcpu_run_all(struct vb_kvm_vcpu *vcpus, unsigned n,
		    const struct vb_exit_handlers *h, struct vb_run_result *res,
		    struct vb_err *err);

/* The same under the control of ctl (NULL: none). */
int vb_vcpu_run_all_ctl(struct vb_kvm_vcpu *vcpus, unsigned n,
			const struct vb_exit_handlers *h, struct vb_vcpu_ctl *ctl,
			struct vb_run_result *res, struct vb_err *err);

#endif
