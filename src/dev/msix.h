/* MSI-X for a PCI function (PCI Local Bus Specification 3.0, 6.8.2).
 *
 * A function that offers MSI-X has a capability in config space (ID 0x11:
 * message control with the table size, the function mask and the enable
 * bit; where the table and the pending bit array live) and, in one of its
 * memory BARs, the table (16 bytes per vector: message address low and
 * high, message data, vector control whose bit 0 masks the vector) and
 * the PBA (one bit per vector: an interrupt held while it is masked).
 * The function's MMIO handler forwards accesses to those two ranges here,
 * and its config_written callback (dev/pci.h) forwards config writes.
 *
 * Sending vector i: each vector has a route of the env's (dev/dev.h
 * msi_add: a KVM GSI route and an irqfd), so sending is one eventfd write
 * from whichever thread the device completes on, and the guest takes the
 * interrupt with no exit and no EOI exit, where INTx costs an ISR read
 * and an EOI. While the vector or the whole function is masked, or MSI-X
 * is disabled, the vector's pending bit is set instead, and the unmask
 * (or enable) that makes it deliverable sends it once.
 *
 * Routes follow the table lazily: a vector's message goes to KVM
 * (msi_set, then one msi_commit for the whole change) when the vector is
 * deliverable and its message differs from the route's: at the unmask
 * after the driver wrote address and data (Linux masks a vector while it
 * rewrites it), at the function unmask or the enable for all vectors at
 * once, or on each message write to a vector the guest left unmasked.
 *
 * The guest is an attacker: accesses that are not aligned dwords or
 * qwords inside the table or PBA, writes to the PBA, and reserved vector
 * control bits are dropped; a message whose address is not in the local
 * APIC's window 0xFEExxxxx (address high 0) is never given to KVM: the
 * interrupt is dropped. Each such event is counted (vb_msix_stats) and
 * the first of each kind is logged; none stops the device.
 *
 * Threads and locks: one mutex per instance, taken by every entry point.
 * vb_msix_send may be called from any thread, with the device's own lock
 * held; the table handlers from vCPU threads; vb_msix_control_written
 * with the PCI host's mutex held. Under it msix takes only the env's msi
 * hooks (their own lock), so the order is host mutex or device lock, then
 * this one, then the env's.
 *
 * Return convention: 0 or -errno with err filled. */
#ifndef VB_DEV_MSIX_H
#define VB_DEV_MSIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dev/dev.h"
#include "dev/pci.h"
#include "util/err.h"

#define VB_MSIX_CAP_ID 0x11u
/* The PBA is one qword here: up to 64 vectors. */
#define VB_MSIX_MAX_VECTORS 64u
#define VB_MSIX_ENTRY_BYTES 16u

/* Capability registers, from the capability's offset (6.8.2.3-5). */
#define VB_MSIX_CONTROL 2u /* 16 bits: table size - 1, function mask, enable */
#define VB_MSIX_TABLE 4u   /* 32 bits: offset in the BAR | BAR index (BIR) */
#define VB_MSIX_PBA 8u
#define VB_MSIX_CAP_BYTES 12u
#define VB_MSIX_CONTROL_MASKALL 0x4000u
#define VB_MSIX_CONTROL_ENABLE 0x8000u

/* Table entry fields (6.8.2.6-9). */
#define VB_MSIX_ENTRY_ADDR_LO 0u
#define VB_MSIX_ENTRY_ADDR_HI 4u
#define VB_MSIX_ENTRY_DATA 8u
#define VB_MSIX_ENTRY_CTRL 12u
#define VB_MSIX_CTRL_MASKED 0x1u

/* Where a function puts table and PBA: both in memory BAR bar, at
 * offsets aligned to 8 (the low 3 bits of the registers hold the BAR). */
struct vb_msix_layout {
	unsigned n_vectors; /* 1 .. VB_MSIX_MAX_VECTORS */
	unsigned bar;
	uint32_t table_off;
	uint32_t pba_off;
};

/* What was dropped or held, for tests and messages. */
struct vb_msix_stats {
	unsigned long sent;        /* eventfd writes */
	unsigned long held;        /* sends that set a pending bit */
	unsigned long bad_access;  /* odd width, unaligned, outside, PBA write */
	unsigned long bad_message; /* sends dropped: address not 0xFEExxxxx */
	unsigned long no_vector;   /* sends for a vector beyond the table */
	unsigned long route_failed; /* msi_commit refused */
};

struct vb_msix_vector {
	uint32_t addr_lo, addr_hi, data, ctrl; /* as the guest wrote them */
	/* What the route holds: valid when routed is and the message was
	 * acceptable; the message the route was last pointed at. */
	bool routed;
	bool valid;
	uint32_t r_addr_lo, r_addr_hi, r_data;
	int id;
	int fd;
};

struct vb_msix {
	pthread_mutex_t lock;
	const struct vb_dev_env *env;
	const char *name; /* borrowed, for messages */
	struct vb_msix_layout layout;
	uint8_t cap;      /* the capability's offset in config space */
	bool enabled;     /* message control, as last written */
	bool masked_all;
	uint64_t pending;
	unsigned n_routes; /* routes added so far (destroy gives them back) */
	unsigned logged;   /* bit per kind of drop already logged */
	struct vb_msix_stats stats;
	struct vb_msix_vector vec[VB_MSIX_MAX_VECTORS];
};

/* True when env can route messages (all four msi hooks). */
bool vb_msix_available(const struct vb_dev_env *env);

/* A route per vector from env, then the capability appended to fn's list
 * (message control reads table size - 1, disabled, not masked; every
 * vector masked, as after reset). -ENOTSUP without the env's hooks; on any
 * failure nothing is left: no route, no capability. name is borrowed. */
int vb_msix_init(struct vb_msix *m, const struct vb_dev_env *env, struct vb_pci_function *fn,
		 const struct vb_msix_layout *layout, const char *name, struct vb_err *err);
/* Give the routes back. Safe on a zeroed m. */
void vb_msix_destroy(struct vb_msix *m);

/* fn's config_written for [reg, reg + size): acts when it covers message
 * control's high byte (enable, function mask), sending what became
 * deliverable. Returns true when the enable bit changed. Host mutex held. */
bool vb_msix_control_written(struct vb_msix *m, const struct vb_pci_function *fn, uint32_t reg,
			     uint32_t size);
bool vb_msix_enabled(struct vb_msix *m);

/* MMIO handlers for the table and the PBA; off from the range's start. */
void vb_msix_table_access(struct vb_msix *m, uint64_t off, uint8_t *data, uint32_t size,
			  bool is_write);
void vb_msix_pba_access(struct vb_msix *m, uint64_t off, uint8_t *data, uint32_t size,
			bool is_write);

/* Send vector's message, or hold it (see above). Any thread. */
void vb_msix_send(struct vb_msix *m, unsigned vector);

struct vb_msix_stats vb_msix_stats(struct vb_msix *m);

#endif
