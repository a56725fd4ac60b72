#include "virtio/transport.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/doorbell.h"

/* Register offsets, virtio 1.x 4.2.2 (version 2 layout). */
enum {
	R_MAGIC = 0x000,
	R_VERSION = 0x004,
	R_DEVICE_ID = 0x008,
	R_VENDOR_ID = 0x00c,
	R_DEVICE_FEATURES = 0x010,
	R_DEVICE_FEATURES_SEL = 0x014,
	R_DRIVER_FEATURES = 0x020,
	R_DRIVER_FEATURES_SEL = 0x024,
	R_QUEUE_SEL = 0x030,
	R_QUEUE_NUM_MAX = 0x034,
	R_QUEUE_NUM = 0x038,
	R_QUEUE_READY = 0x044,
	R_QUEUE_NOTIFY = 0x050,
	R_INTERRUPT_STATUS = 0x060,
	R_INTERRUPT_ACK = 0x064,
	R_STATUS = 0x070,
	R_QUEUE_DESC_LOW = 0x080,
	R_QUEUE_DESC_HIGH = 0x084,
	R_QUEUE_DRIVER_LOW = 0x090,
	R_QUEUE_DRIVER_HIGH = 0x094,
	R_QUEUE_DEVICE_LOW = 0x0a0,
	R_QUEUE_DEVICE_HIGH = 0x0a4,
	R_SHM_LEN_LOW = 0x0b0,
	R_SHM_LEN_HIGH = 0x0b4,
	R_SHM_BASE_LOW = 0x0b8,
	R_SHM_BASE_HIGH = 0x0bc,
	R_CONFIG_GENERATION = 0x0fc,
	R_CONFIG = 0x100,
};

#define MMIO_MAGIC 0x74726976u /* "virt" */
#define MMIO_VERSION 2u
#define MMIO_VENDOR 0x1af4u

struct vb_virtio_mmio {
	struct vb_virtio *v;
	struct vb_dev_env *env;
	uint64_t base;
	uint64_t bytes;
	uint32_t gsi;
	/* Selector registers: driver-written, read back by nobody but us.
	 * Atomic: vCPUs exit here at once, under no lock of ours; the core
	 * checks every value it is handed. */
	atomic_uint dev_feat_sel;
	atomic_uint drv_feat_sel;
	atomic_uint queue_sel;
	struct vb_virtio_doorbells doorbells;
};

static uint32_t get_le32(const uint8_t *d)
{
	return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}

