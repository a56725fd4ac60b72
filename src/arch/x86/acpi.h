/* ACPI tables for the guest: RSDP, XSDT, FADT, MADT and DSDT.
 *
 * vmboot describes an x86 machine to a Linux kernel with ACPI by default
 * (acpi = false keeps the MP table of mptable.h alone). The platform is
 * hardware-reduced (ACPI 6.x, 4.1): no PM1 blocks, no SCI, no PM timer,
 * no FACS; power management is two one-byte registers the FADT names
 * (SLEEP_CONTROL_REG, SLEEP_STATUS_REG) plus a reset register, and the
 * power button is a control-method device (PNP0C0C) that a Generic Event
 * Device (ACPI0013) notifies when vmboot raises its interrupt. That needs
 * no emulated chipset: one small I/O-port device (VB_X86_ACPI_PM_PORT).
 *
 * Layout written into the caller's buffer (guest-physical buf_gpa, which
 * must be 16-byte aligned and inside [0xE0000, 0x100000) so a kernel that
 * scans for the RSDP finds it):
 *   +0    RSDP (ACPI 2.0+, 36 bytes, both checksums), points at the XSDT
 *   then  XSDT, FADT, MADT, DSDT, each 8-byte aligned
 * The FADT points at the DSDT (X_DSDT and DSDT); the XSDT lists FADT and
 * MADT.
 *
 * MADT: one local APIC per vCPU (APIC id = processor uid = vCPU index,
 * enabled), the IOAPIC (id = cpus, as in the MP table, at
 * VB_X86_IOAPIC_GPA, GSI base 0), an interrupt source override for every
 * line below 16 that is not an edge-triggered active-high ISA line (PCI
 * INTA# lines: level, active low; virtio-mmio lines are edge, active
 * high, dev/irq.h), and one local APIC NMI entry (all processors,
 * LINT1). ISA IRQ n is GSI n (see mptable.h for why there is no IRQ0 ->
 * pin 2 override).
 *
 * DSDT (\_SB): PCI0 (PNP0A03 host bridge: bus 0 only, the config
 * ports, the PCI I/O and 32-bit memory windows, a _PRT with each slot's
 * INTA#), one LNRO0005 device per virtio-mmio window (Memory32Fixed and an
 * edge, active-high interrupt), COM1 (PNP0501), the keyboard controller
 * (PNP0303) and the RTC (PNP0B00) when present, the power button
 * (PNP0C0C), the GED (ACPI0013, edge, active-high interrupt; its _EVT
 * reads the event register and notifies the power button), and \_S5.
 *
 * Pure: no syscalls, no allocation. The caller owns the buffer. */
#ifndef VB_ARCH_X86_ACPI_H
#define VB_ARCH_X86_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Where the builder places the tables: the first 64 KiB of the BIOS area
 * (layout.h), which e820 reserves. The MP table stays at 0xF0000. */
#define VB_X86_ACPI_GPA 0xE0000u
#define VB_X86_ACPI_AREA_BYTES 0x10000u

/* The power-management registers (I/O ports), one device in dev/:
 *   +0  sleep control: the guest writes (SLP_TYP << 2) | SLP_EN (0x20);
 *       SLP_TYP VB_X86_ACPI_SLP_TYP_S5 powers the machine off
 *   +1  sleep status: reads 0 (WAK_STS clear); writes are ignored
 *   +2  reset: writing VB_X86_ACPI_RESET_VALUE resets the machine
 *   +4  GED event (32 bits): pending events, cleared by the read;
 *       bit 0 = power button */
#define VB_X86_ACPI_PM_PORT 0x600u
#define VB_X86_ACPI_PM_PORTS 8u
#define VB_X86_ACPI_PM_SLEEP_CONTROL 0u
#define VB_X86_ACPI_PM_SLEEP_STATUS 1u
#define VB_X86_ACPI_PM_RESET 2u
#define VB_X86_ACPI_PM_GED_EVENT 4u
#define VB_X86_ACPI_SLP_EN 0x20u
#define VB_X86_ACPI_SLP_TYP_SHIFT 2u
#define VB_X86_ACPI_SLP_TYP_MASK 0x1Cu
#define VB_X86_ACPI_SLP_TYP_S5 5u
#define VB_X86_ACPI_RESET_VALUE 0x0Fu
#define VB_X86_ACPI_GED_POWER_BUTTON 0x1u

