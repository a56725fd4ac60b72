/* virtio-pci modern (virtio 1.x, 4.1).
 *
 * Interrupts: MSI-X where the env routes messages (dev/msix.h), with one
 * vector per queue plus one for configuration changes, and INTx (pin A)
 * on a GSI from the allocator as the fallback until the driver enables
 * MSI-X, or always where the env cannot route messages (no
 * KVM_CAP_IRQ_ROUTING or KVM_CAP_IRQFD, and the tests without a fake):
 * the function then has no MSI-X capability at all. With MSI-X a queue's
 * interrupt is one eventfd write into KVM's irqfd, from whichever thread
 * completes the request, and the guest reads no ISR and takes no EOI exit;
 * the core (virtio.h) keeps the vectors the driver mapped (4.1.5.1.2).
 *
 * INTx: the allocator hands out lines from 5 upwards; the MP table
 * (arch/x86/mptable.h) maps ISA IRQ n to IOAPIC pin n for n < 16, so
 * Linux can use the Interrupt Line register for such a line. The line is
 * held while ISR is non-zero (level semantics); on an edge-programmed pin
 * every 0->1 after the driver's ISR read is a fresh edge, so no interrupt
 * is lost either way.
 *
 * The BAR is placed once at attach and registered on the MMIO bus at that
 * address; bus registration cannot change while vCPUs run (bus.h), so if
 * the guest reprograms the BAR the device stops decoding (accesses read
 * all ones) and says so once in the log. */
#include "virtio/transport.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dev/msix.h"
#include "dev/pci.h"
#include "util/le.h"
#include "virtio/doorbell.h"

#define VIRTIO_PCI_VENDOR 0x1af4u
#define VIRTIO_PCI_DEVICE_BASE 0x1040u /* 4.1.2.1: 0x1040 + device id */
#define VIRTIO_PCI_REVISION 1u         /* 4.1.2.1: non-transitional, >= 1 */
#define PCI_CLASS_OTHER 0xff0000u
#define PCI_CAP_VENDOR 0x09u

/* Capability cfg_type values (4.1.4). */
enum { CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4 };

/* One BAR, one page per structure: the MSI-X table and PBA on pages of
 * their own too, as PCI 3.0 6.8.2 recommends. */
#define BAR_INDEX 0u
#define BAR_BYTES VB_VIRTIO_PCI_BAR_BYTES
#define COMMON_OFF 0x0000u
#define COMMON_BYTES 0x38u
#define ISR_OFF 0x1000u
#define ISR_BYTES 0x4u
#define DEVICE_OFF 0x2000u
#define NOTIFY_OFF 0x3000u
#define NOTIFY_MULTIPLIER 4u
#define MSIX_TABLE_OFF 0x4000u
#define MSIX_PBA_OFF 0x5000u
#define REGION_BYTES 0x1000u

/* Common configuration layout (4.1.4.3). */
enum {
	C_DFSELECT = 0x00,
	C_DF = 0x04,
	C_GFSELECT = 0x08,
	C_GF = 0x0c,
	C_MSIX_CONFIG = 0x10,
	C_NUM_QUEUES = 0x12,
	C_STATUS = 0x14,
	C_CONFIG_GEN = 0x15,
	C_QUEUE_SELECT = 0x16,
	C_QUEUE_SIZE = 0x18,
	C_QUEUE_MSIX = 0x1a,
	C_QUEUE_ENABLE = 0x1c,
	C_QUEUE_NOTIFY_OFF = 0x1e,
	C_QUEUE_DESC = 0x20,
	C_QUEUE_DRIVER = 0x28,
	C_QUEUE_DEVICE = 0x30,
};

struct vb_virtio_pci {
	struct vb_virtio *v;
	struct vb_dev_env *env;
	struct vb_pci_function fn;
	uint32_t slot;
	uint32_t gsi;
	uint64_t bar_addr;
	atomic_bool decoding; /* memory decode on and the BAR where we put it */
	atomic_bool moved_logged;
	uint16_t command;     /* under the host's mutex */
	uint64_t bar_now;     /* under the host's mutex */
	/* Driver-written selectors. Atomic: vCPUs exit here at once, under
	 * no lock of ours; the core checks every value it is handed. */
	atomic_uint dfselect;
	atomic_uint gfselect;
	atomic_uint queue_select;
	struct vb_virtio_doorbells doorbells;
	bool has_msix; /* the env routes messages: msix is set up */
	struct vb_msix msix;
};


