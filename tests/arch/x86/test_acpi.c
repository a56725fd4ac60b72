/* ACPI tables: walked the way a guest finds and reads them (ACPI 6.5,
 * 5.2): RSDP, XSDT, FADT, MADT, and the DSDT's AML at its top level. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/acpi.h"
#include "arch/x86/mptable.h"

#define GPA VB_X86_ACPI_GPA
#define AREA VB_X86_ACPI_AREA_BYTES

static uint8_t area[AREA];

static uint64_t rd(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

/* The table at gpa inside the area, after checking its header. */
static const uint8_t *table_at(const uint8_t *buf, uint32_t gpa, uint64_t addr, const char *sig)
{
	assert_true(addr >= gpa && addr + 36 <= (uint64_t)gpa + AREA);
	const uint8_t *t = buf + (addr - gpa);
	assert_memory_equal(t, sig, 4);
	uint32_t len = (uint32_t)rd(t + 4, 4);
	assert_true(len >= 36 && addr + len <= (uint64_t)gpa + AREA);
	assert_int_equal(sum(t, len), 0);
	assert_memory_equal(t + 10, "VMBOOT", 6);
	assert_memory_equal(t + 16, "VMBOOT  ", 8);
	assert_memory_equal(t + 28, "VMBT", 4);
	assert_int_equal(addr % 8, 0);
	return t;
}

struct tables {
	const uint8_t *xsdt, *fadt, *madt, *dsdt;
};

/* RSDP at the start of the buffer, then the XSDT's two entries and the
 * FADT's DSDT pointers. */
static struct tables find_tables(const uint8_t *buf, uint32_t gpa)
{
	struct tables t;
	assert_memory_equal(buf, "RSD PTR ", 8);
	assert_int_equal(sum(buf, 20), 0);
	assert_int_equal(sum(buf, 36), 0);
	assert_memory_equal(buf + 9, "VMBOOT", 6);
	assert_int_equal(buf[15], 2);               /* revision: XSDT */
	assert_int_equal(rd(buf + 16, 4), 0);       /* no RSDT */
	assert_int_equal(rd(buf + 20, 4), 36);
	t.xsdt = table_at(buf, gpa, rd(buf + 24, 8), "XSDT");
	assert_int_equal(rd(t.xsdt + 4, 4), 36 + 2 * 8);
	t.fadt = table_at(buf, gpa, rd(t.xsdt + 36, 8), "FACP");
	t.madt = table_at(buf, gpa, rd(t.xsdt + 44, 8), "APIC");
	uint64_t dsdt = rd(t.fadt + 140, 8);
	assert_int_equal(rd(t.fadt + 40, 4), dsdt);
	t.dsdt = table_at(buf, gpa, dsdt, "DSDT");
	return t;
}

static const struct vb_x86_acpi_mmio_dev five_mmio[] = {
	{ 0xD0000000, 0x1000, 5 }, { 0xD0001000, 0x1000, 6 }, { 0xD0002000, 0x1000, 7 },
	{ 0xD0003000, 0x1000, 10 }, { 0xD0004000, 0x1000, 11 },
};
static const struct vb_x86_acpi_pci_dev three_pci[] = { { 1, 16 }, { 2, 17 }, { 3, 18 } };

static struct vb_x86_acpi_config config(unsigned cpus)
{
	return (struct vb_x86_acpi_config){
		.cpus = cpus, .mmio = five_mmio, .n_mmio = 5, .pci = three_pci, .n_pci = 3,
		.pci_mmio_base = 0xE0000000, .pci_mmio_end = 0xFEC00000,
		.pci_io_base = 0xC000, .pci_io_end = 0x10000,
		.uart = true, .i8042 = true, .rtc = true, .ged_gsi = 9,
	};
}

static struct tables build_ok(const struct vb_x86_acpi_config *cfg, struct vb_x86_acpi_layout *l)
{
	struct vb_err err = { "" };
	memset(area, 0xEE, sizeof(area));
	int rc = vb_x86_acpi_build(area, sizeof(area), GPA, cfg, l, &err);
	if (rc)
		fail_msg("build: %s", err.msg);
	return find_tables(area, GPA);
}