/* A virtio-mmio window: LNRO0005 with an edge, active-high line. */
struct vb_x86_acpi_mmio_dev {
	uint64_t base;
	uint64_t bytes;
	uint32_t gsi;      /* 0-23 */
};

/* A PCI function on bus 0 whose INTA# is routed to gsi (level, low). */
struct vb_x86_acpi_pci_dev {
	uint8_t slot;      /* 1-31 */
	uint8_t gsi;       /* 0-23 */
};

/* What the tables describe: built from the machine graph in one place
 * (machine/), never patched. */
struct vb_x86_acpi_config {
	unsigned cpus;                            /* 1..VB_X86_ACPI_MAX_CPUS */
	const struct vb_x86_acpi_mmio_dev *mmio;  /* may be NULL when n_mmio 0 */
	size_t n_mmio;
	const struct vb_x86_acpi_pci_dev *pci;
	size_t n_pci;
	/* PCI0's windows: [base, end) each; end > base. */
	uint32_t pci_mmio_base, pci_mmio_end;
	uint16_t pci_io_base;
	uint32_t pci_io_end;                      /* <= 0x10000 */
	bool uart;                                /* COM1 at 0x3F8, IRQ 4 */
	bool i8042;                               /* 0x60/0x64, IRQ 1 */
	bool rtc;                                 /* 0x70, IRQ 8 */
	uint32_t ged_gsi;                         /* power-button line, 0-23 */
};

#define VB_X86_ACPI_MAX_CPUS 254u
#define VB_X86_ACPI_MAX_MMIO 64u
#define VB_X86_ACPI_MAX_PCI 32u

/* One table as placed, for --plan and for writing the tables to files. */
struct vb_x86_acpi_table {
	char signature[5];   /* "RSDP", "XSDT", "FACP", "APIC", "DSDT" */
	uint32_t gpa;
	uint32_t bytes;
	uint32_t offset;     /* from the start of the buffer */
};

/* One object of the DSDT, for --plan: its path and what it is. */
struct vb_x86_acpi_node {
	char path[16];       /* "\\_SB.PCI0", "\\_SB.VR00", "\\_S5" */
	char hid[9];         /* "PNP0A03", "LNRO0005", "" for none */
	char what[80];       /* "mmio 0xd0000000+0x200 irq 5 (level, high)" */
};

#define VB_X86_ACPI_MAX_TABLES 5u
#define VB_X86_ACPI_MAX_NODES (VB_X86_ACPI_MAX_MMIO + 8u)

struct vb_x86_acpi_layout {
	struct vb_x86_acpi_table tables[VB_X86_ACPI_MAX_TABLES];
	size_t n_tables;
	struct vb_x86_acpi_node nodes[VB_X86_ACPI_MAX_NODES];
	size_t n_nodes;
	size_t bytes;        /* buffer bytes used, RSDP to the DSDT's end */
};

/* Bytes vb_x86_acpi_build() needs for cfg: exactly the smallest buffer it
 * accepts (a few bytes above layout->bytes, room the AML encoder uses
 * while it writes). 0 for a config that vb_x86_acpi_build() refuses. */
size_t vb_x86_acpi_bytes(const struct vb_x86_acpi_config *cfg);

/* Write the tables for cfg into buf (zeroed first), which the guest sees
 * at buf_gpa. Fills *layout (may be NULL). Returns 0, or -EINVAL (bad
 * config: cpus 0 or too many, a line above 23, a slot outside 1-31, two
 * devices on one slot, a window that is empty or wraps, misaligned gpa,
 * an mmio window above 4 GiB) or -ENOSPC (buffer too small), with err
 * filled. Lines: virtio-mmio windows may share a line with each other
 * (their Interrupt descriptors then say Shared) and PCI devices with each
 * other; anything else on one line is -EINVAL too, as are the legacy
 * devices' lines (COM1 4, i8042 1, RTC 8, when present) and the GED's
 * line given to anyone else, and a buf_gpa outside [0xE0000, 0x100000). */
int vb_x86_acpi_build(uint8_t *buf, size_t buf_bytes, uint32_t buf_gpa,
		      const struct vb_x86_acpi_config *cfg,
		      struct vb_x86_acpi_layout *layout, struct vb_err *err);

#endif