static void common_image(struct vb_virtio_pci *d, uint8_t img[COMMON_BYTES])
{
	struct vb_virtio *v = d->v;
	/* Each selector read once: the image agrees with itself. */
	unsigned q = d->queue_select, df = d->dfselect, gf = d->gfselect;
	memset(img, 0, COMMON_BYTES);
	vb_le_put(img + C_DFSELECT, df, 4);
	vb_le_put(img + C_DF, vb_virtio_device_features(v, df), 4);
	vb_le_put(img + C_GFSELECT, gf, 4);
	vb_le_put(img + C_GF, vb_virtio_driver_features(v, gf), 4);
	vb_le_put(img + C_MSIX_CONFIG, vb_virtio_vector(v, true, 0), 2);
	vb_le_put(img + C_NUM_QUEUES, v->ops->num_queues, 2);
	struct vb_virtio_regs regs = vb_virtio_regs(v);
	img[C_STATUS] = regs.status;
	img[C_CONFIG_GEN] = (uint8_t)regs.config_generation;
	vb_le_put(img + C_QUEUE_SELECT, q, 2);
	vb_le_put(img + C_QUEUE_SIZE, vb_virtio_queue_get(v, q, VB_VIRTIO_Q_SIZE), 2);
	vb_le_put(img + C_QUEUE_MSIX, vb_virtio_vector(v, false, q), 2);
	vb_le_put(img + C_QUEUE_ENABLE, vb_virtio_queue_enabled(v, q), 2);
	vb_le_put(img + C_QUEUE_NOTIFY_OFF, q, 2);
	vb_le_put(img + C_QUEUE_DESC, vb_virtio_queue_get(v, q, VB_VIRTIO_Q_DESC), 8);
	vb_le_put(img + C_QUEUE_DRIVER, vb_virtio_queue_get(v, q, VB_VIRTIO_Q_AVAIL), 8);
	vb_le_put(img + C_QUEUE_DEVICE, vb_virtio_queue_get(v, q, VB_VIRTIO_Q_USED), 8);
}

static void addr_write(struct vb_virtio *v, unsigned q, enum vb_virtio_qfield f, uint32_t rel,
		       uint64_t val, uint32_t size)
{
	/* 4.1.3.1: 64-bit fields may be written as two 32-bit halves. */
	if (size == 8 && rel == 0)
		vb_virtio_queue_set(v, q, f, val);
	else if (size == 4)
		vb_virtio_queue_set_half(v, q, f, rel == 4, (uint32_t)val);
}

static void common_write(struct vb_virtio_pci *d, uint32_t off, uint64_t val, uint32_t size)
{
	struct vb_virtio *v = d->v;
	unsigned q = d->queue_select;
	if (off >= C_QUEUE_DESC && off < COMMON_BYTES) {
		uint32_t rel = (off - C_QUEUE_DESC) % 8;
		enum vb_virtio_qfield f = off < C_QUEUE_DRIVER ? VB_VIRTIO_Q_DESC :
					  off < C_QUEUE_DEVICE ? VB_VIRTIO_Q_AVAIL : VB_VIRTIO_Q_USED;
		addr_write(v, q, f, rel, val, size);
		return;
	}
	/* The other fields are written at their own width (4.1.3.1). */
	switch (off | size << 8) {
	case C_DFSELECT | 4 << 8: d->dfselect = (uint32_t)val; break;
	case C_GFSELECT | 4 << 8: d->gfselect = (uint32_t)val; break;
	case C_GF | 4 << 8: vb_virtio_set_driver_features(v, d->gfselect, (uint32_t)val); break;
	case C_MSIX_CONFIG | 2 << 8: vb_virtio_set_vector(v, true, 0, (uint16_t)val); break;
	case C_STATUS | 1 << 8: vb_virtio_set_status(v, (uint8_t)val); break;
	case C_QUEUE_SELECT | 2 << 8: d->queue_select = (uint16_t)val; break;
	case C_QUEUE_SIZE | 2 << 8: vb_virtio_queue_set(v, q, VB_VIRTIO_Q_SIZE, val); break;
	case C_QUEUE_MSIX | 2 << 8: vb_virtio_set_vector(v, false, q, (uint16_t)val); break;
	case C_QUEUE_ENABLE | 2 << 8:
		if (val == 1)
			vb_virtio_queue_enable(v, q);
		break;
	default: break; /* read-only fields, other widths: dropped */
	}
}

