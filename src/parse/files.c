/* The files a machine file names: they exist and are of the kind their
 * key wants, looked at the way the builder will open them (util/io.h),
 * so --check --strict refuses every file run would refuse, at the key's
 * location. Looking opens nothing (O_PATH): a FIFO or device named by
 * mistake is neither waited on nor touched. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "parse/schema.h"
#include "util/io.h"

/* Adds a diagnostic when path cannot be opened as one of kinds. A path
 * that does not exist is fine when may_be_missing (it will be created). */
static void check_path(const char *what, const char *path, struct vb_loc loc, unsigned kinds,
		       bool may_be_missing, enum vb_severity severity, struct vb_diags *diags)
{
	struct vb_err err = { .msg = "" };
	int fd = vb_open_expect(path, O_PATH, kinds, NULL, &err);
	if (fd >= 0) {
		close(fd);
		return;
	}
	if (fd == -ENOENT && may_be_missing)
		return;
	if (severity == VB_SEV_ERROR)
		vb_diag_error(diags, loc, "%s: %s", what, err.msg);
	else
		vb_diag_warning(diags, loc, "%s: %s", what, err.msg);
}

/* A shmem path naming a POSIX shared memory object rather than a file;
 * the same rule as vb_ivshmem_is_shm_name (dev/ivshmem.h, a layer up). */
static bool is_shm_name(const char *path)
{
	return path[0] == '/' && path[1] && !strchr(path + 1, '/');
}

/* shmem: a file or object that is created when missing, and must
 * otherwise be a regular file. glibc keeps POSIX shared memory objects
 * in /dev/shm (shm_open(3), shm_overview(7)). */
static void check_shmem(const char *what, const struct vb_device_desc *dev,
			enum vb_severity severity, struct vb_diags *diags)
{
	char object[512];
	const char *path = dev->path;
	if (is_shm_name(dev->path)) {
		int n = snprintf(object, sizeof(object), "/dev/shm%s", dev->path);
		if (n < 0 || (size_t)n >= sizeof(object))
			return; /* shm_open reports the name too long */
		path = object;
	}
	check_path(what, path, dev->path_loc, VB_FILE_REGULAR, true, severity, diags);
}

void vb_desc_check_files(const struct vb_machine_desc *desc, enum vb_severity missing,
			 struct vb_diags *diags)
{
	if (desc->kernel)
		check_path("kernel", desc->kernel, desc->kernel_loc, VB_FILE_REGULAR, false, missing,
			   diags);
	if (desc->initrd)
		check_path("initrd", desc->initrd, desc->initrd_loc, VB_FILE_REGULAR, false, missing,
			   diags);
	for (size_t i = 0; i < desc->n_devices; i++) {
		const struct vb_device_desc *dev = &desc->devices[i];
		char what[64];
		snprintf(what, sizeof(what), "devices[%zu].path", i);
		if (!dev->path)
			continue;
		/* A disk is an image (file or block device), or a directory
		 * served as the 9p root filesystem. */
		if (dev->kind == VB_DEV_DISK)
			check_path(what, dev->path, dev->path_loc,
				   VB_FILE_REGULAR | VB_FILE_BLOCK | VB_FILE_DIR, false, missing, diags);
		else if (dev->kind == VB_DEV_9P)
			check_path(what, dev->path, dev->path_loc, VB_FILE_DIR, false, missing, diags);
		else if (dev->kind == VB_DEV_SHMEM)
			check_shmem(what, dev, missing, diags);
	}
}
