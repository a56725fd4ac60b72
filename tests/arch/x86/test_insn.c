/* Instruction describer: names, prefixes, REX, modes, truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/insn.h"

#define M16 VB_X86_MODE_16
#define M32 VB_X86_MODE_32
#define M64 VB_X86_MODE_64

struct tcase {
	enum vb_x86_mode mode;
	const char *hex;    /* bytes at RIP */
	size_t need;        /* bytes needed to name it; 0 = all of them */
	const char *expect;
};

static const struct tcase cases[] = {
	/* XSAVE family and FXSAVE, memory forms, with and without REX.W */
	{ M64, "0f ae 27", 0, "xsave" },
	{ M64, "48 0f ae 27", 0, "xsave64" },
	{ M64, "0f ae 2f", 0, "xrstor" },
	{ M64, "49 0f ae 2f", 0, "xrstor64" },
	{ M64, "0f ae 37", 0, "xsaveopt" },
	{ M64, "0f c7 27", 0, "xsavec" },
	{ M64, "0f c7 1f", 0, "xrstors" },
	{ M64, "48 0f c7 2f", 0, "xsaves64" },
	{ M64, "0f ae 07", 0, "fxsave" },
	{ M64, "48 0f ae 0f", 0, "fxrstor64" },
	{ M32, "0f ae 0e", 0, "fxrstor" },
	{ M32, "3e 0f ae 65 f0", 3 + 1, "xsave" }, /* segment prefix + disp */
	{ M64, "66 0f ae 30", 0, "clwb" },
	{ M64, "0f ae f0", 0, "mfence" },
	/* traps and interrupts */
	{ M64, "cc", 0, "int3" },
	{ M32, "cd 80", 0, "int 0x80" },
	{ M16, "cd 10", 0, "int 0x10" },
	{ M64, "0f 0b", 0, "ud2" },
	{ M64, "f4", 0, "hlt" },
	{ M16, "f4", 0, "hlt" },
	{ M64, "fa", 0, "cli" },
	{ M64, "fb", 0, "sti" },
	{ M64, "48 cf", 0, "iretq" },
	{ M32, "cf", 0, "iretd" },
	{ M16, "cf", 0, "iret" },
	{ M16, "66 cf", 0, "iretd" },
	/* CPUID, MSRs, counters */
	{ M64, "0f a2", 0, "cpuid" },
	{ M64, "0f 32", 0, "rdmsr" },
	{ M64, "0f 30", 0, "wrmsr" },
	{ M64, "41 0f 30", 0, "wrmsr" },
	{ M64, "0f 31", 0, "rdtsc" },
	{ M64, "0f 01 f9", 0, "rdtscp" },
	{ M64, "0f 33", 0, "rdpmc" },
	/* port I/O */
	{ M64, "e4 60", 0, "in al, 0x60" },
	{ M32, "e5 71", 0, "in eax, 0x71" },
	{ M32, "66 e5 71", 0, "in ax, 0x71" },
	{ M16, "e5 71", 0, "in ax, 0x71" },
	{ M64, "e6 80", 0, "out 0x80, al" },
	{ M64, "ec", 0, "in al, dx" },
	{ M64, "ed", 0, "in eax, dx" },
	{ M64, "ee", 0, "out dx, al" },
	{ M64, "66 ef", 0, "out dx, ax" },
	{ M64, "48 ef", 0, "out dx, eax" },
	{ M64, "6c", 0, "insb" },
	{ M64, "f3 6d", 0, "rep insd" },
	{ M16, "f3 6f", 0, "rep outsw" },
	{ M32, "f3 66 6f", 0, "rep outsw" },
	{ M64, "6e", 0, "outsb" },
	/* system instructions */
	{ M64, "0f 01 15 00 10 00 00", 3, "lgdt" },
	{ M32, "0f 01 1d 00 20 00 00", 3, "lidt" },
	{ M16, "66 0f 01 16 00 7c", 4, "lgdt" },
	{ M64, "0f 01 f0", 0, "lmsw" },
	{ M32, "0f 01 36", 0, "lmsw" },
	{ M64, "0f 01 38", 0, "invlpg" },
	{ M64, "0f 00 d8", 0, "ltr" },
	{ M64, "0f 22 d8", 0, "mov to cr3" },
	{ M64, "0f 22 e0", 0, "mov to cr4" },
	{ M64, "0f 20 c0", 0, "mov from cr0" },
	{ M64, "44 0f 22 c0", 0, "mov to cr8" },
	{ M32, "f0 0f 22 c0", 0, "mov to cr8" },
	{ M64, "0f 23 f8", 0, "mov to dr7" },
	{ M64, "0f 21 c8", 0, "mov from dr1" },
	{ M64, "0f 01 c1", 0, "vmcall" },
	{ M64, "0f 01 d9", 0, "vmmcall" },
	{ M64, "0f 05", 0, "syscall" },
	{ M64, "0f 07", 0, "sysret" },
	{ M64, "48 0f 07", 0, "sysretq" },
	{ M64, "0f 01 c8", 0, "monitor" },
	{ M64, "0f 01 c9", 0, "mwait" },
	{ M64, "0f 01 d1", 0, "xsetbv" },
	{ M64, "0f c7 f0", 0, "rdrand" },
	{ M64, "48 0f c7 f8", 0, "rdseed" },
	{ M64, "66 0f c7 f0", 0, "rdrand" },
	{ M64, "0f 09", 0, "wbinvd" },
	{ M64, "0f 78 c0", 2, "vmread" },
	/* SIMD */
	{ M64, "c5 f8 77", 1, "AVX (VEX-encoded)" },
	{ M64, "c4 e2 79 18 07", 1, "AVX (VEX-encoded)" },
	{ M32, "c5 f8 77", 2, "AVX (VEX-encoded)" },
	{ M32, "c5 06", 2, "lds" },
	{ M64, "62 f1 7c 48 28 c1", 1, "AVX-512 (EVEX-encoded)" },
	{ M32, "62 f1 7c 48 28 c1", 2, "AVX-512 (EVEX-encoded)" },
	{ M64, "66 0f 6f 07", 2 + 1, "SSE (legacy-encoded)" },
	{ M64, "0f 28 c1", 2, "SSE (legacy-encoded)" },
	{ M64, "66 0f 38 00 c1", 4, "SSE (legacy-encoded)" },
	{ M64, "66 0f 38 82 10", 4, "invpcid" },
	/* prefix soup: segment, address size, lock, REX before opcode */
	{ M64, "2e 67 0f 01 15 00 00 00 00", 5, "lgdt" },
	{ M64, "26 36 64 65 48 0f ae 27", 0, "xsave64" },
	/* REX followed by a legacy prefix is ignored */
	{ M64, "48 66 0f ae 27", 0, "xsave" },
	/* 0x40-0x4f are INC/DEC outside 64-bit mode, not REX */
	{ M32, "48", 0, "unknown instruction" },
	/* unknown */
	{ M64, "90", 0, "unknown instruction" },
	{ M64, "0f 01 ff", 0, "unknown instruction" },
	{ M64, "0f ae e0", 0, "unknown instruction" },
};

