/* The device framework: one ops table type for every device.
 *
 * Each device is one file exporting one const struct vb_device_ops (a
 * machine-file device type also its const struct vb_device_type,
 * parse/devtype.h, pointing at it); the registry (machine/registry.h), a
 * layer up, lists them, so adding a device is one file plus one line. Ops
 * tables are never written to: per-instance data lives in the state
 * pointer attach returns.
 *
 * Stage order: the builder fills a struct vb_dev_env once KVM, RAM and the
 * irqchip exist, attaches devices (before any vCPU starts: bus
 * registration is not locked, see bus.h), and detaches them in reverse
 * order after the vCPUs are joined. vb_dev_set does that bookkeeping and
 * unwinds a partial attach.
 *
 * What a device may use is exactly what the env holds: the two buses, the
 * allocator, interrupt lines (vb_dev_env_irq), guest memory, the console,
 * a way to ask the VMM to reset or power off, and a log. The env must
 * outlive every device attached with it.
 *
 * Return convention: attach returns 0 or -errno and fills err; detach
 * undoes everything attach did and cannot fail. */
#ifndef VB_DEV_DEV_H
#define VB_DEV_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/alloc.h"
#include "dev/bus.h"
#include "dev/irq.h"
#include "mem/guestmem.h"
#include "sandbox/sandbox.h"
#include "util/err.h"

/* Where guest console output goes: stdout in production, a buffer in
 * tests. write may be called from any vCPU thread, one device at a time
 * per device; returns bytes written or -errno (output is best effort). */
struct vb_console {
	long (*write)(void *ctx, const uint8_t *buf, size_t n);
	void *ctx;
};

enum vb_dev_request {
	VB_DEV_REQ_RESET,     /* i8042 0xFE, reboot=k: the VMM exits */
	VB_DEV_REQ_POWEROFF,  /* ACPI, later */
};

struct vb_pci_host;

/* A doorbell the kernel can latch instead of exiting (KVM_IOEVENTFD,
 * Documentation/virt/kvm/api.rst): a guest write of exactly len bytes to
 * gpa, and, when match is set, of the value datamatch. Other writes to
 * gpa still exit and reach the bus handler, so a device keeps its exit
 * path for everything the doorbell does not catch. */
struct vb_doorbell {
	uint64_t gpa;
	uint32_t len; /* 1, 2, 4 or 8 */
	bool match;
	uint64_t datamatch;
};

