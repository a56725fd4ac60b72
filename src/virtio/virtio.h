/* The virtio device model shared by both transports (virtio 1.x, ch. 2-3).
 *
 * A device type (rng, later blk, console, balloon) is a const
 * struct vb_virtio_device_ops plus its own state. struct vb_virtio holds
 * what every device has: feature negotiation, the device status state
 * machine, the queues and the interrupt status. The transports (pci.c,
 * mmio.c) only translate register accesses into the vb_virtio_* calls
 * below, so the same device code runs under both.
 *
 * Guest violations: when a queue or device handler finds the driver
 * breaking the spec, vb_virtio_fail() sets DEVICE_NEEDS_RESET (status bit
 * 0x40, spec 2.1.2), raises a configuration-change interrupt, stops all
 * queues until the driver resets the device, and logs one rate-limited
 * line. vmboot keeps running; other devices are not touched.
 *
 * Interrupts: one line per device. isr bit 0 means "used buffers", bit 1
 * "configuration changed" (4.1.4.5). The line is held high while isr is
 * non-zero; the transport clears isr (PCI: reading ISR; MMIO:
 * InterruptACK) and the line drops. A transport with message interrupts
 * (virtio-pci MSI-X) sets v->msg, and while the driver has them enabled
 * (vb_virtio_msg_enable) each queue's interrupt and the configuration
 * interrupt go to the vector the driver mapped them to (4.1.5.1.2) and
 * the line stays low: no ISR bit for a queue, and the configuration bit
 * only because 4.1.4.5.1 still asks for it. An event mapped to no vector
 * sends nothing (4.1.5.1.2.1).
 *
 * Threads: register accesses and notifications arrive on any vCPU
 * thread, and latched doorbells (ioeventfd) on the VMM's I/O event
 * thread; every vb_virtio_* entry point takes the device mutex, and the
 * ops callbacks run with it held (they must not call vb_virtio_* entry
 * points except the _locked helpers below).
 *
 * Return convention: 0 or -errno with err filled. */
#ifndef VB_VIRTIO_VIRTIO_H
#define VB_VIRTIO_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "dev/dev.h"
#include "dev/irq.h"
#include "dev/placement.h"
#include "mem/guestmem.h"
#include "util/err.h"
#include "virtio/virtq.h"

/* Device status bits (2.1). */
#define VB_VIRTIO_S_ACKNOWLEDGE 0x01u
#define VB_VIRTIO_S_DRIVER 0x02u
#define VB_VIRTIO_S_DRIVER_OK 0x04u
#define VB_VIRTIO_S_FEATURES_OK 0x08u
#define VB_VIRTIO_S_NEEDS_RESET 0x40u
#define VB_VIRTIO_S_FAILED 0x80u

/* Reserved feature bits (6). */
#define VB_VIRTIO_F_INDIRECT_DESC 28
#define VB_VIRTIO_F_EVENT_IDX 29
#define VB_VIRTIO_F_VERSION_1 32

#define VB_VIRTIO_ISR_QUEUE 0x1u
#define VB_VIRTIO_ISR_CONFIG 0x2u

#define VB_VIRTIO_MAX_QUEUES 8u

/* 4.1.4.3: VIRTIO_MSI_NO_VECTOR, an event mapped to no vector. */
#define VB_VIRTIO_NO_VECTOR 0xffffu

/* Virtio device ids (5). */
#define VB_VIRTIO_ID_RNG 4u

struct vb_virtio;

struct vb_virtio_dev;   /* virtio/device.h */
struct vb_virtio_doorbells; /* virtio/doorbell.h */
struct vb_virtio_setup; /* virtio/device.h */

struct vb_virtio_device_ops {
	const char *name;
	uint32_t device_id;
	/* Device-specific bits (the core adds its own); a device's setup may
	 * offer others (device.h: a read-only disk, a NIC with offloads). */
	uint64_t features;
	uint16_t num_queues;      /* 1..VB_VIRTIO_MAX_QUEUES */
	uint16_t queue_max_size;  /* a power of two <= VB_VIRTQ_MAX_SIZE */
	uint32_t config_bytes;    /* device configuration space size */
	/* Optional; off + size <= config_bytes is checked by the core. */
	void (*config_read)(void *dev, uint32_t off, uint8_t *data, uint32_t size);
	void (*config_write)(void *dev, uint32_t off, const uint8_t *data, uint32_t size);
	/* The driver notified queue q (enabled, DRIVER_OK). Return 0, or
	 * -errno with err filled for a guest violation. */
	int (*queue_notify)(struct vb_virtio *v, void *dev, unsigned q, struct vb_err *err);
	/* Optional: drop in-flight state (device reset). */
	void (*reset)(void *dev);
	/* Optional: the driver set DRIVER_OK (3.1.1 step 8) on a device that
	 * is not broken: the queues it set up are final, and a device whose
	 * rings another party serves (vhost.h) hands them over now. Return 0,
	 * or -errno with err filled; the device is then put into NEEDS_RESET
	 * like on a guest violation. */
	int (*activate)(struct vb_virtio *v, void *dev, struct vb_err *err);