static void put_le32(uint8_t *d, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		d[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t reg_read(struct vb_virtio_mmio *m, uint64_t off)
{
	struct vb_virtio *v = m->v;
	unsigned q = m->queue_sel;
	switch (off) {
	case R_MAGIC: return MMIO_MAGIC;
	case R_VERSION: return MMIO_VERSION;
	case R_DEVICE_ID: return v->ops->device_id;
	case R_VENDOR_ID: return MMIO_VENDOR;
	case R_DEVICE_FEATURES: return vb_virtio_device_features(v, m->dev_feat_sel);
	case R_QUEUE_NUM_MAX: return vb_virtio_queue_max(v, q);
	case R_QUEUE_READY: return vb_virtio_queue_enabled(v, q);
	case R_INTERRUPT_STATUS: return vb_virtio_regs(v).isr;
	case R_STATUS: return vb_virtio_regs(v).status;
	/* 4.2.2: a shared memory region that does not exist reads a length
	 * of all ones. */
	case R_SHM_LEN_LOW:
	case R_SHM_LEN_HIGH: return 0xffffffffu;
	case R_CONFIG_GENERATION: return vb_virtio_regs(v).config_generation;
	default: return 0;
	}
}

static void reg_write(struct vb_virtio_mmio *m, uint64_t off, uint32_t val)
{
	struct vb_virtio *v = m->v;
	unsigned q = m->queue_sel;
	switch (off) {
	case R_DEVICE_FEATURES_SEL: m->dev_feat_sel = val; break;
	case R_DRIVER_FEATURES: vb_virtio_set_driver_features(v, m->drv_feat_sel, val); break;
	case R_DRIVER_FEATURES_SEL: m->drv_feat_sel = val; break;
	case R_QUEUE_SEL: m->queue_sel = val; break;
	case R_QUEUE_NUM: vb_virtio_queue_set(v, q, VB_VIRTIO_Q_SIZE, val); break;
	case R_QUEUE_READY:
		/* Writing 0 to an enabled queue (a per-queue reset) is not
		 * offered; the driver resets the whole device instead. */
		if (val == 1)
			vb_virtio_queue_enable(v, q);
		break;
	case R_QUEUE_NOTIFY: vb_virtio_notify(v, val); break;
	case R_INTERRUPT_ACK: vb_virtio_isr_ack(v, (uint8_t)val); break;
	case R_STATUS: vb_virtio_set_status(v, (uint8_t)val); break;
	case R_QUEUE_DESC_LOW: vb_virtio_queue_set_half(v, q, VB_VIRTIO_Q_DESC, false, val); break;
	case R_QUEUE_DESC_HIGH: vb_virtio_queue_set_half(v, q, VB_VIRTIO_Q_DESC, true, val); break;
	case R_QUEUE_DRIVER_LOW: vb_virtio_queue_set_half(v, q, VB_VIRTIO_Q_AVAIL, false, val); break;
	case R_QUEUE_DRIVER_HIGH: vb_virtio_queue_set_half(v, q, VB_VIRTIO_Q_AVAIL, true, val); break;
	case R_QUEUE_DEVICE_LOW: vb_virtio_queue_set_half(v, q, VB_VIRTIO_Q_USED, false, val); break;
	case R_QUEUE_DEVICE_HIGH: vb_virtio_queue_set_half(v, q, VB_VIRTIO_Q_USED, true, val); break;
	default: break; /* read-only or unknown: dropped */
	}
}

int vb_virtio_mmio_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t size,
			  bool is_write)
{
	struct vb_virtio_mmio *m = opaque;
	if (offset >= R_CONFIG) {
		uint64_t off = offset - R_CONFIG;
		if (off > UINT32_MAX || size > 8) {
			if (!is_write)
				memset(data, 0xff, size);
			return 0;
		}
		vb_virtio_config_access(m->v, (uint32_t)off, data, size, is_write);
		return 0;
	}
	/* 4.2.2.2: the control registers are 32 bits wide and accessed as
	 * such; anything else is ignored (reads float to all ones). */
	if (size != 4 || (offset & 3)) {
		if (!is_write)
			memset(data, 0xff, size);
		return 0;
	}
	if (is_write)
		reg_write(m, offset, get_le32(data));
	else
		put_le32(data, reg_read(m, offset));
	return 0;
}

static void doorbell_at(void *opaque, unsigned q, struct vb_doorbell *db)
{
	const struct vb_virtio_mmio *m = opaque;
	*db = (struct vb_doorbell){
		.gpa = m->base + R_QUEUE_NOTIFY, .len = 4, .match = true, .datamatch = q,
	};
}

static void doorbell_rang(void *opaque, unsigned q)
{
	struct vb_virtio_mmio *m = opaque;
	vb_virtio_notify_latched(m->v, q);
}

int vb_virtio_mmio_attach(struct vb_dev_env *env, const struct vb_virtio_placement *p,
			  struct vb_virtio *v, struct vb_virtio_mmio **out, struct vb_err *err)
{
	if (p->mmio_bytes < VB_VIRTIO_MMIO_MIN_BYTES + v->ops->config_bytes)
		return vb_err_set(err, EINVAL, "%s: MMIO window of 0x%llx bytes is too small", v->name,
				  (unsigned long long)p->mmio_bytes);
	struct vb_virtio_mmio *m = calloc(1, sizeof(*m));
	if (!m)
		return vb_err_errno(err, ENOMEM, "%s", v->name);
	m->v = v;
	m->env = env;
	m->base = p->mmio_base;
	m->bytes = p->mmio_bytes;
	m->gsi = p->gsi;
	int r = vb_alloc_gsi_claim(env->alloc, p->gsi, v->name, err);
	if (r < 0) {
		free(m);
		return r;
	}
	struct vb_irq irq;
	r = vb_dev_env_edge_irq(env, p->gsi, &irq, err);
	if (r < 0) {
		vb_err_prefix(err, "%s: interrupt line %u", v->name, (unsigned)p->gsi);
		vb_alloc_gsi_release(env->alloc, p->gsi);
		free(m);
		return r;
	}
	struct vb_bus_range range = {
		.base = m->base, .len = m->bytes, .name = v->name,
		.access = vb_virtio_mmio_access, .opaque = m,
	};
	r = vb_bus_register(env->mmio, &range, err);
	if (r < 0) {
		vb_irq_release(&irq);
		vb_alloc_gsi_release(env->alloc, p->gsi);
		free(m);
		return r;
	}
	v->irq = irq;
	vb_virtio_doorbells_add(&m->doorbells, env, v, doorbell_at, doorbell_rang, m);
	v->doorbells = &m->doorbells;
	*out = m;
	return 0;
}

void vb_virtio_mmio_detach(struct vb_virtio_mmio *m)
{
	if (!m)
		return;
	m->v->doorbells = NULL;
	vb_virtio_doorbells_remove(&m->doorbells);
	(void)vb_bus_unregister(m->env->mmio, m->base, NULL);
	vb_irq_release(&m->v->irq);
	vb_alloc_gsi_release(m->env->alloc, m->gsi);
	free(m);
}
