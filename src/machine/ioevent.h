/* The per-VM I/O event service: virtio doorbells without vCPU exits.
 *
 * With KVM_IOEVENTFD the kernel turns a guest write to a doorbell address
 * into an eventfd signal and resumes the vCPU at once, instead of an MMIO
 * exit that the vCPU thread handles itself (api.rst, KVM_IOEVENTFD). This
 * service owns those eventfds: one thread waits on all of them with epoll
 * and, for each one signalled, calls the callback registered with it.
 * Devices reach it only through struct vb_dev_env's doorbell hooks
 * (dev/dev.h), which vb_ioevent_plug fills.
 *
 * The kernel side is injected: assign(ctx, fd, db, true/false) binds or
 * unbinds an eventfd to a doorbell (KVM_IOEVENTFD in production, see
 * vm.c); NULL binds nothing, so tests signal the eventfds themselves.
 *
 * Stage order (machine/vm.h, stage 6): created before the devices attach
 * (they add doorbells during attach), started once they all are, stopped
 * (thread joined, every doorbell unbound and its eventfd closed) after the
 * vCPUs are joined and before any device detaches, so no callback can run
 * on a device being torn down; destroyed after the devices detached.
 *
 * Threads: add, remove and the dispatch in the thread share one mutex,
 * held while a callback runs; so once remove returns, that doorbell's
 * callback is not running and never will again. Callbacks must not call
 * add or remove. Several signals before the thread wakes are delivered as
 * one call (the eventfd counter is read and reset at once).
 *
 * Return convention: 0 or -errno with err filled. */
#ifndef VB_MACHINE_IOEVENT_H
#define VB_MACHINE_IOEVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/dev.h"
#include "sandbox/sandbox.h"
#include "util/err.h"

/* Doorbells per VM: eight queues for each of a handful of devices. */
#define VB_IOEVENT_MAX 64u

typedef int (*vb_ioevent_assign_fn)(void *ctx, int fd, const struct vb_doorbell *db,
				    bool assign, struct vb_err *err);

struct vb_ioevent;

/* The epoll set, no thread yet. assign may be NULL (see above). */
int vb_ioevent_create(struct vb_ioevent **out, vb_ioevent_assign_fn assign, void *assign_ctx,
		      struct vb_err *err);
/* Stops the thread if running, unbinds and closes everything. NULL is a
 * no-op. */
void vb_ioevent_destroy(struct vb_ioevent *s);

/* A fresh eventfd for db, watched, then bound with assign. *id names it.
 * -ENOSPC when VB_IOEVENT_MAX are in use; -EINVAL for a bad len. On
 * failure nothing is left registered. Callable before and after start.
 * db NULL: an event, watched but bound to no guest write; another party
 * (vhost's call, dev/dev.h) signals it through vb_ioevent_fd. */
int vb_ioevent_add(struct vb_ioevent *s, const struct vb_doorbell *db,
		   void (*fn)(void *opaque, unsigned queue), void *opaque, unsigned queue, int *id,
		   struct vb_err *err);
/* Unbind, stop watching and close. An unknown or already removed id is
 * ignored. */
void vb_ioevent_remove(struct vb_ioevent *s, int id);

/* Start the thread (its signals blocked). It confines itself as
 * VB_SANDBOX_IO first (sandbox/sandbox.h; confine NULL: not at all, and
 * confine must outlive the thread); should that fail, the thread ends and
 * the start fails with the reason. With nothing registered no thread
 * starts, and later adds are refused (-ESHUTDOWN) as after stop: devices
 * add their doorbells as they attach, before the start. */
int vb_ioevent_start(struct vb_ioevent *s, const struct vb_sandbox_policy *confine,
		     struct vb_err *err);
/* Join the thread (if started), then unbind and close every doorbell;
 * later removes are no-ops and later adds are refused (-ESHUTDOWN). */
void vb_ioevent_stop(struct vb_ioevent *s);

/* Dispatch what is pending, waiting up to timeout_ms (-1: forever) for
 * the first event, on the calling thread: what the thread does in a loop,
 * for tests that want no thread. Returns the number of callbacks run, or
 * -errno. Not while the thread runs. */
int vb_ioevent_poll(struct vb_ioevent *s, int timeout_ms);

/* Doorbells registered now. */
unsigned vb_ioevent_count(struct vb_ioevent *s);
/* Callbacks run since create: how many doorbells arrived without an exit
 * (each may stand for several guest writes). */
uint64_t vb_ioevent_calls(struct vb_ioevent *s);
/* The eventfd behind id, or -1: for a party in the kernel that signals
 * it (an event's), and for tests that signal by hand. */
int vb_ioevent_fd(struct vb_ioevent *s, int id);
/* The same, and the thread stops watching it: its callback never runs
 * again, and the doorbell wakes whoever else waits on the fd (vhost's
 * kick) alone. It stays bound and is closed like any other. */
int vb_ioevent_take(struct vb_ioevent *s, int id);

/* Point env's doorbell hooks at s. */
void vb_ioevent_plug(struct vb_ioevent *s, struct vb_dev_env *env);

#endif
