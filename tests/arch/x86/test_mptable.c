/* MP table: structure, checksums and entries as Linux's MP parser reads
 * them (MultiProcessor Specification 1.4, chapter 4). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/mptable.h"

#define GPA VB_X86_MPTABLE_GPA
#define BUF_BYTES 65536u

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

struct counts {
	unsigned cpus, bsps, buses, ioapics, ioints, lints;
};

/* Walk the configuration table the way a guest would, checking each
 * entry's fields; returns per-type counts. */
static struct counts walk(const uint8_t *buf, unsigned n_cpus)
{
	struct counts c = { 0 };
	const uint8_t *mpf = buf;
	assert_memory_equal(mpf, "_MP_", 4);
	assert_int_equal(mpf[8], 1);
	assert_int_equal(mpf[9], 4);
	assert_int_equal(sum(mpf, 16), 0);
	uint32_t cfg_gpa = rd32(mpf + 4);
	assert_true(cfg_gpa >= GPA && cfg_gpa < GPA + BUF_BYTES);
	const uint8_t *cfg = buf + (cfg_gpa - GPA);
	assert_memory_equal(cfg, "PCMP", 4);
	uint16_t len = rd16(cfg + 4);
	assert_int_equal(cfg[6], 4);
	assert_int_equal(sum(cfg, len), 0);
	assert_int_equal(rd32(cfg + 36), 0xFEE00000u);
	uint16_t count = rd16(cfg + 34);

	const uint8_t *p = cfg + 44;
	int last_type = -1;
	for (unsigned i = 0; i < count; i++) {
		assert_true(p < cfg + len);
		/* The spec requires entries sorted by type. */
		assert_true(p[0] >= last_type);
		last_type = p[0];
		switch (p[0]) {
		case 0:
			assert_int_equal(p[1], c.cpus); /* APIC id == index */
			assert_true(p[3] & 1);          /* enabled */
			if (p[3] & 2) {
				assert_int_equal(p[1], 0);
				c.bsps++;
			}
			c.cpus++;
			p += 20;
			break;
		case 1:
			/* PCI is bus 0 (Linux matches MP bus id to PCI bus number). */
			assert_int_equal(p[1], c.buses);
			assert_memory_equal(p + 2, c.buses == 0 ? "PCI   " : "ISA   ", 6);
			c.buses++;
			p += 8;
			break;
		case 2:
			assert_int_equal(p[1], n_cpus);
			assert_int_equal(p[2], 0x11);
			assert_int_equal(p[3], 1);
			assert_int_equal(rd32(p + 4), VB_X86_IOAPIC_GPA);
			c.ioapics++;
			p += 8;
			break;
		case 3:
			assert_int_equal(p[1], 0);       /* INT */
			assert_int_equal(p[4], 1);       /* ISA bus */
			assert_int_equal(p[5], c.ioints); /* IRQ n ... */
			assert_int_equal(p[6], n_cpus);  /* ... to our IOAPIC */
			assert_int_equal(p[7], c.ioints); /* ... pin n */
			c.ioints++;
			p += 8;
			break;
		case 4:
			/* ExtINT on LINT0, then NMI on LINT1, to all CPUs. */
			assert_int_equal(p[1], c.lints == 0 ? 3 : 1);
			assert_int_equal(p[6], 0xFF);
			assert_int_equal(p[7], c.lints);
			c.lints++;
			p += 8;
			break;
		default:
			fail_msg("unknown entry type %u", p[0]);
		}
	}
	assert_ptr_equal(p, cfg + len);
	return c;
}

static void check_cpus(unsigned n)
{
	uint8_t *buf = malloc(BUF_BYTES);
	assert_non_null(buf);
	memset(buf, 0xAA, BUF_BYTES);
	struct vb_err err = { { 0 } };
	int used = vb_x86_mptable_build(buf, BUF_BYTES, GPA, n, NULL, &err);
	assert_true(used > 0);
	assert_int_equal((size_t)used, vb_x86_mptable_bytes(n, NULL));
	struct counts c = walk(buf, n);
	assert_int_equal(c.cpus, n);
	assert_int_equal(c.bsps, 1);
	assert_int_equal(c.buses, 2);
	assert_int_equal(c.ioapics, 1);
	assert_int_equal(c.ioints, 16);
	assert_int_equal(c.lints, 2);
	assert_int_equal(rd16(buf + 16 + 34), n + 2 + 1 + 16 + 2);
	/* Nothing is left of the old contents past the table. */
	assert_int_equal(buf[used], 0);
	free(buf);
}

static void test_1_cpu(void **state) { (void)state; check_cpus(1); }
static void test_2_cpus(void **state) { (void)state; check_cpus(2); }
static void test_8_cpus(void **state) { (void)state; check_cpus(8); }
static void test_64_cpus(void **state) { (void)state; check_cpus(64); }
static void test_max_cpus(void **state)
{
	(void)state;
	check_cpus(VB_X86_MPTABLE_MAX_CPUS);
}

