/* modules.dep resolution and the whole initramfs, on a fake modules tree in
 * a temporary directory, then on the host's /lib/modules when present. */
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "initramfs/cpio.h"
#include "initramfs/initramfs.h"
#include "initramfs/modules.h"
#include "kcheck/unpack.h"

static char tmpdir[64];

static const char fake_dep[] =
	"kernel/drivers/virtio/virtio_ring.ko:\n"
	"kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko\n"
	"kernel/drivers/virtio/virtio_pci_modern_dev.ko:\n"
	"kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko "
	"kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n"
	"kernel/drivers/char/hw_random/virtio-rng.ko.xz: kernel/drivers/virtio/virtio.ko "
	"kernel/drivers/virtio/virtio_ring.ko\n"
	"kernel/lib/crc16.ko:\n"
	"kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko\n";
static const char fake_builtin[] = "kernel/drivers/block/virtio_blk.ko\nkernel/fs/9p/9p.ko\n";
static const char *const wanted[] = { "virtio_pci", "virtio-rng", "virtio_blk", "nonexistent",
				      "virtio" };
static const char *const order[] = { "virtio_ring", "virtio", "virtio_pci_modern_dev",
				     "virtio_pci", "virtio_rng" };
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void write_file(const char *rel, const void *data, size_t len)
{
	char path[512], cmd[600];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	char *slash = strrchr(path, '/');
	*slash = 0;
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	assert_int_equal(system(cmd), 0);
	*slash = '/';
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* The fake tree: each .ko holds "MODULE name"; virtio-rng is xz-compressed. */
static int make_tree(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vb-initramfs-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	write_file("modules.dep", fake_dep, strlen(fake_dep));
	write_file("modules.builtin", fake_builtin, strlen(fake_builtin));
	static const char *const plain[] = { "drivers/virtio/virtio_ring", "drivers/virtio/virtio",
					     "drivers/virtio/virtio_pci_modern_dev",
					     "drivers/virtio/virtio_pci", "lib/crc16",
					     "fs/ext4/ext4" };
	for (size_t i = 0; i < N(plain); i++) {
		char rel[256], body[128];
		snprintf(rel, sizeof(rel), "kernel/%s.ko", plain[i]);
		int n = snprintf(body, sizeof(body), "MODULE %s", strrchr(plain[i], '/') + 1);
		write_file(rel, body, (size_t)n);
	}
	uint8_t xz[512];
	size_t xz_len = 0;
	const char *rng = "MODULE virtio_rng";
	if (lzma_easy_buffer_encode(1, LZMA_CHECK_CRC32, NULL, (const uint8_t *)rng, strlen(rng),
				    xz, &xz_len, sizeof(xz)) != LZMA_OK)
		return -1;
	write_file("kernel/drivers/char/hw_random/virtio-rng.ko.xz", xz, xz_len);
	write_file("init", "#!fake init\n", 12);
	return 0;
}

static int remove_tree(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_names(void **state)
{
	(void)state;
	char buf[16];
	assert_int_equal(vb_module_name("kernel/x/virtio-rng.ko.xz", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "virtio_rng");
	assert_int_equal(vb_module_name("9pnet_virtio.ko", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "9pnet_virtio");
	assert_int_equal(vb_module_name("ext4", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "ext4");
	assert_int_equal(vb_module_name("a/b/c.ko.zst", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "c");
	assert_int_equal(vb_module_name("a_very_long_module_name.ko", buf, sizeof(buf)),
			 -ENAMETOOLONG);
}

static void test_resolve_order(void **state)
{
	(void)state;
	struct vb_modlist l;
	struct vb_err err = { "" };
	if (vb_modules_resolve(tmpdir, wanted, N(wanted), &l, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(l.count, N(order));
	for (size_t i = 0; i < N(order); i++)
		assert_string_equal(l.items[i].name, order[i]);
	assert_string_equal(l.items[4].path, "kernel/drivers/char/hw_random/virtio-rng.ko.xz");
	assert_int_equal(l.n_builtin, 1);
	assert_string_equal(l.builtin[0], "virtio_blk");
	assert_int_equal(l.n_missing, 1);
	assert_string_equal(l.missing[0], "nonexistent");
	vb_modlist_free(&l);
}

static void expect_bad_index(const char *dep, const char *message)
{
	struct vb_modlist l;
	struct vb_err err = { "" };
	const char *const want[] = { "a" };
	assert_int_equal(vb_modules_resolve_text(dep, strlen(dep), NULL, 0, want, 1, &l, &err),
			 -EINVAL);
	if (!strstr(err.msg, message))
		fail_msg("\"%s\" lacks \"%s\"", err.msg, message);
	vb_modlist_free(&l);
}

static void test_bad_index(void **state)
{
	(void)state;
	expect_bad_index("a.ko: b.ko\nb.ko: a.ko\n", "dependency cycle");
	expect_bad_index("a.ko: zz.ko\n", "needs zz.ko, which has no line");
	expect_bad_index("b.ko:\nno colon here\n", "modules.dep:2: no ':'");
	struct vb_modlist l;
	struct vb_err err = { "" };
	assert_int_equal(vb_modules_resolve("/nonexistent", wanted, 1, &l, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/modules.dep"));
	vb_modlist_free(&l);
}

/* Reads the archive back into name -> entry lookups. */
static const struct vb_cpio_entry *find_entry(const uint8_t *buf, size_t len, const char *name,
					      struct vb_cpio_entry *e)
{
	size_t off = 0;
	int rc;
	while ((rc = vb_cpio_next(buf, len, &off, e)) == 1)
		if (!strcmp(e->name, name))
			return e;
	assert_int_equal(rc, 0);
	return NULL;
}

static void build(unsigned decompresses, uint8_t **buf, size_t *len, struct vb_modlist *l)
{
	char init[128], mods[128];
	snprintf(init, sizeof(init), "%s/init", tmpdir);
	snprintf(mods, sizeof(mods), "%s", tmpdir);
	struct vb_initramfs_spec spec = { init, mods, wanted, N(wanted), decompresses };
	struct vb_err err = { "" };
	if (vb_initramfs_build(&spec, buf, len, l, &err))
		fail_msg("%s", err.msg);
}

static void test_archive(void **state)
{
	(void)state;
	uint8_t *buf;
	size_t len;
	struct vb_modlist l;
	struct vb_cpio_entry e;
	build(0, &buf, &len, &l);
	assert_int_equal(l.count, N(order));
	vb_modlist_free(&l);

	assert_non_null(find_entry(buf, len, "init", &e));
	assert_int_equal(e.mode, S_IFREG | 0755);
	assert_memory_equal(e.data, "#!fake init\n", 12);
	assert_non_null(find_entry(buf, len, "dev/console", &e));
	assert_int_equal(e.mode, S_IFCHR | 0600);
	assert_int_equal(e.rdev_major, 5);
	assert_non_null(find_entry(buf, len, "host", &e));
	assert_true(S_ISDIR(e.mode));
	/* The xz module was decompressed: this kernel cannot load it packed. */
	assert_non_null(find_entry(buf, len, "lib/modules/virtio_rng.ko", &e));
	assert_int_equal(e.size, 17);
	assert_memory_equal(e.data, "MODULE virtio_rng", 17);
	assert_null(find_entry(buf, len, "lib/modules/virtio_rng.ko.xz", &e));
	assert_non_null(find_entry(buf, len, "lib/modules/virtio_pci_modern_dev.ko", &e));
	assert_memory_equal(e.data, "MODULE virtio_pci_modern_dev", e.size);
	assert_non_null(find_entry(buf, len, VB_INITRAMFS_MODULE_LIST, &e));
	const char list[] = "/lib/modules/virtio_ring.ko\n/lib/modules/virtio.ko\n"
			    "/lib/modules/virtio_pci_modern_dev.ko\n/lib/modules/virtio_pci.ko\n"
			    "/lib/modules/virtio_rng.ko\n";
	assert_int_equal(e.size, strlen(list));
	assert_memory_equal(e.data, list, e.size);
	free(buf);

	/* A kernel that decompresses xz itself gets the file as it is. */
	build(1u << VB_COMP_XZ, &buf, &len, NULL);
	assert_non_null(find_entry(buf, len, "lib/modules/virtio_rng.ko.xz", &e));
	assert_int_equal(vb_kcheck_detect(e.data, e.size), VB_COMP_XZ);
	assert_non_null(find_entry(buf, len, VB_INITRAMFS_MODULE_LIST, &e));
	assert_non_null(memmem(e.data, e.size, "/lib/modules/virtio_rng.ko.xz\n", 30));
	free(buf);
}

static void test_archive_errors(void **state)
{
	(void)state;
	char init[128];
	uint8_t *buf;
	size_t len;
	struct vb_err err = { "" };
	snprintf(init, sizeof(init), "%s/init", tmpdir);
	struct vb_initramfs_spec spec = { "/nonexistent/init", NULL, NULL, 0, 0 };
	assert_int_equal(vb_initramfs_build(&spec, &buf, &len, NULL, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "initramfs: init program: open /nonexistent/init"));
	assert_null(buf);

	/* No modules directory: init, the skeleton and an empty list. */
	spec.init_path = init;
	assert_int_equal(vb_initramfs_build(&spec, &buf, &len, NULL, &err), 0);
	struct vb_cpio_entry e;
	assert_non_null(find_entry(buf, len, VB_INITRAMFS_MODULE_LIST, &e));
	assert_int_equal(e.size, 0);
	free(buf);

	/* A module listed in modules.dep but absent from the disk. */
	char path[256];
	snprintf(path, sizeof(path), "%s/kernel/lib/crc16.ko", tmpdir);
	assert_int_equal(unlink(path), 0);
	const char *const ext4[] = { "ext4" };
	struct vb_initramfs_spec broken = { init, tmpdir, ext4, 1, 0 };
	assert_int_equal(vb_initramfs_build(&broken, &buf, &len, NULL, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "initramfs: module crc16: open "));
	write_file("kernel/lib/crc16.ko", "MODULE crc16", 12);
}

static void test_kernel_decompresses(void **state)
{
	(void)state;
	struct vb_kconfig cfg;
	const char *text = "CONFIG_MODULE_DECOMPRESS=y\nCONFIG_MODULE_COMPRESS_XZ=y\n";
	assert_int_equal(vb_kconfig_parse(text, strlen(text), &cfg, NULL), 0);
	assert_int_equal(vb_initramfs_kernel_decompresses(&cfg), 1u << VB_COMP_XZ);
	vb_kconfig_free(&cfg);
	text = "# CONFIG_MODULE_DECOMPRESS is not set\nCONFIG_MODULE_COMPRESS_XZ=y\n";
	assert_int_equal(vb_kconfig_parse(text, strlen(text), &cfg, NULL), 0);
	assert_int_equal(vb_initramfs_kernel_decompresses(&cfg), 0);
	vb_kconfig_free(&cfg);
}

static size_t position(const struct vb_modlist *l, const char *name)
{
	for (size_t i = 0; i < l->count; i++)
		if (!strcmp(l->items[i].name, name))
			return i;
	fail_msg("module %s not resolved", name);
	return 0;
}

/* The host's modules with the zero-config list: dependencies first, and a
 * whole archive with the real static init read back. */
static void test_host_modules(void **state)
{
	(void)state;
	glob_t g;
	if (glob("/lib/modules/*/modules.dep", 0, NULL, &g) || !g.gl_pathc) {
		globfree(&g);
		skip();
	}
	char dir[512];
	snprintf(dir, sizeof(dir), "%s", g.gl_pathv[0]);
	*strrchr(dir, '/') = 0;
	globfree(&g);

	size_t n;
	const char *const *want = vb_initramfs_default_modules(&n);
	struct vb_modlist l;
	struct vb_err err = { "" };
	if (vb_modules_resolve(dir, want, n, &l, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(l.count + l.n_builtin + l.n_missing >= n, 1);
	if (l.count) {
		for (size_t i = 0; i < l.count; i++)
			for (size_t j = i + 1; j < l.count; j++)
				assert_string_not_equal(l.items[i].name, l.items[j].name);
		if (!l.n_builtin && !l.n_missing) {
			assert_true(position(&l, "virtio_ring") < position(&l, "virtio"));
			assert_true(position(&l, "virtio") < position(&l, "virtio_pci"));
			assert_true(position(&l, "9pnet") < position(&l, "9pnet_virtio"));
			assert_true(position(&l, "jbd2") < position(&l, "ext4"));
		}
	}
	vb_modlist_free(&l);

	const char *builddir = getenv("VB_BUILDDIR");
	char init[4096];
	snprintf(init, sizeof(init), "%s/src/guestinit/vmboot-init", builddir ? builddir : ".");
	if (access(init, R_OK))
		snprintf(init, sizeof(init), "%s/init", tmpdir);
	struct vb_initramfs_spec spec = { init, dir, NULL, 0, 0 };
	uint8_t *buf;
	size_t len;
	if (vb_initramfs_build(&spec, &buf, &len, &l, &err))
		fail_msg("%s", err.msg);
	size_t off = 0, entries = 0;
	struct vb_cpio_entry e;
	int rc;
	while ((rc = vb_cpio_next(buf, len, &off, &e)) == 1)
		entries++;
	assert_int_equal(rc, 0);
	/* 9 directories, dev/console, init, the list, and the modules. */
	assert_int_equal(entries, 12 + l.count);
	vb_modlist_free(&l);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_resolve_order),
		cmocka_unit_test(test_bad_index),
		cmocka_unit_test(test_archive),
		cmocka_unit_test(test_archive_errors),
		cmocka_unit_test(test_kernel_decompresses),
		cmocka_unit_test(test_host_modules),
	};
	return cmocka_run_group_tests(tests, make_tree, remove_tree);
}
