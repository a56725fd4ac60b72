#include "kcheck/extract.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kcheck/kconfig.h"
#include "kcheck/unpack.h"
#include "util/io.h"

/* Setup header fields (Documentation/arch/x86/boot.rst, "The real-mode
 * kernel header"), as offsets into the image file. */
#define HDR_SETUP_SECTS 0x1f1
#define HDR_MAGIC 0x202       /* "HdrS" */
#define HDR_VERSION 0x206
#define HDR_KERNEL_VERSION 0x20e /* pointer to a string, minus 0x200 */
#define HDR_PAYLOAD_OFFSET 0x248
#define HDR_PAYLOAD_LENGTH 0x24c
#define HDR_END 0x250

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int vb_kcheck_read_file(const char *path, uint64_t max_bytes, uint8_t **buf, size_t *len,
			struct vb_err *err)
{
	struct stat st;
	*buf = NULL;
	*len = 0;
	/* Never a FIFO or device: open would wait, read never end. */
	int fd = vb_open_expect(path, O_RDONLY, VB_FILE_REGULAR, &st, err);
	if (fd < 0) {
		if (err) { /* "open PATH: why", as kernel-check has always said */
			char why[VB_ERR_MSG_BYTES];
			snprintf(why, sizeof(why), "%s", err->msg);
			vb_err_set(err, -fd, "open %s", why);
		}
		return fd;
	}
	if ((uint64_t)st.st_size > max_bytes) {
		close(fd);
		return vb_err_set(err, EFBIG, "%s: larger than %llu bytes", path,
				  (unsigned long long)max_bytes);
	}
	size_t size = (size_t)st.st_size;
	uint8_t *p = malloc(size + 1);
	if (!p) {
		close(fd);
		return vb_err_set(err, ENOMEM, "%s: out of memory", path);
	}
	size_t done = 0;
	while (done < size) {
		ssize_t n = read(fd, p + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			free(p);
			close(fd);
			return n < 0 ? vb_err_errno(err, e, "read %s", path)
				     : vb_err_set(err, EIO, "read %s: file shrank while reading", path);
		}
		done += (size_t)n;
	}
	close(fd);
	p[size] = 0;
	*buf = p;
	*len = size;
	return 0;
}

static bool is_bzimage(const uint8_t *img, size_t len)
{
	return len >= HDR_END && !memcmp(img + HDR_MAGIC, "HdrS", 4);
}

int vb_kcheck_bzimage_payload(const uint8_t *img, size_t len, const uint8_t **payload,
			      size_t *payload_len, struct vb_err *err)
{
	if (!is_bzimage(img, len))
		return vb_err_set(err, ENOEXEC, "not a bzImage (no HdrS setup header)");
	uint16_t version = le16(img + HDR_VERSION);
	if (version < 0x208)
		return vb_err_set(err, ENOEXEC,
				  "boot protocol %u.%02u has no payload fields (2.08 or later needed)",
				  version >> 8, version & 0xff);
	/* setup_sects 0 means 4 (boot.rst: "for backwards compatibility"). */
	uint64_t setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	uint64_t start = (setup_sects + 1) * 512 + le32(img + HDR_PAYLOAD_OFFSET);
	uint64_t size = le32(img + HDR_PAYLOAD_LENGTH);
	if (start > len || size > len - start || size == 0)
		return vb_err_set(err, EINVAL,
				  "bzImage payload (offset %llu, %llu bytes) lies outside the %zu-byte file",
				  (unsigned long long)start, (unsigned long long)size, len);
	*payload = img + start;
	*payload_len = (size_t)size;
	return 0;
}

int vb_kcheck_kernel_release(const uint8_t *img, size_t len, char *buf, size_t size)
{
	if (!is_bzimage(img, len) || le16(img + HDR_VERSION) < 0x200 || !size)
		return -ENOENT;
	uint64_t at = (uint64_t)le16(img + HDR_KERNEL_VERSION) + 0x200;
	if (at == 0x200 || at >= len)
		return -ENOENT;
	size_t n = 0;
	while (at + n < len && n + 1 < size && img[at + n] > ' ' && img[at + n] < 0x7f)
		n++;
	if (!n)
		return -ENOENT;
	memcpy(buf, img + at, n);
	buf[n] = 0;
	return 0;
}

int vb_kcheck_find_ikconfig(const uint8_t *image, size_t len, char **text, size_t *text_len,
			    struct vb_err *err)
{
	static const char start[] = "IKCFG_ST";
	const size_t mlen = sizeof(start) - 1;
	const uint8_t *p = image, *end = image + len;
	int rc = vb_err_set(err, ENOENT, "no embedded configuration (CONFIG_IKCONFIG is not set)");

	/* The marker may also occur where it is not followed by the data;
	 * take the first occurrence that is followed by a gzip stream. */
	while (p < end) {
		const uint8_t *m = memmem(p, (size_t)(end - p), start, mlen);
		if (!m)
			break;
		const uint8_t *data = m + mlen;
		if (vb_kcheck_detect(data, (size_t)(end - data)) == VB_COMP_GZIP) {
			uint8_t *out;
			size_t n;
			rc = vb_kcheck_unpack(data, (size_t)(end - data), VB_KCHECK_MAX_CONFIG_BYTES,
					      &out, &n, err);
			if (rc) {
				vb_err_prefix(err, "embedded configuration");
				return rc;
			}
			uint8_t *t = realloc(out, n + 1);
			if (!t) {
				free(out);
				return vb_err_set(err, ENOMEM, "out of memory");
			}
			t[n] = 0;
			*text = (char *)t;
			*text_len = n;
			return 0;
		}
		p = m + 1;
	}
	return rc;
}

