#include "virtio/9p.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ninep/wire.h"
#include "parse/desc.h"
#include "util/io.h"
#include "util/le.h"
#include "virtio/device.h"
#include "virtio/virtio.h"
#include "sandbox/sandbox.h"

/* The Linux driver keeps at most VIRTQUEUE_NUM (128) requests in flight
 * per channel (net/9p/trans_virtio.c). */
#define NINEP_QUEUE_SIZE 128
/* Configuration space: tag_len le16 + the tag (5.11.4). */
#define NINEP_CONFIG_BYTES (2u + VB_9P_TAG_MAX)

struct ninep {
	struct vb_virtio_dev vdev;
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

static int serve(struct vb_virtio *v, void *dev, const struct vb_virtq_chain *c,
		 uint32_t *written, struct vb_err *err)
{
	struct ninep *np = dev;
	/* 5.11.6: the request is device-readable, the reply device-writable. */
	if (!c->n_readable || !c->n_writable)
		return vb_err_set(err, EINVAL, "9p request without a %s part",
				  c->n_readable ? "writable" : "readable");
	if (c->writable_bytes < VB_9P_RLERROR_BYTES)
		return vb_err_set(err, EINVAL, "9p reply buffer of %llu bytes (%u at least)",
				  (unsigned long long)c->writable_bytes, VB_9P_RLERROR_BYTES);
	const struct iovec *iov = v->iov;
	size_t req_len = gather(iov, c->n_readable, np->req, VB_VIRTIO_9P_MAX_MSIZE);
	/* The driver may post a readable buffer longer than the message;
	 * hand the server the message its size field announces when it lies
	 * inside what arrived, and everything otherwise (it answers a size
	 * field past the end with an Rlerror). */
	if (req_len >= VB_9P_HEADER_BYTES) {
		uint32_t size = (uint32_t)vb_le_get(np->req, 4);
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
	return vb_virtio_serve_locked(v, q, dev, serve, err);
}

static void ninep_config_read(void *dev, uint32_t off, uint8_t *data, uint32_t size)
{
	struct ninep *np = dev;
	/* The core checked off + size <= config_bytes. */
	memcpy(data, np->config + off, size);
}

/* The tag this share is mounted by, or NULL with err filled. A disk whose
 * path is a directory (machine/resolve.c) is the root filesystem. */
static const char *share_tag(const struct vb_virtio_dev *d, const struct vb_device_desc *desc,
			     struct vb_err *err)
{
	const char *tag = desc->type == &vb_virtio_9p_type ? vb_device_string(desc, "tag")
							   : VB_VIRTIO_9P_ROOT_TAG;
	if (!tag || !tag[0] || strlen(tag) > VB_9P_TAG_MAX) {
		vb_refuse(err, VB_REFUSAL_NINEP_TAG, EINVAL,
			  "%s: 9p mount tag must be 1 to %d bytes", d->name,
			  VB_9P_TAG_MAX);
		return NULL;
	}
	return tag;
}

static int ninep_setup(struct vb_virtio_dev *d, struct vb_virtio_setup *s, struct vb_err *err)
{
	const char *path = vb_virtio_setup_string(s, "path");
	if (!path)
		return vb_err_set(err, EINVAL, "%s: 9p needs a host directory", d->name);
	const struct vb_device_desc *desc = s->p->desc;
	const char *tag = share_tag(d, desc, err);
	if (!tag)
		return -EINVAL;
	struct ninep *np = (struct ninep *)d;
	size_t tag_len = strlen(tag);
	np->config[0] = (uint8_t)tag_len;
	np->config[1] = 0;
	memcpy(np->config + 2, tag, tag_len);
	np->req = malloc(VB_VIRTIO_9P_MAX_MSIZE);
	np->resp = malloc(VB_VIRTIO_9P_MAX_MSIZE);
	if (!np->req || !np->resp)
		return vb_err_errno(err, ENOMEM, "%s", d->name);
	/* A disk that is a directory (share_tag) has no submounts key: it
	 * shares what lies below as the 9p type's default does. */
	bool submounts = !vb_device_value(desc, "submounts") ||
			 vb_device_bool(desc, "submounts");
	struct vb_9p_config sc = {
		.root_path = path,
		.readonly = vb_device_bool(desc, "readonly"),
		.stop_at_mounts = !submounts,
		.max_msize = VB_VIRTIO_9P_MAX_MSIZE,
	};
	int r = vb_9p_server_create(&sc, &np->srv, err);
	if (r < 0)
		vb_err_prefix(err, "%s", d->name);
	return r;
}

static void ninep_teardown(struct vb_virtio_dev *d)
{
	struct ninep *np = (struct ninep *)d;
	vb_9p_server_destroy(np->srv);
	free(np->req);
	free(np->resp);
}

static const struct vb_virtio_device_ops ninep_device = {
	.name = "virtio-9p", .device_id = VB_VIRTIO_ID_9P,
	.features = 1ULL << VB_VIRTIO_9P_F_MOUNT_TAG,
	.num_queues = 1, .queue_max_size = NINEP_QUEUE_SIZE, .config_bytes = NINEP_CONFIG_BYTES,
	.config_read = ninep_config_read, .queue_notify = ninep_notify,
	.state_bytes = sizeof(struct ninep), .setup = ninep_setup, .teardown = ninep_teardown,
};

const struct vb_device_ops vb_virtio_9p_ops = VB_VIRTIO_DEVICE_OPS("9p", &ninep_device);

/* Tags are the guest's names for the shares: 1 to 31 bytes (the config
 * space), each used once. */
static void ninep_validate(const struct vb_machine_desc *m, size_t i, struct vb_diags *diags)
{
	const struct vb_device_desc *dev = &m->devices[i];
	const char *tag = vb_device_string(dev, "tag");
	if (!tag)
		return;
	struct vb_loc loc = vb_device_loc(dev, "tag");
	size_t len = strlen(tag);
	if (len == 0 || len > VB_9P_TAG_MAX)
		vb_diag_error(diags, loc, "devices[%zu].tag: must be 1 to %d bytes, got %zu", i,
			      VB_9P_TAG_MAX, len);
	for (size_t j = 0; j < i; j++) {
		const struct vb_device_desc *other = &m->devices[j];
		const char *used = other->type == dev->type ? vb_device_string(other, "tag") : NULL;
		if (used && !strcmp(used, tag)) {
			vb_diag_error(diags, loc, "devices[%zu].tag: \"%s\" already used by devices[%zu]",
				      i, tag, j);
			break;
		}
	}
}

/* --9p DIR,TAG[,ro] */
static int ninep_flag(struct vb_node *dev, const char *flag, char *arg, struct vb_err *err)
{
	char *fields[4];
	size_t n = vb_flag_split(arg, fields, 4);
	if (n < 2 || n > 3 || (n == 3 && strcmp(fields[2], "ro")))
		return vb_flag_error(err, flag, "expected DIR,TAG[,ro]");
	if (vb_flag_put_string(dev, "path", fields[0], flag) ||
	    vb_flag_put_string(dev, "tag", fields[1], flag) ||
	    (n == 3 && vb_flag_put_bool(dev, "readonly", true, flag)))
		return -ENOMEM;
	return 0;
}

static const struct vb_key_schema ninep_keys[] = {
	{ .name = "path", .type = VB_KEY_PATH, .required = true, .file_kinds = VB_FILE_DIR,
	  .help = "host directory to share" },
	{ .name = "tag", .type = VB_KEY_STRING, .required = true,
	  .help = "mount tag the guest uses, at most 31 bytes" },
	{ .name = "readonly", .type = VB_KEY_BOOL, .default_text = "false",
	  .help = "the guest cannot modify the share" },
	/* The server's stop_at_mounts, inverted; the security model of the
	 * share (ninep/server.h) holds either way. */
	{ .name = "submounts", .type = VB_KEY_BOOL, .default_text = "true",
	  .help = "the guest enters file systems mounted below path" },
};

static const struct vb_device_flag ninep_flags[] = {
	{ .long_name = "--9p", .arg = "DIR,TAG[,ro]",
	  .help = "share a host directory over virtio-9p; repeatable", .parse = ninep_flag },
};

static const struct vb_plan_field ninep_plan[] = {
	{ .key = "path", .text_prefix = "  ", .json_name = "path" },
	{ .key = "tag", .text_prefix = "  tag ", .json_name = "tag" },
};

const struct vb_device_type vb_virtio_9p_type = {
	.name = "9p", .help = "virtio-9p shared host directory", .virtio = true,
	.keys = ninep_keys, .n_keys = VB_COUNT(ninep_keys), .validate = ninep_validate,
	.flags = ninep_flags, .n_flags = VB_COUNT(ninep_flags),
	.model = "virtio-9p", .plan = ninep_plan, .n_plan = VB_COUNT(ninep_plan),
	.sandbox_needs = VB_SANDBOX_NEEDS_BACKENDS | VB_SANDBOX_NEEDS_HOST_FILES,
	.ops = &vb_virtio_9p_ops,
};
