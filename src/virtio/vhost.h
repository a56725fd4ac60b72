/* A virtio device whose queues the host kernel serves: the vhost backend.
 *
 * vhost (Documentation/virt/kvm/ and drivers/vhost/ in Linux; the ioctls
 * are linux/vhost.h's) moves a device's data path into the kernel: vmboot
 * tells a /dev/vhost-* instance where guest RAM is (VHOST_SET_MEM_TABLE)
 * and where each ring is (VHOST_SET_VRING_*), hands it one eventfd per
 * queue that the guest's doorbell signals (kick) and one it signals when
 * it has used buffers (call), and from then on the kernel's worker pops,
 * serves and pushes without vmboot. Two users: vhost-vsock (vsock.c)
 * and vhost-net for tap NICs (vhost_net.h, net.c).
 *
 * The rest of the device stays in vmboot's virtio core (virtio.h):
 * feature negotiation, status, configuration space, the transports, and
 * the checks of the rings the driver sets up; the device type adds its
 * own ioctls (vhost-vsock: the guest's CID, running; vhost-net: the tap
 * as each queue's backend) with vb_vhost_ioctl. Only queues
 * 0 .. n_queues-1 go to the kernel (vhost-vsock serves rx and tx; the
 * event queue stays with the core, and so would a control queue of
 * vhost-net's, which virtio-net here does not have).
 *
 * The life of a device, each step in the device's hooks (device.h):
 *   setup     vb_vhost_open: open the node, VHOST_SET_OWNER (the kernel's
 *             worker then runs with vmboot's address space, where guest
 *             RAM is mapped), VHOST_GET_FEATURES; the device offers the
 *             guest the kernel's device-type bits (vb_vhost_device_features).
 *             vb_vhost_set_mem: the memory table, once (RAM never moves).
 *   start     vb_vhost_wire: after the transport is attached, the queues'
 *             eventfds (below), not under the device mutex.
 *   activate  vb_vhost_start (mutex held, the driver just set DRIVER_OK):
 *             VHOST_SET_FEATURES with what the driver acked, then per queue
 *             VHOST_SET_VRING_NUM, _BASE (0: a fresh ring), _ADDR, _KICK,
 *             _CALL; then the device's own "run" ioctl (vhost-vsock's
 *             SET_RUNNING 1, vhost-net's SET_BACKEND with the tap).
 *   reset     the device's own "stop" ioctl; the next DRIVER_OK starts
 *             again from the driver's new rings.
 *   stop      the device's "stop" ioctl (vhost-net: VHOST_RESET_OWNER,
 *             the one the main thread's seccomp filter allows), then
 *             vb_vhost_unwire: the eventfds go back before the transport
 *             and the core go.
 *   teardown  vb_vhost_close, in reverse of open: VHOST_RESET_OWNER
 *             (vhost-net has it; vhost-vsock answers ENOTTY, and closing
 *             does the same), close the vhost fd (the kernel drops its
 *             hold on the eventfds), and unwire if stop did not.
 *
 * The guest is an attacker. Every ring address and size the driver gave
 * is checked again before the kernel sees it (vb_vhost_ring_addr: a power
 * of two size within the maximum, each ring aligned and wholly inside one
 * RAM slot, never the 32-bit gap), and only host addresses made by the
 * checked translation (mem/guestmem.h) reach VHOST_SET_VRING_ADDR. A bad
 * ring fails vb_vhost_start, and the core then marks the device NEEDS_RESET
 * (virtio.h activate); vmboot keeps running. Buffers the descriptors point
 * at are the kernel's to check, against the memory table, which holds RAM
 * only.
 *
 * Kick: the queue's doorbell eventfd itself. The transports register a
 * KVM ioeventfd per queue (doorbell.h); vb_vhost_wire takes it from the
 * I/O event thread (vb_virtio_doorbell_take) and gives it to the kernel,
 * so a guest's doorbell write wakes the vhost worker with no exit and no
 * vmboot thread in between. Without ioeventfd (or a write the doorbell
 * does not match, which exits), the device's queue_notify calls
 * vb_vhost_kick, which signals the same eventfd, or one of our own when
 * the transport has no doorbell.
 *
 * Call: a relay, not the kernel's own irqfd. Without MSI-X, vmboot's
 * virtio lines are level-triggered INTx or virtio-mmio lines whose level
 * follows the device's ISR (dev/irq.h, virtio.h), and the guest's handler
 * reads the ISR to see whether the interrupt is its own: an irqfd would
 * inject it with ISR bit 0 clear. With MSI-X, vmboot must see each
 * interrupt to keep the vector's mask and pending bits (dev/msix.h);
 * handing vhost the vector's irqfd would mean swapping VHOST_SET_VRING_CALL
 * on every mask, unmask and vector change. So each call eventfd is an
 * event of the I/O event service (dev/dev.h doorbell_add with no
 * doorbell) that its thread, the one that already serves the doorbells,
 * turns into vb_virtio_interrupt: the vector's eventfd write, or the ISR
 * bit and KVM_IRQ_LINE. It costs that thread one wakeup per interrupt;
 * the kick, the hot path, costs vmboot nothing.
 *
 * The kernel side is injected (struct vb_vhost_kernel) so that everything
 * above runs in tests without /dev/vhost-*; vb_vhost_host_kernel is the
 * real one.
 *
 * Return convention: 0 or -errno with err filled, the message starting
 * with the device's name ("vsock: ..."). */
#ifndef VB_VIRTIO_VHOST_H
#define VB_VIRTIO_VHOST_H

#include <linux/vhost.h>
#include <stdbool.h>
#include <stdint.h>

