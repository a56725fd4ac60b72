/* AML encoder: every form checked byte for byte against encodings worked
 * out by hand from ACPI 6.5, chapter 20 (AML grammar) and 6.4 (resource
 * descriptors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/aml.h"

#define BUF_BYTES 256u

struct fixture {
	uint8_t buf[BUF_BYTES];
	struct vb_x86_aml a;
};

static struct fixture *fresh(void)
{
	static struct fixture f;
	memset(&f, 0, sizeof(f));
	vb_x86_aml_init(&f.a, f.buf, sizeof(f.buf));
	return &f;
}

/* The writer holds exactly want, and nothing went wrong on the way. */
#define EXPECT(f, ...)                                                         \
	do {                                                                   \
		const uint8_t want_[] = { __VA_ARGS__ };                       \
		assert_false((f)->a.bad);                                      \
		assert_true(vb_x86_aml_fits(&(f)->a));                         \
		assert_int_equal((f)->a.pos, sizeof(want_));                   \
		assert_memory_equal((f)->buf, want_, sizeof(want_));           \
	} while (0)

static void test_pkglength_boundaries(void **state)
{
	(void)state;
	uint8_t out[4];
	/* One byte holds 0-63, its own byte counted. */
	assert_int_equal(vb_x86_aml_pkglength(out, 0), 1);
	assert_int_equal(out[0], 0x01);
	assert_int_equal(vb_x86_aml_pkglength(out, 62), 1);
	assert_int_equal(out[0], 0x3F);
	/* 63 + 2 = 65 = 0x041: lead 0x40 | low nibble 1, then 0x04. */
	assert_int_equal(vb_x86_aml_pkglength(out, 63), 2);
	assert_int_equal(out[0], 0x41);
	assert_int_equal(out[1], 0x04);
	/* Two bytes hold up to 0xFFF. */
	assert_int_equal(vb_x86_aml_pkglength(out, 4093), 2);
	assert_int_equal(out[0], 0x4F);
	assert_int_equal(out[1], 0xFF);
	/* 4094 + 3 = 0x01001. */
	assert_int_equal(vb_x86_aml_pkglength(out, 4094), 3);
	assert_int_equal(out[0], 0x81);
	assert_int_equal(out[1], 0x00);
	assert_int_equal(out[2], 0x01);
	assert_int_equal(vb_x86_aml_pkglength(out, 0xFFFFF - 3), 3);
	assert_int_equal(out[0], 0x8F);
	assert_int_equal(out[1], 0xFF);
	assert_int_equal(out[2], 0xFF);
	/* 0xFFFFD + 4 = 0x100001. */
	assert_int_equal(vb_x86_aml_pkglength(out, 0xFFFFF - 2), 4);
	assert_int_equal(out[0], 0xC1);
	assert_int_equal(out[1], 0x00);
	assert_int_equal(out[2], 0x00);
	assert_int_equal(out[3], 0x01);
	assert_int_equal(vb_x86_aml_pkglength(out, 0xFFFFFFF - 4), 4);
	assert_int_equal(out[0], 0xCF);
	assert_int_equal(out[3], 0xFF);
	/* Beyond 28 bits there is no encoding. */
	assert_int_equal(vb_x86_aml_pkglength(out, 0xFFFFFFF - 3), 0);
}

/* Scope(_SB_) { n bytes }: the contents move down behind the PkgLength. */
static void scope_of(struct fixture *f, size_t n)
{
	size_t mark = vb_x86_aml_scope_open(&f->a, "_SB");
	for (size_t i = 0; i < n; i++)
		vb_x86_aml_u8(&f->a, (uint8_t)(0xA0 + i % 16));
	vb_x86_aml_close(&f->a, mark);
}

static void test_pkglength_in_objects(void **state)
{
	(void)state;
	/* 4 name bytes + 58 = 62 contents: the one-byte form's last value. */
	struct fixture *f = fresh();
	scope_of(f, 58);
	assert_int_equal(f->a.pos, 1 + 1 + 4 + 58);
	assert_int_equal(f->buf[0], 0x10);
	assert_int_equal(f->buf[1], 0x3F);
	assert_memory_equal(f->buf + 2, "_SB_", 4);
	assert_int_equal(f->buf[6], 0xA0);
	assert_int_equal(f->buf[6 + 57], 0xA0 + 57 % 16);
	assert_int_equal(f->buf[6 + 58], 0); /* the freed bytes are zero */

	/* One more byte: two-byte form, 4 + 59 + 2 = 65. */
	f = fresh();
	scope_of(f, 59);
	assert_int_equal(f->a.pos, 1 + 2 + 4 + 59);
	assert_int_equal(f->buf[1], 0x41);
	assert_int_equal(f->buf[2], 0x04);
	assert_memory_equal(f->buf + 3, "_SB_", 4);
	assert_int_equal(f->buf[7 + 58], 0xA0 + 58 % 16);
	assert_int_equal(f->buf[7 + 59], 0);
	assert_int_equal(f->a.peak_pos, 1 + 4 + 4 + 59); /* before the move */
}

