/* Naming the instruction a guest died on, for KVM_EXIT_INTERNAL_ERROR
 * (emulation failure) reports.
 *
 * When KVM cannot emulate an instruction it reports the bytes at RIP. A
 * user seeing "0f ae 27" learns little; "xsave" points at the missing CPU
 * feature. This is a table-driven recognizer for the instructions a guest
 * kernel typically stops on under emulation (XSAVE family, FXSAVE, MSR and
 * TSC access, port I/O, descriptor-table and control-register moves,
 * hypercalls, VEX/EVEX-encoded SIMD...), not a disassembler: anything else
 * is "unknown instruction". Legacy prefixes (operand/address size,
 * segment overrides, LOCK, REP) and, in 64-bit mode, REX are understood.
 *
 * The bytes are guest-controlled: the decoder never reads past code_bytes
 * (nor past the architectural 15-byte limit) whatever they contain.
 * Pure: no allocation; output strings are written into caller buffers. */
#ifndef VB_ARCH_X86_INSN_H
#define VB_ARCH_X86_INSN_H

#include <stddef.h>
#include <stdint.h>

/* SDM vol. 2A 2.3.11: no x86 instruction is longer than 15 bytes. */
#define VB_X86_INSN_MAX_BYTES 15u

/* Default operand/address size of the code segment at the fault (from
 * CR0.PE, EFER.LMA and CS.L/CS.D of the vCPU's registers). */
enum vb_x86_mode {
	VB_X86_MODE_16,
	VB_X86_MODE_32,
	VB_X86_MODE_64,
};

/* Short description such as "xsave", "wrmsr", "in al, 0x60",
 * "mov to cr4", "int 0x80", "AVX (VEX-encoded)". If the bytes end before
 * the instruction is identified: "truncated instruction"; otherwise
 * unrecognized: "unknown instruction". Always NUL-terminates when
 * buf_bytes > 0. */
void vb_x86_insn_describe(const uint8_t *code, size_t code_bytes,
			  enum vb_x86_mode mode, char *buf, size_t buf_bytes);

/* The bytes as lowercase hex separated by spaces ("0f ae 2f"), at most
 * VB_X86_INSN_MAX_BYTES of them; output is cut short (still terminated)
 * if buf is too small. 3 * 15 bytes is always enough. */
void vb_x86_insn_format_bytes(const uint8_t *code, size_t code_bytes,
			      char *buf, size_t buf_bytes);

#endif
