/* virtio-blk: the virtio device and the "disk" device type. The image and
 * its requests are blk_disk.c's (blk.h's request engine). */
#include "virtio/blk.h"

#include <errno.h>
#include <string.h>

#include "parse/desc.h"
#include "util/io.h"
#include "virtio/9p.h"
#include "virtio/device.h"
#include "virtio/virtio.h"

struct blk {
	struct vb_virtio_dev vdev;
	struct vb_blk_disk *disk;
	uint8_t config[VB_BLK_CONFIG_BYTES];
};

static int blk_serve(struct vb_virtio *v, void *dev, const struct vb_virtq_chain *c,
		     uint32_t *used, struct vb_err *err)
{
	struct blk *b = dev;
	return vb_blk_request(b->disk, v->driver_features, v->iov, c->n_readable, c->n_writable,
			      used, err);
}

static int blk_notify(struct vb_virtio *v, void *dev, unsigned q, struct vb_err *err)
{
	return vb_virtio_serve_locked(v, q, dev, blk_serve, err);
}

static void blk_config_read(void *dev, uint32_t off, uint8_t *data, uint32_t size)
{
	struct blk *b = dev;
	memcpy(data, b->config + off, size);
}

static int blk_setup(struct vb_virtio_dev *d, struct vb_virtio_setup *s, struct vb_err *err)
{
	const char *path = vb_virtio_setup_string(s, "path");
	if (!path)
		return vb_err_set(err, EINVAL, "disk %s: no image path", d->name);
	bool readonly = vb_device_bool(s->p->desc, "readonly");
	struct blk *b = (struct blk *)d;
	int r = vb_blk_open(d->name, path, readonly, &b->disk, err);
	if (r < 0)
		return r;
	vb_blk_config(b->disk, b->config);
	s->features = readonly ? VB_BLK_FEATURES_RO : VB_BLK_FEATURES_RW;
	return 0;
}

static void blk_teardown(struct vb_virtio_dev *d)
{
	vb_blk_close(((struct blk *)d)->disk);
}

/* A read-only disk offers other features: its setup says which. */
static const struct vb_virtio_device_ops blk_device = {
	.name = "virtio-blk", .device_id = VB_VIRTIO_ID_BLK, .features = VB_BLK_FEATURES_RW,
	.num_queues = 1, .queue_max_size = VB_BLK_QUEUE_SIZE, .config_bytes = VB_BLK_CONFIG_BYTES,
	.config_read = blk_config_read, .queue_notify = blk_notify,
	.state_bytes = sizeof(struct blk), .setup = blk_setup, .teardown = blk_teardown,
};

const struct vb_device_ops vb_virtio_blk_ops = VB_VIRTIO_DEVICE_OPS("disk", &blk_device);

/* -d PATH[,ro], as kvmtool's. */
static int blk_flag(struct vb_node *dev, const char *flag, char *arg, struct vb_err *err)
{
	char *fields[3];
	size_t n = vb_flag_split(arg, fields, 3);
	if (vb_flag_put_string(dev, "path", fields[0], flag))
		return -ENOMEM;
	for (size_t i = 1; i < n; i++) {
		if (strcmp(fields[i], "ro"))
			return vb_flag_error(err, flag, "unknown option \"%s\" (only \"ro\")",
					     fields[i]);
		if (vb_flag_put_bool(dev, "readonly", true, flag))
			return -ENOMEM;
	}
	return 0;
}

static const struct vb_key_schema blk_keys[] = {
	{ .name = "path", .type = VB_KEY_PATH, .required = true,
	  .file_kinds = VB_FILE_REGULAR | VB_FILE_BLOCK | VB_FILE_DIR,
	  .help = "raw image file (virtio-blk), or a directory (9p root filesystem)" },
	{ .name = "readonly", .type = VB_KEY_BOOL, .default_text = "false",
	  .help = "the guest cannot write to the disk" },
};

static const struct vb_device_flag blk_flags[] = {
	{ .long_name = "--disk", .short_name = 'd', .arg = "PATH[,ro]",
	  .help = "add a disk image or directory; repeatable", .parse = blk_flag },
};

static const struct vb_plan_field blk_plan[] = {
	{ .key = "path", .text_prefix = "  ", .json_name = "path" },
};

const struct vb_device_type vb_virtio_blk_type = {
	.name = "disk", .help = "virtio-blk disk image, or a 9p root directory", .virtio = true,
	.keys = blk_keys, .n_keys = VB_COUNT(blk_keys),
	.flags = blk_flags, .n_flags = VB_COUNT(blk_flags),
	.model = "virtio-blk", .plan = blk_plan, .n_plan = VB_COUNT(blk_plan),
	.dir_root = &vb_virtio_9p_type, .ops = &vb_virtio_blk_ops,
};