static void test_fadt(void **state)
{
	(void)state;
	struct vb_x86_acpi_config cfg = config(2);
	struct tables t = build_ok(&cfg, NULL);
	const uint8_t *f = t.fadt;
	assert_int_equal(rd(f + 4, 4), 276);
	assert_int_equal(f[8], 6);
	assert_int_equal(rd(f + 36, 4), 0);             /* FIRMWARE_CTRL */
	assert_int_equal(rd(f + 46, 2), 0);             /* SCI_INT */
	assert_int_equal(rd(f + 48, 4), 0);             /* SMI_CMD */
	for (size_t off = 56; off < 88; off += 4)       /* no PM blocks */
		assert_int_equal(rd(f + off, 4), 0);
	assert_int_equal(rd(f + 109, 2), 0x0006);       /* 8042, no VGA, CMOS RTC */
	assert_int_equal(rd(f + 112, 4), 1u << 20 | 1u << 10 | 1u << 5 | 1u << 4);
	/* RESET_REG: system I/O, 8 bits, byte access. */
	const uint8_t reset[] = { 1, 8, 0, 1, 0x02, 0x06, 0, 0, 0, 0, 0, 0 };
	assert_memory_equal(f + 116, reset, sizeof(reset));
	assert_int_equal(f[128], VB_X86_ACPI_RESET_VALUE);
	assert_int_equal(rd(f + 132, 8), 0);            /* X_FIRMWARE_CTRL */
	for (size_t off = 148; off < 244; off++)        /* no X_ blocks */
		assert_int_equal(f[off], 0);
	const uint8_t sleep_ctl[] = { 1, 8, 0, 1, 0x00, 0x06, 0, 0, 0, 0, 0, 0 };
	const uint8_t sleep_sts[] = { 1, 8, 0, 1, 0x01, 0x06, 0, 0, 0, 0, 0, 0 };
	assert_memory_equal(f + 244, sleep_ctl, sizeof(sleep_ctl));
	assert_memory_equal(f + 256, sleep_sts, sizeof(sleep_sts));
	assert_memory_equal(f + 268, "VMBOOT  ", 8);

	/* Without the i8042 and the RTC the boot flags say so. */
	cfg.i8042 = false;
	cfg.rtc = false;
	t = build_ok(&cfg, NULL);
	assert_int_equal(rd(t.fadt + 109, 2), 0x0024);
}

struct madt_counts {
	unsigned lapics, ioapics, overrides, nmis;
	uint16_t override_flags[16];
};

static struct madt_counts walk_madt(const uint8_t *m, unsigned cpus)
{
	struct madt_counts c = { 0 };
	uint32_t len = (uint32_t)rd(m + 4, 4);
	assert_int_equal(m[8], 5);
	assert_int_equal(rd(m + 36, 4), VB_X86_LAPIC_GPA);
	assert_int_equal(rd(m + 40, 4), 1);             /* PCAT_COMPAT */
	const uint8_t *p = m + 44;
	while (p < m + len) {
		assert_true(p[1] >= 2 && p + p[1] <= m + len);
		switch (p[0]) {
		case 0:
			assert_int_equal(p[1], 8);
			assert_int_equal(p[2], c.lapics);      /* UID == index */
			assert_int_equal(p[3], c.lapics);      /* APIC id == index */
			assert_int_equal(rd(p + 4, 4), 1);      /* enabled */
			c.lapics++;
			break;
		case 1:
			assert_int_equal(p[1], 12);
			assert_int_equal(p[2], cpus);
			assert_int_equal(rd(p + 4, 4), VB_X86_IOAPIC_GPA);
			assert_int_equal(rd(p + 8, 4), 0);
			c.ioapics++;
			break;
		case 2:
			assert_int_equal(p[1], 10);
			assert_int_equal(p[2], 0);              /* ISA */
			assert_true(p[3] < 16);
			assert_int_equal(rd(p + 4, 4), p[3]);  /* IRQ n is GSI n */
			assert_int_equal(c.override_flags[p[3]], 0); /* once per line */
			c.override_flags[p[3]] = (uint16_t)rd(p + 8, 2);
			c.overrides++;
			break;
		case 4:
			assert_int_equal(p[1], 6);
			assert_int_equal(p[2], 0xFF);
			assert_int_equal(rd(p + 3, 2), 0);
			assert_int_equal(p[5], 1);              /* LINT1 */
			c.nmis++;
			break;
		default:
			fail_msg("MADT entry type %u", p[0]);
		}
		p += p[1];
	}
	assert_ptr_equal(p, m + len);
	return c;
}

