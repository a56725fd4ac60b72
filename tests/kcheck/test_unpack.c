/* zstd and lz4 in vb_kcheck_unpack: small committed fixtures (made with
 * `zstd -19` and `lz4 -l -9` from the text below), a multi-block stream
 * made at test time with the command-line tools when they are installed,
 * the kernel's appended size, truncated and corrupt input, the output cap,
 * and the "not built in" error of a build without the library. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kcheck/unpack.h"

static const char hello[] = "vmboot kernel-check fixture: the quick brown fox jumps over the "
			    "lazy dog, again and again and again.\n";

struct blob {
	uint8_t *data;
	size_t len;
};

static struct blob read_all(FILE *f)
{
	struct blob b = { NULL, 0 };
	size_t cap = 0;
	for (;;) {
		if (b.len == cap) {
			cap = cap ? cap * 2 : 4096;
			b.data = realloc(b.data, cap);
			assert_non_null(b.data);
		}
		size_t n = fread(b.data + b.len, 1, cap - b.len, f);
		if (n == 0)
			break;
		b.len += n;
	}
	return b;
}

static struct blob fixture(const char *name)
{
	const char *src = getenv("VB_SRCDIR");
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/kcheck/fixtures/%s", src ? src : ".", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	struct blob b = read_all(f);
	fclose(f);
	return b;
}

static void append(struct blob *b, const void *data, size_t len)
{
	b->data = realloc(b->data, b->len + len);
	assert_non_null(b->data);
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

/* Skips the rest of the test when this build lacks the format, after
 * checking that the stub says so. */
static void need(enum vb_compression c, const struct blob *b)
{
	if (vb_kcheck_can_unpack(c))
		return;
	struct vb_err err = { "" };
	uint8_t *out = NULL;
	size_t out_len = 0;
	assert_int_equal(vb_kcheck_unpack(b->data, b->len, 1 << 20, &out, &out_len, &err),
			 -ENOTSUP);
	assert_null(out);
	char want[64];
	snprintf(want, sizeof(want), "%s support not built in", vb_kcheck_compression_name(c));
	assert_non_null(strstr(err.msg, want));
	free(b->data);
	skip();
}

static void expect_text(const struct blob *b, uint64_t max, const void *want, size_t want_len)
{
	struct vb_err err = { "" };
	uint8_t *out = NULL;
	size_t out_len = 0;
	int rc = vb_kcheck_unpack(b->data, b->len, max, &out, &out_len, &err);
	if (rc)
		fail_msg("unpack: %d %s", rc, err.msg);
	assert_int_equal(out_len, want_len);
	assert_memory_equal(out, want, want_len);
	free(out);
}

static void expect_error(const struct blob *b, uint64_t max, int want_rc, const char *want_msg)
{
	struct vb_err err = { "" };
	uint8_t *out = (uint8_t *)1;
	size_t out_len = 1;
	assert_int_equal(vb_kcheck_unpack(b->data, b->len, max, &out, &out_len, &err), want_rc);
	assert_null(out);
	assert_int_equal(out_len, 0);
	if (!strstr(err.msg, want_msg))
		fail_msg("error \"%s\" lacks \"%s\"", err.msg, want_msg);
}

static void test_detect(void **state)
{
	(void)state;
	struct blob z = fixture("hello.txt.zst"), l = fixture("hello.txt.lz4");
	assert_int_equal(vb_kcheck_detect(z.data, z.len), VB_COMP_ZSTD);
	assert_int_equal(vb_kcheck_detect(l.data, l.len), VB_COMP_LZ4);
	assert_true(vb_kcheck_can_unpack(VB_COMP_GZIP));
	assert_false(vb_kcheck_can_unpack(VB_COMP_NONE));
	free(z.data);
	free(l.data);
}

static void test_zstd(void **state)
{
	(void)state;
	struct blob b = fixture("hello.txt.zst");
	need(VB_COMP_ZSTD, &b);
	expect_text(&b, 1 << 20, hello, strlen(hello));
	/* A bzImage payload: the stream, then its 4-byte size. */
	uint32_t size = (uint32_t)strlen(hello);
	append(&b, &size, sizeof(size));
	expect_text(&b, 1 << 20, hello, strlen(hello));
	expect_error(&b, 10, -EFBIG, "larger than 10 bytes");
	b.len = 20;
	expect_error(&b, 1 << 20, -EINVAL, "zstd: truncated");
	free(b.data);
}

static void test_zstd_corrupt(void **state)
{
	(void)state;
	struct blob b = fixture("hello.txt.zst");
	need(VB_COMP_ZSTD, &b);
	/* Every byte after the magic in turn: an error or some output, never
	 * a crash or a read past the end (ASan builds check that). */
	for (size_t i = 4; i < b.len; i++) {
		uint8_t keep = b.data[i];
		b.data[i] ^= 0xa5;
		struct vb_err err = { "" };
		uint8_t *out = NULL;
		size_t out_len = 0;
		int rc = vb_kcheck_unpack(b.data, b.len, 1 << 20, &out, &out_len, &err);
		assert_true(rc == 0 || rc == -EINVAL || rc == -EFBIG || rc == -ENOMEM);
		free(out);
		b.data[i] = keep;
	}
	free(b.data);
}

