/* The pure parts of the guest's init (ginit.c), in-process, and the built
 * vmboot-init being a static executable (the initramfs has no libc). */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "guestinit/ginit.h"

static void decodes(const char *in, const char *want, size_t want_len)
{
	uint8_t out[64];
	size_t len = 99;
	assert_int_equal(vb_ginit_base64_decode(in, strlen(in), out, sizeof(out), &len), 0);
	assert_int_equal(len, want_len);
	assert_memory_equal(out, want, len);
}

static void rejects(const char *in, size_t out_size, int rc)
{
	uint8_t out[64];
	size_t len;
	assert_int_equal(vb_ginit_base64_decode(in, strlen(in), out, out_size, &len), rc);
}

/* RFC 4648 section 10 test vectors, with and without padding. */
static void test_base64(void **state)
{
	(void)state;
	decodes("", "", 0);
	decodes("Zg==", "f", 1);
	decodes("Zm8=", "fo", 2);
	decodes("Zm9v", "foo", 3);
	decodes("Zm9vYg==", "foob", 4);
	decodes("Zm9vYmE=", "fooba", 5);
	decodes("Zm9vYmFy", "foobar", 6);
	decodes("Zm9vYmE", "fooba", 5);
	decodes("Y2F0AC9wcm9jL3ZlcnNpb24A", "cat\0/proc/version\0", 18);
	decodes("//+/", "\xff\xff\xbf", 3);
	rejects("Zm9v!", 64, -EINVAL);
	rejects("Z", 64, -EINVAL);
	rejects("Zg==Zg==", 64, -EINVAL);
	rejects("Zg===", 64, -EINVAL);
	rejects("Zm9=v", 64, -EINVAL);
	rejects("Zm9vYmFy", 5, -E2BIG);
}

static void test_cmd_from_cmdline(void **state)
{
	(void)state;
	struct vb_ginit_cmd cmd;
	char *argv[] = { "/init", "ignored", NULL };
	const char *line = "console=ttyS0 vmboot.cmd=Y2F0AC9wcm9jL3ZlcnNpb24A quiet\n";
	assert_int_equal(vb_ginit_parse_cmd(line, 2, argv, &cmd), 0);
	assert_int_equal(cmd.argc, 2);
	assert_string_equal(cmd.argv[0], "cat");
	assert_string_equal(cmd.argv[1], "/proc/version");
	assert_null(cmd.argv[2]);

	/* Spaces and quotes survive base64: sh\0-c\0echo "a b"\0 */
	line = "vmboot.cmd=c2gALWMAZWNobyAiYSBiIgA=";
	assert_int_equal(vb_ginit_parse_cmd(line, 1, argv, &cmd), 0);
	assert_int_equal(cmd.argc, 3);
	assert_string_equal(cmd.argv[2], "echo \"a b\"");

	/* Only a whole word counts. */
	line = "xvmboot.cmd=Y2F0AA==";
	assert_int_equal(vb_ginit_parse_cmd(line, 1, argv, &cmd), 0);
	assert_int_equal(cmd.argc, 0);

	/* Bad base64, or arguments without their NUL. */
	assert_int_equal(vb_ginit_parse_cmd("vmboot.cmd=%%%", 1, argv, &cmd), -EINVAL);
	assert_int_equal(vb_ginit_parse_cmd("vmboot.cmd=Y2F0", 1, argv, &cmd), -EINVAL);
}