static void check_madt(unsigned cpus, bool low_lines)
{
	static const struct vb_x86_acpi_mmio_dev mmio[] = {
		{ 0xD0000000, 0x1000, 5 }, { 0xD0001000, 0x1000, 5 }, { 0xD0002000, 0x1000, 20 },
	};
	static const struct vb_x86_acpi_pci_dev pci[] = { { 1, 10 }, { 2, 16 }, { 3, 10 } };
	static const struct vb_x86_acpi_mmio_dev high_mmio[] = { { 0xD0000000, 0x1000, 20 } };
	static const struct vb_x86_acpi_pci_dev high_pci[] = { { 1, 16 }, { 2, 17 } };
	struct vb_x86_acpi_config cfg = config(cpus);
	cfg.mmio = low_lines ? mmio : high_mmio;
	cfg.n_mmio = low_lines ? 3 : 1;
	cfg.pci = low_lines ? pci : high_pci;
	cfg.n_pci = low_lines ? 3 : 2;
	struct tables t = build_ok(&cfg, NULL);
	struct madt_counts c = walk_madt(t.madt, cpus);
	assert_int_equal(c.lapics, cpus);
	assert_int_equal(c.ioapics, 1);
	assert_int_equal(c.nmis, 1);
	assert_int_equal(rd(t.madt + 4, 4),
			 44 + 8 * cpus + 12 + 10 * c.overrides + 6);
	if (!low_lines) {
		assert_int_equal(c.overrides, 0);
		return;
	}
	/* Two slots on line 10: one override. The edge lines of the two
	 * windows on line 5, COM1, the i8042, the RTC and the GED need none. */
	assert_int_equal(c.overrides, 1);
	assert_int_equal(c.override_flags[5], 0);
	assert_int_equal(c.override_flags[10], 0x000F); /* level, active low */
}

static void test_madt(void **state)
{
	(void)state;
	const unsigned counts[] = { 1, 3, 8, 254 };
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		check_madt(counts[i], true);
		check_madt(counts[i], false);
	}
}

/* PkgLength at p: the value and how many bytes it took. */
static size_t pkglength(const uint8_t *p, size_t *bytes)
{
	size_t n = 1 + (p[0] >> 6);
	size_t v = n == 1 ? p[0] & 0x3F : p[0] & 0x0F;
	for (size_t i = 1; i < n; i++)
		v |= (size_t)p[i] << (4 + 8 * (i - 1));
	*bytes = n;
	return v;
}

/* The DSDT's AML: Scope (\_SB) { Device ... } then Name (\_S5, Package);
 * every PkgLength must end where the next object starts. Returns the
 * device names, in order, as one string of NameSegs. */
