/* The newc writer, checked by reading its output back, and the reader's
 * rejection of malformed archives. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "initramfs/cpio.h"

static void build(uint8_t **buf, size_t *len)
{
	struct vb_cpio c;
	struct vb_err err = { "" };
	static const uint8_t five[5] = { 1, 2, 3, 4, 5 };
	vb_cpio_init(&c);
	assert_int_equal(vb_cpio_add_dir(&c, "dev", 0755, &err), 0);
	struct vb_cpio_entry console = { "dev/console", S_IFCHR | 0600, NULL, 0, 5, 1 };
	assert_int_equal(vb_cpio_add(&c, &console, &err), 0);
	assert_int_equal(vb_cpio_add_file(&c, "init", 0755, (const uint8_t *)"#!x\n", 4, &err), 0);
	assert_int_equal(vb_cpio_add_file(&c, "dev/five", 0600, five, 5, &err), 0);
	assert_int_equal(vb_cpio_add_file(&c, "empty", 0644, NULL, 0, &err), 0);
	struct vb_cpio_entry link = { "sh", S_IFLNK | 0777, (const uint8_t *)"busybox", 7, 0, 0 };
	assert_int_equal(vb_cpio_add(&c, &link, &err), 0);
	assert_int_equal(vb_cpio_finish(&c, buf, len, &err), 0);
	assert_null(c.buf);
	vb_cpio_free(&c);
}

static void test_roundtrip(void **state)
{
	(void)state;
	uint8_t *buf;
	size_t len, off = 0;
	build(&buf, &len);
	assert_int_equal(len % 4, 0);
	assert_memory_equal(buf, "070701", 6);

	static const struct {
		const char *name;
		uint32_t mode;
		const char *data;
		size_t size;
	} want[] = {
		{ "dev", S_IFDIR | 0755, NULL, 0 },
		{ "dev/console", S_IFCHR | 0600, NULL, 0 },
		{ "init", S_IFREG | 0755, "#!x\n", 4 },
		{ "dev/five", S_IFREG | 0600, "\1\2\3\4\5", 5 },
		{ "empty", S_IFREG | 0644, NULL, 0 },
		{ "sh", S_IFLNK | 0777, "busybox", 7 },
	};
	struct vb_cpio_entry e;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(vb_cpio_next(buf, len, &off, &e), 1);
		assert_string_equal(e.name, want[i].name);
		assert_int_equal(e.mode, want[i].mode);
		assert_int_equal(e.size, want[i].size);
		if (want[i].size)
			assert_memory_equal(e.data, want[i].data, want[i].size);
		assert_int_equal(off % 4, 0);
		if (i == 1) {
			assert_int_equal(e.rdev_major, 5);
			assert_int_equal(e.rdev_minor, 1);
		}
	}
	assert_int_equal(vb_cpio_next(buf, len, &off, &e), 0);
	assert_string_equal(e.name, "TRAILER!!!");
	assert_int_equal(off, len);
	/* Byte-exact: the header of the first entry, by the format's rules. */
	assert_memory_equal(buf, "070701" "00000001" "000041ED" "00000000" "00000000" "00000002"
				 "00000000" "00000000" "00000000" "00000000" "00000000" "00000000"
				 "00000004" "00000000" "dev\0",
			    110 + 4);
	free(buf);
}

static void test_same_input_same_bytes(void **state)
{
	(void)state;
	uint8_t *a, *b;
	size_t alen, blen;
	build(&a, &alen);
	build(&b, &blen);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);
}

static void test_bad_names(void **state)
{
	(void)state;
	struct vb_cpio c;
	struct vb_err err = { "" };
	vb_cpio_init(&c);
	const char *bad[] = { "", "/init", "a/../b", "..", "a//b", "a/", "TRAILER!!!" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vb_cpio_add_dir(&c, bad[i], 0755, &err), -EINVAL);
	assert_int_equal(c.len, 0);
	assert_int_equal(vb_cpio_add_file(&c, "x", 0644, NULL, 3, &err), -EINVAL);
	assert_int_equal(vb_cpio_add_file(&c, "x", 0644, (const uint8_t *)"abc",
					  (uint64_t)UINT32_MAX + 1, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "newc"));
	assert_int_equal(vb_cpio_add_dir(&c, "a..b/.x", 0755, &err), 0);
	vb_cpio_free(&c);
}

/* Every truncation and a spread of corruptions: the reader must report
 * -EINVAL or stop, never read outside the buffer (ASan checks). */
static void test_reader_rejects(void **state)
{
	(void)state;
	uint8_t *buf;
	size_t len;
	build(&buf, &len);
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		assert_non_null(copy);
		memcpy(copy, buf, cut);
		size_t off = 0;
		struct vb_cpio_entry e;
		int rc;
		while ((rc = vb_cpio_next(copy, cut, &off, &e)) == 1)
			assert_true(off <= cut);
		assert_int_equal(rc, -EINVAL);
		free(copy);
	}
	for (size_t at = 0; at < len; at += 3) {
		uint8_t *copy = malloc(len);
		assert_non_null(copy);
		memcpy(copy, buf, len);
		copy[at] = 'Z';
		size_t off = 0;
		struct vb_cpio_entry e;
		for (int i = 0; i < 100 && vb_cpio_next(copy, len, &off, &e) == 1; i++)
			assert_true(off <= len);
		free(copy);
	}
	size_t off = 0;
	struct vb_cpio_entry e;
	memcpy(buf + 6 + 11 * 8, "FFFFFFFF", 8); /* namesize past the end */
	assert_int_equal(vb_cpio_next(buf, len, &off, &e), -EINVAL);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_same_input_same_bytes),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_reader_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