static void test_nested_lengths(void **state)
{
	(void)state;
	/* Scope(\_SB) { Device(PWRB) { Name(_UID, Zero) } } */
	struct fixture *f = fresh();
	size_t sb = vb_x86_aml_scope_open(&f->a, "\\_SB");
	size_t dev = vb_x86_aml_device_open(&f->a, "PWRB");
	vb_x86_aml_name_integer(&f->a, "_UID", 0);
	vb_x86_aml_close(&f->a, dev);
	vb_x86_aml_close(&f->a, sb);
	EXPECT(f, 0x10, 0x13, '\\', '_', 'S', 'B', '_',
	       0x5B, 0x82, 0x0B, 'P', 'W', 'R', 'B',
	       0x08, '_', 'U', 'I', 'D', 0x00);
}

static void test_integers(void **state)
{
	(void)state;
	struct fixture *f = fresh();
	vb_x86_aml_integer(&f->a, 0);
	vb_x86_aml_integer(&f->a, 1);
	vb_x86_aml_integer(&f->a, UINT64_MAX);
	vb_x86_aml_integer(&f->a, 2);
	vb_x86_aml_integer(&f->a, 0xFF);
	vb_x86_aml_integer(&f->a, 0x100);
	vb_x86_aml_integer(&f->a, 0xFFFF);
	vb_x86_aml_integer(&f->a, 0x10000);
	vb_x86_aml_integer(&f->a, 0xFFFFFFFF);
	vb_x86_aml_integer(&f->a, 0x100000000ull);
	vb_x86_aml_integer(&f->a, UINT64_MAX - 1);
	EXPECT(f, 0x00, 0x01, 0xFF,
	       0x0A, 0x02, 0x0A, 0xFF,
	       0x0B, 0x00, 0x01, 0x0B, 0xFF, 0xFF,
	       0x0C, 0x00, 0x00, 0x01, 0x00, 0x0C, 0xFF, 0xFF, 0xFF, 0xFF,
	       0x0E, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	       0x0E, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF);
}

static void test_string_and_eisaid(void **state)
{
	(void)state;
	struct fixture *f = fresh();
	vb_x86_aml_name_string(&f->a, "_HID", "LNRO0005");
	EXPECT(f, 0x08, '_', 'H', 'I', 'D', 0x0D, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00);

	bool ok = false;
	assert_int_equal(vb_x86_aml_eisaid_value("PNP0A03", &ok), 0x030AD041);
	assert_true(ok);
	assert_int_equal(vb_x86_aml_eisaid_value("PNP0C0C", &ok), 0x0C0CD041);
	assert_true(ok);
	f = fresh();
	vb_x86_aml_name_eisaid(&f->a, "_CID", "PNP0A03");
	EXPECT(f, 0x08, '_', 'C', 'I', 'D', 0x0C, 0x41, 0xD0, 0x0A, 0x03);

	const char *bad[] = { "PNP0A0", "PNP0A033", "pnp0a03", "PNP0G03", "1NP0A03" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vb_x86_aml_eisaid_value(bad[i], &ok);
		assert_false(ok);
		f = fresh();
		vb_x86_aml_eisaid(&f->a, bad[i]);
		assert_true(f->a.bad);
	}
}

