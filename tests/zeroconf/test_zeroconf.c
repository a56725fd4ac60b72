/* The zero-config default's pure parts: the host kernel picked from an
 * injected /boot listing, the guest command's encoding read back by the
 * guest init's own decoder (ginit.c compiled in), the tree it fills in, and
 * the VMBOOT-STATUS filter on the console stream. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guestinit/ginit.h"
#include "zeroconf/zeroconf.h"

/* ---- kernel lookup ---- */

static void picks(const char *release, const char *const *names, size_t n, const char *want)
{
	char path[256];
	assert_int_equal(vb_zeroconf_pick_kernel("/boot", release, names, n, path, sizeof(path)),
			 0);
	assert_string_equal(path, want);
}

static void test_kernel_running_release_first(void **state)
{
	(void)state;
	const char *const names[] = { "config-6.1.0-9-amd64", "vmlinuz-6.1.0-56-amd64",
				      "vmlinuz-6.1.0-9-amd64", "initrd.img-6.1.0-9-amd64" };
	picks("6.1.0-9-amd64", names, 4, "/boot/vmlinuz-6.1.0-9-amd64");
}

static void test_kernel_newest_otherwise(void **state)
{
	(void)state;
	/* Version order, not byte order: -56 is newer than -9, 6.10 than 6.9. */
	const char *const names[] = { "vmlinuz-6.1.0-9-amd64", "vmlinuz-6.1.0-56-amd64",
				      "System.map-6.1.0-99-amd64", "vmlinuz-", "vmlinuz" };
	picks("6.18.44-other", names, 5, "/boot/vmlinuz-6.1.0-56-amd64");
	picks(NULL, names, 5, "/boot/vmlinuz-6.1.0-56-amd64");
	const char *const minor[] = { "vmlinuz-6.9.1", "vmlinuz-6.10.0", "vmlinuz-6.2.3" };
	picks("", minor, 3, "/boot/vmlinuz-6.10.0");
}

static void test_kernel_none(void **state)
{
	(void)state;
	char path[256] = "untouched";
	const char *const names[] = { "grub", "config-6.1.0-9-amd64", "vmlinuz-", "vmlinuz.old" };
	assert_int_equal(vb_zeroconf_pick_kernel("/boot", "6.1.0-9-amd64", names, 4, path,
						 sizeof(path)), -ENOENT);
	assert_int_equal(vb_zeroconf_pick_kernel("/boot", "x", NULL, 0, path, sizeof(path)),
			 -ENOENT);
	const char *const one[] = { "vmlinuz-6.1.0-9-amd64" };
	assert_int_equal(vb_zeroconf_pick_kernel("/boot", NULL, one, 1, path, 10), -ENAMETOOLONG);
}

static void test_kernel_release(void **state)
{
	(void)state;
	char rel[64];
	assert_int_equal(vb_zeroconf_kernel_release("/boot/vmlinuz-6.1.0-9-amd64", rel,
						    sizeof(rel)), 0);
	assert_string_equal(rel, "6.1.0-9-amd64");
	assert_int_equal(vb_zeroconf_kernel_release("/vmlinuz", rel, sizeof(rel)), -ENOENT);
	assert_int_equal(vb_zeroconf_kernel_release("/boot/bzImage", rel, sizeof(rel)), -ENOENT);
	assert_int_equal(vb_zeroconf_kernel_release("/boot/vmlinuz-", rel, sizeof(rel)), -ENOENT);
}

/* ---- the command ---- */

/* Encodes argv, puts it in a command line as vmboot would, and decodes it
 * with the guest's parser: the same arguments must come back. */
static void round_trip(const char *const *argv, size_t argc)
{
	char *param = NULL, cmdline[8192];
	struct vb_err err = { "" };
	assert_int_equal(vb_zeroconf_encode_cmd(argv, argc, &param, &err), 0);
	assert_non_null(param);
	assert_int_equal(strncmp(param, VB_GINIT_CMD_PARAM, strlen(VB_GINIT_CMD_PARAM)), 0);
	snprintf(cmdline, sizeof(cmdline), "console=ttyS0 quiet %s panic=-1\n", param);
	free(param);
	static struct vb_ginit_cmd cmd;
	char *const init_argv[] = { "/init", NULL };
	assert_int_equal(vb_ginit_parse_cmd(cmdline, 1, init_argv, &cmd), 0);
	assert_int_equal(cmd.argc, (int)argc);
	for (size_t i = 0; i < argc; i++)
		assert_string_equal(cmd.argv[i], argv[i]);
	assert_null(cmd.argv[argc]);
}

