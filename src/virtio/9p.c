#include "virtio/9p.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ninep/wire.h"
#include "parse/desc.h"
#include "virtio/virtio.h"

/* The Linux driver keeps at most VIRTQUEUE_NUM (128) requests in flight
 * per channel (net/9p/trans_virtio.c). */
#define NINEP_QUEUE_SIZE 128
/* Configuration space: tag_len le16 + the tag (5.11.4). */
#define NINEP_CONFIG_BYTES (2u + VB_9P_TAG_MAX)

struct ninep {
	struct vb_virtio vio;
	struct vb_virtio_transport_state *transport;
	struct vb_9p_server *srv;
	uint8_t config[NINEP_CONFIG_BYTES];
	uint8_t *req;  /* VB_VIRTIO_9P_MAX_MSIZE bytes */
	uint8_t *resp; /* VB_VIRTIO_9P_MAX_MSIZE bytes */
};

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Copy the chain's readable segments into buf, at most cap bytes. */
static size_t gather(const struct iovec *iov, unsigned n, uint8_t *buf, size_t cap)
{
	size_t got = 0;
	for (unsigned i = 0; i < n && got < cap; i++) {
		size_t k = min_size(iov[i].iov_len, cap - got);
		memcpy(buf + got, iov[i].iov_base, k);
		got += k;
	}
	return got;
}

/* Copy len bytes of buf into the writable segments (the caller checked
 * that they hold len bytes). */
