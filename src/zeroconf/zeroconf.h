/* The zero-config default: `vmboot run` with no kernel boots the host's own
 * kernel with vmboot's in-memory initramfs (src/initramfs/, init from
 * src/guestinit/), shares the host's / read-only over 9p as tag "hostroot",
 * and `vmboot run -- CMD ARGS` runs one command in the guest and exits with
 * its status.
 *
 * Where it sits in the pipeline: the CLI merges the machine file and the
 * flags into one tree; vb_zeroconf_apply() then fills in what the default
 * adds (kernel, share, command line) as ordinary tree nodes, so --check,
 * --plan and run see the same machine and the schema checks it like any
 * file. Only vb_zeroconf_find_kernel(), vb_zeroconf_find_init() and
 * vb_zeroconf_initramfs() touch the host file system; the rest is pure.
 *
 * The guest reports the command's end with one console line (ginit.h):
 * "VMBOOT-STATUS: exit=N" or "...signal=N". The status filter sits on the
 * console write path, takes that line out of what the user sees and keeps
 * the status.
 *
 * Return convention: 0 or -errno with err filled, as everywhere. */
#ifndef VB_ZEROCONF_ZEROCONF_H
#define VB_ZEROCONF_ZEROCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/dev.h"
#include "parse/node.h"
#include "util/err.h"

/* The 9p tag guestinit mounts at /host (src/guestinit/init.c). */
#define VB_ZEROCONF_HOST_TAG "hostroot"
#define VB_ZEROCONF_PATH_MAX 4096

/* ---- the host kernel ---- */

/* Pure: the kernel to boot from the names in a /boot listing: vmlinuz-RELEASE
 * when present, else the newest vmlinuz-VERSION (version order, so -56 is
 * newer than -9). Writes "BOOT_DIR/NAME" into path. Returns 0, -ENOENT when
 * no name fits, -ENAMETOOLONG. */
int vb_zeroconf_pick_kernel(const char *boot_dir, const char *release,
			    const char *const *names, size_t n_names, char *path, size_t size);

/* Lists boot_dir (NULL: /boot) and picks with this host's uname release.
 * Returns 0, -ENOENT with err saying where it looked. */
int vb_zeroconf_find_kernel(const char *boot_dir, char *path, size_t size, struct vb_err *err);

/* The release a kernel file name carries ("/boot/vmlinuz-6.1.0-9-amd64" ->
 * "6.1.0-9-amd64"), which names its /lib/modules directory. Returns 0, or
 * -ENOENT when the name is not vmlinuz-RELEASE. */
int vb_zeroconf_kernel_release(const char *kernel_path, char *buf, size_t size);

/* ---- the guest command ---- */

/* "vmboot.cmd=" plus the base64 (RFC 4648, padded) of argv, each argument
 * terminated by a NUL byte: what guestinit's vb_ginit_parse_cmd() decodes.
 * *param is malloc'd. Returns 0, -EINVAL for no arguments, -E2BIG beyond
 * guestinit's limits (VB_GINIT_MAX_ARGS, VB_GINIT_MAX_CMD_BYTES). */
int vb_zeroconf_encode_cmd(const char *const *argv, size_t argc, char **param,
			   struct vb_err *err);

/* ---- the machine tree ---- */

struct vb_zeroconf_request {
	const char *kernel_path;   /* the host kernel to use when the tree has none */
	const char *const *argv;   /* -- CMD ARGS; argc 0: the guest gets a shell */
	size_t argc;
	bool share_host;           /* add the "hostroot" share (the build has a 9p device) */
};

struct vb_zeroconf_plan {
	bool host_kernel;          /* the tree named no kernel: request->kernel_path used */
	bool initramfs;            /* ... nor an initrd: boot vmboot's own initramfs */
	bool shared_host;          /* a "hostroot" share was added */
};

/* True when the tree names no kernel: the zero-config default applies. */
bool vb_zeroconf_wanted(const struct vb_node *root);

/* Fills in the default for a tree that names no kernel: kernel =
 * request->kernel_path; when it names no initrd either, the in-memory
 * initramfs (plan->initramfs), the host share unless a device already has
 * the tag "hostroot", and with a command, "quiet vmboot.cmd=..." after the
 * file's params. The added nodes are located at "zero-config default".
 * A command with a kernel or initrd of the file's own is refused (-EINVAL):
 * only vmboot's init knows vmboot.cmd=. Returns 0, -EINVAL, -E2BIG, -ENOMEM. */
int vb_zeroconf_apply(struct vb_node *root, const struct vb_zeroconf_request *request,
		      struct vb_zeroconf_plan *plan, struct vb_err *err);

/* ---- the initramfs ---- */

/* The static init, vmboot-init: $VMBOOT_INIT, else
 * EXE_DIR/src/guestinit/vmboot-init (a build tree), else
 * EXE_DIR/../libexec/vmboot/vmboot-init, else the configured
 * $(pkglibexecdir) (util/helper.h). Returns 0 or -errno (-ENOENT: err
 * names every path tried). */
int vb_zeroconf_find_init(char *path, size_t size, struct vb_err *err);

/* Builds the initramfs for kernel_path: the init, and the default modules
 * from /lib/modules/RELEASE when that directory exists (left compressed
 * when the kernel's configuration says it decompresses them itself).
 * *buf is malloc'd. */
int vb_zeroconf_initramfs(const char *kernel_path, const char *init_path, uint8_t **buf,
			  size_t *len, struct vb_err *err);

/* ---- the status filter ---- */

/* Longest status line kept while deciding: prefix, "signal=", 3 digits, CRLF. */
#define VB_ZEROCONF_STATUS_HOLD 48

struct vb_zeroconf_status {
	const struct vb_console *out; /* where everything else goes */
	bool anywhere;                /* also mid-line (a command's output may
				       * not end with a newline); else only at
				       * the start of a line */
	bool at_line_start;
	uint8_t held[VB_ZEROCONF_STATUS_HOLD];
	size_t n_held;
	bool seen;                    /* a status line went by */
	bool signalled;
	int value;                    /* exit code, or signal number */
};

void vb_zeroconf_status_init(struct vb_zeroconf_status *f, const struct vb_console *out,
			     bool anywhere);

/* A struct vb_console write function (ctx = the filter): passes buf on to
 * f->out except status lines, holding back bytes that may begin one until
 * the line decides (a line split across writes is still recognised).
 * Callers serialise writes (the UART writes under its lock). Returns n, or
 * the downstream's negative error. */
long vb_zeroconf_status_write(void *ctx, const uint8_t *buf, size_t n);

/* Passes on whatever is still held (at the end of the run). */
long vb_zeroconf_status_flush(struct vb_zeroconf_status *f);

/* The exit status a shell would give: N, or 128 + signal. -1 if no status
 * line was seen. */
int vb_zeroconf_status_exit(const struct vb_zeroconf_status *f);

#endif
