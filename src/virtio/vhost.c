/* The vhost backend (vhost.h). */
#include "virtio/vhost.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "virtio/doorbell.h"
#include "virtio/virtq.h"

#define BIT(n) (1ULL << (n))

/* What vmboot's core offers every driver (virtio.c core_features): the
 * kernel must serve rings in that format. */
static const uint64_t ring_features =
	BIT(VB_VIRTIO_F_VERSION_1) | BIT(VB_VIRTIO_F_INDIRECT_DESC) | BIT(VB_VIRTIO_F_EVENT_IDX);

static int host_open(void *ctx, const char *path)
{
	(void)ctx;
	int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int host_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	(void)ctx;
	return ioctl(fd, request, arg) < 0 ? -errno : 0;
}

static void host_close(void *ctx, int fd)
{
	(void)ctx;
	close(fd);
}

const struct vb_vhost_kernel vb_vhost_host_kernel = {
	.open = host_open, .ioctl = host_ioctl, .close = host_close,
};

int vb_vhost_open_error(struct vb_err *err, int errnum, const char *name, const char *path,
			const char *module)
{
	if (errnum == ENOENT || errnum == ENODEV || errnum == ENXIO)
		return vb_err_set(err, errnum, "%s: %s: %s (load the %s module: modprobe %s)", name,
				  path, strerror(errnum), module, module);
	return vb_err_errno(err, errnum, "%s: %s", name, path);
}

int vb_vhost_ioctl(struct vb_vhost *h, unsigned long request, void *arg, const char *what,
		   struct vb_err *err)
{
	int r = h->k->ioctl(h->k->ctx, h->fd, request, arg);
	return r < 0 ? vb_err_errno(err, -r, "%s: %s", h->name, what) : 0;
}

static void forget_queues(struct vb_vhost *h)
{
	for (unsigned q = 0; q < VB_VIRTIO_MAX_QUEUES; q++) {
		h->kick[q] = -1;
		h->kick_ours[q] = false;
		h->call[q] = -1;
		h->call_id[q] = -1;
	}
	h->wired = false;
}

int vb_vhost_open(struct vb_vhost *h, const struct vb_vhost_kernel *k, const char *path,
		  const char *module, const char *name, unsigned n_queues, struct vb_err *err)
{
	memset(h, 0, sizeof(*h));
	h->k = k ? k : &vb_vhost_host_kernel;
	h->name = name;
	h->fd = -1;
	forget_queues(h);
	if (n_queues == 0 || n_queues > VB_VIRTIO_MAX_QUEUES)
		return vb_err_set(err, EINVAL, "%s: %u vhost queues", name, n_queues);
	h->n_queues = n_queues;
	int fd = h->k->open(h->k->ctx, path);
	if (fd < 0)
		return vb_vhost_open_error(err, -fd, name, path, module);
	h->fd = fd;
	/* The owner's address space is the one the kernel's worker reads
	 * guest RAM through (the memory table's userspace addresses). */
	int r = vb_vhost_ioctl(h, VHOST_SET_OWNER, NULL, "VHOST_SET_OWNER", err);
	if (!r)
		r = vb_vhost_ioctl(h, VHOST_GET_FEATURES, &h->features, "VHOST_GET_FEATURES", err);
	if (!r && (h->features & ring_features) != ring_features)
		r = vb_err_set(err, ENOTSUP,
			       "%s: %s offers features 0x%llx, without the virtio 1.0 rings vmboot drives (VERSION_1, INDIRECT_DESC, EVENT_IDX)",
			       name, path, (unsigned long long)h->features);
	if (r < 0)
		vb_vhost_close(h);
	return r;
}

uint64_t vb_vhost_device_features(const struct vb_vhost *h)
{
	return h->features & VB_VHOST_DEVICE_FEATURES_MASK;
}

unsigned vb_vhost_mem_regions(const struct vb_guest_mem *mem,
			      struct vhost_memory_region out[VB_VHOST_MAX_REGIONS])
{
	unsigned n = 0;
	for (unsigned i = 0; i < mem->map->n_slots && n < VB_VHOST_MAX_REGIONS; i++) {
		const struct vb_slot *s = &mem->map->slots[i];
		/* The checked view's own translation of the slot's first byte:
		 * host offset == guest physical address (memmap.h). */
		uint8_t *host = vb_gmem_ptr(mem, s->guest_phys_addr, s->size_bytes);
		if (!host)
			continue;
		out[n++] = (struct vhost_memory_region){
			.guest_phys_addr = s->guest_phys_addr,
			.memory_size = s->size_bytes,
			.userspace_addr = (uint64_t)(uintptr_t)host,
		};
	}
	return n;
}