/* The pages after the notify structure: the MSI-X table and PBA, if the
 * function has them, and nothing (reads 0) after. */
static void msix_region_access(struct vb_virtio_pci *d, uint64_t off, uint8_t *data,
			       uint32_t size, bool is_write)
{
	bool table = off >= MSIX_TABLE_OFF && off < MSIX_TABLE_OFF + REGION_BYTES;
	bool pba = off >= MSIX_PBA_OFF && off < MSIX_PBA_OFF + REGION_BYTES;
	if (d->has_msix && table)
		vb_msix_table_access(&d->msix, off - MSIX_TABLE_OFF, data, size, is_write);
	else if (d->has_msix && pba)
		vb_msix_pba_access(&d->msix, off - MSIX_PBA_OFF, data, size, is_write);
	else if (!is_write)
		memset(data, 0, size);
}

static void region_access(struct vb_virtio_pci *d, uint64_t off, uint8_t *data, uint32_t size,
			  bool is_write)
{
	struct vb_virtio *v = d->v;
	if (off < COMMON_OFF + REGION_BYTES) {
		if (off + size > COMMON_BYTES) {
			if (!is_write)
				memset(data, 0, size);
		} else if (is_write) {
			common_write(d, (uint32_t)off, vb_le_get(data, size), size);
		} else {
			uint8_t img[COMMON_BYTES];
			common_image(d, img);
			memcpy(data, img + off, size);
		}
	} else if (off < ISR_OFF + REGION_BYTES) {
		/* 4.1.4.5: reading ISR clears it and deasserts the line. */
		if (!is_write) {
			memset(data, 0, size);
			if (off == ISR_OFF)
				data[0] = vb_virtio_isr_read_clear(v);
		}
	} else if (off < DEVICE_OFF + REGION_BYTES) {
		vb_virtio_config_access(v, (uint32_t)(off - DEVICE_OFF), data, size, is_write);
	} else if (off < NOTIFY_OFF + REGION_BYTES) {
		uint64_t rel = off - NOTIFY_OFF;
		if (is_write && rel % NOTIFY_MULTIPLIER == 0)
			vb_virtio_notify(v, (unsigned)(rel / NOTIFY_MULTIPLIER));
		else if (!is_write)
			memset(data, 0, size);
	} else {
		msix_region_access(d, off, data, size, is_write);
	}
}

static int bar_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t size,
		      bool is_write)
{
	struct vb_virtio_pci *d = opaque;
	if (!atomic_load(&d->decoding)) {
		if (!is_write)
			memset(data, 0xff, size);
		return 0;
	}
	region_access(d, offset, data, size, is_write);
	return 0;
}

static void doorbell_at(void *opaque, unsigned q, struct vb_doorbell *db)
{
	const struct vb_virtio_pci *d = opaque;
	*db = (struct vb_doorbell){
		.gpa = d->bar_addr + NOTIFY_OFF + (uint64_t)q * NOTIFY_MULTIPLIER, .len = 2,
	};
}

/* The doorbell stays at the BAR address placed at attach: a write there
 * while the device does not decode (memory off, BAR moved) is dropped
 * here as bar_access would drop it. */
static void doorbell_rang(void *opaque, unsigned q)
{
	struct vb_virtio_pci *d = opaque;
	if (atomic_load(&d->decoding))
		vb_virtio_notify_latched(d->v, q);
}

/* Called with the host's mutex held. */
static void update_decoding(struct vb_virtio_pci *d)
{
	bool on = (d->command & VB_PCI_COMMAND_MEMORY) && d->bar_now == d->bar_addr;
	if ((d->command & VB_PCI_COMMAND_MEMORY) && d->bar_now != d->bar_addr &&
	    !atomic_exchange(&d->moved_logged, true))
		vb_dev_env_log(d->env, "%s: BAR moved from 0x%llx to 0x%llx: not supported, device off",
			       d->v->name, (unsigned long long)d->bar_addr,
			       (unsigned long long)d->bar_now);
	atomic_store(&d->decoding, on);
}

static void command_changed(void *opaque, uint16_t old_cmd, uint16_t new_cmd)
{
	struct vb_virtio_pci *d = opaque;
	(void)old_cmd;
	d->command = new_cmd;
	update_decoding(d);
}