	/* Attaching and detaching, when this table is a vb_device_ops' data
	 * (virtio/device.h vb_virtio_dev_attach, which documents the order):
	 * the state's size (a struct starting with struct vb_virtio_dev,
	 * which the callbacks above get as dev), and, each optional, the
	 * device's own resources before the core (setup: 0 or -errno with
	 * err; teardown undoes it, a failed one too, on what calloc left),
	 * and what runs once the transport is attached (start, undone by
	 * stop before the transport goes). */
	size_t state_bytes;
	int (*setup)(struct vb_virtio_dev *d, struct vb_virtio_setup *s, struct vb_err *err);
	int (*start)(struct vb_virtio_dev *d, struct vb_err *err);
	void (*stop)(struct vb_virtio_dev *d);
	void (*teardown)(struct vb_virtio_dev *d);
};

/* A transport's message interrupts: send(ctx, vector) for a vector below
 * n_vectors, called with the device mutex held, from any thread. */
struct vb_virtio_msg {
	void (*send)(void *ctx, unsigned vector);
	void *ctx;
	uint16_t n_vectors;
};

struct vb_virtio_ratelimit {
	uint64_t window_start_ns;
	unsigned in_window;
	unsigned long suppressed;
};

struct vb_virtio {
	const struct vb_virtio_device_ops *ops;
	void *dev;
	const char *name; /* instance name, borrowed */
	pthread_mutex_t lock;
	const struct vb_guest_mem *mem;
	struct vb_irq irq;
	/* Set by a transport that has message interrupts (send NULL: none),
	 * before the guest runs; msg_on while the driver enabled them; the
	 * vector of each source (VB_VIRTIO_NO_VECTOR: none). */
	struct vb_virtio_msg msg;
	bool msg_on;
	uint16_t queue_vector[VB_VIRTIO_MAX_QUEUES];
	uint16_t config_vector;
	void (*log)(void *ctx, const char *msg);
	void *log_ctx;

	uint64_t device_features;
	uint64_t driver_features;
	uint8_t status;
	uint8_t isr;
	uint32_t config_generation;
	bool broken; /* NEEDS_RESET: queues stopped until reset */
	unsigned long violations;
	struct vb_virtio_ratelimit rl;

	struct vb_virtq queues[VB_VIRTIO_MAX_QUEUES];
	struct iovec *iov; /* scratch for one chain: queue_max_size entries */
	/* The transport's queue doorbells (doorbell.h), set while it is
	 * attached: a device whose queues the kernel serves (vhost.h) takes
	 * their eventfds. NULL without a transport. */
	struct vb_virtio_doorbells *doorbells;
};

/* Set up v for ops/dev, offering the device-specific features given
 * (ops->features, or what the device's setup chose). log may be NULL;
 * mem may be NULL (device tests without RAM: every queue is then
 * refused). 0 or -errno (-EINVAL for bad ops, -ENOMEM). */
int vb_virtio_init(struct vb_virtio *v, const struct vb_virtio_device_ops *ops,
		   uint64_t features, void *dev, const char *name,
		   const struct vb_guest_mem *mem, struct vb_irq irq,
		   void (*log)(void *ctx, const char *msg), void *log_ctx, struct vb_err *err);
void vb_virtio_destroy(struct vb_virtio *v);

/* Transport-facing register semantics, each taking the mutex. */
uint32_t vb_virtio_device_features(struct vb_virtio *v, uint32_t select);
void vb_virtio_set_driver_features(struct vb_virtio *v, uint32_t select, uint32_t value);
uint32_t vb_virtio_driver_features(struct vb_virtio *v, uint32_t select);
/* The device-wide registers a transport reads, read together. */
struct vb_virtio_regs {
	uint8_t status;
	uint8_t isr; /* as it stands: reading it here does not clear it */
	uint32_t config_generation;
};
struct vb_virtio_regs vb_virtio_regs(struct vb_virtio *v);
/* 0 resets the device; FEATURES_OK is refused (not set) if the driver
 * chose features the device did not offer or not VERSION_1. */
void vb_virtio_set_status(struct vb_virtio *v, uint8_t status);
/* Returns isr and clears it, dropping the line (PCI ISR read). */
uint8_t vb_virtio_isr_read_clear(struct vb_virtio *v);
/* Clear the given isr bits (MMIO InterruptACK). */
void vb_virtio_isr_ack(struct vb_virtio *v, uint8_t bits);
void vb_virtio_config_access(struct vb_virtio *v, uint32_t off, uint8_t *data, uint32_t size,
			     bool is_write);

/* Queue registers. Fields of queue q: only writable before it is enabled;
 * q >= num_queues reads as 0 / drops writes. */