static void test_namestrings(void **state)
{
	(void)state;
	struct fixture *f = fresh();
	vb_x86_aml_namestring(&f->a, "_HID");
	vb_x86_aml_namestring(&f->a, "KBD");          /* padded */
	vb_x86_aml_namestring(&f->a, "\\_SB");
	vb_x86_aml_namestring(&f->a, "^GED");
	vb_x86_aml_namestring(&f->a, "\\");
	EXPECT(f, '_', 'H', 'I', 'D', 'K', 'B', 'D', '_',
	       0x5C, '_', 'S', 'B', '_', 0x5E, 'G', 'E', 'D', '_', 0x5C, 0x00);

	f = fresh();
	vb_x86_aml_namestring(&f->a, "\\_SB.PWRB");   /* DualNamePrefix */
	vb_x86_aml_namestring(&f->a, "\\_SB.PCI0.S08"); /* MultiNamePrefix, 3 */
	EXPECT(f, 0x5C, 0x2E, '_', 'S', 'B', '_', 'P', 'W', 'R', 'B',
	       0x5C, 0x2F, 0x03, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'S', '0', '8', '_');

	const char *bad[] = { "", "ABCDE", "1ABC", "abc", "A..B", "A.", "\\_SB.", "^\\A" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fresh();
		vb_x86_aml_namestring(&f->a, bad[i]);
		assert_true(f->a.bad);
	}
}

static void test_package(void **state)
{
	(void)state;
	/* Name (\_S5, Package () { 5, 5, 0, 0 }) */
	struct fixture *f = fresh();
	vb_x86_aml_name(&f->a, "\\_S5");
	size_t pkg = vb_x86_aml_package_open(&f->a, 4);
	vb_x86_aml_integer(&f->a, 5);
	vb_x86_aml_integer(&f->a, 5);
	vb_x86_aml_integer(&f->a, 0);
	vb_x86_aml_integer(&f->a, 0);
	vb_x86_aml_close(&f->a, pkg);
	EXPECT(f, 0x08, 0x5C, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00,
	       0x00);
}

/* Method (_EVT, 1, Serialized) { Local0 = GDAT
 *   If (((Local0 & One) == One)) { Notify (\_SB.PWRB, 0x80) } } */
static void test_method_body(void **state)
{
	(void)state;
	struct fixture *f = fresh();
	struct vb_x86_aml *a = &f->a;
	size_t m = vb_x86_aml_method_open(a, "_EVT", 1, true);
	vb_x86_aml_op(a, VB_X86_AML_STORE);
	vb_x86_aml_namestring(a, "GDAT");
	vb_x86_aml_local(a, 0);
	size_t cond = vb_x86_aml_if_open(a);
	vb_x86_aml_op(a, VB_X86_AML_LEQUAL);
	vb_x86_aml_op(a, VB_X86_AML_AND);
	vb_x86_aml_local(a, 0);
	vb_x86_aml_integer(a, 1);
	vb_x86_aml_no_target(a);
	vb_x86_aml_integer(a, 1);
	vb_x86_aml_op(a, VB_X86_AML_NOTIFY);
	vb_x86_aml_namestring(a, "\\_SB.PWRB");
	vb_x86_aml_integer(a, 0x80);
	vb_x86_aml_close(a, cond);
	vb_x86_aml_close(a, m);
	EXPECT(f, 0x14, 0x21, '_', 'E', 'V', 'T', 0x09,
	       0x70, 'G', 'D', 'A', 'T', 0x60,
	       0xA0, 0x14, 0x93, 0x7B, 0x60, 0x01, 0x00, 0x01,
	       0x86, 0x5C, 0x2E, '_', 'S', 'B', '_', 'P', 'W', 'R', 'B', 0x0A, 0x80);

	f = fresh();
	vb_x86_aml_arg(&f->a, 0);
	vb_x86_aml_arg(&f->a, 6);
	vb_x86_aml_local(&f->a, 7);
	EXPECT(f, 0x68, 0x6E, 0x67);
	vb_x86_aml_local(&f->a, 8);
	assert_true(f->a.bad);
	f = fresh();
	vb_x86_aml_arg(&f->a, 7);
	assert_true(f->a.bad);
	f = fresh();
	vb_x86_aml_method_open(&f->a, "_FOO", 8, false);
	assert_true(f->a.bad);
}