static void walk_dsdt(const uint8_t *d, char *names, size_t names_bytes)
{
	uint32_t len = (uint32_t)rd(d + 4, 4);
	assert_int_equal(d[8], 2);
	const uint8_t *p = d + 36, *end = d + len;
	size_t n;

	assert_int_equal(p[0], 0x10);                    /* ScopeOp */
	const uint8_t *scope_end = p + 1 + pkglength(p + 1, &n);
	assert_true(scope_end < end);
	p += 1 + n;
	assert_memory_equal(p, "\\_SB_", 5);
	p += 5;
	names[0] = '\0';
	while (p < scope_end) {
		assert_int_equal(p[0], 0x5B);                /* ExtOpPrefix */
		assert_int_equal(p[1], 0x82);                /* DeviceOp */
		const uint8_t *dev_end = p + 2 + pkglength(p + 2, &n);
		assert_true(dev_end <= scope_end);
		assert_true(strlen(names) + 4 < names_bytes);
		strncat(names, (const char *)p + 2 + n, 4);
		p = dev_end;
	}
	assert_ptr_equal(p, scope_end);

	const uint8_t s5[] = { 0x08, 0x5C, '_', 'S', '5', '_', 0x12 };
	assert_memory_equal(p, s5, sizeof(s5));
	p += sizeof(s5);
	const uint8_t *pkg_end = p + pkglength(p, &n);
	const uint8_t elements[] = { 0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00 };
	assert_memory_equal(p + n, elements, sizeof(elements));
	assert_ptr_equal(pkg_end, end);
}

static bool contains(const uint8_t *hay, size_t hay_bytes, const void *needle, size_t bytes)
{
	for (size_t i = 0; i + bytes <= hay_bytes; i++)
		if (memcmp(hay + i, needle, bytes) == 0)
			return true;
	return false;
}

static size_t occurrences(const uint8_t *hay, size_t hay_bytes, const char *needle)
{
	size_t count = 0, bytes = strlen(needle);
	for (size_t i = 0; i + bytes <= hay_bytes; i++)
		count += memcmp(hay + i, needle, bytes) == 0;
	return count;
}

static void test_dsdt(void **state)
{
	(void)state;
	struct vb_x86_acpi_config cfg = config(3);
	struct tables t = build_ok(&cfg, NULL);
	char names[4 * 80 + 1];
	walk_dsdt(t.dsdt, names, sizeof(names));
	assert_string_equal(names, "PCI0VR00VR01VR02VR03VR04COM1KBD_RTC_PWRBGED_");

	size_t len = (size_t)rd(t.dsdt + 4, 4);
	assert_int_equal(occurrences(t.dsdt, len, "LNRO0005"), 5);
	assert_int_equal(occurrences(t.dsdt, len, "ACPI0013"), 1);
	assert_false(contains(t.dsdt, len, "\x0C\x41\xD0\x0A\x08", 5)); /* no PNP0A08 */
	assert_true(contains(t.dsdt, len, "\x0C\x41\xD0\x0A\x03", 5)); /* PNP0A03 */
	assert_true(contains(t.dsdt, len, "\x0C\x41\xD0\x0C\x0C", 5)); /* PNP0C0C */
	/* VR03: its window and an edge, active-high, exclusive line 10. */
	const uint8_t vr03[] = { 0x86, 0x09, 0x00, 0x01, 0x00, 0x30, 0x00, 0xD0, 0x00, 0x10, 0x00,
				 0x00, 0x89, 0x06, 0x00, 0x03, 0x01, 0x0A, 0x00, 0x00, 0x00 };
	assert_true(contains(t.dsdt, len, vr03, sizeof(vr03)));
	/* The GED: edge, active high on line 9; its register at 0x604. */
	const uint8_t ged[] = { 0x89, 0x06, 0x00, 0x03, 0x01, 0x09, 0x00, 0x00, 0x00 };
	assert_true(contains(t.dsdt, len, ged, sizeof(ged)));
	const uint8_t region[] = { 0x5B, 0x80, 'G', 'D', 'S', 'T', 0x01, 0x0B, 0x04, 0x06 };
	assert_true(contains(t.dsdt, len, region, sizeof(region)));
	/* _PRT entry for slot 2: Package (4) { 0x0002FFFF, Zero, Zero, 0x11 } */
	const uint8_t prt[] = { 0x12, 0x0B, 0x04, 0x0C, 0xFF, 0xFF, 0x02, 0x00, 0x00, 0x00,
				0x0A, 0x11 };
	assert_true(contains(t.dsdt, len, prt, sizeof(prt)));
	assert_false(contains(t.dsdt, len, "_ADR", 4));

	/* Without the optional devices: PCI0, the power button and the GED. */
	cfg.n_mmio = 0;
	cfg.mmio = NULL;
	cfg.n_pci = 0;
	cfg.uart = cfg.i8042 = cfg.rtc = false;
	t = build_ok(&cfg, NULL);
	walk_dsdt(t.dsdt, names, sizeof(names));
	assert_string_equal(names, "PCI0PWRBGED_");
}