static void scatter(const struct iovec *iov, unsigned n, const uint8_t *buf, size_t len)
{
	size_t put = 0;
	for (unsigned i = 0; i < n && put < len; i++) {
		size_t k = min_size(iov[i].iov_len, len - put);
		memcpy(iov[i].iov_base, buf + put, k);
		put += k;
	}
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int serve(struct ninep *np, const struct vb_virtq_chain *c, uint32_t *written,
		 struct vb_err *err)
{
	/* 5.11.6: the request is device-readable, the reply device-writable. */
	if (!c->n_readable || !c->n_writable)
		return vb_err_set(err, EINVAL, "9p request without a %s part",
				  c->n_readable ? "writable" : "readable");
	if (c->writable_bytes < VB_9P_RLERROR_BYTES)
		return vb_err_set(err, EINVAL, "9p reply buffer of %llu bytes (%u at least)",
				  (unsigned long long)c->writable_bytes, VB_9P_RLERROR_BYTES);
	const struct iovec *iov = np->vio.iov;
	size_t req_len = gather(iov, c->n_readable, np->req, VB_VIRTIO_9P_MAX_MSIZE);
	/* The driver may post a readable buffer longer than the message;
	 * hand the server the message its size field announces when it lies
	 * inside what arrived, and everything otherwise (it answers a size
	 * field past the end with an Rlerror). */
	if (req_len >= VB_9P_HEADER_BYTES) {
		uint32_t size = le32(np->req);
		if (size >= VB_9P_HEADER_BYTES && size < req_len)
			req_len = size;
	}
	size_t resp_cap = (size_t)min_size((size_t)c->writable_bytes, VB_VIRTIO_9P_MAX_MSIZE);
	size_t resp_len = 0;
	int r = vb_9p_server_handle(np->srv, np->req, req_len, np->resp, resp_cap, &resp_len);
	if (r < 0)
		return vb_err_errno(err, -r, "9p server");
	if (resp_len > resp_cap)
		return vb_err_set(err, EOVERFLOW, "9p reply of %zu bytes for %zu", resp_len,
				  resp_cap);
	scatter(iov + c->n_readable, c->n_writable, np->resp, resp_len);
	*written = (uint32_t)resp_len;
	return 0;
}

static int ninep_notify(struct vb_virtio *v, void *dev, unsigned q, struct vb_err *err)
{
	struct ninep *np = dev;
	int r;
	struct vb_virtq_chain c;
	while ((r = vb_virtio_pop_locked(v, q, &c, err)) > 0) {
		uint32_t written = 0;
		r = serve(np, &c, &written, err);
		if (!r)
			r = vb_virtio_push_locked(v, q, c.head, written, err);
		if (r < 0)
			break;
	}
	vb_virtio_signal_locked(v, q);
	return r < 0 ? r : 0;
}

static void ninep_config_read(void *dev, uint32_t off, uint8_t *data, uint32_t size)
{
	struct ninep *np = dev;
	/* The core checked off + size <= config_bytes. */
	memcpy(data, np->config + off, size);
}

static const struct vb_virtio_device_ops ninep_device = {
	.name = "virtio-9p",
	.device_id = VB_VIRTIO_ID_9P,
	.features = 1ULL << VB_VIRTIO_9P_F_MOUNT_TAG,
	.num_queues = 1,
	.queue_max_size = NINEP_QUEUE_SIZE,
	.config_bytes = NINEP_CONFIG_BYTES,
	.config_read = ninep_config_read,
	.queue_notify = ninep_notify,
};

static void ninep_free(struct ninep *np)
{
	vb_virtio_destroy(&np->vio);
	vb_9p_server_destroy(np->srv);
	free(np->req);
	free(np->resp);
	free(np);
}

/* The tag this share is mounted by, or NULL with err filled. */
static const char *share_tag(const struct vb_virtio_placement *p, struct vb_err *err)
{
	const struct vb_device_desc *d = p->desc;
	const char *tag = d->kind == VB_DEV_DISK ? VB_VIRTIO_9P_ROOT_TAG : d->tag;
	if (!tag || !tag[0] || strlen(tag) > VB_9P_TAG_MAX) {
		vb_refuse(err, VB_REFUSAL_NINEP_TAG, EINVAL,
			  "%s: 9p mount tag must be 1 to %d bytes", p->name,
			  VB_9P_TAG_MAX);
		return NULL;
	}
	return tag;
}

static int ninep_attach(struct vb_dev_env *env, const void *config, void **state,
			struct vb_err *err)
{
	const struct vb_virtio_placement *p = config;
	if (!p || !p->desc || !p->desc->path)
		return vb_err_set(err, EINVAL, "%s: 9p needs a host directory",
				  p && p->name ? p->name : "9p");
	const char *tag = share_tag(p, err);
	if (!tag)
		return -EINVAL;
	struct ninep *np = calloc(1, sizeof(*np));
	if (!np)
		return vb_err_errno(err, ENOMEM, "%s", p->name);
	size_t tag_len = strlen(tag);
	np->config[0] = (uint8_t)tag_len;
	np->config[1] = 0;
	memcpy(np->config + 2, tag, tag_len);
	np->req = malloc(VB_VIRTIO_9P_MAX_MSIZE);
	np->resp = malloc(VB_VIRTIO_9P_MAX_MSIZE);
	if (!np->req || !np->resp) {
		free(np->req);
		free(np->resp);
		free(np);
		return vb_err_errno(err, ENOMEM, "%s", p->name);
	}
	struct vb_9p_config sc = {
		.root_path = p->desc->path,
		.readonly = p->desc->readonly,
		.max_msize = VB_VIRTIO_9P_MAX_MSIZE,
	};
	int r = vb_9p_server_create(&sc, &np->srv, err);
	if (r < 0) {
		vb_err_prefix(err, "%s", p->name);
		free(np->req);
		free(np->resp);
		free(np);
		return r;
	}
	struct vb_irq none = { 0 };
	r = vb_virtio_init(&np->vio, &ninep_device, np, p->name, env->mem, none, env->log,
			   env->log_ctx, err);
	if (r < 0) {
		vb_9p_server_destroy(np->srv);
		free(np->req);
		free(np->resp);
		free(np);
		return r;
	}
	r = vb_virtio_transport_attach(env, p, &np->vio, &np->transport, err);
	if (r < 0) {
		ninep_free(np);
		return r;
	}
	*state = np;
	return 0;
}

static void ninep_detach(void *state)
{
	struct ninep *np = state;
	if (!np)
		return;
	vb_virtio_transport_detach(np->transport);
	ninep_free(np);
}

const struct vb_device_ops vb_virtio_9p_ops = {
	.name = "9p",
	.attach = ninep_attach,
	.detach = ninep_detach,
};
