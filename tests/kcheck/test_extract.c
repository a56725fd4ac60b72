/* Finding a kernel's configuration: IKCONFIG in synthetic vmlinux and
 * bzImage files built here (gzip and xz payloads), the config file beside a
 * kernel, broken images, and the real /boot/vmlinuz-* when present. */
#include <errno.h>
#include <glob.h>
#include <lzma.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "kcheck/extract.h"
#include "kcheck/kconfig.h"
#include "kcheck/unpack.h"

static const char config_text[] = "# test\nCONFIG_SERIAL_8250=y\nCONFIG_VIRTIO_BLK=m\n";

struct blob {
	uint8_t *data;
	size_t len;
};

static void append(struct blob *b, const void *data, size_t len)
{
	b->data = realloc(b->data, b->len + len);
	assert_non_null(b->data);
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

static struct blob gzip_of(const void *data, size_t len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	struct blob out = { malloc(deflateBound(&z, len) + 64), 0 };
	assert_non_null(out.data);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = out.data;
	z.avail_out = (uInt)(deflateBound(&z, len) + 64);
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	out.len = z.total_out;
	deflateEnd(&z);
	return out;
}

static struct blob xz_of(const void *data, size_t len)
{
	struct blob out = { malloc(len + 4096), 0 };
	assert_non_null(out.data);
	size_t pos = 0;
	assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, data, len, out.data,
						 &pos, len + 4096),
			 LZMA_OK);
	out.len = pos;
	return out;
}