static void test_layout(void **state)
{
	(void)state;
	struct vb_x86_acpi_config cfg = config(3);
	struct vb_x86_acpi_layout l;
	struct tables t = build_ok(&cfg, &l);
	const char *sigs[] = { "RSDP", "XSDT", "FACP", "APIC", "DSDT" };
	const uint8_t *starts[] = { area, t.xsdt, t.fadt, t.madt, t.dsdt };
	assert_int_equal(l.n_tables, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(l.tables[i].signature, sigs[i]);
		assert_int_equal(l.tables[i].offset, starts[i] - area);
		assert_int_equal(l.tables[i].gpa, GPA + l.tables[i].offset);
		if (i > 0)
			assert_int_equal(l.tables[i].bytes, rd(starts[i] + 4, 4));
	}
	assert_int_equal(l.tables[0].bytes, 36);
	assert_int_equal(l.bytes, l.tables[4].offset + l.tables[4].bytes);
	for (size_t i = l.bytes; i < AREA; i++)
		assert_int_equal(area[i], 0);              /* zeroed, no leftovers */

	assert_int_equal(l.n_nodes, 12);
	assert_string_equal(l.nodes[0].path, "\\_SB.PCI0");
	assert_string_equal(l.nodes[0].hid, "PNP0A03");
	assert_non_null(strstr(l.nodes[0].what, "interrupt routes: 3"));
	assert_string_equal(l.nodes[1].path, "\\_SB.VR00");
	assert_string_equal(l.nodes[1].hid, "LNRO0005");
	assert_string_equal(l.nodes[1].what, "mmio 0xd0000000+0x1000, irq 5 (edge, high)");
	assert_string_equal(l.nodes[6].path, "\\_SB.COM1");
	assert_string_equal(l.nodes[9].path, "\\_SB.PWRB");
	assert_string_equal(l.nodes[9].what, "power button");
	assert_string_equal(l.nodes[10].hid, "ACPI0013");
	assert_non_null(strstr(l.nodes[10].what, "GED irq 9 (edge, high)"));
	assert_string_equal(l.nodes[11].path, "\\_S5");
	assert_string_equal(l.nodes[11].hid, "");
	assert_string_equal(l.nodes[11].what, "poweroff: SLP_TYP 5");

	/* Another address moves every pointer with it. */
	struct vb_err err;
	assert_int_equal(vb_x86_acpi_build(area, sizeof(area), GPA + 0x1000, &cfg, NULL, &err), 0);
	t = find_tables(area, GPA + 0x1000);
	assert_int_equal(rd(t.fadt + 40, 4), GPA + 0x1000 + (t.dsdt - area));
}

static struct vb_x86_acpi_mmio_dev max_mmio[VB_X86_ACPI_MAX_MMIO];
static struct vb_x86_acpi_pci_dev max_pci[31];

/* The most the builder takes: 254 CPUs, 64 windows sharing 12 lines, a
 * device in each of the 31 slots. */
