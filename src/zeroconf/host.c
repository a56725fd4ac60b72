#include "zeroconf/zeroconf.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "initramfs/initramfs.h"
#include "kcheck/extract.h"
#include "kcheck/kconfig.h"
#include "util/helper.h"

/* Debian, Ubuntu and Fedora install the kernel as /boot/vmlinuz-RELEASE,
 * RELEASE being what `uname -r` prints while it runs. */
#define KERNEL_PREFIX "vmlinuz-"
/* /boot listings are short; more than this is not a /boot. */
#define MAX_BOOT_ENTRIES 1024

static int join(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int vb_zeroconf_pick_kernel(const char *boot_dir, const char *release,
			    const char *const *names, size_t n_names, char *path, size_t size)
{
	const size_t plen = strlen(KERNEL_PREFIX);
	const char *newest = NULL;
	for (size_t i = 0; i < n_names; i++) {
		const char *name = names[i];
		if (strncmp(name, KERNEL_PREFIX, plen) || !name[plen])
			continue;
		if (release && release[0] && !strcmp(name + plen, release))
			return join(path, size, boot_dir, name);
		/* strverscmp orders digit runs by value: 6.1.0-56 after 6.1.0-9. */
		if (!newest || strverscmp(name + plen, newest + plen) > 0)
			newest = name;
	}
	return newest ? join(path, size, boot_dir, newest) : -ENOENT;
}

int vb_zeroconf_find_kernel(const char *boot_dir, char *path, size_t size, struct vb_err *err)
{
	struct utsname u;
	const char *dir = boot_dir ? boot_dir : "/boot";
	const char *release = uname(&u) == 0 ? u.release : NULL;
	DIR *d = opendir(dir);
	if (!d)
		return vb_err_errno(err, errno, "host kernel: %s", dir);
	char **names = NULL;
	size_t n = 0;
	int rc = 0;
	for (struct dirent *e; (e = readdir(d)) && n < MAX_BOOT_ENTRIES;) {
		if (strncmp(e->d_name, KERNEL_PREFIX, strlen(KERNEL_PREFIX)))
			continue;
		char **grown = realloc(names, (n + 1) * sizeof(*names));
		char *copy = grown ? strdup(e->d_name) : NULL;
		if (grown)
			names = grown;
		if (!copy) {
			rc = vb_err_set(err, ENOMEM, "host kernel: out of memory");
			break;
		}
		names[n++] = copy;
	}
	closedir(d);
	if (!rc) {
		rc = vb_zeroconf_pick_kernel(dir, release, (const char *const *)names, n, path, size);
		if (rc == -ENOENT)
			vb_err_set(err, ENOENT,
				   "host kernel: no %s/vmlinuz-%s nor any other %s/vmlinuz-* (give one with --kernel)",
				   dir, release ? release : "RELEASE", dir);
		else if (rc)
			vb_err_set(err, -rc, "host kernel: path too long");
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int vb_zeroconf_kernel_release(const char *kernel_path, char *buf, size_t size)
{
	const char *slash = strrchr(kernel_path, '/');
	const char *base = slash ? slash + 1 : kernel_path;
	const size_t plen = strlen(KERNEL_PREFIX);
	if (strncmp(base, KERNEL_PREFIX, plen) || !base[plen] || strchr(base + plen, '/'))
		return -ENOENT;
	int n = snprintf(buf, size, "%s", base + plen);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* ---- the init program ---- */

int vb_zeroconf_find_init(char *path, size_t size, struct vb_err *err)
{
	static const struct vb_helper init = {
		.name = "vmboot-init",
		.env = "VMBOOT_INIT",
		.build_rel = "src/guestinit/vmboot-init",
	};
	return vb_helper_find(&init, path, size, err);
}

/* ---- the initramfs ---- */

/* Which compressed module formats the kernel loads itself, from its
 * configuration (IKCONFIG or config-RELEASE beside it). Unknown: none,
 * so the host decompresses every module (always safe). */
static unsigned kernel_decompresses(const char *kernel_path)
{
	char *text = NULL, source[VB_ZEROCONF_PATH_MAX + 100];
	size_t len;
	struct vb_err ignored;
	unsigned mask = 0;
	if (vb_kcheck_load_config(kernel_path, &text, &len, source, sizeof(source), &ignored))
		return 0;
	struct vb_kconfig cfg;
	if (!vb_kconfig_parse(text, len, &cfg, &ignored))
		mask = vb_initramfs_kernel_decompresses(&cfg);
	vb_kconfig_free(&cfg);
	free(text);
	return mask;
}

int vb_zeroconf_initramfs(const char *kernel_path, const char *init_path, uint8_t **buf,
			  size_t *len, struct vb_err *err)
{
	char release[256], modules[VB_ZEROCONF_PATH_MAX];
	struct stat st;
	struct vb_initramfs_spec spec = { .init_path = init_path };
	if (!vb_zeroconf_kernel_release(kernel_path, release, sizeof(release)) &&
	    !join(modules, sizeof(modules), "/lib/modules", release) && stat(modules, &st) == 0 &&
	    S_ISDIR(st.st_mode)) {
		spec.modules_dir = modules;
		spec.kernel_decompresses = kernel_decompresses(kernel_path);
	}
	return vb_initramfs_build(&spec, buf, len, NULL, err);
}