static size_t parse_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		char pair[3] = { hex[0], hex[1], 0 };
		assert_true(n < cap);
		out[n++] = (uint8_t)strtoul(pair, NULL, 16);
		hex += 2;
	}
	return n;
}

/* Exactly sized heap copy: ASan flags any read past k bytes. */
static void describe_exact(const uint8_t *bytes, size_t k, enum vb_x86_mode mode,
			   char *out, size_t out_bytes)
{
	uint8_t *copy = malloc(k ? k : 1);
	assert_non_null(copy);
	memcpy(copy, bytes, k);
	vb_x86_insn_describe(k ? copy : NULL, k, mode, out, out_bytes);
	free(copy);
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t bytes[16];
		char out[64];
		size_t n = parse_hex(cases[i].hex, bytes, sizeof(bytes));
		describe_exact(bytes, n, cases[i].mode, out, sizeof(out));
		if (strcmp(out, cases[i].expect) != 0)
			fail_msg("case %zu (%s): got \"%s\", want \"%s\"", i,
				 cases[i].hex, out, cases[i].expect);
	}
}

static void test_truncated(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t bytes[16];
		char out[64];
		size_t n = parse_hex(cases[i].hex, bytes, sizeof(bytes));
		size_t need = cases[i].need ? cases[i].need : n;
		for (size_t k = 0; k < n; k++) {
			describe_exact(bytes, k, cases[i].mode, out, sizeof(out));
			if (k < need && strcmp(out, "truncated instruction") != 0)
				fail_msg("case %zu (%s) cut to %zu: got \"%s\"", i,
					 cases[i].hex, k, out);
			if (k >= need && strcmp(out, cases[i].expect) != 0)
				fail_msg("case %zu (%s) cut to %zu: got \"%s\"", i,
					 cases[i].hex, k, out);
		}
	}
}

static void test_limits(void **state)
{
	(void)state;
	uint8_t bytes[32];
	char out[64];

	/* 15 prefixes: no opcode fits in an instruction. */
	memset(bytes, 0x66, sizeof(bytes));
	describe_exact(bytes, sizeof(bytes), M64, out, sizeof(out));
	assert_string_equal(out, "unknown instruction");
	/* 14 prefixes then 0f ae 27: past 15 bytes, never read. */
	bytes[14] = 0x0f;
	bytes[15] = 0xae;
	bytes[16] = 0x27;
	describe_exact(bytes, 17, M64, out, sizeof(out));
	assert_string_equal(out, "truncated instruction");
	/* Small output buffers are cut, not overrun. */
	bytes[0] = 0x0f;
	bytes[1] = 0xa2;
	describe_exact(bytes, 2, M64, out, 4);
	assert_string_equal(out, "cpu");
	describe_exact(bytes, 2, M64, out, 0);
	/* Every byte value as the first byte, in every mode, with tails of
	 * 0xff: no crash, always some text. */
	for (int mode = M16; mode <= M64; mode++) {
		for (unsigned b = 0; b < 256; b++) {
			for (size_t k = 1; k <= 3; k++) {
				memset(bytes, 0xff, sizeof(bytes));
				bytes[0] = (uint8_t)b;
				describe_exact(bytes, k, (enum vb_x86_mode)mode, out,
					       sizeof(out));
				assert_true(strlen(out) > 0);
			}
		}
	}
}

static void test_format_bytes(void **state)
{
	(void)state;
	const uint8_t xs[] = { 0x0f, 0xae, 0x2f };
	uint8_t many[20];
	char out[64];

	vb_x86_insn_format_bytes(xs, sizeof(xs), out, sizeof(out));
	assert_string_equal(out, "0f ae 2f");
	vb_x86_insn_format_bytes(xs, 0, out, sizeof(out));
	assert_string_equal(out, "");
	/* Cut at a whole byte when the buffer is short. */
	vb_x86_insn_format_bytes(xs, sizeof(xs), out, 6);
	assert_string_equal(out, "0f ae");
	vb_x86_insn_format_bytes(xs, sizeof(xs), out, 5);
	assert_string_equal(out, "0f");
	/* At most 15 bytes, and 45 bytes of buffer hold them. */
	memset(many, 0xab, sizeof(many));
	vb_x86_insn_format_bytes(many, sizeof(many), out, 45);
	assert_int_equal(strlen(out), 15 * 3 - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_format_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