static void test_exact_fit(void **state)
{
	(void)state;
	size_t need = vb_x86_mptable_bytes(4, NULL);
	/* Exactly sized heap buffer: ASan catches any write past it. */
	uint8_t *buf = malloc(need);
	assert_non_null(buf);
	struct vb_err err;
	assert_int_equal(vb_x86_mptable_build(buf, need, GPA, 4, NULL, &err), (int)need);
	free(buf);
}

static void test_too_small(void **state)
{
	(void)state;
	size_t need = vb_x86_mptable_bytes(8, NULL);
	uint8_t *buf = malloc(need - 1);
	assert_non_null(buf);
	memset(buf, 0x5A, need - 1);
	struct vb_err err = { { 0 } };
	assert_int_equal(vb_x86_mptable_build(buf, need - 1, GPA, 8, NULL, &err), -ENOSPC);
	assert_non_null(strstr(err.msg, "MP table"));
	/* A failed build leaves the buffer alone. */
	assert_int_equal(buf[0], 0x5A);
	assert_int_equal(vb_x86_mptable_build(buf, 0, GPA, 1, NULL, &err), -ENOSPC);
	free(buf);
}

static void test_bad_args(void **state)
{
	(void)state;
	uint8_t buf[4096];
	struct vb_err err = { { 0 } };
	assert_int_equal(vb_x86_mptable_build(buf, sizeof(buf), GPA, 0, NULL, &err), -EINVAL);
	assert_int_equal(vb_x86_mptable_build(buf, sizeof(buf), GPA,
					      VB_X86_MPTABLE_MAX_CPUS + 1, NULL, &err),
			 -EINVAL);
	assert_int_equal(vb_x86_mptable_build(buf, sizeof(buf), GPA + 8, 1, NULL, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "aligned"));
	assert_int_equal(vb_x86_mptable_build(buf, sizeof(buf), 0xFFFFFF00u, 2, NULL, &err),
			 -EINVAL);
	assert_int_equal(vb_x86_mptable_build(buf, sizeof(buf), GPA, 1, NULL, NULL) > 0, 1);
}

/* Finds the I/O interrupt entry for IOAPIC pin, or NULL. */
static const uint8_t *find_ioint(const uint8_t *buf, uint32_t pin)
{
	const uint8_t *cfg = buf + 16;
	uint16_t count = (uint16_t)(cfg[34] | cfg[35] << 8);
	const uint8_t *p = cfg + 44;
	for (uint16_t i = 0; i < count; i++) {
		if (p[0] == 3 && p[7] == pin)
			return p;
		p += p[0] == 0 ? 20 : 8;
	}
	return NULL;
}

static void test_routes(void **state)
{
	(void)state;
	static uint8_t buf[BUF_BYTES];
	struct vb_err err;
	const struct vb_x86_mp_route items[] = {
		{ .pci = true, .pci_slot = 1, .gsi = 16 },  /* PCI INTA# above 15 */
		{ .pci = true, .pci_slot = 2, .gsi = 10 },  /* replaces ISA IRQ 10 */
		{ .pci = false, .gsi = 5 },                 /* virtio-mmio, level */
	};
	struct vb_x86_mp_routes routes = { items, 3 };
	int used = vb_x86_mptable_build(buf, BUF_BYTES, GPA, 2, &routes, &err);
	assert_true(used > 0);
	assert_int_equal((size_t)used, vb_x86_mptable_bytes(2, &routes));
	assert_int_equal(sum(buf + 16, (size_t)(buf[20] | buf[21] << 8)), 0);

	const uint8_t *e = find_ioint(buf, 16);
	assert_non_null(e);
	assert_int_equal(e[2], 0x0f);      /* level, active low */
	assert_int_equal(e[4], 0);         /* PCI bus */
	assert_int_equal(e[5], 1 << 2);    /* slot 1, INTA# */
	e = find_ioint(buf, 10);
	assert_non_null(e);
	assert_int_equal(e[4], 0);         /* only the PCI entry for pin 10 */
	assert_int_equal(e[5], 2 << 2);
	e = find_ioint(buf, 5);
	assert_non_null(e);
	assert_int_equal(e[2], 0x05);      /* virtio-mmio: edge, active high */
	assert_int_equal(e[4], 1);         /* ISA bus */
	e = find_ioint(buf, 4);
	assert_non_null(e);
	assert_int_equal(e[2], 0);         /* COM1 stays edge, conforming */

	const struct vb_x86_mp_route twice[] = { { .gsi = 5 }, { .pci = true, .pci_slot = 3, .gsi = 5 } };
	struct vb_x86_mp_routes bad = { twice, 2 };
	assert_int_equal(vb_x86_mptable_build(buf, BUF_BYTES, GPA, 1, &bad, &err), -EINVAL);
	const struct vb_x86_mp_route isa16[] = { { .gsi = 16 } };
	bad = (struct vb_x86_mp_routes){ isa16, 1 };
	assert_int_equal(vb_x86_mptable_build(buf, BUF_BYTES, GPA, 1, &bad, &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_1_cpu),
		cmocka_unit_test(test_2_cpus),
		cmocka_unit_test(test_8_cpus),
		cmocka_unit_test(test_64_cpus),
		cmocka_unit_test(test_max_cpus),
		cmocka_unit_test(test_exact_fit),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_bad_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