static void test_cmd_round_trip(void **state)
{
	(void)state;
	const char *const one[] = { "cat" };
	const char *const two[] = { "cat", "/proc/version" };
	const char *const three[] = { "sh", "-c", "exit 3" };
	/* Spaces, quotes, '=' and non-ASCII: base64 carries any byte. */
	const char *const odd[] = { "printf", "%s\\n", "a b=c \"d\" \xc3\xa9", "", "x" };
	round_trip(one, 1);
	round_trip(two, 2);
	round_trip(three, 3);
	round_trip(odd, 5);
}

static void test_cmd_encoding_is_padded_base64(void **state)
{
	(void)state;
	char *param;
	struct vb_err err;
	/* "ls\0" is 3 bytes: "bHMA"; "sh\0-c\0" is 6: "c2gALWMA". */
	const char *const ls[] = { "ls" };
	assert_int_equal(vb_zeroconf_encode_cmd(ls, 1, &param, &err), 0);
	assert_string_equal(param, "vmboot.cmd=bHMA");
	free(param);
	const char *const a[] = { "a" }; /* "a\0": 2 bytes, one '=' */
	assert_int_equal(vb_zeroconf_encode_cmd(a, 1, &param, &err), 0);
	assert_string_equal(param, "vmboot.cmd=YQA=");
	free(param);
}

static void test_cmd_limits(void **state)
{
	(void)state;
	char *param = (char *)"x";
	struct vb_err err = { "" };
	assert_int_equal(vb_zeroconf_encode_cmd(NULL, 0, &param, &err), -EINVAL);
	assert_null(param);
	const char *many[VB_GINIT_MAX_ARGS + 1];
	for (size_t i = 0; i <= VB_GINIT_MAX_ARGS; i++)
		many[i] = "x";
	assert_int_equal(vb_zeroconf_encode_cmd(many, VB_GINIT_MAX_ARGS + 1, &param, &err),
			 -E2BIG);
	assert_non_null(strstr(err.msg, "at most"));
	assert_int_equal(vb_zeroconf_encode_cmd(many, VB_GINIT_MAX_ARGS, &param, &err), 0);
	free(param);
	static char big[VB_GINIT_MAX_CMD_BYTES + 1];
	memset(big, 'b', sizeof(big) - 1);
	const char *const huge[] = { big };
	assert_int_equal(vb_zeroconf_encode_cmd(huge, 1, &param, &err), -E2BIG);
}

/* ---- the tree ---- */

static const struct vb_loc here = { "test", 1, 1 };

static struct vb_node *member(struct vb_node *table, enum vb_node_kind kind, const char *key)
{
	struct vb_node *n = vb_node_new(kind, here);
	assert_non_null(n);
	if (key)
		assert_int_equal(vb_node_set_key(n, key, here), 0);
	assert_int_equal(vb_node_append(table, n), 0);
	return n;
}

static void set_string(struct vb_node *table, const char *key, const char *value)
{
	struct vb_node *n = member(table, VB_NODE_STRING, key);
	assert_int_equal(vb_node_set_string(n, value, strlen(value)), 0);
}

static const char *string_of(const struct vb_node *table, const char *key)
{
	const struct vb_node *n = vb_node_get(table, key);
	return n && n->kind == VB_NODE_STRING ? n->string : NULL;
}

static void test_apply_empty_tree(void **state)
{
	(void)state;
	struct vb_node *root = vb_node_new(VB_NODE_TABLE, here);
	const char *const argv[] = { "sh", "-c", "exit 3" };
	struct vb_zeroconf_request req = { "/boot/vmlinuz-6.1.0-9-amd64", argv, 3, true };
	struct vb_zeroconf_plan plan;
	struct vb_err err = { "" };
	assert_true(vb_zeroconf_wanted(root));
	assert_int_equal(vb_zeroconf_apply(root, &req, &plan, &err), 0);
	assert_true(plan.host_kernel && plan.initramfs && plan.shared_host);
	assert_string_equal(string_of(root, "kernel"), "/boot/vmlinuz-6.1.0-9-amd64");
	assert_null(vb_node_get(root, "initrd"));
	const char *params = string_of(root, "params");
	assert_non_null(params);
	assert_int_equal(strncmp(params, "quiet vmboot.cmd=", 17), 0);
	const struct vb_node *devs = vb_node_get(root, "devices");
	assert_non_null(devs);
	assert_int_equal(devs->n_items, 1);
	assert_string_equal(string_of(devs->items[0], "type"), "9p");
	assert_string_equal(string_of(devs->items[0], "path"), "/");
	assert_string_equal(string_of(devs->items[0], "tag"), "hostroot");
	const struct vb_node *ro = vb_node_get(devs->items[0], "readonly");
	assert_true(ro && ro->kind == VB_NODE_BOOL && ro->boolean);
	vb_node_free(root);
}

