#include "arch/x86/acpi.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/aml.h"
#include "arch/x86/mptable.h"

/* Sizes, offsets and codes from ACPI 6.5, chapter 5.2 (RSDP 5.2.5, header
 * 5.2.6, XSDT 5.2.8, FADT 5.2.9, MADT 5.2.12) unless a comment says. */
#define RSDP_BYTES 36u
#define RSDP_V1_BYTES 20u         /* what the first checksum covers */
#define RSDP_REVISION 2u          /* ACPI 2.0 and later: XSDT */
#define RSDP_CHECKSUM 8u
#define RSDP_XSDT 24u
#define RSDP_EXT_CHECKSUM 32u
#define HEADER_LENGTH 4u
#define HEADER_CHECKSUM 9u
#define HEADER_BYTES 36u
#define TABLE_ALIGN 8u

#define OEM_ID "VMBOOT"
#define OEM_TABLE_ID "VMBOOT"
#define OEM_REVISION 1u
#define CREATOR_ID "VMBT"
#define CREATOR_REVISION 1u

#define XSDT_REVISION 1u
/* FADT 6.3: revision 6, minor version 3, 276 bytes with the hypervisor
 * vendor identity. */
#define FADT_REVISION 6u
#define FADT_MINOR_VERSION 3u
#define FADT_BYTES 276u
#define FADT_DSDT 40u
#define FADT_ACPI_ENABLE 52u
#define FADT_IAPC_BOOT_ARCH 109u
#define FADT_X_DSDT 140u
#define FADT_X_PM1A_EVT_BLK 148u
#define FADT_SLEEP_CONTROL_REG 244u
#define FADT_PM_PROFILE_UNSPECIFIED 0u
/* IA-PC boot architecture flags (5.2.9.3). */
#define BOOT_ARCH_8042 (1u << 1)
#define BOOT_ARCH_NO_VGA (1u << 2)
#define BOOT_ARCH_NO_CMOS_RTC (1u << 5)
/* Fixed feature flags (5.2.9, table 5.10). */
#define FADT_PWR_BUTTON (1u << 4)  /* power button is a control-method device */
#define FADT_SLP_BUTTON (1u << 5)  /* so is the (absent) sleep button */
#define FADT_RESET_REG_SUP (1u << 10)
#define FADT_HW_REDUCED_ACPI (1u << 20)
/* Generic Address Structure (5.2.3.2). */
#define GAS_SYSTEM_IO 1u
#define GAS_ACCESS_BYTE 1u

#define DSDT_REVISION 2u          /* 64-bit AML integers */
/* MADT revision 5 (ACPI 6.3); interrupt controller structures, 5.2.12. */
#define MADT_REVISION 5u
#define MADT_PCAT_COMPAT 1u       /* dual 8259s present: Linux masks them */
#define MADT_LOCAL_APIC 0u
#define MADT_IO_APIC 1u
#define MADT_INT_OVERRIDE 2u
#define MADT_LOCAL_APIC_NMI 4u
#define MADT_LOCAL_APIC_BYTES 8u
#define MADT_IO_APIC_BYTES 12u
#define MADT_INT_OVERRIDE_BYTES 10u
#define MADT_LOCAL_APIC_NMI_BYTES 6u
#define LAPIC_ENABLED 1u
#define ALL_PROCESSORS 0xFFu
#define LINT1 1u
/* MPS INTI flags (table 5.50): polarity bits 1:0, trigger mode bits 3:2. */
#define MPS_ACTIVE_HIGH 0x1u
#define MPS_ACTIVE_LOW 0x3u
#define MPS_LEVEL (0x3u << 2)
#define ISA_BUS 0u
#define ISA_IRQS 16u

/* The BIOS area a kernel scans for "RSD PTR " (5.2.5.1). */
#define BIOS_AREA_START 0xE0000u
#define BIOS_AREA_END 0x100000u
#define RSDP_ALIGN 16u

/* _PRT (6.2.13): a slot's functions match address (slot << 16) | 0xFFFF;
 * source 0 means the last field is a global system interrupt. */
#define PRT_ANY_FUNCTION 0xFFFFu
#define PCI_INTA 0u
#define PCI_MAX_SLOT 31u
#define PCI_CONFIG_PORT 0xCF8u
#define PCI_CONFIG_PORTS 8u
#define PCI_IO_LIMIT 0x10000u
#define NOTIFY_DEVICE_CHECK_POWER_BUTTON 0x80u /* 5.6.6: button pressed */
#define GED_EVENT_BYTES 4u

enum { T_RSDP, T_XSDT, T_FADT, T_MADT, T_DSDT, N_TABLES };
static const char *const table_sig[N_TABLES] = { "RSDP", "XSDT", "FACP", "APIC", "DSDT" };