/* A fake vmlinux: filler, a decoy marker, IKCFG_ST + gzip(config) + IKCFG_ED. */
static struct blob fake_vmlinux(bool with_config)
{
	struct blob v = { NULL, 0 };
	uint8_t filler[5000];
	for (size_t i = 0; i < sizeof(filler); i++)
		filler[i] = (uint8_t)(i * 7);
	append(&v, filler, sizeof(filler));
	if (with_config) {
		append(&v, "IKCFG_ST not data", 17);
		append(&v, "IKCFG_ST", 8);
		struct blob gz = gzip_of(config_text, strlen(config_text));
		append(&v, gz.data, gz.len);
		free(gz.data);
		append(&v, "IKCFG_ED", 8);
	}
	append(&v, filler, sizeof(filler));
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* A bzImage around a payload, with the fields extract.c reads
 * (Documentation/arch/x86/boot.rst): 2 setup sectors, then 0x40 bytes of
 * decompressor stub, then the payload and its 4-byte size. */
static struct blob fake_bzimage(const struct blob *payload, uint32_t raw_len)
{
	const size_t setup = (2 + 1) * 512, stub = 0x40;
	struct blob b = { calloc(1, setup + stub), setup + stub };
	assert_non_null(b.data);
	b.data[0x1f1] = 2;
	memcpy(b.data + 0x202, "HdrS", 4);
	b.data[0x206] = 0x0f; /* protocol 2.15 */
	b.data[0x207] = 0x02;
	b.data[0x20e] = 0x00; /* kernel_version at 0x200 + 0x100 */
	b.data[0x20f] = 0x01;
	memcpy(b.data + 0x300, "9.9.9-test (nobody@nowhere) #1", 31);
	put32(b.data + 0x248, (uint32_t)stub);
	put32(b.data + 0x24c, (uint32_t)payload->len + 4);
	append(&b, payload->data, payload->len);
	uint8_t size[4];
	put32(size, raw_len);
	append(&b, size, 4);
	return b;
}

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vb-kcheck-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, const void *data, size_t len, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void expect_config(const char *path, const char *source_part)
{
	char *text, source[4200];
	size_t len;
	struct vb_err err = { "" };
	if (vb_kcheck_load_config(path, &text, &len, source, sizeof(source), &err))
		fail_msg("%s: %s", path, err.msg);
	if (!strstr(source, source_part))
		fail_msg("source \"%s\" lacks \"%s\"", source, source_part);
	assert_int_equal(len, strlen(config_text));
	assert_memory_equal(text, config_text, len);
	free(text);
}

static void test_unpack_roundtrip(void **state)
{
	(void)state;
	struct blob v = fake_vmlinux(true);
	struct blob packed[2] = { gzip_of(v.data, v.len), xz_of(v.data, v.len) };
	enum vb_compression kinds[2] = { VB_COMP_GZIP, VB_COMP_XZ };
	for (int i = 0; i < 2; i++) {
		uint8_t *out;
		size_t len;
		struct vb_err err = { "" };
		assert_int_equal(vb_kcheck_detect(packed[i].data, packed[i].len), kinds[i]);
		assert_int_equal(vb_kcheck_unpack(packed[i].data, packed[i].len, 1 << 20, &out, &len,
						  &err), 0);
		assert_int_equal(len, v.len);
		assert_memory_equal(out, v.data, len);
		free(out);
		/* The cap is enforced. */
		assert_int_equal(vb_kcheck_unpack(packed[i].data, packed[i].len, 1000, &out, &len,
						  &err), -EFBIG);
		assert_null(out);
		/* Truncated and corrupted streams fail cleanly. */
		assert_int_equal(vb_kcheck_unpack(packed[i].data, packed[i].len / 2, 1 << 20, &out,
						  &len, &err), -EINVAL);
		uint8_t *bad = malloc(packed[i].len);
		assert_non_null(bad);
		memcpy(bad, packed[i].data, packed[i].len);
		for (size_t j = 12; j < packed[i].len; j += 5)
			bad[j] ^= 0x5a;
		assert_int_not_equal(vb_kcheck_unpack(bad, packed[i].len, 1 << 20, &out, &len, &err),
				     0);
		free(bad);
		free(packed[i].data);
	}
	uint8_t zstd[8] = { 0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0 };
	uint8_t *out;
	size_t len;
	struct vb_err err = { "" };
	/* A zstd header with nothing behind it: corrupt where zstd is built
	 * in, "not built in" where it is not (test_unpack.c covers both). */
	assert_int_equal(vb_kcheck_unpack(zstd, sizeof(zstd), 100, &out, &len, &err),
			 vb_kcheck_can_unpack(VB_COMP_ZSTD) ? -EINVAL : -ENOTSUP);
	assert_non_null(strstr(err.msg, "zstd"));
	assert_int_equal(vb_kcheck_unpack((const uint8_t *)"plain", 5, 100, &out, &len, &err),
			 -EINVAL);
	free(v.data);
}

static void test_ikconfig_vmlinux(void **state)
{
	(void)state;
	char path[256];
	struct blob v = fake_vmlinux(true);
	write_file("vmlinux", v.data, v.len, path, sizeof(path));
	expect_config(path, "embedded IKCONFIG, vmlinux)");

	struct blob gz = gzip_of(v.data, v.len);
	write_file("vmlinux.gz", gz.data, gz.len, path, sizeof(path));
	expect_config(path, "embedded IKCONFIG, vmlinux, gzip-compressed)");
	free(gz.data);
	free(v.data);
}

static void test_ikconfig_bzimage(void **state)
{
	(void)state;
	char path[256], release[64];
	struct blob v = fake_vmlinux(true);
	struct blob packed[2] = { gzip_of(v.data, v.len), xz_of(v.data, v.len) };
	const char *names[2] = { "bz-gzip", "bz-xz" };
	const char *how[2] = { "bzImage, gzip-compressed", "bzImage, xz-compressed" };
	for (int i = 0; i < 2; i++) {
		struct blob bz = fake_bzimage(&packed[i], (uint32_t)v.len);
		const uint8_t *payload;
		size_t payload_len;
		assert_int_equal(vb_kcheck_bzimage_payload(bz.data, bz.len, &payload, &payload_len,
							   NULL), 0);
		assert_int_equal(payload_len, packed[i].len + 4);
		assert_memory_equal(payload, packed[i].data, packed[i].len);
		assert_int_equal(vb_kcheck_kernel_release(bz.data, bz.len, release,
							  sizeof(release)), 0);
		assert_string_equal(release, "9.9.9-test");
		write_file(names[i], bz.data, bz.len, path, sizeof(path));
		expect_config(path, how[i]);
		free(bz.data);
		free(packed[i].data);
	}
	free(v.data);
}

/* The file at path compressed by the command-line tool (as the kernel build
 * does it); skips when the tool or this build's decoder is missing. */
static struct blob compress_file(const char *tool_cmd, const char *path, enum vb_compression c)
{
	if (!vb_kcheck_can_unpack(c)) {
		print_message("SKIP: %s support not built in\n", vb_kcheck_compression_name(c));
		skip();
	}
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", vb_kcheck_compression_name(c));
	if (system(cmd) != 0) {
		print_message("SKIP: no %s command\n", vb_kcheck_compression_name(c));
		skip();
	}
	snprintf(cmd, sizeof(cmd), "%s <'%s'", tool_cmd, path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	struct blob out = { NULL, 0 };
	uint8_t buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		append(&out, buf, n);
	assert_int_equal(pclose(p), 0);
	assert_true(out.len > 0);
	return out;
}

/* zstd and lz4 bzImage payloads, made by the tools with the kernel's flags
 * (scripts/Makefile.lib: zstd -22 --ultra, lz4 -l -c1; -19 and -9 here to
 * keep the test quick). */
static void test_ikconfig_bzimage_zstd_lz4(void **state)
{
	(void)state;
	char plain[256], path[256];
	struct blob v = fake_vmlinux(true);
	write_file("vmlinux-plain", v.data, v.len, plain, sizeof(plain));
	const char *tools[2] = { "zstd -q -19 -c", "lz4 -q -l -9 -c" };
	const enum vb_compression kinds[2] = { VB_COMP_ZSTD, VB_COMP_LZ4 };
	const char *how[2] = { "bzImage, zstd-compressed", "bzImage, lz4-compressed" };
	for (int i = 0; i < 2; i++) {
		struct blob packed = compress_file(tools[i], plain, kinds[i]);
		assert_int_equal(vb_kcheck_detect(packed.data, packed.len), kinds[i]);
		struct blob bz = fake_bzimage(&packed, (uint32_t)v.len);
		write_file(vb_kcheck_compression_name(kinds[i]), bz.data, bz.len, path, sizeof(path));
		expect_config(path, how[i]);
		free(bz.data);
		free(packed.data);
	}
	free(v.data);
}

/* The payload fields point outside the file: an error, not a read past it. */
static void test_bad_header(void **state)
{
	(void)state;
	struct blob v = fake_vmlinux(true);
	struct blob gz = gzip_of(v.data, v.len);
	struct blob bz = fake_bzimage(&gz, (uint32_t)v.len);
	const uint8_t *payload;
	size_t payload_len;
	struct vb_err err = { "" };
	put32(bz.data + 0x24c, 0xfffffff0u);
	assert_int_equal(vb_kcheck_bzimage_payload(bz.data, bz.len, &payload, &payload_len, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "outside"));
	put32(bz.data + 0x24c, 16);
	put32(bz.data + 0x248, 0xffffffffu);
	assert_int_equal(vb_kcheck_bzimage_payload(bz.data, bz.len, &payload, &payload_len, &err),
			 -EINVAL);
	bz.data[0x206] = 0x04; /* protocol 2.04: no payload fields */
	assert_int_equal(vb_kcheck_bzimage_payload(bz.data, bz.len, &payload, &payload_len, &err),
			 -ENOEXEC);
	char release[8];
	put32(bz.data + 0x20c, 0xffff0000u); /* kernel_version beyond the file */
	assert_int_equal(vb_kcheck_kernel_release(bz.data, bz.len, release, sizeof(release)),
			 -ENOENT);
	assert_int_equal(vb_kcheck_bzimage_payload(v.data, 100, &payload, &payload_len, &err),
			 -ENOEXEC);
	free(bz.data);
	free(gz.data);
	free(v.data);
}

/* No IKCONFIG: the distribution's config-VERSION beside the kernel, found
 * through a symlink as /vmlinuz is. */
static void test_config_beside(void **state)
{
	(void)state;
	char path[256], link[256], cfg[256];
	struct blob v = fake_vmlinux(false);
	struct blob gz = gzip_of(v.data, v.len);
	struct blob bz = fake_bzimage(&gz, (uint32_t)v.len);
	write_file("vmlinuz-9.9.9-test", bz.data, bz.len, path, sizeof(path));
	char *text, source[4200];
	size_t len;
	struct vb_err err = { "" };
	assert_int_equal(vb_kcheck_load_config(path, &text, &len, source, sizeof(source), &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "CONFIG_IKCONFIG is not set"));
	assert_non_null(strstr(err.msg, "config-9.9.9-test"));

	write_file("config-9.9.9-test", config_text, strlen(config_text), cfg, sizeof(cfg));
	expect_config(path, "/config-9.9.9-test (the kernel embeds no configuration)");
	snprintf(link, sizeof(link), "%s/vmlinuz", tmpdir);
	assert_int_equal(symlink("vmlinuz-9.9.9-test", link), 0);
	expect_config(link, "/config-9.9.9-test");
	/* Found by the release in the header when the name says nothing. */
	write_file("kernel.img", bz.data, bz.len, path, sizeof(path));
	expect_config(path, "/config-9.9.9-test");
	free(bz.data);
	free(gz.data);
	free(v.data);
}

/* The real Debian kernel: an xz payload with no IKCONFIG, so the config
 * file beside it. */
static void test_real_kernel(void **state)
{
	(void)state;
	glob_t g;
	if (glob("/boot/vmlinuz-*", 0, NULL, &g) || !g.gl_pathc) {
		globfree(&g);
		skip();
	}
	uint8_t *img;
	size_t len;
	struct vb_err err = { "" };
	assert_int_equal(vb_kcheck_read_file(g.gl_pathv[0], VB_KCHECK_MAX_FILE_BYTES, &img, &len,
					     &err), 0);
	const uint8_t *payload;
	size_t payload_len;
	assert_int_equal(vb_kcheck_bzimage_payload(img, len, &payload, &payload_len, &err), 0);
	assert_int_not_equal(vb_kcheck_detect(payload, payload_len), VB_COMP_NONE);
	char release[128];
	assert_int_equal(vb_kcheck_kernel_release(img, len, release, sizeof(release)), 0);
	assert_non_null(strstr(g.gl_pathv[0], release));
	free(img);

	char *text, source[4200];
	if (vb_kcheck_load_config(g.gl_pathv[0], &text, &len, source, sizeof(source), &err))
		fail_msg("%s", err.msg);
	struct vb_kconfig cfg;
	assert_int_equal(vb_kconfig_parse(text, len, &cfg, &err), 0);
	assert_true(cfg.count > 1000);
	vb_kconfig_free(&cfg);
	free(text);
	globfree(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unpack_roundtrip),
		cmocka_unit_test(test_ikconfig_vmlinux),
		cmocka_unit_test(test_ikconfig_bzimage),
		cmocka_unit_test(test_ikconfig_bzimage_zstd_lz4),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_config_beside),
		cmocka_unit_test(test_real_kernel),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
