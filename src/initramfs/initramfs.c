#include "initramfs/initramfs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "initramfs/cpio.h"
#include "kcheck/extract.h"
#include "kcheck/unpack.h"

/* A module is a few MiB at most (amdgpu, the largest, is ~15 MiB packed). */
#define MAX_MODULE_BYTES (256ULL << 20)
#define MAX_INIT_BYTES (64ULL << 20)

static const char *const default_modules[] = {
	"virtio_pci", "virtio_mmio", "virtio_blk", "virtio_net", "virtio_console",
	"virtio_rng", "virtio_balloon", "9pnet_virtio", "9p", "crc32c_generic", "ext4",
};

const char *const *vb_initramfs_default_modules(size_t *count)
{
	*count = sizeof(default_modules) / sizeof(default_modules[0]);
	return default_modules;
}

unsigned vb_initramfs_kernel_decompresses(const struct vb_kconfig *cfg)
{
	if (vb_kconfig_tristate(cfg, "MODULE_DECOMPRESS") != 'y')
		return 0;
	unsigned mask = 0;
	if (vb_kconfig_tristate(cfg, "MODULE_COMPRESS_GZIP") == 'y')
		mask |= 1u << VB_COMP_GZIP;
	if (vb_kconfig_tristate(cfg, "MODULE_COMPRESS_XZ") == 'y')
		mask |= 1u << VB_COMP_XZ;
	if (vb_kconfig_tristate(cfg, "MODULE_COMPRESS_ZSTD") == 'y')
		mask |= 1u << VB_COMP_ZSTD;
	return mask;
}

struct text {
	char *buf;
	size_t len, cap;
};

static int text_add(struct text *t, const char *s)
{
	size_t n = strlen(s);
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->len + n + 1) * 2;
		char *p = realloc(t->buf, cap);
		if (!p)
			return -ENOMEM;
		t->buf = p;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n + 1);
	t->len += n;
	return 0;
}

static int add_skeleton(struct vb_cpio *c, struct vb_err *err)
{
	static const struct { const char *name; uint32_t perm; } dirs[] = {
		{ "dev", 0755 }, { "proc", 0555 }, { "sys", 0555 }, { "host", 0755 },
		{ "tmp", 01777 }, { "etc", 0755 }, { "etc/vmboot", 0755 }, { "lib", 0755 },
		{ "lib/modules", 0755 },
	};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		int rc = vb_cpio_add_dir(c, dirs[i].name, dirs[i].perm, err);
		if (rc)
			return rc;
	}
	/* Major 5, minor 1 is /dev/console (Documentation/admin-guide/devices.txt). */
	struct vb_cpio_entry console = { "dev/console", S_IFCHR | 0600, NULL, 0, 5, 1 };
	return vb_cpio_add(c, &console, err);
}

/* Adds one module as lib/modules/NAME.ko[.SUFFIX] and its line to list. */
static int add_module(struct vb_cpio *c, const struct vb_initramfs_spec *spec,
		      const struct vb_module *m, struct text *list, struct vb_err *err)
{
	char path[4096], name[128];
	uint8_t *data, *plain = NULL;
	size_t len;
	snprintf(path, sizeof(path), "%s/%s", spec->modules_dir, m->path);
	int rc = vb_kcheck_read_file(path, MAX_MODULE_BYTES, &data, &len, err);
	if (rc)
		goto out;
	enum vb_compression comp = vb_kcheck_detect(data, len);
	const char *suffix = comp == VB_COMP_GZIP ? ".gz" : comp == VB_COMP_XZ ? ".xz"
						    : comp == VB_COMP_ZSTD ? ".zst" : "";
	if (comp != VB_COMP_NONE && !(spec->kernel_decompresses & (1u << comp))) {
		rc = vb_kcheck_unpack(data, len, MAX_MODULE_BYTES, &plain, &len, err);
		if (rc) {
			if (rc == -ENOTSUP)
				vb_err_prefix(err, "the kernel cannot load it compressed, and");
			goto out;
		}
		suffix = "";
	}
	snprintf(name, sizeof(name), "lib/modules/%s.ko%s", m->name, suffix);
	rc = vb_cpio_add_file(c, name, 0644, plain ? plain : data, len, err);
	if (!rc && (text_add(list, "/") || text_add(list, name) || text_add(list, "\n")))
		rc = vb_err_set(err, ENOMEM, "out of memory");
out:
	if (rc)
		vb_err_prefix(err, "module %s", m->name);
	free(data);
	free(plain);
	return rc;
}

static int add_modules(struct vb_cpio *c, const struct vb_initramfs_spec *spec,
		       struct vb_modlist *mods, struct vb_err *err)
{
	struct text list = { NULL, 0, 0 };
	int rc = text_add(&list, "");
	if (rc)
		return vb_err_set(err, ENOMEM, "out of memory");
	if (spec->modules_dir) {
		size_t n = spec->n_modules;
		const char *const *wanted = spec->modules;
		if (!wanted)
			wanted = vb_initramfs_default_modules(&n);
		rc = vb_modules_resolve(spec->modules_dir, wanted, n, mods, err);
	}
	for (size_t i = 0; !rc && i < mods->count; i++)
		rc = add_module(c, spec, &mods->items[i], &list, err);
	if (!rc)
		rc = vb_cpio_add_file(c, VB_INITRAMFS_MODULE_LIST, 0644, (const uint8_t *)list.buf,
				      list.len, err);
	free(list.buf);
	return rc;
}

int vb_initramfs_build(const struct vb_initramfs_spec *spec, uint8_t **buf, size_t *len,
		       struct vb_modlist *modlist, struct vb_err *err)
{
	struct vb_cpio c;
	struct vb_modlist mods;
	uint8_t *init = NULL;
	size_t init_len;

	*buf = NULL;
	*len = 0;
	memset(&mods, 0, sizeof(mods));
	vb_cpio_init(&c);
	int rc = vb_kcheck_read_file(spec->init_path, MAX_INIT_BYTES, &init, &init_len, err);
	if (rc) {
		vb_err_prefix(err, "initramfs: init program");
		return rc;
	}
	rc = add_skeleton(&c, err);
	if (!rc)
		rc = vb_cpio_add_file(&c, "init", 0755, init, init_len, err);
	if (!rc)
		rc = add_modules(&c, spec, &mods, err);
	if (!rc)
		rc = vb_cpio_finish(&c, buf, len, err);
	if (rc)
		vb_err_prefix(err, "initramfs");
	free(init);
	vb_cpio_free(&c);
	if (modlist && !rc)
		*modlist = mods;
	else
		vb_modlist_free(&mods);
	return rc;
}