static void bar_moved(void *opaque, unsigned bar, uint64_t old_addr, uint64_t new_addr)
{
	struct vb_virtio_pci *d = opaque;
	(void)old_addr;
	if (bar != BAR_INDEX)
		return;
	d->bar_now = new_addr;
	update_decoding(d);
}

/* The driver enabled or disabled MSI-X: the core moves its interrupts. */
static void config_written(void *opaque, uint32_t reg, uint32_t size)
{
	struct vb_virtio_pci *d = opaque;
	if (d->has_msix && vb_msix_control_written(&d->msix, &d->fn, reg, size))
		vb_virtio_msg_enable(d->v, vb_msix_enabled(&d->msix));
}

/* The core's message interrupt (v->msg), device mutex held. */
static void msg_send(void *opaque, unsigned vector)
{
	struct vb_virtio_pci *d = opaque;
	vb_msix_send(&d->msix, vector);
}

/* One vector per queue and one for configuration changes, where the env
 * routes messages; otherwise, or if that fails, INTx alone. */
static void offer_msix(struct vb_virtio_pci *d)
{
	struct vb_virtio *v = d->v;
	if (!vb_msix_available(d->env))
		return;
	const struct vb_msix_layout layout = {
		.n_vectors = v->ops->num_queues + 1u, .bar = BAR_INDEX,
		.table_off = MSIX_TABLE_OFF, .pba_off = MSIX_PBA_OFF,
	};
	struct vb_err err;
	if (vb_msix_init(&d->msix, d->env, &d->fn, &layout, v->name, &err) < 0) {
		vb_dev_env_log(d->env, "%s: %s; interrupts stay on INTx", v->name, err.msg);
		return;
	}
	d->has_msix = true;
	d->fn.config_written = config_written;
	v->msg = (struct vb_virtio_msg){ .send = msg_send, .ctx = d, .n_vectors = layout.n_vectors };
}

static int add_cap(struct vb_virtio_pci *d, uint8_t type, uint32_t off, uint32_t len,
		   bool notify, struct vb_err *err)
{
	/* struct virtio_pci_cap after vendor id and next (4.1.4): cap_len,
	 * cfg_type, bar, id, 2 bytes padding, offset, length; the notify
	 * capability appends notify_off_multiplier. */
	uint8_t body[18] = { 0 };
	uint8_t body_len = notify ? 18 : 14;
	body[0] = (uint8_t)(body_len + 2);
	body[1] = type;
	body[2] = BAR_INDEX;
	vb_le_put(body + 6, off, 4);
	vb_le_put(body + 10, len, 4);
	if (notify)
		vb_le_put(body + 14, NOTIFY_MULTIPLIER, 4);
	return vb_pci_function_add_cap(&d->fn, PCI_CAP_VENDOR, body, body_len, NULL, err);
}

static int build_function(struct vb_virtio_pci *d, struct vb_err *err)
{
	const struct vb_virtio_device_ops *ops = d->v->ops;
	uint16_t device = (uint16_t)(VIRTIO_PCI_DEVICE_BASE + ops->device_id);
	vb_pci_function_init(&d->fn, d->v->name, VIRTIO_PCI_VENDOR, device, PCI_CLASS_OTHER,
			     VIRTIO_PCI_REVISION);
	vb_le_put(&d->fn.config[VB_PCI_SUBSYSTEM_VENDOR_ID], VIRTIO_PCI_VENDOR, 2);
	vb_le_put(&d->fn.config[VB_PCI_SUBSYSTEM_ID], device, 2);
	d->fn.config[VB_PCI_INTERRUPT_PIN] = 1; /* INTA# */
	d->fn.config[VB_PCI_INTERRUPT_LINE] = (uint8_t)d->gsi;
	d->fn.bar_moved = bar_moved;
	d->fn.command_changed = command_changed;
	d->fn.opaque = d;
	int r = vb_pci_function_set_bar(&d->fn, BAR_INDEX, VB_PCI_BAR_MEM32, BAR_BYTES, d->bar_addr,
					err);
	if (!r)
		r = add_cap(d, CAP_COMMON, COMMON_OFF, COMMON_BYTES, false, err);
	if (!r)
		r = add_cap(d, CAP_NOTIFY, NOTIFY_OFF, ops->num_queues * NOTIFY_MULTIPLIER, true, err);
	if (!r)
		r = add_cap(d, CAP_ISR, ISR_OFF, ISR_BYTES, false, err);
	if (!r && ops->config_bytes)
		r = add_cap(d, CAP_DEVICE, DEVICE_OFF, ops->config_bytes, false, err);
	if (!r)
		offer_msix(d);
	d->bar_now = d->bar_addr;
	return r;
}