int vb_vhost_set_mem(struct vb_vhost *h, const struct vb_guest_mem *mem, struct vb_err *err)
{
	if (!mem)
		return vb_err_set(err, EINVAL, "%s: no guest memory", h->name);
	/* struct vhost_memory ends in a flexible array of regions. */
	size_t bytes = sizeof(struct vhost_memory) +
		       VB_VHOST_MAX_REGIONS * sizeof(struct vhost_memory_region);
	struct vhost_memory *table = calloc(1, bytes);
	if (!table)
		return vb_err_errno(err, ENOMEM, "%s: memory table", h->name);
	table->nregions = vb_vhost_mem_regions(mem, table->regions);
	int r = table->nregions ? vb_vhost_ioctl(h, VHOST_SET_MEM_TABLE, table,
						 "VHOST_SET_MEM_TABLE", err) :
				  vb_err_set(err, EINVAL, "%s: no guest RAM", h->name);
	free(table);
	return r;
}

int vb_vhost_ring_addr(const struct vb_guest_mem *mem, unsigned index, uint16_t size,
		       uint16_t max_size, uint64_t desc, uint64_t avail, uint64_t used,
		       struct vhost_vring_addr *out, struct vb_err *err)
{
	/* The core's own check and translation of a ring (virtq.h), on a
	 * copy: one rule for what a ring may be, whoever serves it. */
	struct vb_virtq q = { .size = size, .desc_gpa = desc, .avail_gpa = avail, .used_gpa = used };
	int r = vb_virtq_enable(&q, mem, max_size, err);
	if (r < 0)
		return r;
	*out = (struct vhost_vring_addr){
		.index = index,
		.desc_user_addr = (uint64_t)(uintptr_t)q.desc,
		.avail_user_addr = (uint64_t)(uintptr_t)q.avail,
		.used_user_addr = (uint64_t)(uintptr_t)q.used,
	};
	return 0;
}

/* The I/O event thread, for a call eventfd the kernel signalled. */
static void call_relay(void *opaque, unsigned q)
{
	vb_virtio_interrupt(opaque, q);
}

static int wire_queue(struct vb_vhost *h, struct vb_virtio *v, unsigned q, struct vb_err *err)
{
	const struct vb_dev_env *env = h->env;
	h->kick[q] = vb_virtio_doorbell_take(v->doorbells, q);
	if (h->kick[q] < 0) {
		h->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (h->kick[q] < 0)
			return vb_err_errno(err, errno, "%s: queue %u kick eventfd", h->name, q);
		h->kick_ours[q] = true;
	}
	int r = env->doorbell_add(env->doorbell_ctx, NULL, call_relay, v, q, &h->call_id[q], err);
	if (r < 0) {
		h->call_id[q] = -1;
		vb_err_prefix(err, "%s: queue %u interrupt", h->name, q);
		return r;
	}
	h->call[q] = env->doorbell_fd(env->doorbell_ctx, h->call_id[q], false);
	if (h->call[q] < 0)
		return vb_err_set(err, EINVAL, "%s: queue %u: no eventfd for its interrupt", h->name,
				  q);
	return 0;
}

int vb_vhost_wire(struct vb_vhost *h, const struct vb_dev_env *env, struct vb_virtio *v,
		  struct vb_err *err)
{
	if (!env->doorbell_add || !env->doorbell_remove || !env->doorbell_fd)
		return vb_err_set(err, ENOTSUP,
				  "%s: needs the I/O event thread to relay the kernel's interrupts (KVM_CAP_IOEVENTFD)",
				  h->name);
	h->env = env;
	h->wired = true;
	for (unsigned q = 0; q < h->n_queues; q++) {
		int r = wire_queue(h, v, q, err);
		if (r < 0) {
			vb_vhost_unwire(h);
			return r;
		}
	}
	return 0;
}

