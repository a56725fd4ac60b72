#include "arch/x86/insn.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

/* Opcode values and encodings: Intel SDM vol. 2, chapter 2 (format,
 * prefixes, REX, VEX, EVEX) and appendix A (opcode maps). */

enum dec_status { DEC_OK, DEC_UNKNOWN, DEC_TRUNCATED };

struct dec {
	const uint8_t *code;
	size_t len;   /* min(code_bytes, 15) */
	size_t pos;
	enum vb_x86_mode mode;
	bool o16;     /* 66: operand-size override */
	bool rep;     /* F3 */
	bool repne;   /* F2 */
	bool lock;    /* F0 */
	uint8_t rex;  /* 0 when absent; only in 64-bit mode */
	char *out;
	size_t out_bytes;
};

#define REX_W 0x08u
#define REX_R 0x04u

/* The only place code[] is read: every access is bounds-checked. */
static bool fetch(struct dec *d, uint8_t *byte)
{
	if (d->pos >= d->len)
		return false;
	*byte = d->code[d->pos++];
	return true;
}

static bool peek(const struct dec *d, uint8_t *byte)
{
	if (d->pos >= d->len)
		return false;
	*byte = d->code[d->pos];
	return true;
}

static enum dec_status emit(struct dec *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum dec_status emit(struct dec *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->out, d->out_bytes, fmt, ap);
	va_end(ap);
	return DEC_OK;
}

static enum dec_status name(struct dec *d, const char *mnemonic)
{
	return mnemonic ? emit(d, "%s", mnemonic) : DEC_UNKNOWN;
}

/* Names with a 64-bit form selected by REX.W (fxsave64, xsave64...). */
static enum dec_status name_w64(struct dec *d, const char *mnemonic)
{
	if (!mnemonic)
		return DEC_UNKNOWN;
	return emit(d, "%s%s", mnemonic, (d->rex & REX_W) ? "64" : "");
}

static unsigned operand_bits(const struct dec *d)
{
	if (d->mode == VB_X86_MODE_64)
		return (d->rex & REX_W) ? 64 : (d->o16 ? 16 : 32);
	if (d->mode == VB_X86_MODE_32)
		return d->o16 ? 16 : 32;
	return d->o16 ? 32 : 16;
}

static unsigned modrm_mod(uint8_t m) { return m >> 6; }
static unsigned modrm_reg(uint8_t m) { return (m >> 3) & 7u; }

/* ---- legacy prefixes and REX (SDM vol. 2A 2.1.1, 2.2.1) ---- */

static bool take_legacy_prefix(struct dec *d, uint8_t b)
{
	switch (b) {
	case 0x66: d->o16 = true; break;
	case 0xF3: d->rep = true; break;
	case 0xF2: d->repne = true; break;
	case 0xF0: d->lock = true; break;
	case 0x67: /* address size: no effect on any name here */
	case 0x2E: case 0x36: case 0x3E: case 0x26: case 0x64: case 0x65:
		break;
	default:
		return false;
	}
	return true;
}

/* Returns false if the bytes end inside the prefixes. A REX byte only
 * counts when it is the last prefix; one followed by a legacy prefix is
 * ignored, as the CPU does. */
static bool skip_prefixes(struct dec *d)
{
	uint8_t b;
	while (peek(d, &b)) {
		if (take_legacy_prefix(d, b)) {
			d->rex = 0;
		} else if (d->mode == VB_X86_MODE_64 && (b & 0xF0u) == 0x40u) {
			d->rex = b;
		} else {
			return true;
		}
		d->pos++;
	}
	return false;
}

/* ---- one-byte opcode map ---- */

static const char *width_reg(const struct dec *d, uint8_t opcode)
{
	/* Even opcodes of the in/out pairs are the byte forms; the others
	 * use eAX sized by the operand size, which is at most 32 for I/O. */
	if ((opcode & 1u) == 0)
		return "al";
	return operand_bits(d) == 16 ? "ax" : "eax";
}

static enum dec_status decode_port_io(struct dec *d, uint8_t op)
{
	uint8_t port;
	const char *reg = width_reg(d, op);

	switch (op) {
	case 0xE4: case 0xE5:
		if (!fetch(d, &port))
			return DEC_TRUNCATED;
		return emit(d, "in %s, 0x%02x", reg, port);
	case 0xE6: case 0xE7:
		if (!fetch(d, &port))
			return DEC_TRUNCATED;
		return emit(d, "out 0x%02x, %s", port, reg);
	case 0xEC: case 0xED:
		return emit(d, "in %s, dx", reg);
	case 0xEE: case 0xEF:
		return emit(d, "out dx, %s", reg);
	default:
		return DEC_UNKNOWN;
	}
}