static struct vb_x86_acpi_config max_config(void)
{
	for (unsigned i = 0; i < VB_X86_ACPI_MAX_MMIO; i++)
		max_mmio[i] = (struct vb_x86_acpi_mmio_dev){ 0xD0000000u + i * 0x1000u, 0x1000,
							     i % 12 };
	for (unsigned i = 0; i < 31; i++)
		max_pci[i] = (struct vb_x86_acpi_pci_dev){ (uint8_t)(i + 1), (uint8_t)(12 + i % 11) };
	struct vb_x86_acpi_config cfg = config(VB_X86_ACPI_MAX_CPUS);
	cfg.mmio = max_mmio;
	cfg.n_mmio = VB_X86_ACPI_MAX_MMIO;
	cfg.pci = max_pci;
	cfg.n_pci = 31;
	cfg.uart = cfg.i8042 = cfg.rtc = false;
	cfg.ged_gsi = 23;
	return cfg;
}

static void test_max_config(void **state)
{
	(void)state;
	struct vb_x86_acpi_config cfg = max_config();
	size_t need = vb_x86_acpi_bytes(&cfg);
	assert_true(need > 0 && need <= AREA);
	struct vb_x86_acpi_layout l;
	struct tables t = build_ok(&cfg, &l);
	assert_true(l.bytes <= need);
	assert_int_equal(walk_madt(t.madt, cfg.cpus).lapics, VB_X86_ACPI_MAX_CPUS);
	char names[4 * 80 + 1];
	walk_dsdt(t.dsdt, names, sizeof(names));
	assert_int_equal(strlen(names), 4 * (1 + 64 + 2));
	assert_memory_equal(names + 4 * 64, "VR3F", 4);
	assert_int_equal(l.n_nodes, 1 + 64 + 3);
	assert_true(l.n_nodes <= VB_X86_ACPI_MAX_NODES);
	/* Shared lines are declared so: edge, high, shared. */
	size_t len = (size_t)rd(t.dsdt + 4, 4);
	const uint8_t shared[] = { 0x89, 0x06, 0x00, 0x0B, 0x01, 0x0B, 0x00, 0x00, 0x00 };
	assert_true(contains(t.dsdt, len, shared, sizeof(shared)));
	assert_non_null(strstr(l.nodes[1].what, "shared"));
}

/* Exactly vb_x86_acpi_bytes() fits; one byte less is -ENOSPC, nothing is
 * written past the buffer, and the buffer is left zero. */
static void test_sizes(void **state)
{
	(void)state;
	struct vb_x86_acpi_config cfgs[] = { config(1), config(3), max_config() };
	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		size_t need = vb_x86_acpi_bytes(&cfgs[i]);
		struct vb_x86_acpi_layout l;
		struct vb_err err = { "" };
		memset(area, 0xEE, sizeof(area));
		assert_int_equal(vb_x86_acpi_build(area, need, GPA, &cfgs[i], &l, &err), 0);
		assert_true(l.bytes <= need && l.bytes + 16 > need);
		assert_int_equal(area[need], 0xEE);
		find_tables(area, GPA);

		memset(area, 0xEE, sizeof(area));
		err.msg[0] = '\0';
		assert_int_equal(vb_x86_acpi_build(area, need - 1, GPA, &cfgs[i], &l, &err),
				 -ENOSPC);
		assert_non_null(strstr(err.msg, "ACPI tables: need"));
		for (size_t j = 0; j < need - 1; j++)
			assert_int_equal(area[j], 0);
		assert_int_equal(area[need - 1], 0xEE);
	}
	struct vb_err err = { "" };
	struct vb_x86_acpi_config cfg = config(1);
	assert_int_equal(vb_x86_acpi_build(NULL, 0, GPA, &cfg, NULL, &err), -ENOSPC);
	assert_int_equal(vb_x86_acpi_build(area, 10, GPA, &cfg, NULL, &err), -ENOSPC);
}

static void expect_einval(const struct vb_x86_acpi_config *cfg, uint32_t gpa, const char *what)
{
	struct vb_err err = { "" };
	int rc = vb_x86_acpi_build(area, sizeof(area), gpa, cfg, NULL, &err);
	if (rc != -EINVAL)
		fail_msg("%s: got %d (%s)", what, rc, err.msg);
	if (!strstr(err.msg, "ACPI tables: "))
		fail_msg("%s: message '%s'", what, err.msg);
	if (gpa == GPA && vb_x86_acpi_bytes(cfg) != 0)
		fail_msg("%s: bytes for a bad config", what);
}