static void test_lz4(void **state)
{
	(void)state;
	struct blob b = fixture("hello.txt.lz4");
	need(VB_COMP_LZ4, &b);
	expect_text(&b, 1 << 20, hello, strlen(hello));
	/* The kernel build's appended size is not a block. */
	uint32_t size = (uint32_t)strlen(hello);
	append(&b, &size, sizeof(size));
	expect_text(&b, 1 << 20, hello, strlen(hello));
	expect_error(&b, 10, -EFBIG, "larger than 10 bytes");
	/* A block cut short. */
	b.len -= 4 + 10;
	expect_error(&b, 1 << 20, -EINVAL, "lz4: truncated");
	/* The magic alone. */
	b.len = 4;
	expect_error(&b, 1 << 20, -EINVAL, "lz4: truncated");
	free(b.data);
}

static void test_lz4_concatenated(void **state)
{
	(void)state;
	struct blob b = fixture("hello.txt.lz4");
	need(VB_COMP_LZ4, &b);
	struct blob two = { NULL, 0 };
	append(&two, b.data, b.len);
	append(&two, b.data, b.len);
	char want[2 * sizeof(hello)];
	snprintf(want, sizeof(want), "%s%s", hello, hello);
	expect_text(&two, 1 << 20, want, strlen(want));
	free(two.data);
	free(b.data);
}

static void test_lz4_corrupt(void **state)
{
	(void)state;
	struct blob b = fixture("hello.txt.lz4");
	need(VB_COMP_LZ4, &b);
	/* A block size far past the end. */
	b.data[7] = 0x7f;
	expect_error(&b, 1 << 20, -EINVAL, "lz4: truncated");
	b.data[7] = 0;
	/* Every byte of the block in turn. */
	for (size_t i = 8; i < b.len; i++) {
		uint8_t keep = b.data[i];
		b.data[i] ^= 0x5a;
		struct vb_err err = { "" };
		uint8_t *out = NULL;
		size_t out_len = 0;
		int rc = vb_kcheck_unpack(b.data, b.len, 1 << 20, &out, &out_len, &err);
		assert_true(rc == 0 || rc == -EINVAL || rc == -EFBIG);
		free(out);
		b.data[i] = keep;
	}
	free(b.data);
}

/* 20 MiB of compressible but not trivial data: more than two 8 MiB lz4
 * legacy blocks. */
static struct blob big_plain(void)
{
	struct blob b = { malloc(20u << 20), 20u << 20 };
	assert_non_null(b.data);
	uint32_t x = 12345;
	for (size_t i = 0; i < b.len; i++) {
		x = x * 1103515245u + 12345u;
		b.data[i] = (uint8_t)("abcdefgh"[(x >> 16) & 7]);
	}
	return b;
}

/* Runs TOOL ARGS on plain and returns its output; skips without the tool. */
static struct blob compress_with(const char *tool, const char *args, const struct blob *plain)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	if (system(cmd) != 0) {
		print_message("SKIP: %s not installed (apt-get install %s)\n", tool,
			      strcmp(tool, "lz4") ? "zstd" : "lz4");
		skip();
	}
	char in[] = "/tmp/vb-unpack-XXXXXX";
	int fd = mkstemp(in);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, plain->data, plain->len), (ssize_t)plain->len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s %s <%s", tool, args, in);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	struct blob out = read_all(p);
	assert_int_equal(pclose(p), 0);
	unlink(in);
	return out;
}

static void test_big(void **state)
{
	(void)state;
	struct blob plain = big_plain();
	struct blob z = compress_with("zstd", "-q -3 -c", &plain);
	need(VB_COMP_ZSTD, &z);
	expect_text(&z, 64u << 20, plain.data, plain.len);
	expect_error(&z, 1u << 20, -EFBIG, "zstd: decompressed data larger");
	free(z.data);
	struct blob l = compress_with("lz4", "-q -l -c", &plain);
	uint32_t size = (uint32_t)plain.len;
	append(&l, &size, sizeof(size));
	need(VB_COMP_LZ4, &l);
	expect_text(&l, 64u << 20, plain.data, plain.len);
	expect_error(&l, (12u << 20) + 1, -EFBIG, "lz4: decompressed data larger");
	free(l.data);
	free(plain.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_zstd),
		cmocka_unit_test(test_zstd_corrupt),
		cmocka_unit_test(test_lz4),
		cmocka_unit_test(test_lz4_concatenated),
		cmocka_unit_test(test_lz4_corrupt),
		cmocka_unit_test(test_big),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