/* Who uses each IOAPIC pin. */
enum line_use { LINE_FREE, LINE_MMIO, LINE_PCI, LINE_ONE_USER };
struct lines {
	enum line_use use[VB_X86_IOAPIC_PINS];
	unsigned users[VB_X86_IOAPIC_PINS];
	char owner[VB_X86_IOAPIC_PINS][32];
};

struct builder {
	struct vb_x86_aml a;
	const struct vb_x86_acpi_config *cfg;
	const struct lines *lines;
	uint32_t gpa;
	size_t start[N_TABLES];
	size_t end[N_TABLES];
	struct vb_x86_acpi_layout *layout;
};

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)(0u - sum);
}

static void align_to(struct vb_x86_aml *a, size_t align)
{
	vb_x86_aml_zeros(a, (align - a->pos % align) % align);
}

/* ---- the config ---- */

/* "virtio-mmio window 3": index is below 64 (checked before). */
static void line_name(char *out, size_t bytes, const char *kind, unsigned index)
{
	snprintf(out, bytes, "%s %u", kind, index);
}

/* Claim gsi for who. Devices of one kind may share a line, as their
 * drivers allow (virtio-mmio and PCI INTx request shared, level
 * interrupts); kinds may not mix, since an IOAPIC pin has one trigger
 * mode and polarity, and a legacy device or the GED keeps its line. */
static int claim_line(struct lines *l, uint32_t gsi, enum line_use use, const char *who,
		      struct vb_err *err)
{
	if (gsi >= VB_X86_IOAPIC_PINS)
		return vb_err_set(err, EINVAL, "ACPI tables: %s: line %u: the IOAPIC has 0 to %u",
				  who, (unsigned)gsi, VB_X86_IOAPIC_PINS - 1);
	if (l->use[gsi] != LINE_FREE && (l->use[gsi] != use || use == LINE_ONE_USER))
		return vb_err_set(err, EINVAL, "ACPI tables: %s: line %u already used by %s", who,
				  (unsigned)gsi, l->owner[gsi]);
	if (l->use[gsi] == LINE_FREE)
		snprintf(l->owner[gsi], sizeof(l->owner[gsi]), "%s", who);
	l->use[gsi] = use;
	l->users[gsi]++;
	return 0;
}

/* A list of n items at items (NULL allowed only when n is 0), at most max. */
static int check_count(size_t n, const void *items, unsigned max, const char *what,
		       struct vb_err *err)
{
	if (n <= max && (items || !n))
		return 0;
	return vb_err_set(err, EINVAL, "ACPI tables: %zu %s%s: at most %u", n, what,
			  items ? "" : " and no array", max);
}

static int check_mmio(const struct vb_x86_acpi_config *cfg, struct lines *l, struct vb_err *err)
{
	int rc = check_count(cfg->n_mmio, cfg->mmio, VB_X86_ACPI_MAX_MMIO, "virtio-mmio windows", err);
	for (size_t i = 0; !rc && i < cfg->n_mmio; i++) {
		const struct vb_x86_acpi_mmio_dev *d = &cfg->mmio[i];
		char who[32];
		line_name(who, sizeof(who), "virtio-mmio window", (unsigned)i);
		/* Memory32Fixed holds a 32-bit base and length. */
		if (d->bytes == 0 || d->bytes > 0x100000000ull || d->base > 0x100000000ull - d->bytes)
			return vb_err_set(err, EINVAL,
					  "ACPI tables: %s: 0x%llx+0x%llx is empty or not below 4 GiB",
					  who, (unsigned long long)d->base,
					  (unsigned long long)d->bytes);
		rc = claim_line(l, d->gsi, LINE_MMIO, who, err);
	}
	return rc;
}

static int check_pci(const struct vb_x86_acpi_config *cfg, struct lines *l, struct vb_err *err)
{
	int rc = check_count(cfg->n_pci, cfg->pci, VB_X86_ACPI_MAX_PCI, "PCI devices", err);
	for (size_t i = 0; !rc && i < cfg->n_pci; i++) {
		const struct vb_x86_acpi_pci_dev *d = &cfg->pci[i];
		char who[32];
		line_name(who, sizeof(who), "PCI slot", d->slot);
		if (d->slot == 0 || d->slot > PCI_MAX_SLOT)
			return vb_err_set(err, EINVAL, "ACPI tables: %s: slots are 1 to %u", who,
					  PCI_MAX_SLOT);
		for (size_t j = 0; j < i; j++)
			if (cfg->pci[j].slot == d->slot)
				return vb_err_set(err, EINVAL, "ACPI tables: %s: two devices", who);
		rc = claim_line(l, d->gsi, LINE_PCI, who, err);
	}
	return rc;
}