static void test_bad_configs(void **state)
{
	(void)state;
	struct vb_x86_acpi_config cfg = config(0);
	expect_einval(&cfg, GPA, "0 CPUs");
	cfg = config(255);
	expect_einval(&cfg, GPA, "255 CPUs");
	cfg = config(1);
	expect_einval(&cfg, GPA + 8, "misaligned");
	expect_einval(&cfg, 0xD0000, "below the BIOS area");
	expect_einval(&cfg, 0x100000, "above the BIOS area");

	struct vb_x86_acpi_mmio_dev mmio[2] = { { 0xD0000000, 0x1000, 5 },
						{ 0xD0001000, 0x1000, 6 } };
	struct vb_x86_acpi_pci_dev pci[2] = { { 1, 16 }, { 2, 17 } };
	cfg.mmio = mmio;
	cfg.n_mmio = 2;
	cfg.pci = pci;
	cfg.n_pci = 2;
	mmio[1].gsi = 24;
	expect_einval(&cfg, GPA, "mmio line 24");
	mmio[1].gsi = 6;
	mmio[1].bytes = 0;
	expect_einval(&cfg, GPA, "empty window");
	mmio[1] = (struct vb_x86_acpi_mmio_dev){ 0xFFFFF000, 0x2000, 6 };
	expect_einval(&cfg, GPA, "window past 4 GiB");
	mmio[1] = (struct vb_x86_acpi_mmio_dev){ 0x100000000ull, 0x1000, 6 };
	expect_einval(&cfg, GPA, "window above 4 GiB");
	mmio[1] = (struct vb_x86_acpi_mmio_dev){ 0xD0001000, 0x1000, 6 };

	pci[1].gsi = 24;
	expect_einval(&cfg, GPA, "pci line 24");
	pci[1] = (struct vb_x86_acpi_pci_dev){ 0, 17 };
	expect_einval(&cfg, GPA, "slot 0");
	pci[1].slot = 32;
	expect_einval(&cfg, GPA, "slot 32");
	pci[1].slot = 1;
	expect_einval(&cfg, GPA, "duplicate slot");
	pci[1] = (struct vb_x86_acpi_pci_dev){ 2, 5 };
	expect_einval(&cfg, GPA, "mmio and pci on one line");
	pci[1].gsi = 4;
	expect_einval(&cfg, GPA, "pci on COM1's line");
	pci[1].gsi = 9;
	expect_einval(&cfg, GPA, "pci on the GED's line");
	pci[1].gsi = 17;
	cfg.ged_gsi = 24;
	expect_einval(&cfg, GPA, "GED line 24");
	cfg.ged_gsi = 8;
	expect_einval(&cfg, GPA, "GED on the RTC's line");
	cfg.ged_gsi = 9;

	cfg.pci_mmio_end = cfg.pci_mmio_base;
	expect_einval(&cfg, GPA, "empty PCI memory window");
	cfg.pci_mmio_end = 0xFEC00000;
	cfg.pci_io_end = cfg.pci_io_base;
	expect_einval(&cfg, GPA, "empty PCI I/O window");
	cfg.pci_io_end = 0x10001;
	expect_einval(&cfg, GPA, "PCI I/O window past 0xffff");
	cfg.pci_io_end = 0x10000;

	cfg.n_mmio = VB_X86_ACPI_MAX_MMIO + 1;
	expect_einval(&cfg, GPA, "65 windows");
	cfg.n_mmio = 2;
	cfg.n_pci = VB_X86_ACPI_MAX_PCI + 1;
	expect_einval(&cfg, GPA, "33 PCI devices");
	cfg.n_pci = 2;

	/* And the fixed config builds. */
	struct vb_err err;
	assert_int_equal(vb_x86_acpi_build(area, sizeof(area), GPA, &cfg, NULL, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_madt),
		cmocka_unit_test(test_dsdt),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_max_config),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_bad_configs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
