/* Kernel modules for the initramfs: which files, in which order.
 *
 * depmod writes /lib/modules/VERSION/modules.dep, one line per module:
 *   kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko ...
 * listing every module it needs, transitively. modules.builtin lists the
 * modules compiled into the kernel (nothing to load). A module's name is its
 * file name without ".ko" and a compression suffix, with '-' read as '_'
 * (the kernel does the same: virtio-rng.ko is module virtio_rng).
 *
 * Soft dependencies (modules.softdep, e.g. ext4's "pre: crypto-crc32c") name
 * aliases and are not followed: ask for the module (crc32c_generic) by name.
 *
 * Resolution orders modules so that each comes after everything it needs
 * (depth-first over modules.dep), each once. A wanted module that is built in
 * or unknown is not an error: it is listed in builtin or missing, since a
 * zero-config guest should boot with whatever the kernel has. */
#ifndef VB_INITRAMFS_MODULES_H
#define VB_INITRAMFS_MODULES_H

#include <stddef.h>

#include "util/err.h"

struct vb_module {
	char *name; /* "virtio_ring" */
	char *path; /* as in modules.dep, relative to the modules directory */
};

struct vb_modlist {
	struct vb_module *items; /* load order */
	size_t count;
	char **builtin;          /* wanted names compiled into the kernel */
	size_t n_builtin;
	char **missing;          /* wanted names found nowhere */
	size_t n_missing;
};

/* Normalises a module name or file name ("kernel/x/virtio-rng.ko.xz") into
 * buf ("virtio_rng"). Returns 0, or -ENAMETOOLONG. */
int vb_module_name(const char *path, char *buf, size_t size);

/* Pure: resolves wanted against the text of modules.dep and of
 * modules.builtin (may be NULL). Returns 0, -EINVAL for a modules.dep line
 * without ':' or a dependency cycle, -ENOMEM. Free with vb_modlist_free()
 * even after a failure. */
int vb_modules_resolve_text(const char *dep, size_t dep_len, const char *builtin,
			    size_t builtin_len, const char *const *wanted, size_t n_wanted,
			    struct vb_modlist *out, struct vb_err *err);

/* Reads DIR/modules.dep (required) and DIR/modules.builtin (optional). */
int vb_modules_resolve(const char *dir, const char *const *wanted, size_t n_wanted,
		       struct vb_modlist *out, struct vb_err *err);

void vb_modlist_free(struct vb_modlist *l);

#endif