static int check_windows(const struct vb_x86_acpi_config *cfg, struct vb_err *err)
{
	if (cfg->pci_mmio_end <= cfg->pci_mmio_base)
		return vb_err_set(err, EINVAL, "ACPI tables: PCI memory window 0x%x-0x%x is empty",
				  (unsigned)cfg->pci_mmio_base, (unsigned)cfg->pci_mmio_end);
	if (cfg->pci_io_end <= cfg->pci_io_base || cfg->pci_io_end > PCI_IO_LIMIT)
		return vb_err_set(err, EINVAL,
				  "ACPI tables: PCI I/O window 0x%x-0x%x is empty or above 0xffff",
				  (unsigned)cfg->pci_io_base, (unsigned)cfg->pci_io_end);
	return 0;
}

/* The legacy devices' ISA lines, which must stay theirs. */
static int check_legacy_lines(const struct vb_x86_acpi_config *cfg, struct lines *l,
			      struct vb_err *err)
{
	int rc = 0;
	if (!rc && cfg->uart)
		rc = claim_line(l, 4, LINE_ONE_USER, "COM1", err);
	if (!rc && cfg->i8042)
		rc = claim_line(l, 1, LINE_ONE_USER, "i8042", err);
	if (!rc && cfg->rtc)
		rc = claim_line(l, 8, LINE_ONE_USER, "RTC", err);
	return rc;
}

static int check_config(const struct vb_x86_acpi_config *cfg, struct lines *l,
			struct vb_err *err)
{
	if (cfg->cpus == 0 || cfg->cpus > VB_X86_ACPI_MAX_CPUS)
		return vb_refuse(err, VB_REFUSAL_CPUS, EINVAL,
				 "ACPI tables: %u CPUs: must be 1 to %u", cfg->cpus,
				 VB_X86_ACPI_MAX_CPUS);
	memset(l, 0, sizeof(*l));
	int rc = check_windows(cfg, err);
	if (!rc)
		rc = check_legacy_lines(cfg, l, err);
	if (!rc)
		rc = check_mmio(cfg, l, err);
	if (!rc)
		rc = check_pci(cfg, l, err);
	if (!rc)
		rc = claim_line(l, cfg->ged_gsi, LINE_ONE_USER, "GED", err);
	return rc;
}

/* ---- fixed-layout tables ---- */

/* The common header (5.2.6); length and checksum are patched at the end. */
static void table_begin(struct builder *b, int t, uint8_t revision)
{
	struct vb_x86_aml *a = &b->a;
	align_to(a, TABLE_ALIGN);
	b->start[t] = a->pos;
	vb_x86_aml_text(a, table_sig[t], 4, ' ');
	vb_x86_aml_le(a, 0, 4);
	vb_x86_aml_u8(a, revision);
	vb_x86_aml_u8(a, 0);
	vb_x86_aml_text(a, OEM_ID, 6, ' ');
	vb_x86_aml_text(a, OEM_TABLE_ID, 8, ' ');
	vb_x86_aml_le(a, OEM_REVISION, 4);
	vb_x86_aml_text(a, CREATOR_ID, 4, ' ');
	vb_x86_aml_le(a, CREATOR_REVISION, 4);
}

static void table_end(struct builder *b, int t)
{
	b->end[t] = b->a.pos;
	vb_x86_aml_patch(&b->a, b->start[t] + HEADER_LENGTH, b->end[t] - b->start[t], 4);
}

static void put_rsdp(struct builder *b)
{
	struct vb_x86_aml *a = &b->a;
	b->start[T_RSDP] = a->pos;
	vb_x86_aml_text(a, "RSD PTR ", 8, ' ');
	vb_x86_aml_u8(a, 0);            /* checksum of the first 20 bytes */
	vb_x86_aml_text(a, OEM_ID, 6, ' ');
	vb_x86_aml_u8(a, RSDP_REVISION);
	vb_x86_aml_le(a, 0, 4);           /* no RSDT: the XSDT only */
	vb_x86_aml_le(a, RSDP_BYTES, 4);
	vb_x86_aml_le(a, 0, 8);           /* XSDT address, linked below */
	vb_x86_aml_u8(a, 0);            /* extended checksum */
	vb_x86_aml_zeros(a, 3);
	b->end[T_RSDP] = a->pos;
}

static void put_xsdt(struct builder *b)
{
	table_begin(b, T_XSDT, XSDT_REVISION);
	vb_x86_aml_le(&b->a, 0, 8);       /* FADT, linked below */
	vb_x86_aml_le(&b->a, 0, 8);       /* MADT */
	table_end(b, T_XSDT);
}

/* Generic Address Structure for a byte-wide I/O port. */
static void put_gas_io8(struct vb_x86_aml *a, uint16_t port)
{
	vb_x86_aml_u8(a, GAS_SYSTEM_IO);
	vb_x86_aml_u8(a, 8);            /* register bit width */
	vb_x86_aml_u8(a, 0);            /* bit offset */
	vb_x86_aml_u8(a, GAS_ACCESS_BYTE);
	vb_x86_aml_le(a, port, 8);
}