enum vb_virtio_qfield {
	VB_VIRTIO_Q_SIZE,
	VB_VIRTIO_Q_DESC,
	VB_VIRTIO_Q_AVAIL,
	VB_VIRTIO_Q_USED,
};
uint64_t vb_virtio_queue_get(struct vb_virtio *v, unsigned q, enum vb_virtio_qfield f);
void vb_virtio_queue_set(struct vb_virtio *v, unsigned q, enum vb_virtio_qfield f, uint64_t value);
/* Set a 32-bit half of an address field (MMIO's Low/High registers). */
void vb_virtio_queue_set_half(struct vb_virtio *v, unsigned q, enum vb_virtio_qfield f, bool high,
			      uint32_t value);
uint16_t vb_virtio_queue_max(struct vb_virtio *v, unsigned q);
bool vb_virtio_queue_enabled(struct vb_virtio *v, unsigned q);
/* Enabling checks the queue (virtq.h); a bad queue is a violation. */
void vb_virtio_queue_enable(struct vb_virtio *v, unsigned q);

/* The driver's doorbell for queue q. A notify for a queue that does not
 * exist or is not enabled is a violation. */
void vb_virtio_notify(struct vb_virtio *v, unsigned q);
/* The same doorbell latched by the kernel (an ioeventfd, dev/dev.h
 * doorbell_add) and delivered later on the I/O event thread. By then the
 * driver may have reset the device or the queue after writing it, so a
 * doorbell for a queue that is not enabled is dropped, not a violation. */
void vb_virtio_notify_latched(struct vb_virtio *v, unsigned q);

/* For device code (mutex held): pop/push through the core so that
 * violations are handled in one place, and interrupt when the ring asks. */
int vb_virtio_pop_locked(struct vb_virtio *v, unsigned q, struct vb_virtq_chain *chain,
			 struct vb_err *err);
int vb_virtio_push_locked(struct vb_virtio *v, unsigned q, uint16_t head, uint32_t len,
			  struct vb_err *err);
int vb_virtio_push_all_locked(struct vb_virtio *v, unsigned q, const struct vb_virtq_used *used,
			      uint16_t n, struct vb_err *err);
void vb_virtio_unpop_locked(struct vb_virtio *v, unsigned q, uint16_t n);
/* Interrupt for queue q if the driver wants one. */
void vb_virtio_signal_locked(struct vb_virtio *v, unsigned q);
/* Used buffers on queue q, put there by someone who already decided the
 * driver wants an interrupt (the kernel's vhost worker, which honours
 * the ring's suppression itself, vhost.h): raise it, unless the device
 * is reset, not DRIVER_OK yet or broken since. Takes the mutex. */
void vb_virtio_interrupt(struct vb_virtio *v, unsigned q);
/* Put the device into NEEDS_RESET (see above). why is the violation. */
void vb_virtio_fail_locked(struct vb_virtio *v, const char *why);
/* The device changed its configuration (a balloon's target): a new
 * generation and, once DRIVER_OK and not broken, the configuration
 * interrupt on the line or the configuration vector. */
void vb_virtio_config_changed_locked(struct vb_virtio *v);

/* Message interrupts (see above), for the transport. enable: the driver
 * turned them on or off (the line follows at once). The vector of the
 * configuration change (config) or of queue q: set stores
 * VB_VIRTIO_NO_VECTOR for a vector the transport does not have, which the
 * driver reads back as the refusal (4.1.5.1.2.1); a queue the device does
 * not have reads VB_VIRTIO_NO_VECTOR and keeps it. A reset unmaps all. */
void vb_virtio_msg_enable(struct vb_virtio *v, bool on);
uint16_t vb_virtio_vector(struct vb_virtio *v, bool config, unsigned q);
void vb_virtio_set_vector(struct vb_virtio *v, bool config, unsigned q, uint16_t vector);

/* A virtio-pci device's one memory BAR: a page for each of the common,
 * ISR, device and notify structures and for the MSI-X table and PBA,
 * rounded up to a power of two (pci.c). */
#define VB_VIRTIO_PCI_BAR_BYTES 0x8000u

struct vb_virtio_mmio;
struct vb_virtio_pci;

/* The transport a device is plugged in with: the one of the two that
 * vb_virtio_transport_attach set; both NULL while there is none. */
struct vb_virtio_transport_state {
	struct vb_virtio_mmio *mmio;
	struct vb_virtio_pci *pci;
};

/* Plug v in according to p, recording the transport in *t (both NULL
 * before): registers ranges on env's buses, takes resources from env's
 * allocator and sets v->irq. Undone by vb_virtio_transport_detach, which
 * leaves both NULL again (and does nothing when they are). */
int vb_virtio_transport_attach(struct vb_dev_env *env, const struct vb_virtio_placement *p,
			       struct vb_virtio *v, struct vb_virtio_transport_state *t,
			       struct vb_err *err);
void vb_virtio_transport_detach(struct vb_virtio_transport_state *t);

#endif