void vb_vhost_unwire(struct vb_vhost *h)
{
	for (unsigned q = 0; q < VB_VIRTIO_MAX_QUEUES; q++) {
		if (h->call_id[q] >= 0 && h->env)
			h->env->doorbell_remove(h->env->doorbell_ctx, h->call_id[q]);
		if (h->kick_ours[q] && h->kick[q] >= 0)
			close(h->kick[q]);
	}
	forget_queues(h);
}

/* Queue q's ring as the driver left it, checked again and translated. */
static int ring_of(const struct vb_virtio *v, unsigned q, struct vhost_vring_addr *addr,
		   struct vb_err *err)
{
	const struct vb_virtq *vq = &v->queues[q];
	if (!vq->enabled)
		return vb_err_set(err, EINVAL, "queue %u is not set up at DRIVER_OK", q);
	int r = vb_vhost_ring_addr(v->mem, q, vq->size, v->ops->queue_max_size, vq->desc_gpa,
				   vq->avail_gpa, vq->used_gpa, addr, err);
	if (r < 0)
		vb_err_prefix(err, "queue %u", q);
	return r;
}

static int start_queue(struct vb_vhost *h, unsigned q, uint16_t size,
		       struct vhost_vring_addr *addr, struct vb_err *err)
{
	struct vhost_vring_state num = { .index = q, .num = size };
	/* A ring the driver just set up starts at avail and used index 0
	 * (virtio 2.7.6, 2.7.8), after every reset too. */
	struct vhost_vring_state base = { .index = q, .num = 0 };
	struct vhost_vring_file kick = { .index = q, .fd = h->kick[q] };
	struct vhost_vring_file call = { .index = q, .fd = h->call[q] };
	int r = vb_vhost_ioctl(h, VHOST_SET_VRING_NUM, &num, "VHOST_SET_VRING_NUM", err);
	if (!r)
		r = vb_vhost_ioctl(h, VHOST_SET_VRING_BASE, &base, "VHOST_SET_VRING_BASE", err);
	if (!r)
		r = vb_vhost_ioctl(h, VHOST_SET_VRING_ADDR, addr, "VHOST_SET_VRING_ADDR", err);
	if (!r)
		r = vb_vhost_ioctl(h, VHOST_SET_VRING_KICK, &kick, "VHOST_SET_VRING_KICK", err);
	if (!r)
		r = vb_vhost_ioctl(h, VHOST_SET_VRING_CALL, &call, "VHOST_SET_VRING_CALL", err);
	return r;
}

int vb_vhost_start(struct vb_vhost *h, struct vb_virtio *v, struct vb_err *err)
{
	if (!h->wired || !v->mem)
		return vb_err_set(err, EINVAL, "%s: not wired to a transport and RAM", h->name);
	/* Every ring is checked before the kernel hears of any. */
	struct vhost_vring_addr addr[VB_VIRTIO_MAX_QUEUES];
	for (unsigned q = 0; q < h->n_queues; q++) {
		int r = ring_of(v, q, &addr[q], err);
		if (r < 0)
			return r;
	}
	/* The driver acked a subset of what the device offered (the core
	 * checked at FEATURES_OK), which came from the kernel's bits and the
	 * core's ring bits, which the kernel has (vb_vhost_open). */
	uint64_t features = v->driver_features & h->features;
	int r = vb_vhost_ioctl(h, VHOST_SET_FEATURES, &features, "VHOST_SET_FEATURES", err);
	for (unsigned q = 0; !r && q < h->n_queues; q++)
		r = start_queue(h, q, v->queues[q].size, &addr[q], err);
	return r;
}

void vb_vhost_kick(struct vb_vhost *h, unsigned q)
{
	if (q >= h->n_queues || h->kick[q] < 0)
		return;
	uint64_t one = 1;
	/* An eventfd write of 1 fails only when the counter would overflow,
	 * which means kicks are already pending: nothing is lost. */
	if (write(h->kick[q], &one, sizeof(one)) < 0)
		return;
}

void vb_vhost_close(struct vb_vhost *h)
{
	if (!h->k)
		return;
	if (h->fd >= 0) {
		/* Best effort: vhost-vsock has no RESET_OWNER (ENOTTY), and the
		 * close below releases the same. */
		(void)h->k->ioctl(h->k->ctx, h->fd, VHOST_RESET_OWNER, NULL);
		h->k->close(h->k->ctx, h->fd);
		h->fd = -1;
	}
	vb_vhost_unwire(h);
}