static void test_apply_keeps_file_params_and_share(void **state)
{
	(void)state;
	struct vb_node *root = vb_node_new(VB_NODE_TABLE, here);
	set_string(root, "params", "loglevel=3");
	struct vb_node *devs = member(root, VB_NODE_LIST, "devices");
	struct vb_node *share = member(devs, VB_NODE_TABLE, NULL);
	set_string(share, "type", "9p");
	set_string(share, "path", "/srv");
	set_string(share, "tag", "hostroot");
	const char *const argv[] = { "true" };
	struct vb_zeroconf_request req = { "/boot/vmlinuz-x", argv, 1, true };
	struct vb_zeroconf_plan plan;
	struct vb_err err = { "" };
	assert_int_equal(vb_zeroconf_apply(root, &req, &plan, &err), 0);
	assert_true(plan.initramfs);
	assert_false(plan.shared_host);
	assert_int_equal(devs->n_items, 1);
	assert_string_equal(string_of(devs->items[0], "path"), "/srv");
	assert_string_equal(string_of(root, "params"), "loglevel=3 quiet vmboot.cmd=dHJ1ZQA=");
	vb_node_free(root);
}

static void test_apply_own_kernel_or_initrd(void **state)
{
	(void)state;
	struct vb_zeroconf_plan plan;
	struct vb_err err = { "" };
	const char *const argv[] = { "true" };
	struct vb_zeroconf_request shell = { "/boot/vmlinuz-x", NULL, 0, true };
	struct vb_zeroconf_request cmd = { "/boot/vmlinuz-x", argv, 1, true };

	struct vb_node *root = vb_node_new(VB_NODE_TABLE, here);
	set_string(root, "kernel", "/my/bzImage");
	assert_false(vb_zeroconf_wanted(root));
	assert_int_equal(vb_zeroconf_apply(root, &shell, &plan, &err), 0);
	assert_false(plan.host_kernel || plan.initramfs);
	assert_null(vb_node_get(root, "devices"));
	assert_int_equal(vb_zeroconf_apply(root, &cmd, &plan, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "without a kernel"));
	vb_node_free(root);

	/* The host kernel with the file's own initrd: no share, no command. */
	root = vb_node_new(VB_NODE_TABLE, here);
	set_string(root, "initrd", "/my/initrd");
	assert_int_equal(vb_zeroconf_apply(root, &shell, &plan, &err), 0);
	assert_true(plan.host_kernel);
	assert_false(plan.initramfs || plan.shared_host);
	assert_string_equal(string_of(root, "kernel"), "/boot/vmlinuz-x");
	assert_null(vb_node_get(root, "devices"));
	vb_node_free(root);
	root = vb_node_new(VB_NODE_TABLE, here);
	set_string(root, "initrd", "/my/initrd");
	assert_int_equal(vb_zeroconf_apply(root, &cmd, &plan, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "without an initrd"));
	vb_node_free(root);

	/* A build without a 9p device: no share. */
	root = vb_node_new(VB_NODE_TABLE, here);
	struct vb_zeroconf_request no9p = { "/boot/vmlinuz-x", NULL, 0, false };
	assert_int_equal(vb_zeroconf_apply(root, &no9p, &plan, &err), 0);
	assert_true(plan.initramfs);
	assert_false(plan.shared_host);
	assert_null(vb_node_get(root, "devices"));
	vb_node_free(root);
}

/* ---- the status filter ---- */

struct sink {
	char data[4096];
	size_t len;
	size_t writes;
	long fail;
};

static long sink_write(void *ctx, const uint8_t *buf, size_t n)
{
	struct sink *s = ctx;
	if (s->fail)
		return s->fail;
	assert_true(s->len + n < sizeof(s->data));
	memcpy(s->data + s->len, buf, n);
	s->len += n;
	s->data[s->len] = 0;
	s->writes++;
	return (long)n;
}

static void put(struct vb_zeroconf_status *f, const char *text)
{
	assert_int_equal(vb_zeroconf_status_write(f, (const uint8_t *)text, strlen(text)),
			 (long)strlen(text));
}

static void test_status_whole_line(void **state)
{
	(void)state;
	struct sink s = { .len = 0 };
	struct vb_console out = { sink_write, &s };
	struct vb_zeroconf_status f;
	vb_zeroconf_status_init(&f, &out, true);
	assert_int_equal(vb_zeroconf_status_exit(&f), -1);
	put(&f, "Linux version 6.1.0\r\nVMBOOT-STATUS: exit=3\r\n");
	assert_int_equal(vb_zeroconf_status_flush(&f), 0);
	assert_string_equal(s.data, "Linux version 6.1.0\r\n");
	assert_true(f.seen);
	assert_int_equal(vb_zeroconf_status_exit(&f), 3);
}

/* The line arriving one byte per write (the UART's way), and in odd
 * pieces: recognised all the same, and none of it shown. */
