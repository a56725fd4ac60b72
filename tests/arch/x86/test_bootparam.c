/* Cross-check vmboot's own boot_params / setup_header layout against the
 * kernel's UAPI header from linux-libc-dev, when it is installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "arch/x86/bootparam.h"

#if defined(__has_include)
#if __has_include(<asm/bootparam.h>)
#define HAVE_ASM_BOOTPARAM 1
#include <asm/bootparam.h>
#endif
#endif

#ifdef HAVE_ASM_BOOTPARAM
#define SAME_HDR(f) \
	assert_int_equal(offsetof(struct vb_setup_header, f), offsetof(struct setup_header, f))
#define SAME_BP(f) \
	assert_int_equal(offsetof(struct vb_boot_params, f), offsetof(struct boot_params, f))

static void test_setup_header(void **state)
{
	(void)state;
	SAME_HDR(setup_sects);
	SAME_HDR(boot_flag);
	SAME_HDR(header);
	SAME_HDR(version);
	SAME_HDR(type_of_loader);
	SAME_HDR(loadflags);
	SAME_HDR(code32_start);
	SAME_HDR(ramdisk_image);
	SAME_HDR(ramdisk_size);
	SAME_HDR(heap_end_ptr);
	SAME_HDR(cmd_line_ptr);
	SAME_HDR(initrd_addr_max);
	SAME_HDR(kernel_alignment);
	SAME_HDR(relocatable_kernel);
	SAME_HDR(xloadflags);
	SAME_HDR(cmdline_size);
	SAME_HDR(pref_address);
	SAME_HDR(init_size);
	SAME_HDR(kernel_info_offset);
	assert_int_equal(sizeof(struct vb_setup_header), sizeof(struct setup_header));
}

static void test_boot_params(void **state)
{
	(void)state;
	SAME_BP(ext_ramdisk_image);
	SAME_BP(ext_ramdisk_size);
	SAME_BP(ext_cmd_line_ptr);
	SAME_BP(alt_mem_k);
	SAME_BP(e820_entries);
	SAME_BP(sentinel);
	SAME_BP(hdr);
	SAME_BP(edd_mbr_sig_buffer);
	SAME_BP(e820_table);
	assert_int_equal(sizeof(struct vb_boot_params), sizeof(struct boot_params));
	assert_int_equal(sizeof(struct vb_e820_entry), sizeof(struct boot_e820_entry));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setup_header),
		cmocka_unit_test(test_boot_params),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
int main(void)
{
	printf("SKIP: <asm/bootparam.h> not installed (linux-libc-dev)\n");
	return 77;
}
#endif