static void test_region_and_field(void **state)
{
	(void)state;
	/* OperationRegion (GDST, SystemIO, 0x0604, 0x04)
	 * Field (GDST, DWordAcc, NoLock, WriteAsZeros) { GDAT, 32, WIDE, 64 } */
	struct fixture *f = fresh();
	vb_x86_aml_opregion(&f->a, "GDST", VB_X86_AML_SYSTEM_IO, 0x604, 4);
	size_t field = vb_x86_aml_field_open(&f->a, "GDST", VB_X86_AML_FIELD_DWORD_ACC |
								 VB_X86_AML_FIELD_NO_LOCK |
								 VB_X86_AML_FIELD_WRITE_AS_ZEROS);
	vb_x86_aml_field_unit(&f->a, "GDAT", 32);
	vb_x86_aml_field_unit(&f->a, "WIDE", 64); /* 64 = 0x040: two bytes */
	vb_x86_aml_close(&f->a, field);
	EXPECT(f, 0x5B, 0x80, 'G', 'D', 'S', 'T', 0x01, 0x0B, 0x04, 0x06, 0x0A, 0x04,
	       0x5B, 0x81, 0x11, 'G', 'D', 'S', 'T', 0x43,
	       'G', 'D', 'A', 'T', 0x20, 'W', 'I', 'D', 'E', 0x40, 0x04);
	vb_x86_aml_field_unit(&f->a, "A.B", 8);
	assert_true(f->a.bad);
}

static void test_small_descriptors(void **state)
{
	(void)state;
	/* ResourceTemplate () { IO (Decode16, 0x03F8, 0x03F8, 0x00, 0x08)
	 *                       IRQNoFlags () {4} }: 13 bytes with the End tag */
	struct fixture *f = fresh();
	size_t rt = vb_x86_aml_restemplate_open(&f->a);
	vb_x86_aml_io(&f->a, 0x3F8, 0x3F8, 0, 8);
	vb_x86_aml_irq_noflags(&f->a, 4);
	vb_x86_aml_restemplate_close(&f->a, rt);
	EXPECT(f, 0x11, 0x10, 0x0A, 0x0D,
	       0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x00, 0x08,
	       0x22, 0x10, 0x00,
	       0x79, 0x00);

	/* An empty template is the End tag alone. */
	f = fresh();
	rt = vb_x86_aml_restemplate_open(&f->a);
	vb_x86_aml_restemplate_close(&f->a, rt);
	EXPECT(f, 0x11, 0x05, 0x0A, 0x02, 0x79, 0x00);

	f = fresh();
	vb_x86_aml_irq_noflags(&f->a, 15);
	EXPECT(f, 0x22, 0x00, 0x80);
	vb_x86_aml_irq_noflags(&f->a, 16);
	assert_true(f->a.bad);
}

static void test_large_descriptors(void **state)
{
	(void)state;
	struct fixture *f = fresh();
	vb_x86_aml_memory32_fixed(&f->a, true, 0xD0000000, 0x1000);
	vb_x86_aml_interrupt(&f->a, VB_X86_AML_IRQ_CONSUMER | VB_X86_AML_IRQ_EDGE, 9);
	vb_x86_aml_interrupt(&f->a, VB_X86_AML_IRQ_CONSUMER | VB_X86_AML_IRQ_ACTIVE_LOW |
					    VB_X86_AML_IRQ_SHARED, 0x17);
	EXPECT(f, 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xD0, 0x00, 0x10, 0x00, 0x00,
	       0x89, 0x06, 0x00, 0x03, 0x01, 0x09, 0x00, 0x00, 0x00,
	       0x89, 0x06, 0x00, 0x0D, 0x01, 0x17, 0x00, 0x00, 0x00);
}

static void test_address_spaces(void **state)
{
	(void)state;
	const uint8_t fixed = VB_X86_AML_ADDR_MIN_FIXED | VB_X86_AML_ADDR_MAX_FIXED;
	/* WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
	 *   0, 0, 0, 0, 1) */
	const struct vb_x86_aml_addr_space bus = {
		.type = VB_X86_AML_SPACE_BUS, .general_flags = fixed, .length = 1,
	};
	/* WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
	 *   0, 0xC000, 0xFFFF, 0, 0x4000) */
	const struct vb_x86_aml_addr_space io = {
		.type = VB_X86_AML_SPACE_IO, .general_flags = fixed,
		.type_flags = VB_X86_AML_IO_ENTIRE_RANGE,
		.min = 0xC000, .max = 0xFFFF, .length = 0x4000,
	};
	/* DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed,
	 *   NonCacheable, ReadWrite, 0, 0xE0000000, 0xFEBFFFFF, 0, 0x1EC00000) */
	const struct vb_x86_aml_addr_space mem = {
		.type = VB_X86_AML_SPACE_MEMORY, .general_flags = fixed,
		.type_flags = VB_X86_AML_MEM_READ_WRITE,
		.min = 0xE0000000, .max = 0xFEBFFFFF, .length = 0x1EC00000,
	};
	struct fixture *f = fresh();
	vb_x86_aml_word_space(&f->a, &bus);
	vb_x86_aml_word_space(&f->a, &io);
	vb_x86_aml_dword_space(&f->a, &mem);
	EXPECT(f, 0x88, 0x0D, 0x00, 0x02, 0x0C, 0x00,
	       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
	       0x88, 0x0D, 0x00, 0x01, 0x0C, 0x03,
	       0x00, 0x00, 0x00, 0xC0, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x40,
	       0x87, 0x17, 0x00, 0x00, 0x0C, 0x01,
	       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE0, 0xFF, 0xFF, 0xBF, 0xFE,
	       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x1E);

	/* 0x10000 does not fit a Word field. */
	struct vb_x86_aml_addr_space wide = io;
	wide.length = 0x10000;
	vb_x86_aml_word_space(&f->a, &wide);
	assert_true(f->a.bad);
}