static enum dec_status decode_string_io(struct dec *d, uint8_t op)
{
	const char *base = (op <= 0x6D) ? "ins" : "outs";
	char size = (op & 1u) == 0 ? 'b' : (operand_bits(d) == 16 ? 'w' : 'd');
	/* F2 and F3 both repeat INS/OUTS (SDM vol. 2B, REP). */
	return emit(d, "%s%s%c", (d->rep || d->repne) ? "rep " : "", base, size);
}

static enum dec_status decode_iret(struct dec *d)
{
	unsigned bits = operand_bits(d);
	return name(d, bits == 64 ? "iretq" : bits == 32 ? "iretd" : "iret");
}

/* C4/C5 (VEX) and 62 (EVEX) are LES/LDS/BOUND outside 64-bit mode unless
 * the next byte would be a register-form ModRM (mod == 11), which those
 * instructions cannot use (SDM vol. 2A 2.3.5). */
static enum dec_status decode_vex_or_legacy(struct dec *d, uint8_t op)
{
	uint8_t next;
	if (d->mode != VB_X86_MODE_64) {
		if (!peek(d, &next))
			return DEC_TRUNCATED;
		if (modrm_mod(next) != 3)
			return name(d, op == 0xC4 ? "les" : op == 0xC5 ? "lds" : "bound");
	}
	return name(d, op == 0x62 ? "AVX-512 (EVEX-encoded)" : "AVX (VEX-encoded)");
}

static enum dec_status decode_0f(struct dec *d);

static enum dec_status decode_one_byte(struct dec *d, uint8_t op)
{
	uint8_t vec;

	switch (op) {
	case 0x0F:
		return decode_0f(d);
	case 0xCC: return name(d, "int3");
	case 0xF1: return name(d, "int1");
	case 0xF4: return name(d, "hlt");
	case 0xFA: return name(d, "cli");
	case 0xFB: return name(d, "sti");
	case 0xCF: return decode_iret(d);
	case 0xCD:
		if (!fetch(d, &vec))
			return DEC_TRUNCATED;
		return emit(d, "int 0x%02x", vec);
	case 0x6C: case 0x6D: case 0x6E: case 0x6F:
		return decode_string_io(d, op);
	case 0xE4: case 0xE5: case 0xE6: case 0xE7:
	case 0xEC: case 0xED: case 0xEE: case 0xEF:
		return decode_port_io(d, op);
	case 0xC4: case 0xC5:
		return decode_vex_or_legacy(d, op);
	case 0x62:
		return decode_vex_or_legacy(d, op);
	default:
		if (op >= 0xD8 && op <= 0xDF)
			return name(d, "x87 FPU");
		return DEC_UNKNOWN;
	}
}

/* ---- two-byte map, 0F xx ---- */

struct op_name {
	uint8_t op;
	const char *name;
};

/* 0F opcodes that need no ModRM and have one fixed name. */
static const struct op_name two_byte_plain[] = {
	{ 0x05, "syscall" }, { 0x06, "clts" },    { 0x08, "invd" },
	{ 0x09, "wbinvd" },  { 0x0B, "ud2" },     { 0x30, "wrmsr" },
	{ 0x31, "rdtsc" },   { 0x32, "rdmsr" },   { 0x33, "rdpmc" },
	{ 0x34, "sysenter" }, { 0x35, "sysexit" }, { 0x37, "getsec" },
	{ 0x77, "emms" },    { 0xA2, "cpuid" },   { 0xAA, "rsm" },
};

/* Group 7 (0F 01) register forms, keyed by the whole ModRM byte. */
static const struct op_name group7_reg[] = {
	{ 0xC1, "vmcall" },   { 0xC2, "vmlaunch" }, { 0xC3, "vmresume" },
	{ 0xC4, "vmxoff" },   { 0xC8, "monitor" },  { 0xC9, "mwait" },
	{ 0xCA, "clac" },     { 0xCB, "stac" },     { 0xD0, "xgetbv" },
	{ 0xD1, "xsetbv" },   { 0xD4, "vmfunc" },   { 0xD8, "vmrun" },
	{ 0xD9, "vmmcall" },  { 0xDA, "vmload" },   { 0xDB, "vmsave" },
	{ 0xDC, "stgi" },     { 0xDD, "clgi" },     { 0xDE, "skinit" },
	{ 0xDF, "invlpga" },  { 0xF8, "swapgs" },   { 0xF9, "rdtscp" },
	{ 0xFA, "monitorx" }, { 0xFB, "mwaitx" },
};