static void test_status_split_across_writes(void **state)
{
	(void)state;
	const char *text = "out\nVMBOOT-STATUS: signal=9\r\nreboot: Restarting system\r\n";
	for (size_t piece = 1; piece <= 7; piece++) {
		struct sink s = { .len = 0 };
		struct vb_console out = { sink_write, &s };
		struct vb_zeroconf_status f;
		vb_zeroconf_status_init(&f, &out, true);
		for (size_t at = 0; at < strlen(text); at += piece) {
			size_t n = strlen(text) - at < piece ? strlen(text) - at : piece;
			assert_int_equal(vb_zeroconf_status_write(&f, (const uint8_t *)text + at, n),
					 (long)n);
			assert_null(strstr(s.data, "VMBOOT"));
		}
		vb_zeroconf_status_flush(&f);
		assert_string_equal(s.data, "out\nreboot: Restarting system\r\n");
		assert_int_equal(vb_zeroconf_status_exit(&f), 128 + 9);
	}
}

static void test_status_mid_line_and_lookalikes(void **state)
{
	(void)state;
	struct sink s = { .len = 0 };
	struct vb_console out = { sink_write, &s };
	struct vb_zeroconf_status f;
	vb_zeroconf_status_init(&f, &out, true);
	/* Not status lines: shown unchanged, in order. */
	const char *shown = "VMBOOT-STATUS: exit=\r\nVMBOOT-STATUS: exit=1234\r\n"
			    "VMBOOT-STATUS: quit=1\nVMBOOT-STATUS: exit=7 more\nVVMBOOT\nVolume V\n";
	put(&f, shown);
	assert_string_equal(s.data, shown);
	assert_false(f.seen);
	/* A command whose output ends without a newline: the status follows
	 * on the same line and is still taken out. */
	put(&f, "no newline");
	put(&f, "VMBOOT-STA");
	put(&f, "TUS: exit=0\n");
	vb_zeroconf_status_flush(&f);
	assert_int_equal(s.len, strlen(shown) + strlen("no newline"));
	assert_int_equal(vb_zeroconf_status_exit(&f), 0);
}

static void test_status_line_start_only(void **state)
{
	(void)state;
	struct sink s = { .len = 0 };
	struct vb_console out = { sink_write, &s };
	struct vb_zeroconf_status f;
	vb_zeroconf_status_init(&f, &out, false);
	/* Shell mode: a 'V' typed mid-line is echoed at once, never held. */
	put(&f, "# V");
	assert_string_equal(s.data, "# V");
	put(&f, "MBOOT-STATUS: exit=1\r\n# exit\r\nVMBOOT-STATUS: exit=2\r\n");
	vb_zeroconf_status_flush(&f);
	assert_string_equal(s.data, "# VMBOOT-STATUS: exit=1\r\n# exit\r\n");
	assert_int_equal(vb_zeroconf_status_exit(&f), 2);
}

static void test_status_flush_and_errors(void **state)
{
	(void)state;
	struct sink s = { .len = 0 };
	struct vb_console out = { sink_write, &s };
	struct vb_zeroconf_status f;
	vb_zeroconf_status_init(&f, &out, true);
	put(&f, "VMBOOT-STATUS: ex");
	assert_int_equal(s.len, 0);
	assert_int_equal(vb_zeroconf_status_flush(&f), 0);
	assert_string_equal(s.data, "VMBOOT-STATUS: ex");
	assert_false(f.seen);
	s.fail = -EIO;
	assert_int_equal(vb_zeroconf_status_write(&f, (const uint8_t *)"x", 1), -EIO);
	/* No downstream: output dropped, status still read. */
	vb_zeroconf_status_init(&f, NULL, true);
	put(&f, "hello\nVMBOOT-STATUS: exit=42\n");
	assert_int_equal(vb_zeroconf_status_exit(&f), 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_running_release_first),
		cmocka_unit_test(test_kernel_newest_otherwise),
		cmocka_unit_test(test_kernel_none),
		cmocka_unit_test(test_kernel_release),
		cmocka_unit_test(test_cmd_round_trip),
		cmocka_unit_test(test_cmd_encoding_is_padded_base64),
		cmocka_unit_test(test_cmd_limits),
		cmocka_unit_test(test_apply_empty_tree),
		cmocka_unit_test(test_apply_keeps_file_params_and_share),
		cmocka_unit_test(test_apply_own_kernel_or_initrd),
		cmocka_unit_test(test_status_whole_line),
		cmocka_unit_test(test_status_split_across_writes),
		cmocka_unit_test(test_status_mid_line_and_lookalikes),
		cmocka_unit_test(test_status_line_start_only),
		cmocka_unit_test(test_status_flush_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