static void test_cmd_from_argv(void **state)
{
	(void)state;
	struct vb_ginit_cmd cmd;
	char *argv[] = { "/init", "uname", "-a", NULL };
	assert_int_equal(vb_ginit_parse_cmd("console=ttyS0 -- uname -a", 3, argv, &cmd), 0);
	assert_int_equal(cmd.argc, 2);
	assert_string_equal(cmd.argv[0], "uname");
	assert_string_equal(cmd.argv[1], "-a");
	assert_null(cmd.argv[2]);
	assert_int_equal(vb_ginit_parse_cmd(NULL, 1, argv, &cmd), 0);
	assert_int_equal(cmd.argc, 0);
	assert_null(cmd.argv[0]);

	/* Too many arguments, too many bytes. */
	static char *many[VB_GINIT_MAX_ARGS + 2];
	for (int i = 0; i < VB_GINIT_MAX_ARGS + 2; i++)
		many[i] = "x";
	assert_int_equal(vb_ginit_parse_cmd(NULL, VB_GINIT_MAX_ARGS + 1, many, &cmd), 0);
	assert_int_equal(cmd.argc, VB_GINIT_MAX_ARGS);
	assert_int_equal(vb_ginit_parse_cmd(NULL, VB_GINIT_MAX_ARGS + 2, many, &cmd), -E2BIG);
	static char big[VB_GINIT_MAX_CMD_BYTES + 1];
	memset(big, 'a', sizeof(big) - 1);
	char *argv_big[] = { "/init", big, NULL };
	assert_int_equal(vb_ginit_parse_cmd(NULL, 2, argv_big, &cmd), -E2BIG);
}

static void test_status_line(void **state)
{
	(void)state;
	char buf[64];
	vb_ginit_format_status(0, buf, sizeof(buf));
	assert_string_equal(buf, "VMBOOT-STATUS: exit=0\n");
	vb_ginit_format_status(3 << 8, buf, sizeof(buf));
	assert_string_equal(buf, "VMBOOT-STATUS: exit=3\n");
	vb_ginit_format_status(255 << 8, buf, sizeof(buf));
	assert_string_equal(buf, "VMBOOT-STATUS: exit=255\n");
	vb_ginit_format_status(9, buf, sizeof(buf)); /* killed by SIGKILL */
	assert_string_equal(buf, "VMBOOT-STATUS: signal=9\n");
}

static void test_console_device(void **state)
{
	(void)state;
	char buf[32];
	assert_int_equal(vb_ginit_console_device("tty0 ttyS0\n", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/dev/ttyS0");
	assert_int_equal(vb_ginit_console_device("hvc0", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/dev/hvc0");
	assert_int_equal(vb_ginit_console_device("", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(vb_ginit_console_device(" \n", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(vb_ginit_console_device("../etc/x", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(vb_ginit_console_device("..", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(vb_ginit_console_device("averyveryverylongconsolename0123", buf, 16),
			 -ENOENT);
}

static void test_module_flags(void **state)
{
	(void)state;
	assert_int_equal(vb_ginit_module_flags("/lib/modules/ext4.ko"), 0);
	assert_int_equal(vb_ginit_module_flags("/lib/modules/ext4.ko.xz"), 4);
	assert_int_equal(vb_ginit_module_flags("/lib/modules/ext4.ko.zst"), 4);
	assert_int_equal(vb_ginit_module_flags("/lib/modules/ext4.ko.gz"), 4);
	assert_int_equal(vb_ginit_module_flags(".xz"), 0);
}

/* The built init has no program interpreter: it runs with no libc around. */
static void test_init_is_static(void **state)
{
	(void)state;
	const char *builddir = getenv("VB_BUILDDIR");
	char path[4096];
	snprintf(path, sizeof(path), "%s/src/guestinit/vmboot-init", builddir ? builddir : ".");
	FILE *f = fopen(path, "rb");
	if (!f)
		skip();
	Elf64_Ehdr eh;
	assert_int_equal(fread(&eh, sizeof(eh), 1, f), 1);
	assert_memory_equal(eh.e_ident, ELFMAG, SELFMAG);
	assert_int_equal(eh.e_ident[EI_CLASS], ELFCLASS64);
	assert_int_equal(eh.e_machine, EM_X86_64);
	assert_int_equal(eh.e_phentsize, sizeof(Elf64_Phdr));
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		assert_int_equal(fseek(f, (long)(eh.e_phoff + i * sizeof(ph)), SEEK_SET), 0);
		assert_int_equal(fread(&ph, sizeof(ph), 1, f), 1);
		assert_int_not_equal(ph.p_type, PT_INTERP);
		assert_int_not_equal(ph.p_type, PT_DYNAMIC);
	}
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_cmd_from_cmdline),
		cmocka_unit_test(test_cmd_from_argv),
		cmocka_unit_test(test_status_line),
		cmocka_unit_test(test_console_device),
		cmocka_unit_test(test_module_flags),
		cmocka_unit_test(test_init_is_static),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