static const char *const group7_mem[8] = {
	"sgdt", "sidt", "lgdt", "lidt", "smsw", NULL, "lmsw", "invlpg",
};

static const char *const group6[8] = {
	"sldt", "str", "lldt", "ltr", "verr", "verw", NULL, NULL,
};

static const char *const group15_mem[8] = {
	"fxsave", "fxrstor", "ldmxcsr", "stmxcsr",
	"xsave", "xrstor", "xsaveopt", "clflush",
};

static const char *lookup(const struct op_name *table, size_t n, uint8_t op)
{
	for (size_t i = 0; i < n; i++)
		if (table[i].op == op)
			return table[i].name;
	return NULL;
}

#define LOOKUP(table, op) lookup((table), sizeof(table) / sizeof((table)[0]), (op))

static enum dec_status decode_group7(struct dec *d, uint8_t m)
{
	unsigned reg = modrm_reg(m);
	if (modrm_mod(m) != 3)
		return name(d, group7_mem[reg]);
	if (reg == 4)
		return name(d, "smsw");
	if (reg == 6)
		return name(d, "lmsw");
	return name(d, LOOKUP(group7_reg, m));
}

static enum dec_status decode_group15(struct dec *d, uint8_t m)
{
	unsigned reg = modrm_reg(m);
	if (modrm_mod(m) == 3) {
		static const char *const fsgs[4] = {
			"rdfsbase", "rdgsbase", "wrfsbase", "wrgsbase",
		};
		static const char *const fences[8] = {
			NULL, NULL, NULL, NULL, NULL, "lfence", "mfence", "sfence",
		};
		if (d->rep)
			return name(d, reg < 4 ? fsgs[reg] : NULL);
		return name(d, fences[reg]);
	}
	if (d->o16 && reg == 6)
		return name(d, "clwb");
	if (d->o16 && reg == 7)
		return name(d, "clflushopt");
	if (reg == 2 || reg == 3 || reg == 7)
		return name(d, group15_mem[reg]);
	return name_w64(d, group15_mem[reg]);
}

static enum dec_status decode_group9(struct dec *d, uint8_t m)
{
	unsigned reg = modrm_reg(m);
	if (modrm_mod(m) == 3) {
		if (reg == 6)
			return name(d, "rdrand");
		if (reg == 7)
			return name(d, d->rep ? "rdpid" : "rdseed");
		return DEC_UNKNOWN;
	}
	switch (reg) {
	case 1:
		return name(d, (d->rex & REX_W) ? "cmpxchg16b" : "cmpxchg8b");
	case 3: return name_w64(d, "xrstors");
	case 4: return name_w64(d, "xsavec");
	case 5: return name_w64(d, "xsaves");
	case 6:
		return name(d, d->rep ? "vmxon" : d->o16 ? "vmclear" : "vmptrld");
	case 7: return name(d, "vmptrst");
	default: return DEC_UNKNOWN;
	}
}

/* MOV to/from CR (0F 20/22) and DR (0F 21/23): ModRM.reg (+ REX.R) is the
 * control/debug register; the operand is always a register whatever
 * ModRM.mod says. LOCK turns CR0 into CR8 outside 64-bit mode (AMD APM
 * vol. 3, MOV CRn). */
static enum dec_status decode_mov_crdr(struct dec *d, uint8_t op, uint8_t m)
{
	unsigned n = modrm_reg(m) + ((d->rex & REX_R) ? 8u : 0u);
	bool is_cr = op == 0x20 || op == 0x22;
	if (is_cr && d->lock && d->mode != VB_X86_MODE_64)
		n += 8;
	return emit(d, "mov %s %s%u", (op & 2u) ? "to" : "from",
		    is_cr ? "cr" : "dr", n);
}

static bool is_simd_0f(uint8_t op)
{
	return (op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2F) ||
	       (op >= 0x50 && op <= 0x7F) || (op >= 0xC2 && op <= 0xC6) ||
	       (op >= 0xD0 && op <= 0xFE);
}

/* Three-byte maps 0F 38 and 0F 3A are almost all SIMD; the exceptions
 * that matter to a hypervisor are named. */
