#include "virtio/virtio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BIT(n) (1ULL << (n))

/* At most this many violation lines per device per window; the rest are
 * counted and reported with the next line that gets through. */
#define LOG_BURST 5u
#define LOG_WINDOW_NS (60ULL * 1000000000ULL)

/* What the core itself implements for every device. */
static const uint64_t core_features =
	BIT(VB_VIRTIO_F_VERSION_1) | BIT(VB_VIRTIO_F_INDIRECT_DESC) | BIT(VB_VIRTIO_F_EVENT_IDX);

/* 4.1.4.3.2: after reset queue_size reads the maximum, which the driver
 * may lower; 4.1.5.1.2.1: every event is unmapped. */
static void reset_queues(struct vb_virtio *v)
{
	for (unsigned q = 0; q < VB_VIRTIO_MAX_QUEUES; q++) {
		vb_virtq_reset(&v->queues[q]);
		if (q < v->ops->num_queues)
			v->queues[q].size = v->ops->queue_max_size;
	}
	for (unsigned q = 0; q < VB_VIRTIO_MAX_QUEUES; q++)
		v->queue_vector[q] = VB_VIRTIO_NO_VECTOR;
	v->config_vector = VB_VIRTIO_NO_VECTOR;
}

int vb_virtio_init(struct vb_virtio *v, const struct vb_virtio_device_ops *ops,
		   uint64_t features, void *dev, const char *name,
		   const struct vb_guest_mem *mem, struct vb_irq irq,
		   void (*log)(void *ctx, const char *msg), void *log_ctx, struct vb_err *err)
{
	memset(v, 0, sizeof(*v));
	uint16_t qmax = ops->queue_max_size;
	if (ops->num_queues == 0 || ops->num_queues > VB_VIRTIO_MAX_QUEUES || qmax == 0 ||
	    (qmax & (qmax - 1)) || qmax > VB_VIRTQ_MAX_SIZE || !ops->queue_notify)
		return vb_err_set(err, EINVAL, "%s: bad virtio device description", ops->name);
	v->iov = calloc(qmax, sizeof(*v->iov));
	if (!v->iov)
		return vb_err_errno(err, ENOMEM, "%s", ops->name);
	int r = pthread_mutex_init(&v->lock, NULL);
	if (r) {
		free(v->iov);
		v->iov = NULL;
		return vb_err_errno(err, r, "%s: mutex", ops->name);
	}
	v->ops = ops;
	v->dev = dev;
	v->name = name ? name : ops->name;
	v->mem = mem;
	v->irq = irq;
	v->log = log;
	v->log_ctx = log_ctx;
	v->device_features = features | core_features;
	reset_queues(v);
	return 0;
}

void vb_virtio_destroy(struct vb_virtio *v)
{
	if (!v->ops)
		return;
	pthread_mutex_destroy(&v->lock);
	free(v->iov);
	v->iov = NULL;
	v->ops = NULL;
}

/* With message interrupts on, the line stays low (PCI 3.0 6.8.2: a
 * function with MSI-X enabled does not use INTx). An edge line is not
 * held: raise_isr sends its edges. */
static void update_line(struct vb_virtio *v)
{
	if (!v->irq.edge)
		(void)vb_irq_set(&v->irq, v->isr != 0 && !v->msg_on);
}

/* An interrupt with ISR bits bits: the configuration change's, or queue
 * q's. On an edge line, only a bit that was clear makes an edge: one
 * already set is the driver's to see in the status it has not acked yet
 * (dev/irq.h). */
