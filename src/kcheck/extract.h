/* Finding a kernel's configuration: the embedded IKCONFIG, or the
 * config-VERSION file that distributions install next to the kernel.
 *
 * CONFIG_IKCONFIG stores the .config gzip-compressed between the markers
 * "IKCFG_ST" and "IKCFG_ED" (kernel/configs.c) inside vmlinux. In a bzImage
 * vmlinux is itself compressed: the setup header's payload_offset and
 * payload_length (boot protocol 2.08+, Documentation/arch/x86/boot.rst)
 * locate that payload, counted from the start of the protected-mode code,
 * which follows the (setup_sects + 1) 512-byte setup sectors.
 *
 * Every function treats the image as untrusted input: offsets from the header
 * are bounds-checked and missing data is an error, never a crash. */
#ifndef VB_KCHECK_EXTRACT_H
#define VB_KCHECK_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Caps on what vmboot reads and inflates: a kernel image, a decompressed
 * vmlinux, and a configuration. Far above real kernels (tens of MiB). */
#define VB_KCHECK_MAX_FILE_BYTES (512ULL << 20)
#define VB_KCHECK_MAX_VMLINUX_BYTES (1024ULL << 20)
#define VB_KCHECK_MAX_CONFIG_BYTES (16ULL << 20)

/* Reads a whole regular file (at most max_bytes) into a malloc'd buffer,
 * NUL-terminated (the NUL is not counted in *len). Returns 0 or -errno. */
int vb_kcheck_read_file(const char *path, uint64_t max_bytes, uint8_t **buf, size_t *len,
			struct vb_err *err);

/* If img is a bzImage, points *payload into img at its compressed payload and
 * returns 0; -ENOEXEC when it is not a bzImage, -EINVAL when its header is
 * inconsistent (payload outside the file). */
int vb_kcheck_bzimage_payload(const uint8_t *img, size_t len, const uint8_t **payload,
			      size_t *payload_len, struct vb_err *err);

/* The release ("6.1.0-56-amd64") from a bzImage's kernel_version string,
 * copied into buf. Returns 0, or -ENOENT when the image has none. */
int vb_kcheck_kernel_release(const uint8_t *img, size_t len, char *buf, size_t size);

/* Finds IKCONFIG in an uncompressed vmlinux (or any buffer) and inflates it
 * into a malloc'd, NUL-terminated text. Returns 0, -ENOENT when there is no
 * IKCFG_ST marker, -EINVAL when the data after it is corrupt. */
int vb_kcheck_find_ikconfig(const uint8_t *image, size_t len, char **text, size_t *text_len,
			    struct vb_err *err);

/* The config file a distribution installs next to kernel_path:
 * DIR/config-SUFFIX for DIR/vmlinuz-SUFFIX (also vmlinux-, bzImage-), or
 * DIR/config-RELEASE when release is given. Symlinks (/vmlinuz) are followed
 * first. Writes the first candidate that exists; -ENOENT if none. */
int vb_kcheck_config_beside(const char *kernel_path, const char *release, char *out,
			    size_t size);

/* The configuration of the kernel (or config file) at path, by every means
 * above in order: a config text given directly; IKCONFIG in the image (after
 * decompressing a bzImage payload or a gzip/xz-compressed vmlinux); the file
 * beside it. *text is malloc'd; *source says where it came from. */
int vb_kcheck_load_config(const char *path, char **text, size_t *text_len, char *source,
			  size_t source_size, struct vb_err *err);

#endif