/* Writes past the buffer are dropped, counted, and reported. */
static void test_overflow(void **state)
{
	(void)state;
	uint8_t buf[8];
	memset(buf, 0xEE, sizeof(buf));
	struct vb_x86_aml a;
	vb_x86_aml_init(&a, buf, 4);
	size_t sb = vb_x86_aml_scope_open(&a, "\\_SB");
	vb_x86_aml_name_integer(&a, "_UID", 0x1234);
	vb_x86_aml_close(&a, sb);
	assert_false(vb_x86_aml_fits(&a));
	assert_false(a.bad);
	for (size_t i = 4; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xEE);
	/* The same writes measured without a buffer: the count still holds. */
	struct vb_x86_aml m;
	vb_x86_aml_init(&m, NULL, 0);
	sb = vb_x86_aml_scope_open(&m, "\\_SB");
	vb_x86_aml_name_integer(&m, "_UID", 0x1234);
	vb_x86_aml_close(&m, sb);
	assert_int_equal(m.pos, a.pos);
	assert_int_equal(m.pos, 1 + 1 + 5 + 8);
	assert_int_equal(m.peak_pos, m.pos + 3);

	/* A buffer of peak_pos bytes is enough, one less is not. */
	uint8_t exact[32];
	vb_x86_aml_init(&a, exact, m.peak_pos);
	sb = vb_x86_aml_scope_open(&a, "\\_SB");
	vb_x86_aml_name_integer(&a, "_UID", 0x1234);
	vb_x86_aml_close(&a, sb);
	assert_true(vb_x86_aml_fits(&a));
	vb_x86_aml_init(&a, exact, m.peak_pos - 1);
	sb = vb_x86_aml_scope_open(&a, "\\_SB");
	vb_x86_aml_name_integer(&a, "_UID", 0x1234);
	vb_x86_aml_close(&a, sb);
	assert_false(vb_x86_aml_fits(&a));
}

static void test_raw_and_misuse(void **state)
{
	(void)state;
	struct fixture *f = fresh();
	vb_x86_aml_text(&f->a, "VMBOOT", 8, ' ');
	vb_x86_aml_le(&f->a, 0x1234, 2);
	vb_x86_aml_le(&f->a, 0, 4);
	vb_x86_aml_patch(&f->a, 10, 0xAABBCCDD, 4);
	vb_x86_aml_le(&f->a, 0x0102030405060708ull, 8);
	EXPECT(f, 'V', 'M', 'B', 'O', 'O', 'T', ' ', ' ', 0x34, 0x12, 0xDD, 0xCC, 0xBB, 0xAA,
	       0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01);
	/* A patch past what was written, or a close with no open, is refused. */
	vb_x86_aml_patch(&f->a, f->a.pos - 1, 0, 2);
	assert_true(f->a.bad);
	f = fresh();
	vb_x86_aml_close(&f->a, 0);
	assert_true(f->a.bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkglength_boundaries),
		cmocka_unit_test(test_pkglength_in_objects),
		cmocka_unit_test(test_nested_lengths),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_string_and_eisaid),
		cmocka_unit_test(test_namestrings),
		cmocka_unit_test(test_package),
		cmocka_unit_test(test_method_body),
		cmocka_unit_test(test_region_and_field),
		cmocka_unit_test(test_small_descriptors),
		cmocka_unit_test(test_large_descriptors),
		cmocka_unit_test(test_address_spaces),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_raw_and_misuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