static uint16_t boot_arch_flags(const struct vb_x86_acpi_config *cfg)
{
	uint16_t flags = BOOT_ARCH_NO_VGA;
	if (cfg->i8042)
		flags |= BOOT_ARCH_8042;
	if (!cfg->rtc)
		flags |= BOOT_ARCH_NO_CMOS_RTC;
	return flags;
}

/* Hardware-reduced (4.1): every fixed-hardware block is absent (zero);
 * only the sleep and reset registers are set. */
static void put_fadt(struct builder *b)
{
	struct vb_x86_aml *a = &b->a;
	table_begin(b, T_FADT, FADT_REVISION);
	vb_x86_aml_le(a, 0, 4);           /* FIRMWARE_CTRL: no FACS */
	vb_x86_aml_le(a, 0, 4);           /* DSDT, linked below */
	vb_x86_aml_u8(a, 0);            /* reserved */
	vb_x86_aml_u8(a, FADT_PM_PROFILE_UNSPECIFIED);
	vb_x86_aml_le(a, 0, 2);           /* SCI_INT: no SCI */
	vb_x86_aml_le(a, 0, 4);           /* SMI_CMD: no SMM, always in ACPI mode */
	vb_x86_aml_zeros(a, FADT_IAPC_BOOT_ARCH - FADT_ACPI_ENABLE); /* .. CENTURY */
	vb_x86_aml_le(a, boot_arch_flags(b->cfg), 2);
	vb_x86_aml_u8(a, 0);            /* reserved */
	vb_x86_aml_le(a, FADT_HW_REDUCED_ACPI | FADT_RESET_REG_SUP | FADT_PWR_BUTTON |
			  FADT_SLP_BUTTON, 4);
	put_gas_io8(a, VB_X86_ACPI_PM_PORT + VB_X86_ACPI_PM_RESET);
	vb_x86_aml_u8(a, VB_X86_ACPI_RESET_VALUE);
	vb_x86_aml_le(a, 0, 2);           /* ARM_BOOT_ARCH */
	vb_x86_aml_u8(a, FADT_MINOR_VERSION);
	vb_x86_aml_le(a, 0, 8);           /* X_FIRMWARE_CTRL */
	vb_x86_aml_le(a, 0, 8);           /* X_DSDT, linked below */
	vb_x86_aml_zeros(a, FADT_SLEEP_CONTROL_REG - FADT_X_PM1A_EVT_BLK); /* .. X_GPE1_BLK */
	put_gas_io8(a, VB_X86_ACPI_PM_PORT + VB_X86_ACPI_PM_SLEEP_CONTROL);
	put_gas_io8(a, VB_X86_ACPI_PM_PORT + VB_X86_ACPI_PM_SLEEP_STATUS);
	vb_x86_aml_text(a, OEM_ID, 8, ' '); /* hypervisor vendor identity */
	table_end(b, T_FADT);
}

static void put_local_apic(struct vb_x86_aml *a, unsigned cpu)
{
	vb_x86_aml_u8(a, MADT_LOCAL_APIC);
	vb_x86_aml_u8(a, MADT_LOCAL_APIC_BYTES);
	vb_x86_aml_u8(a, (uint8_t)cpu); /* ACPI processor UID */
	vb_x86_aml_u8(a, (uint8_t)cpu); /* APIC id */
	vb_x86_aml_le(a, LAPIC_ENABLED, 4);
}

static void put_io_apic(struct vb_x86_aml *a, uint8_t id)
{
	vb_x86_aml_u8(a, MADT_IO_APIC);
	vb_x86_aml_u8(a, MADT_IO_APIC_BYTES);
	vb_x86_aml_u8(a, id);
	vb_x86_aml_u8(a, 0);
	vb_x86_aml_le(a, VB_X86_IOAPIC_GPA, 4);
	vb_x86_aml_le(a, 0, 4);           /* GSI base */
}

static void put_override(struct vb_x86_aml *a, unsigned line, uint16_t flags)
{
	vb_x86_aml_u8(a, MADT_INT_OVERRIDE);
	vb_x86_aml_u8(a, MADT_INT_OVERRIDE_BYTES);
	vb_x86_aml_u8(a, ISA_BUS);
	vb_x86_aml_u8(a, (uint8_t)line);  /* ISA IRQ n is GSI n: see acpi.h */
	vb_x86_aml_le(a, line, 4);
	vb_x86_aml_le(a, flags, 2);
}

/* One override per ISA line PCI INTx drives: level, active low (PCI
 * 3.0, 2.2.6). A virtio-mmio line is what an ISA line is anyway, edge and
 * active high (dev/irq.h), and needs none. */
static void put_overrides(struct vb_x86_aml *a, const struct lines *l)
{
	for (unsigned line = 0; line < ISA_IRQS; line++) {
		if (l->use[line] == LINE_PCI)
			put_override(a, line, MPS_LEVEL | MPS_ACTIVE_LOW);
	}
}