static enum dec_status decode_three_byte(struct dec *d, uint8_t map)
{
	uint8_t op;
	if (!fetch(d, &op))
		return DEC_TRUNCATED;
	if (map == 0x38 && d->o16) {
		if (op == 0x80) return name(d, "invept");
		if (op == 0x81) return name(d, "invvpid");
		if (op == 0x82) return name(d, "invpcid");
	}
	if (map == 0x38 && (op == 0xF0 || op == 0xF1))
		return name(d, d->repne ? "crc32" : "movbe");
	return name(d, "SSE (legacy-encoded)");
}

static bool needs_modrm(uint8_t op)
{
	switch (op) {
	case 0x00: case 0x01: case 0x20: case 0x21: case 0x22: case 0x23:
	case 0xAE: case 0xC7:
		return true;
	default:
		return false;
	}
}

static enum dec_status decode_0f_modrm(struct dec *d, uint8_t op, uint8_t m)
{
	switch (op) {
	case 0x00: return name(d, group6[modrm_reg(m)]);
	case 0x01: return decode_group7(d, m);
	case 0xAE: return decode_group15(d, m);
	case 0xC7: return decode_group9(d, m);
	default:   return decode_mov_crdr(d, op, m);
	}
}

static enum dec_status decode_0f(struct dec *d)
{
	uint8_t op, m;
	const char *plain;

	if (!fetch(d, &op))
		return DEC_TRUNCATED;
	if (needs_modrm(op)) {
		if (!fetch(d, &m))
			return DEC_TRUNCATED;
		return decode_0f_modrm(d, op, m);
	}
	plain = LOOKUP(two_byte_plain, op);
	if (plain)
		return name(d, plain);
	switch (op) {
	case 0x07:
		return name(d, (d->rex & REX_W) ? "sysretq" : "sysret");
	case 0x0F:
		return name(d, "3DNow!");
	case 0x38: case 0x3A:
		return decode_three_byte(d, op);
	case 0x78: case 0x79:
		/* With 66/F2 these are SSE4a EXTRQ/INSERTQ. */
		if (!d->o16 && !d->rep && !d->repne)
			return name(d, op == 0x78 ? "vmread" : "vmwrite");
		return name(d, "SSE (legacy-encoded)");
	case 0xB9: return name(d, "ud1");
	case 0xFF: return name(d, "ud0");
	default:
		if (is_simd_0f(op))
			return name(d, "SSE (legacy-encoded)");
		return DEC_UNKNOWN;
	}
}

void vb_x86_insn_describe(const uint8_t *code, size_t code_bytes,
			  enum vb_x86_mode mode, char *buf, size_t buf_bytes)
{
	struct dec d = {
		.code = code,
		.len = code_bytes < VB_X86_INSN_MAX_BYTES ? code_bytes
							  : VB_X86_INSN_MAX_BYTES,
		.mode = mode,
		.out = buf,
		.out_bytes = buf_bytes,
	};
	enum dec_status st;
	uint8_t op = 0;

	if (buf_bytes == 0)
		return;
	if (code == NULL)
		d.len = 0;
	if (!skip_prefixes(&d)) {
		/* 15 prefixes leave no room for an opcode: the CPU raises #GP
		 * for an over-long instruction, so it is not truncation. */
		st = d.len == VB_X86_INSN_MAX_BYTES ? DEC_UNKNOWN : DEC_TRUNCATED;
	} else {
		(void)fetch(&d, &op);
		st = decode_one_byte(&d, op);
	}
	if (st == DEC_TRUNCATED)
		snprintf(buf, buf_bytes, "truncated instruction");
	else if (st == DEC_UNKNOWN)
		snprintf(buf, buf_bytes, "unknown instruction");
}

void vb_x86_insn_format_bytes(const uint8_t *code, size_t code_bytes,
			      char *buf, size_t buf_bytes)
{
	size_t used = 0;

	if (buf_bytes == 0)
		return;
	buf[0] = '\0';
	if (code == NULL)
		return;
	if (code_bytes > VB_X86_INSN_MAX_BYTES)
		code_bytes = VB_X86_INSN_MAX_BYTES;
	for (size_t i = 0; i < code_bytes; i++) {
		/* Each byte needs 2 digits, a separator and room for NUL. */
		size_t need = (i ? 1u : 0u) + 2u;
		if (used + need >= buf_bytes)
			break;
		used += (size_t)snprintf(buf + used, buf_bytes - used, "%s%02x",
					 i ? " " : "", code[i]);
	}
}