static void raise_isr(struct vb_virtio *v, uint8_t bits, unsigned q)
{
	if (!v->msg_on) {
		uint8_t had = v->isr;
		v->isr |= bits;
		if (!v->irq.edge)
			update_line(v);
		else if (v->isr != had)
			(void)vb_irq_set(&v->irq, 1);
		return;
	}
	/* 4.1.4.5.1: the configuration bit is set before the notification
	 * whatever carries it; a queue's only without MSI-X. */
	v->isr |= bits & VB_VIRTIO_ISR_CONFIG;
	uint16_t vector = bits & VB_VIRTIO_ISR_CONFIG ? v->config_vector : v->queue_vector[q];
	if (vector != VB_VIRTIO_NO_VECTOR)
		v->msg.send(v->msg.ctx, vector);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void log_violation(struct vb_virtio *v, const char *why)
{
	if (!v->log)
		return;
	struct vb_virtio_ratelimit *rl = &v->rl;
	uint64_t t = now_ns();
	if (rl->in_window == 0 || t - rl->window_start_ns >= LOG_WINDOW_NS) {
		rl->window_start_ns = t;
		rl->in_window = 0;
	}
	if (rl->in_window >= LOG_BURST) {
		rl->suppressed++;
		return;
	}
	rl->in_window++;
	char msg[512];
	if (rl->suppressed)
		snprintf(msg, sizeof(msg), "%s: guest driver error: %s; device needs reset (%lu similar messages suppressed)",
			 v->name, why, rl->suppressed);
	else
		snprintf(msg, sizeof(msg), "%s: guest driver error: %s; device needs reset", v->name,
			 why);
	rl->suppressed = 0;
	v->log(v->log_ctx, msg);
}

void vb_virtio_fail_locked(struct vb_virtio *v, const char *why)
{
	v->violations++;
	log_violation(v, why);
	if (v->broken)
		return;
	v->broken = true;
	for (unsigned q = 0; q < v->ops->num_queues; q++)
		v->queues[q].enabled = false;
	/* 2.1.2: set DEVICE_NEEDS_RESET and, once DRIVER_OK, send a
	 * configuration change notification. */
	v->status |= VB_VIRTIO_S_NEEDS_RESET;
	v->config_generation++;
	if (v->status & VB_VIRTIO_S_DRIVER_OK)
		raise_isr(v, VB_VIRTIO_ISR_CONFIG, 0);
}

void vb_virtio_config_changed_locked(struct vb_virtio *v)
{
	/* 4.1.4.3 / 4.2.2: a new generation, and the interrupt once the
	 * driver is up. */
	v->config_generation++;
	if ((v->status & VB_VIRTIO_S_DRIVER_OK) && !v->broken)
		raise_isr(v, VB_VIRTIO_ISR_CONFIG, 0);
}

void vb_virtio_msg_enable(struct vb_virtio *v, bool on)
{
	pthread_mutex_lock(&v->lock);
	v->msg_on = on && v->msg.send;
	update_line(v);
	pthread_mutex_unlock(&v->lock);
}

/* The vector register of the configuration change or of queue q; NULL
 * for a queue the device does not have. */
static uint16_t *vector_of(struct vb_virtio *v, bool config, unsigned q)
{
	if (config)
		return &v->config_vector;
	return q < v->ops->num_queues ? &v->queue_vector[q] : NULL;
}

uint16_t vb_virtio_vector(struct vb_virtio *v, bool config, unsigned q)
{
	pthread_mutex_lock(&v->lock);
	const uint16_t *reg = vector_of(v, config, q);
	uint16_t r = reg ? *reg : VB_VIRTIO_NO_VECTOR;
	pthread_mutex_unlock(&v->lock);
	return r;
}

void vb_virtio_set_vector(struct vb_virtio *v, bool config, unsigned q, uint16_t vector)
{
	pthread_mutex_lock(&v->lock);
	uint16_t *reg = vector_of(v, config, q);
	bool have = v->msg.send && vector < v->msg.n_vectors;
	if (reg)
		*reg = have ? vector : VB_VIRTIO_NO_VECTOR;
	pthread_mutex_unlock(&v->lock);
}

static void reset_locked(struct vb_virtio *v)
{
	reset_queues(v);
	v->driver_features = 0;
	v->status = 0;
	v->isr = 0;
	v->broken = false;
	update_line(v);
	if (v->ops->reset)
		v->ops->reset(v->dev);
}

/* The 32 feature bits a transport's select register names (4.1.4.3:
 * 0 the low half, 1 the high half, any other none). */
static uint32_t feature_word(uint64_t features, uint32_t select)
{
	return select == 0 ? (uint32_t)features : select == 1 ? (uint32_t)(features >> 32) : 0;
}

uint32_t vb_virtio_device_features(struct vb_virtio *v, uint32_t select)
{
	pthread_mutex_lock(&v->lock);
	uint32_t r = feature_word(v->device_features, select);
	pthread_mutex_unlock(&v->lock);
	return r;
}

void vb_virtio_set_driver_features(struct vb_virtio *v, uint32_t select, uint32_t value)
{
	pthread_mutex_lock(&v->lock);
	/* 3.1.1: features are written before FEATURES_OK; later writes are
	 * ignored. */
	if (!(v->status & VB_VIRTIO_S_FEATURES_OK) && select <= 1) {
		unsigned shift = select * 32;
		v->driver_features &= ~(0xffffffffULL << shift);
		v->driver_features |= (uint64_t)value << shift;
	}
	pthread_mutex_unlock(&v->lock);
}

uint32_t vb_virtio_driver_features(struct vb_virtio *v, uint32_t select)
{
	pthread_mutex_lock(&v->lock);
	uint32_t r = feature_word(v->driver_features, select);
	pthread_mutex_unlock(&v->lock);
	return r;
}

struct vb_virtio_regs vb_virtio_regs(struct vb_virtio *v)
{
	pthread_mutex_lock(&v->lock);
	struct vb_virtio_regs r = {
		.status = v->status, .isr = v->isr, .config_generation = v->config_generation,
	};
	pthread_mutex_unlock(&v->lock);
	return r;
}

static bool features_acceptable(const struct vb_virtio *v)
{
	uint64_t f = v->driver_features;
	return !(f & ~v->device_features) && (f & BIT(VB_VIRTIO_F_VERSION_1));
}

void vb_virtio_set_status(struct vb_virtio *v, uint8_t status)
{
	pthread_mutex_lock(&v->lock);
	if (status == 0) {
		reset_locked(v);
		pthread_mutex_unlock(&v->lock);
		return;
	}
	/* The driver only adds bits (3.1.1); NEEDS_RESET is the device's. */
	uint8_t add = (uint8_t)(status & ~v->status & ~VB_VIRTIO_S_NEEDS_RESET);
	if ((add & VB_VIRTIO_S_FEATURES_OK) && !features_acceptable(v))
		add &= (uint8_t)~VB_VIRTIO_S_FEATURES_OK;
	if ((add & VB_VIRTIO_S_DRIVER_OK) &&
	    !((v->status | add) & VB_VIRTIO_S_FEATURES_OK))
		add &= (uint8_t)~VB_VIRTIO_S_DRIVER_OK;
	if (add & VB_VIRTIO_S_FEATURES_OK) {
		bool ev = v->driver_features & BIT(VB_VIRTIO_F_EVENT_IDX);
		bool ind = v->driver_features & BIT(VB_VIRTIO_F_INDIRECT_DESC);
		for (unsigned q = 0; q < VB_VIRTIO_MAX_QUEUES; q++) {
			v->queues[q].event_idx = ev;
			v->queues[q].indirect = ind;
		}
	}
	v->status |= add;
	if ((add & VB_VIRTIO_S_DRIVER_OK) && !v->broken && v->ops->activate) {
		struct vb_err err;
		if (v->ops->activate(v, v->dev, &err) < 0)
			vb_virtio_fail_locked(v, err.msg);
	}
	pthread_mutex_unlock(&v->lock);
}

uint8_t vb_virtio_isr_read_clear(struct vb_virtio *v)
{
	pthread_mutex_lock(&v->lock);
	uint8_t r = v->isr;
	v->isr = 0;
	update_line(v);
	pthread_mutex_unlock(&v->lock);
	return r;
}

void vb_virtio_isr_ack(struct vb_virtio *v, uint8_t bits)
{
	pthread_mutex_lock(&v->lock);
	v->isr &= (uint8_t)~bits;
	update_line(v);
	pthread_mutex_unlock(&v->lock);
}

void vb_virtio_config_access(struct vb_virtio *v, uint32_t off, uint8_t *data, uint32_t size,
			     bool is_write)
{
	pthread_mutex_lock(&v->lock);
	bool inside = off < v->ops->config_bytes && size <= v->ops->config_bytes - off;
	if (is_write) {
		if (inside && v->ops->config_write)
			v->ops->config_write(v->dev, off, data, size);
	} else if (inside && v->ops->config_read) {
		v->ops->config_read(v->dev, off, data, size);
	} else {
		memset(data, 0, size);
	}
	pthread_mutex_unlock(&v->lock);
}

static struct vb_virtq *queue(struct vb_virtio *v, unsigned q)
{
	return q < v->ops->num_queues ? &v->queues[q] : NULL;
}

uint64_t vb_virtio_queue_get(struct vb_virtio *v, unsigned q, enum vb_virtio_qfield f)
{
	pthread_mutex_lock(&v->lock);
	struct vb_virtq *vq = queue(v, q);
	uint64_t r = 0;
	if (vq) {
		switch (f) {
		case VB_VIRTIO_Q_SIZE: r = vq->size; break;
		case VB_VIRTIO_Q_DESC: r = vq->desc_gpa; break;
		case VB_VIRTIO_Q_AVAIL: r = vq->avail_gpa; break;
		case VB_VIRTIO_Q_USED: r = vq->used_gpa; break;
		}
	}
	pthread_mutex_unlock(&v->lock);
	return r;
}

static void qset(struct vb_virtq *vq, enum vb_virtio_qfield f, uint64_t value)
{
	switch (f) {
	case VB_VIRTIO_Q_SIZE: vq->size = (uint16_t)value; break;
	case VB_VIRTIO_Q_DESC: vq->desc_gpa = value; break;
	case VB_VIRTIO_Q_AVAIL: vq->avail_gpa = value; break;
	case VB_VIRTIO_Q_USED: vq->used_gpa = value; break;
	}
}

static uint64_t qget(const struct vb_virtq *vq, enum vb_virtio_qfield f)
{
	switch (f) {
	case VB_VIRTIO_Q_SIZE: return vq->size;
	case VB_VIRTIO_Q_DESC: return vq->desc_gpa;
	case VB_VIRTIO_Q_AVAIL: return vq->avail_gpa;
	case VB_VIRTIO_Q_USED: return vq->used_gpa;
	}
	return 0;
}

void vb_virtio_queue_set(struct vb_virtio *v, unsigned q, enum vb_virtio_qfield f, uint64_t value)
{
	pthread_mutex_lock(&v->lock);
	struct vb_virtq *vq = queue(v, q);
	/* 4.1.4.3.2: queue fields change only while the queue is off. */
	if (vq && !vq->enabled)
		qset(vq, f, f == VB_VIRTIO_Q_SIZE ? (value > 0xffff ? 0 : value) : value);
	pthread_mutex_unlock(&v->lock);
}

void vb_virtio_queue_set_half(struct vb_virtio *v, unsigned q, enum vb_virtio_qfield f, bool high,
			      uint32_t value)
{
	pthread_mutex_lock(&v->lock);
	struct vb_virtq *vq = queue(v, q);
	if (vq && !vq->enabled && f != VB_VIRTIO_Q_SIZE) {
		uint64_t cur = qget(vq, f);
		cur = high ? (cur & 0xffffffffULL) | (uint64_t)value << 32 :
			     (cur & ~0xffffffffULL) | value;
		qset(vq, f, cur);
	}
	pthread_mutex_unlock(&v->lock);
}

uint16_t vb_virtio_queue_max(struct vb_virtio *v, unsigned q)
{
	return q < v->ops->num_queues ? v->ops->queue_max_size : 0;
}

bool vb_virtio_queue_enabled(struct vb_virtio *v, unsigned q)
{
	pthread_mutex_lock(&v->lock);
	struct vb_virtq *vq = queue(v, q);
	bool r = vq && vq->enabled;
	pthread_mutex_unlock(&v->lock);
	return r;
}

void vb_virtio_queue_enable(struct vb_virtio *v, unsigned q)
{
	pthread_mutex_lock(&v->lock);
	struct vb_virtq *vq = queue(v, q);
	if (vq && !vq->enabled && !v->broken) {
		struct vb_err err;
		int r = v->mem ? vb_virtq_enable(vq, v->mem, v->ops->queue_max_size, &err) :
				 vb_err_set(&err, EFAULT, "no guest memory");
		if (r < 0) {
			char why[VB_ERR_MSG_BYTES + 32];
			snprintf(why, sizeof(why), "queue %u: %s", q, err.msg);
			vb_virtio_fail_locked(v, why);
		}
	}
	pthread_mutex_unlock(&v->lock);
}

static void notify_locked(struct vb_virtio *v, unsigned q, bool latched)
{
	if (v->broken)
		return;
	struct vb_virtq *vq = queue(v, q);
	char why[VB_ERR_MSG_BYTES + 32];
	if (!vq || !vq->enabled) {
		/* A latched doorbell may be older than a reset the driver did
		 * since: stale, not a violation (see virtio.h). */
		if (latched)
			return;
		snprintf(why, sizeof(why), "notify for queue %u, which is not set up", q);
		vb_virtio_fail_locked(v, why);
	} else if (v->status & VB_VIRTIO_S_DRIVER_OK) {
		/* 3.1.1: the device acts on queues only after DRIVER_OK; an
		 * early doorbell is harmless and ignored. */
		struct vb_err err;
		if (v->ops->queue_notify(v, v->dev, q, &err) < 0) {
			snprintf(why, sizeof(why), "queue %u: %s", q, err.msg);
			vb_virtio_fail_locked(v, why);
		}
	}
}

void vb_virtio_notify(struct vb_virtio *v, unsigned q)
{
	pthread_mutex_lock(&v->lock);
	notify_locked(v, q, false);
	pthread_mutex_unlock(&v->lock);
}

void vb_virtio_notify_latched(struct vb_virtio *v, unsigned q)
{
	pthread_mutex_lock(&v->lock);
	notify_locked(v, q, true);
	pthread_mutex_unlock(&v->lock);
}

int vb_virtio_pop_locked(struct vb_virtio *v, unsigned q, struct vb_virtq_chain *chain,
			 struct vb_err *err)
{
	struct vb_virtq *vq = queue(v, q);
	if (!vq || v->broken)
		return 0;
	return vb_virtq_pop(vq, v->mem, v->iov, v->ops->queue_max_size, chain, err);
}

int vb_virtio_push_locked(struct vb_virtio *v, unsigned q, uint16_t head, uint32_t len,
			  struct vb_err *err)
{
	const struct vb_virtq_used one = { head, len };
	return vb_virtio_push_all_locked(v, q, &one, 1, err);
}

int vb_virtio_push_all_locked(struct vb_virtio *v, unsigned q, const struct vb_virtq_used *used,
			      uint16_t n, struct vb_err *err)
{
	struct vb_virtq *vq = queue(v, q);
	if (!vq)
		return vb_err_set(err, EINVAL, "no queue %u", q);
	return vb_virtq_push_all(vq, used, n, err);
}

void vb_virtio_unpop_locked(struct vb_virtio *v, unsigned q, uint16_t n)
{
	struct vb_virtq *vq = queue(v, q);
	if (vq)
		vb_virtq_unpop(vq, n);
}

void vb_virtio_signal_locked(struct vb_virtio *v, unsigned q)
{
	struct vb_virtq *vq = queue(v, q);
	if (vq && vb_virtq_should_interrupt(vq))
		raise_isr(v, VB_VIRTIO_ISR_QUEUE, q);
}

void vb_virtio_interrupt(struct vb_virtio *v, unsigned q)
{
	pthread_mutex_lock(&v->lock);
	if (queue(v, q) && !v->broken && (v->status & VB_VIRTIO_S_DRIVER_OK))
		raise_isr(v, VB_VIRTIO_ISR_QUEUE, q);
	pthread_mutex_unlock(&v->lock);
}
