/* The initramfs vmboot builds in memory for the zero-config default: the
 * static init program (src/guestinit/), and the kernel's virtio, 9p and
 * ext4 modules when the kernel is modular.
 *
 * Layout of the archive (newc cpio, see cpio.h):
 *   init                   the static init, mode 0755
 *   dev/console            character device 5:1, so the kernel can give init
 *                          its stdin/stdout before devtmpfs is mounted
 *   dev proc sys host tmp  mount points (tmp is 1777)
 *   lib/modules/NAME.ko    the modules, flattened (names are unique)
 *   etc/vmboot/modules     the modules' paths in load order, one per line
 *                          (the contract with guestinit, see ginit.h)
 *
 * Compressed modules (.ko.xz, .ko.gz) are decompressed on the host unless
 * the kernel can load that format itself (kernel_decompresses); then they
 * are included as they are, keeping the suffix so init passes
 * MODULE_INIT_COMPRESSED_FILE. Not wired into `vmboot run` yet. */
#ifndef VB_INITRAMFS_INITRAMFS_H
#define VB_INITRAMFS_INITRAMFS_H

#include <stddef.h>
#include <stdint.h>

#include "initramfs/modules.h"
#include "kcheck/kconfig.h"
#include "util/err.h"

/* Where the archive lists its modules for init. */
#define VB_INITRAMFS_MODULE_LIST "etc/vmboot/modules"

struct vb_initramfs_spec {
	const char *init_path;        /* host path of the static init (vmboot-init) */
	const char *modules_dir;      /* /lib/modules/VERSION, or NULL for no modules */
	const char *const *modules;   /* wanted module names; NULL: the default list */
	size_t n_modules;
	unsigned kernel_decompresses; /* mask of 1u << enum vb_compression */
};

/* The modules the zero-config guest wants: virtio transports and devices,
 * 9p over virtio, ext4 (with crc32c_generic, its soft dependency). */
const char *const *vb_initramfs_default_modules(size_t *count);

/* Which compressed module formats the kernel loads itself:
 * CONFIG_MODULE_DECOMPRESS=y plus the CONFIG_MODULE_COMPRESS_* it was
 * built with (kernel/module/decompress.c handles exactly that one). */
unsigned vb_initramfs_kernel_decompresses(const struct vb_kconfig *cfg);

/* Builds the archive. *buf is malloc'd (caller frees). modlist, if not NULL,
 * receives what was resolved (including builtin and missing names; free with
 * vb_modlist_free). Returns 0 or -errno with err filled ("module ext4:
 * open ...: No such file or directory"). */
int vb_initramfs_build(const struct vb_initramfs_spec *spec, uint8_t **buf, size_t *len,
		       struct vb_modlist *modlist, struct vb_err *err);

#endif