/* CPUs, the IOAPIC, the overrides that make a PCI device's ISA line
 * level-triggered, and NMI on every CPU's LINT1 as in the MP table. */
static void put_madt(struct builder *b)
{
	struct vb_x86_aml *a = &b->a;
	const struct vb_x86_acpi_config *cfg = b->cfg;
	table_begin(b, T_MADT, MADT_REVISION);
	vb_x86_aml_le(a, VB_X86_LAPIC_GPA, 4);
	vb_x86_aml_le(a, MADT_PCAT_COMPAT, 4);
	for (unsigned i = 0; i < cfg->cpus; i++)
		put_local_apic(a, i);
	put_io_apic(a, (uint8_t)cfg->cpus);
	put_overrides(a, b->lines);
	vb_x86_aml_u8(a, MADT_LOCAL_APIC_NMI);
	vb_x86_aml_u8(a, MADT_LOCAL_APIC_NMI_BYTES);
	vb_x86_aml_u8(a, ALL_PROCESSORS);
	vb_x86_aml_le(a, 0, 2);           /* flags: conform to the bus */
	vb_x86_aml_u8(a, LINT1);
	table_end(b, T_MADT);
}

/* ---- the DSDT ---- */

static void add_node(struct builder *b, const char *path, const char *hid, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add_node(struct builder *b, const char *path, const char *hid, const char *fmt, ...)
{
	struct vb_x86_acpi_layout *l = b->layout;
	if (l->n_nodes >= VB_X86_ACPI_MAX_NODES)
		return;
	struct vb_x86_acpi_node *n = &l->nodes[l->n_nodes++];
	snprintf(n->path, sizeof(n->path), "%s", path);
	snprintf(n->hid, sizeof(n->hid), "%s", hid);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(n->what, sizeof(n->what), fmt, ap);
	va_end(ap);
}

static void put_pci0_crs(struct vb_x86_aml *a, const struct vb_x86_acpi_config *cfg)
{
	const uint8_t window = VB_X86_AML_ADDR_MIN_FIXED | VB_X86_AML_ADDR_MAX_FIXED;
	const struct vb_x86_aml_addr_space bus = {
		.type = VB_X86_AML_SPACE_BUS, .general_flags = window,
		.min = 0, .max = 0, .length = 1,
	};
	const struct vb_x86_aml_addr_space io = {
		.type = VB_X86_AML_SPACE_IO, .general_flags = window,
		.type_flags = VB_X86_AML_IO_ENTIRE_RANGE,
		.min = cfg->pci_io_base, .max = cfg->pci_io_end - 1u,
		.length = cfg->pci_io_end - cfg->pci_io_base,
	};
	const struct vb_x86_aml_addr_space mem = {
		.type = VB_X86_AML_SPACE_MEMORY, .general_flags = window,
		.type_flags = VB_X86_AML_MEM_READ_WRITE,
		.min = cfg->pci_mmio_base, .max = cfg->pci_mmio_end - 1u,
		.length = cfg->pci_mmio_end - cfg->pci_mmio_base,
	};
	size_t crs;
	vb_x86_aml_name(a, "_CRS");
	crs = vb_x86_aml_restemplate_open(a);
	vb_x86_aml_word_space(a, &bus);
	/* The configuration ports, which the bridge consumes; Linux keeps
	 * them out of the windows it hands to devices. */
	vb_x86_aml_io(a, PCI_CONFIG_PORT, PCI_CONFIG_PORT, 1, PCI_CONFIG_PORTS);
	vb_x86_aml_word_space(a, &io);
	vb_x86_aml_dword_space(a, &mem);
	vb_x86_aml_restemplate_close(a, crs);
}

static void put_pci0_prt(struct vb_x86_aml *a, const struct vb_x86_acpi_config *cfg)
{
	vb_x86_aml_name(a, "_PRT");
	size_t prt = vb_x86_aml_package_open(a, (uint8_t)cfg->n_pci);
	for (size_t i = 0; i < cfg->n_pci; i++) {
		size_t entry = vb_x86_aml_package_open(a, 4);
		vb_x86_aml_integer(a, (uint32_t)cfg->pci[i].slot << 16 | PRT_ANY_FUNCTION);
		vb_x86_aml_integer(a, PCI_INTA);
		vb_x86_aml_integer(a, 0);   /* source: a global system interrupt */
		vb_x86_aml_integer(a, cfg->pci[i].gsi);
		vb_x86_aml_close(a, entry);
	}
	vb_x86_aml_close(a, prt);
}

static void put_pci0(struct builder *b)
{
	struct vb_x86_aml *a = &b->a;
	const struct vb_x86_acpi_config *cfg = b->cfg;
	size_t dev = vb_x86_aml_device_open(a, "PCI0");
	/* Conventional PCI, not PNP0A08: there is no ECAM (no MCFG) and no
	 * _OSC to negotiate PCIe features, which Linux would ask a PCIe
	 * host bridge for and log the failure of. */
	vb_x86_aml_name_eisaid(a, "_HID", "PNP0A03");
	vb_x86_aml_name_integer(a, "_SEG", 0);
	vb_x86_aml_name_integer(a, "_UID", 0);
	vb_x86_aml_name_integer(a, "_BBN", 0);
	/* No _ADR: a device has a _HID or an _ADR, not both (6.1). */
	put_pci0_crs(a, cfg);
	put_pci0_prt(a, cfg);
	vb_x86_aml_close(a, dev);
	add_node(b, "\\_SB.PCI0", "PNP0A03",
		 "bus 0, io 0x%x-0x%x, mem 0x%x-0x%x, interrupt routes: %zu",
		 (unsigned)cfg->pci_io_base, (unsigned)cfg->pci_io_end - 1u,
		 (unsigned)cfg->pci_mmio_base, (unsigned)cfg->pci_mmio_end - 1u, cfg->n_pci);
}

static void put_interrupt_crs(struct vb_x86_aml *a, uint8_t flags, uint32_t gsi)
{
	vb_x86_aml_interrupt(a, VB_X86_AML_IRQ_CONSUMER | flags, gsi);
}

static void put_mmio(struct builder *b, size_t index)
{
	struct vb_x86_aml *a = &b->a;
	const struct vb_x86_acpi_mmio_dev *d = &b->cfg->mmio[index];
	bool shared = b->lines->users[d->gsi] > 1;
	char name[5], path[16];
	snprintf(name, sizeof(name), "VR%02X", (unsigned)index % VB_X86_ACPI_MAX_MMIO);
	snprintf(path, sizeof(path), "\\_SB.%s", name);
	size_t dev = vb_x86_aml_device_open(a, name);
	/* The id Linux's virtio-mmio driver matches (virtio_mmio_acpi_match). */
	vb_x86_aml_name_string(a, "_HID", "LNRO0005");
	vb_x86_aml_name_integer(a, "_UID", index);
	vb_x86_aml_name_integer(a, "_CCA", 1); /* DMA is cache-coherent */
	vb_x86_aml_name(a, "_CRS");
	size_t crs = vb_x86_aml_restemplate_open(a);
	vb_x86_aml_memory32_fixed(a, true, (uint32_t)d->base, (uint32_t)d->bytes);
	/* Edge, active high (dev/irq.h). */
	put_interrupt_crs(a, VB_X86_AML_IRQ_EDGE | (shared ? VB_X86_AML_IRQ_SHARED : 0), d->gsi);
	vb_x86_aml_restemplate_close(a, crs);
	vb_x86_aml_close(a, dev);
	add_node(b, path, "LNRO0005", "mmio 0x%llx+0x%llx, irq %u (edge, high%s)",
		 (unsigned long long)d->base, (unsigned long long)d->bytes, (unsigned)d->gsi,
		 shared ? ", shared" : "");
}

/* A PC device at fixed ports with an ISA interrupt (edge, high). */
struct legacy_dev {
	const char *name, *path, *hid, *what;
	uint16_t port[2];
	uint8_t port_bytes[2];
	uint8_t align;
	unsigned irq;
};

static const struct legacy_dev com1 = {
	"COM1", "\\_SB.COM1", "PNP0501", "uart: io 0x3f8+8, irq 4", { 0x3F8 }, { 8 }, 0, 4,
};
static const struct legacy_dev kbd = {
	"KBD_", "\\_SB.KBD_", "PNP0303", "i8042: io 0x60, 0x64, irq 1", { 0x60, 0x64 }, { 1, 1 }, 1, 1,
};
static const struct legacy_dev rtc = {
	"RTC_", "\\_SB.RTC_", "PNP0B00", "rtc: io 0x70+2, irq 8", { 0x70 }, { 2 }, 1, 8,
};

static void put_legacy(struct builder *b, const struct legacy_dev *d)
{
	struct vb_x86_aml *a = &b->a;
	size_t dev = vb_x86_aml_device_open(a, d->name);
	vb_x86_aml_name_eisaid(a, "_HID", d->hid);
	vb_x86_aml_name_integer(a, "_UID", 0);
	vb_x86_aml_name(a, "_CRS");
	size_t crs = vb_x86_aml_restemplate_open(a);
	for (size_t i = 0; i < 2 && d->port_bytes[i]; i++)
		vb_x86_aml_io(a, d->port[i], d->port[i], d->align, d->port_bytes[i]);
	vb_x86_aml_irq_noflags(a, d->irq);
	vb_x86_aml_restemplate_close(a, crs);
	vb_x86_aml_close(a, dev);
	add_node(b, d->path, d->hid, "%s", d->what);
}

static void put_power_button(struct builder *b)
{
	struct vb_x86_aml *a = &b->a;
	size_t dev = vb_x86_aml_device_open(a, "PWRB");
	vb_x86_aml_name_eisaid(a, "_HID", "PNP0C0C");
	vb_x86_aml_name_integer(a, "_UID", 0);
	vb_x86_aml_close(a, dev);
	add_node(b, "\\_SB.PWRB", "PNP0C0C", "power button");
}

/* _EVT (5.6.9.3): Local0 = GDAT (the read clears the pending events);
 * If ((Local0 & 1) == 1) { Notify (\_SB.PWRB, 0x80) }. */
static void put_ged_evt(struct vb_x86_aml *a)
{
	size_t evt = vb_x86_aml_method_open(a, "_EVT", 1, true);
	vb_x86_aml_op(a, VB_X86_AML_STORE);
	vb_x86_aml_namestring(a, "GDAT");
	vb_x86_aml_local(a, 0);
	size_t cond = vb_x86_aml_if_open(a);
	vb_x86_aml_op(a, VB_X86_AML_LEQUAL);
	vb_x86_aml_op(a, VB_X86_AML_AND);
	vb_x86_aml_local(a, 0);
	vb_x86_aml_integer(a, VB_X86_ACPI_GED_POWER_BUTTON);
	vb_x86_aml_no_target(a);
	vb_x86_aml_integer(a, VB_X86_ACPI_GED_POWER_BUTTON);
	vb_x86_aml_op(a, VB_X86_AML_NOTIFY);
	vb_x86_aml_namestring(a, "\\_SB.PWRB");
	vb_x86_aml_integer(a, NOTIFY_DEVICE_CHECK_POWER_BUTTON);
	vb_x86_aml_close(a, cond);
	vb_x86_aml_close(a, evt);
}

static void put_ged(struct builder *b)
{
	struct vb_x86_aml *a = &b->a;
	const uint32_t event_port = VB_X86_ACPI_PM_PORT + VB_X86_ACPI_PM_GED_EVENT;
	size_t dev = vb_x86_aml_device_open(a, "GED_");
	vb_x86_aml_name_string(a, "_HID", "ACPI0013");
	vb_x86_aml_name_integer(a, "_UID", 0);
	vb_x86_aml_name(a, "_CRS");
	size_t crs = vb_x86_aml_restemplate_open(a);
	put_interrupt_crs(a, VB_X86_AML_IRQ_EDGE, b->cfg->ged_gsi);
	vb_x86_aml_restemplate_close(a, crs);
	vb_x86_aml_opregion(a, "GDST", VB_X86_AML_SYSTEM_IO, event_port, GED_EVENT_BYTES);
	size_t field = vb_x86_aml_field_open(a, "GDST", VB_X86_AML_FIELD_DWORD_ACC |
							VB_X86_AML_FIELD_NO_LOCK |
							VB_X86_AML_FIELD_WRITE_AS_ZEROS);
	vb_x86_aml_field_unit(a, "GDAT", 8 * GED_EVENT_BYTES);
	vb_x86_aml_close(a, field);
	put_ged_evt(a);
	vb_x86_aml_close(a, dev);
	add_node(b, "\\_SB.GED_", "ACPI0013", "GED irq %u (edge, high), events at io 0x%x",
		 (unsigned)b->cfg->ged_gsi, (unsigned)event_port);
}

/* \_S5: SLP_TYPa and SLP_TYPb, then two reserved entries (7.4.2). */
static void put_s5(struct builder *b)
{
	struct vb_x86_aml *a = &b->a;
	vb_x86_aml_name(a, "\\_S5");
	size_t pkg = vb_x86_aml_package_open(a, 4);
	vb_x86_aml_integer(a, VB_X86_ACPI_SLP_TYP_S5);
	vb_x86_aml_integer(a, VB_X86_ACPI_SLP_TYP_S5);
	vb_x86_aml_integer(a, 0);
	vb_x86_aml_integer(a, 0);
	vb_x86_aml_close(a, pkg);
	add_node(b, "\\_S5", "", "poweroff: SLP_TYP %u", VB_X86_ACPI_SLP_TYP_S5);
}

static void put_dsdt(struct builder *b)
{
	const struct vb_x86_acpi_config *cfg = b->cfg;
	table_begin(b, T_DSDT, DSDT_REVISION);
	size_t sb = vb_x86_aml_scope_open(&b->a, "\\_SB");
	put_pci0(b);
	for (size_t i = 0; i < cfg->n_mmio; i++)
		put_mmio(b, i);
	if (cfg->uart)
		put_legacy(b, &com1);
	if (cfg->i8042)
		put_legacy(b, &kbd);
	if (cfg->rtc)
		put_legacy(b, &rtc);
	put_power_button(b);
	put_ged(b);
	vb_x86_aml_close(&b->a, sb);
	put_s5(b);
	table_end(b, T_DSDT);
}

/* ---- putting it together ---- */

static uint64_t gpa_of(const struct builder *b, int t)
{
	return (uint64_t)b->gpa + b->start[t];
}

/* Pointers between the tables, known once all are placed. */
static void link_tables(struct builder *b)
{
	struct vb_x86_aml *a = &b->a;
	vb_x86_aml_patch(a, b->start[T_RSDP] + RSDP_XSDT, gpa_of(b, T_XSDT), 8);
	vb_x86_aml_patch(a, b->start[T_XSDT] + HEADER_BYTES, gpa_of(b, T_FADT), 8);
	vb_x86_aml_patch(a, b->start[T_XSDT] + HEADER_BYTES + 8, gpa_of(b, T_MADT), 8);
	vb_x86_aml_patch(a, b->start[T_FADT] + FADT_DSDT, gpa_of(b, T_DSDT), 4);
	vb_x86_aml_patch(a, b->start[T_FADT] + FADT_X_DSDT, gpa_of(b, T_DSDT), 8);
}

static void sum_tables(struct builder *b)
{
	uint8_t *buf = b->a.buf;
	for (int t = T_XSDT; t < N_TABLES; t++)
		buf[b->start[t] + HEADER_CHECKSUM] =
			checksum(buf + b->start[t], b->end[t] - b->start[t]);
	uint8_t *rsdp = buf + b->start[T_RSDP];
	rsdp[RSDP_CHECKSUM] = checksum(rsdp, RSDP_V1_BYTES);
	rsdp[RSDP_EXT_CHECKSUM] = checksum(rsdp, RSDP_BYTES);
}

static void describe(struct builder *b)
{
	struct vb_x86_acpi_layout *l = b->layout;
	l->n_tables = N_TABLES;
	for (int t = 0; t < N_TABLES; t++) {
		struct vb_x86_acpi_table *tab = &l->tables[t];
		snprintf(tab->signature, sizeof(tab->signature), "%s", table_sig[t]);
		tab->offset = (uint32_t)b->start[t];
		tab->gpa = (uint32_t)gpa_of(b, t);
		tab->bytes = (uint32_t)(b->end[t] - b->start[t]);
	}
	l->bytes = b->a.pos;
}

/* Write every table; the writer drops what does not fit and the caller
 * looks at b->a afterwards. */
static void write_tables(struct builder *b)
{
	memset(b->layout, 0, sizeof(*b->layout));
	put_rsdp(b);
	put_xsdt(b);
	put_fadt(b);
	put_madt(b);
	put_dsdt(b);
	link_tables(b);
	describe(b);
}

size_t vb_x86_acpi_bytes(const struct vb_x86_acpi_config *cfg)
{
	struct vb_err err;
	struct lines lines;
	if (check_config(cfg, &lines, &err))
		return 0;
	struct vb_x86_acpi_layout scratch;
	struct builder b = {
		.cfg = cfg, .lines = &lines, .gpa = VB_X86_ACPI_GPA, .layout = &scratch,
	};
	vb_x86_aml_init(&b.a, NULL, 0);
	write_tables(&b);
	return b.a.peak_pos;
}

static int check_gpa(uint32_t gpa, struct vb_err *err)
{
	if (gpa % RSDP_ALIGN != 0 || gpa < BIOS_AREA_START || gpa >= BIOS_AREA_END)
		return vb_err_set(err, EINVAL,
				  "ACPI tables: address 0x%x is not 16-byte aligned in 0x%x-0x%x",
				  (unsigned)gpa, BIOS_AREA_START, BIOS_AREA_END - 1u);
	return 0;
}

int vb_x86_acpi_build(uint8_t *buf, size_t buf_bytes, uint32_t buf_gpa,
		      const struct vb_x86_acpi_config *cfg,
		      struct vb_x86_acpi_layout *layout, struct vb_err *err)
{
	struct lines lines;
	int rc = check_config(cfg, &lines, err);
	if (!rc)
		rc = check_gpa(buf_gpa, err);
	if (rc)
		return rc;
	if (buf == NULL)
		buf_bytes = 0;
	if (buf_bytes)
		memset(buf, 0, buf_bytes);
	struct vb_x86_acpi_layout scratch;
	struct builder b = {
		.cfg = cfg, .lines = &lines, .gpa = buf_gpa, .layout = layout ? layout : &scratch,
	};
	vb_x86_aml_init(&b.a, buf, buf_bytes);
	write_tables(&b);
	if (b.a.bad)
		rc = vb_err_set(err, EINVAL, "ACPI tables: the AML encoder refused an input");
	else if (!vb_x86_aml_fits(&b.a))
		rc = vb_err_set(err, ENOSPC, "ACPI tables: need %zu bytes, buffer has %zu",
				b.a.peak_pos, buf_bytes);
	if (rc) {
		/* No half-written tables for a kernel to find. */
		if (buf_bytes)
			memset(buf, 0, buf_bytes);
		return rc;
	}
	sum_tables(&b);
	return 0;
}