static int take_resources(struct vb_dev_env *env, struct vb_virtio_pci *d, struct vb_err *err)
{
	const char *name = d->v->name;
	/* Slot 0 is the host bridge's: it means "any free slot". */
	int r = d->slot ? vb_alloc_pci_slot_claim(env->alloc, d->slot, name, err) :
			  vb_alloc_pci_slot(env->alloc, name, &d->slot, err);
	if (r < 0)
		return r;
	/* The plan (resolve) chose the line so the MP table can describe it;
	 * 0 (never a device line: the timer's) means "any free one". */
	r = d->gsi ? vb_alloc_gsi_claim(env->alloc, d->gsi, name, err) :
		     vb_alloc_gsi(env->alloc, name, &d->gsi, err);
	if (r < 0) {
		vb_alloc_pci_slot_release(env->alloc, d->slot);
		return r;
	}
	/* Where resolve placed it (machine.h), or anywhere free (tests). */
	r = d->bar_addr ? vb_alloc_mmio_reserve(env->alloc, d->bar_addr, BAR_BYTES, name, err) :
			  vb_alloc_mmio(env->alloc, BAR_BYTES, 0, name, &d->bar_addr, err);
	if (r < 0) {
		vb_alloc_gsi_release(env->alloc, d->gsi);
		vb_alloc_pci_slot_release(env->alloc, d->slot);
	}
	return r;
}

static void give_back(struct vb_virtio_pci *d)
{
	if (d->has_msix) {
		d->v->msg = (struct vb_virtio_msg){ 0 };
		d->v->msg_on = false;
		vb_msix_destroy(&d->msix);
		d->has_msix = false;
	}
	vb_alloc_gsi_release(d->env->alloc, d->gsi);
	vb_alloc_pci_slot_release(d->env->alloc, d->slot);
}

int vb_virtio_pci_attach(struct vb_dev_env *env, const struct vb_virtio_placement *p,
			 struct vb_virtio *v, struct vb_virtio_pci **out, struct vb_err *err)
{
	if (!env->pci)
		return vb_err_set(err, EINVAL, "%s: no PCI host bridge attached", v->name);
	if (v->ops->config_bytes > REGION_BYTES)
		return vb_err_set(err, EINVAL, "%s: device configuration too large", v->name);
	struct vb_virtio_pci *d = calloc(1, sizeof(*d));
	if (!d)
		return vb_err_errno(err, ENOMEM, "%s", v->name);
	d->v = v;
	d->env = env;
	d->slot = p->pci_slot;
	d->gsi = p->gsi;
	d->bar_addr = p->bar_base;
	int r = take_resources(env, d, err);
	if (r < 0) {
		free(d);
		return r;
	}
	r = build_function(d, err);
	struct vb_bus_range range = {
		.base = d->bar_addr, .len = BAR_BYTES, .name = v->name,
		.access = bar_access, .opaque = d,
	};
	if (!r)
		r = vb_bus_register(env->mmio, &range, err);
	if (r < 0) {
		give_back(d);
		free(d);
		return r;
	}
	r = vb_pci_host_add(env->pci, &d->fn, d->slot, err);
	if (r < 0) {
		(void)vb_bus_unregister(env->mmio, d->bar_addr, NULL);
		give_back(d);
		free(d);
		return r;
	}
	v->irq = vb_dev_env_irq(env, d->gsi);
	vb_virtio_doorbells_add(&d->doorbells, env, v, doorbell_at, doorbell_rang, d);
	v->doorbells = &d->doorbells;
	*out = d;
	return 0;
}

void vb_virtio_pci_detach(struct vb_virtio_pci *d)
{
	if (!d)
		return;
	d->v->doorbells = NULL;
	vb_virtio_doorbells_remove(&d->doorbells);
	if (d->env->pci)
		vb_pci_host_remove(d->env->pci, d->slot);
	(void)vb_bus_unregister(d->env->mmio, d->bar_addr, NULL);
	(void)vb_irq_set(&d->v->irq, 0);
	give_back(d);
	free(d);
}