#include "dev/dev.h"
#include "mem/guestmem.h"
#include "util/err.h"
#include "virtio/virtio.h"

/* Memory table regions: guest RAM is one slot, or two around the 32-bit
 * gap (mem/memmap.h). */
#define VB_VHOST_MAX_REGIONS 2u

/* Feature bits 0 to 23 are the device type's (virtio 1.x, 6). */
#define VB_VHOST_DEVICE_FEATURES_MASK ((1ULL << 24) - 1)

/* The kernel's vhost interface: open a node (returns an fd or -errno),
 * an ioctl on it (0 or -errno), close. ctx is the table's own. */
struct vb_vhost_kernel {
	int (*open)(void *ctx, const char *path);
	int (*ioctl)(void *ctx, int fd, unsigned long request, void *arg);
	void (*close)(void *ctx, int fd);
	void *ctx;
};

/* open(2) non-blocking and close-on-exec, ioctl(2), close(2). */
extern const struct vb_vhost_kernel vb_vhost_host_kernel;

struct vb_vhost {
	const struct vb_vhost_kernel *k;
	int fd;               /* the vhost instance; -1 when closed */
	const char *name;     /* the device's, for messages (borrowed) */
	uint64_t features;    /* VHOST_GET_FEATURES */
	unsigned n_queues;    /* virtio queues 0 .. n_queues-1 run in the kernel */
	const struct vb_dev_env *env; /* set by vb_vhost_wire */
	int kick[VB_VIRTIO_MAX_QUEUES];
	bool kick_ours[VB_VIRTIO_MAX_QUEUES]; /* our eventfd, not a doorbell's */
	int call[VB_VIRTIO_MAX_QUEUES];
	int call_id[VB_VIRTIO_MAX_QUEUES];    /* the env's event id; -1: none */
	bool wired;
};

/* Open path for the device called name, whose kernel module is module
 * (named in the message when the node is missing), with n_queues queues
 * in the kernel; VHOST_SET_OWNER and VHOST_GET_FEATURES. Refuses a kernel
 * without the ring features vmboot's core always offers (VERSION_1,
 * INDIRECT_DESC, EVENT_IDX). k NULL: the host's. On failure h is closed. */
int vb_vhost_open(struct vb_vhost *h, const struct vb_vhost_kernel *k, const char *path,
		  const char *module, const char *name, unsigned n_queues, struct vb_err *err);

/* The device-type feature bits (0 to 23) the kernel offers: what the
 * device offers the guest, the core adding its own. */
uint64_t vb_vhost_device_features(const struct vb_vhost *h);

/* VHOST_SET_MEM_TABLE from mem's slots. */
int vb_vhost_set_mem(struct vb_vhost *h, const struct vb_guest_mem *mem, struct vb_err *err);

/* Each kernel queue's kick (the transport's doorbell, taken; else an
 * eventfd of our own) and call (an event of env's I/O event service
 * relayed to vb_virtio_interrupt(v, q)). Refuses an env without the I/O
 * event service: nothing would relay the kernel's interrupts. At attach,
 * after the transport, never under v's mutex (see doorbell.h). */
int vb_vhost_wire(struct vb_vhost *h, const struct vb_dev_env *env, struct vb_virtio *v,
		  struct vb_err *err);

/* Undo vb_vhost_wire: give the call events back and close the kick
 * eventfds that are ours. In the device's stop hook, before the core is
 * destroyed: until then the I/O event thread may relay into it. */
void vb_vhost_unwire(struct vb_vhost *h);

/* Hand the driver's features and rings to the kernel (v's mutex held,
 * after DRIVER_OK): every kernel queue must be enabled, and each is
 * checked again (vb_vhost_ring_addr). */
int vb_vhost_start(struct vb_vhost *h, struct vb_virtio *v, struct vb_err *err);

/* A doorbell that reached vmboot for kernel queue q: wake the kernel's
 * worker. Any thread. */
void vb_vhost_kick(struct vb_vhost *h, unsigned q);

/* A device type's own ioctl (what names it in the message). */
int vb_vhost_ioctl(struct vb_vhost *h, unsigned long request, void *arg, const char *what,
		   struct vb_err *err);

/* Undo open and wire (see above). Safe on a zeroed, half-opened or closed
 * h once vb_vhost_open has been called on it. */
void vb_vhost_close(struct vb_vhost *h);

/* ---- pure, for the calls above and for tests ------------------------ */

/* The memory table for mem: one region per RAM slot (guest address,
 * size, and the host address the checked view gives for it). Returns the
 * number of regions. */
unsigned vb_vhost_mem_regions(const struct vb_guest_mem *mem,
			      struct vhost_memory_region out[VB_VHOST_MAX_REGIONS]);

/* VHOST_SET_VRING_ADDR's argument for kernel queue index, from a ring of
 * size entries (a power of two, 1 .. max_size) at the guest addresses
 * desc, avail and used: each aligned (16, 2 and 4 bytes, virtio 2.7),
 * wholly inside one RAM slot, and turned into host addresses through mem.
 * -EINVAL or -EFAULT with err saying which ring and why. */
int vb_vhost_ring_addr(const struct vb_guest_mem *mem, unsigned index, uint16_t size,
		       uint16_t max_size, uint64_t desc, uint64_t avail, uint64_t used,
		       struct vhost_vring_addr *out, struct vb_err *err);

/* The message for a vhost node that cannot be opened (errnum > 0):
 * "NAME: PATH: strerror", and for a missing node "(load the MODULE
 * module: modprobe MODULE)". Returns -errnum. */
int vb_vhost_open_error(struct vb_err *err, int errnum, const char *name, const char *path,
			const char *module);

#endif