struct vb_dev_env {
	struct vb_bus *pio;
	struct vb_bus *mmio;
	struct vb_alloc *alloc;
	/* The irqchip: usually KVM_IRQ_LINE on the VM fd. */
	int (*irq_set_level)(void *ctx, uint32_t gsi, int level);
	void *irq_ctx;
	/* Edge-triggered lines without an ioctl (KVM_IRQFD, irq.h): an
	 * eventfd bound to gsi into *fd, or -errno with err filled. NULL:
	 * edges are set high then low through irq_set_level. */
	int (*irqfd_open)(void *ctx, uint32_t gsi, int *fd, struct vb_err *err);
	const struct vb_guest_mem *mem;   /* may be NULL in tests */
	const struct vb_console *console; /* may be NULL: output dropped */
	/* Called from a vCPU thread; must only record the request. */
	void (*request)(void *ctx, enum vb_dev_request req);
	void *request_ctx;
	void (*log)(void *ctx, const char *msg);
	void *log_ctx;
	/* Set by the pci-host device when attached, so later PCI functions
	 * (virtio-pci, ivshmem) can plug into it. */
	struct vb_pci_host *pci;
	/* Guest memory outside RAM at memory speed (ivshmem's shared BAR):
	 * map host [host, host + bytes) at guest physical gpa, page aligned,
	 * as a KVM memory slot (machine/kvm.h vb_kvm_map_memory); *slot names
	 * it for unmap_memory, which the device calls in detach before it
	 * unmaps host. NULL without KVM (tests): the device then traps
	 * accesses to the range instead. */
	int (*map_memory)(void *ctx, uint64_t gpa, void *host, uint64_t bytes, uint32_t *slot,
			  struct vb_err *err);
	void (*unmap_memory)(void *ctx, uint32_t slot);
	void *memory_ctx;
	/* Optional doorbells without exits (machine/ioevent.h): after
	 * doorbell_add succeeds, a matching guest write makes fn(opaque,
	 * queue) run later on the VMM's I/O event thread, not on the vCPU
	 * that wrote, and with no VMM lock held: fn takes the device's own
	 * lock. Several writes before fn runs may be delivered as one call.
	 * *id names the doorbell for doorbell_remove, which the device calls
	 * in detach (a no-op once the VMM has stopped the thread and dropped
	 * every doorbell itself). NULL (tests, or KVM without
	 * KVM_CAP_IOEVENTFD): every write exits as before. doorbell_add
	 * returns 0 or -errno with err filled; a device then keeps the exit
	 * path. db NULL adds an event instead: an eventfd that no guest write
	 * signals but something else does (the kernel's vhost worker, through
	 * doorbell_fd: virtio/vhost.h), fn running on the same thread. */
	/* How threads a device starts (a NIC's I/O thread) confine
	 * themselves before they touch guest data, and what a helper
	 * process a device starts is told (sandbox/sandbox.h). NULL (tests):
	 * not at all. */
	const struct vb_sandbox_policy *confine;
	int (*doorbell_add)(void *ctx, const struct vb_doorbell *db,
			    void (*fn)(void *opaque, unsigned queue), void *opaque, unsigned queue,
			    int *id, struct vb_err *err);
	void (*doorbell_remove)(void *ctx, int id);
	/* Optional, beside doorbell_add: the eventfd behind id, or -1, for a
	 * consumer in the kernel (vhost) to signal or to wait on. take also
	 * stops the thread watching it: fn is never called for it again, and
	 * a doorbell then wakes that consumer alone. The fd stays the env's,
	 * closed by doorbell_remove or when the VMM stops the thread. Takes
	 * the lock fn runs under: call it at attach, never from fn or under a
	 * lock fn takes. */
	int (*doorbell_fd)(void *ctx, int id, bool take);
	void *doorbell_ctx;
	/* Optional message-signalled interrupts (MSI-X, dev/msix.h): NULL
	 * (tests, or KVM without KVM_CAP_IRQ_ROUTING and KVM_CAP_IRQFD), and
	 * a device offers its INTx line alone. msi_add makes a route and an
	 * eventfd bound to it (KVM_IRQFD): writing 1 to *fd sends the route's
	 * message with no exit and no VMM lock, from any thread; *id names
	 * the route. The fd stays the env's, closed by msi_remove or when the
	 * VMM goes. A new route goes nowhere until msi_set points it at a
	 * message (address, data: the device checks them) or, valid false,
	 * nowhere again; msi_set changes the env's table only, and
	 * msi_commit hands the whole table to KVM (KVM_SET_GSI_ROUTING) if
	 * anything changed since the last: one call per guest table change,
	 * not per register write. Call them at attach or from register
	 * handlers, never on an interrupt's path. 0 or -errno with err
	 * filled (a route is then what it was before). */
	int (*msi_add)(void *ctx, int *id, int *fd, struct vb_err *err);
	void (*msi_set)(void *ctx, int id, uint64_t addr, uint32_t data, bool valid);
	int (*msi_commit)(void *ctx, struct vb_err *err);
	void (*msi_remove)(void *ctx, int id);
	void *msi_ctx;
};

struct vb_device_ops {
	const char *name;
	/* self is this table (its data tells apart the devices that share
	 * one attach: virtio/device.h); config is device specific (NULL: the
	 * PC default). */
	int (*attach)(const struct vb_device_ops *self, struct vb_dev_env *env, const void *config,
		      void **state, struct vb_err *err);
	void (*detach)(void *state);
	/* Optional: append this device's kernel command line words (space
	 * separated, no leading space) to buf. Returns the length it needs
	 * (like snprintf); writes nothing past size. */
	size_t (*cmdline)(const void *state, char *buf, size_t size);
	/* Optional: what a shared attach needs to know about this device. */
	const void *data;
};

/* A handle for one interrupt line of the env's irqchip. */
struct vb_irq vb_dev_env_irq(const struct vb_dev_env *env, uint32_t gsi);
/* An edge-triggered line (irq.h) on gsi into *out, with an irqfd where the
 * env has them: 0 or -errno with err filled. vb_irq_release closes it. */
int vb_dev_env_edge_irq(const struct vb_dev_env *env, uint32_t gsi, struct vb_irq *out,
			struct vb_err *err);
void vb_irq_release(struct vb_irq *irq);

/* Ask the VMM for a reset / poweroff; no-op if the env has no callback. */
void vb_dev_env_request(const struct vb_dev_env *env, enum vb_dev_request req);

/* Log a message through the env (dropped if no log function). */
void vb_dev_env_log(const struct vb_dev_env *env, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define VB_DEV_SET_MAX 64

struct vb_dev_instance {
	const struct vb_device_ops *ops;
	void *state;
};

/* Attached devices in attach order. Zero-initialise before use. */
struct vb_dev_set {
	struct vb_dev_instance items[VB_DEV_SET_MAX];
	size_t count;
};

/* Attach one device; on failure nothing is added and err says which
 * device failed. */
int vb_dev_set_attach(struct vb_dev_set *set, struct vb_dev_env *env,
		      const struct vb_device_ops *ops, const void *config,
		      struct vb_err *err);

/* Detach everything, newest first. */
void vb_dev_set_detach_all(struct vb_dev_set *set);

/* Join every device's cmdline contribution with spaces. Returns 0, or
 * -ENOSPC when buf is too small. */
int vb_dev_set_cmdline(const struct vb_dev_set *set, char *buf, size_t size,
		       struct vb_err *err);

#endif