static bool exists(const char *path)
{
	struct stat st;
	return !stat(path, &st) && S_ISREG(st.st_mode);
}

int vb_kcheck_config_beside(const char *kernel_path, const char *release, char *out,
			    size_t size)
{
	static const char *const stems[] = { "vmlinuz-", "vmlinux-", "bzImage-" };
	char real[PATH_MAX];
	if (!realpath(kernel_path, real))
		return -ENOENT;
	char *slash = strrchr(real, '/');
	const char *base = slash ? slash + 1 : real;
	const char *dir = slash ? real : ".";
	if (slash)
		*slash = 0;
	if (!dir[0])
		dir = "/";

	for (size_t i = 0; i < sizeof(stems) / sizeof(stems[0]); i++) {
		size_t n = strlen(stems[i]);
		if (!strncmp(base, stems[i], n) && base[n]) {
			int w = snprintf(out, size, "%s/config-%s", dir, base + n);
			if (w > 0 && (size_t)w < size && exists(out))
				return 0;
		}
	}
	if (release && release[0]) {
		int w = snprintf(out, size, "%s/config-%s", dir, release);
		if (w > 0 && (size_t)w < size && exists(out))
			return 0;
	}
	return -ENOENT;
}

/* A config text: parses as one, and has no NUL byte (binaries do). */
static bool looks_like_config(const uint8_t *buf, size_t len)
{
	if (memchr(buf, 0, len))
		return false;
	struct vb_kconfig cfg;
	int rc = vb_kconfig_parse((const char *)buf, len, &cfg, NULL);
	vb_kconfig_free(&cfg);
	return rc == 0;
}

/* IKCONFIG from an image, decompressing what has to be. Fills how. */
static int ikconfig_of_image(const uint8_t *img, size_t len, char **text, size_t *text_len,
			     char *how, size_t how_size, struct vb_err *err)
{
	const uint8_t *packed = img;
	size_t packed_len = len;
	const char *kind = "vmlinux";
	if (is_bzimage(img, len)) {
		int rc = vb_kcheck_bzimage_payload(img, len, &packed, &packed_len, err);
		if (rc)
			return rc;
		kind = "bzImage";
	}
	enum vb_compression c = vb_kcheck_detect(packed, packed_len);
	if (c == VB_COMP_NONE) {
		snprintf(how, how_size, "%s", kind);
		return vb_kcheck_find_ikconfig(packed, packed_len, text, text_len, err);
	}
	uint8_t *vmlinux;
	size_t vmlinux_len;
	int rc = vb_kcheck_unpack(packed, packed_len, VB_KCHECK_MAX_VMLINUX_BYTES, &vmlinux,
				  &vmlinux_len, err);
	if (rc) {
		vb_err_prefix(err, "%s payload", kind);
		return rc;
	}
	snprintf(how, how_size, "%s, %s-compressed", kind, vb_kcheck_compression_name(c));
	rc = vb_kcheck_find_ikconfig(vmlinux, vmlinux_len, text, text_len, err);
	free(vmlinux);
	return rc;
}

int vb_kcheck_load_config(const char *path, char **text, size_t *text_len, char *source,
			  size_t source_size, struct vb_err *err)
{
	uint8_t *img;
	size_t len;
	*text = NULL;
	*text_len = 0;
	int rc = vb_kcheck_read_file(path, VB_KCHECK_MAX_FILE_BYTES, &img, &len, err);
	if (rc)
		return rc;
	if (looks_like_config(img, len)) {
		snprintf(source, source_size, "%s", path);
		*text = (char *)img;
		*text_len = len;
		return 0;
	}

	char how[64] = "";
	struct vb_err why = { "" };
	rc = ikconfig_of_image(img, len, text, text_len, how, sizeof(how), &why);
	if (!rc) {
		snprintf(source, source_size, "%s (embedded IKCONFIG, %s)", path, how);
		free(img);
		return 0;
	}

	char release[128] = "", beside[PATH_MAX];
	vb_kcheck_kernel_release(img, len, release, sizeof(release));
	free(img);
	/* Whatever kept IKCONFIG out of reach, the file beside may exist. */
	if (vb_kcheck_config_beside(path, release, beside, sizeof(beside)))
		return vb_err_set(err, rc == -ENOEXEC ? ENOENT : -rc,
				  "%s: %s, and there is no config-%s file beside it", path, why.msg,
				  release[0] ? release : "VERSION");
	rc = vb_kcheck_read_file(beside, VB_KCHECK_MAX_CONFIG_BYTES, &img, &len, err);
	if (rc)
		return rc;
	snprintf(source, source_size, "%s (the kernel embeds no configuration)", beside);
	*text = (char *)img;
	*text_len = len;
	return 0;
}
