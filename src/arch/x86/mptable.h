/* Intel MultiProcessor Specification 1.4 tables for the guest.
 *
 * Without ACPI, Linux finds its CPUs, the IOAPIC and the ISA interrupt
 * routing from the MP floating pointer structure, which it scans for in the
 * BIOS area [0xF0000, 0x100000) among other places (MP spec 1.4, 4.0). The
 * builder places the table at VB_X86_MPTABLE_GPA, which the e820 table marks
 * reserved, during the "load kernel, boot params, e820" stage.
 *
 * Layout written into the caller's buffer (guest-physical buf_gpa):
 *   +0   MP floating pointer structure (16 bytes, points at +16)
 *   +16  configuration table: header, then entries sorted by type as the
 *        spec requires: processors, buses (PCI 0, ISA 1), one IOAPIC,
 *        the I/O interrupt entries, two local interrupt entries.
 *
 * Device interrupt lines (struct vb_x86_mp_routes): a PCI slot's INTA#
 * gets a PCI-bus entry (level, active low) to its IOAPIC pin, which may be
 * 16-23 and replaces the ISA entry when below 16; a virtio-mmio line below
 * 16 keeps its ISA entry, declared edge-triggered, active high
 * (dev/irq.h).
 *
 * Interrupt routing assumption: ISA IRQ n goes to IOAPIC pin n, for n in
 * 0..15, the identity that KVM's default GSI routing installs with
 * KVM_CREATE_IRQCHIP (GSI n -> PIC pin n and IOAPIC pin n); the in-kernel
 * PIT raises GSI 0, so the timer arrives on IOAPIC pin 0. A PC chipset
 * wires IRQ0 to pin 2, and QEMU reproduces that by installing its own GSI
 * routing; vmboot keeps KVM's default routing, so a table claiming pin 2
 * would send Linux's timer check to a pin that never fires. If the builder
 * ever installs custom routing it must keep GSI n -> IOAPIC pin n.
 *
 * Pure: no syscalls, no allocation. The caller owns the buffer. */
#ifndef VB_ARCH_X86_MPTABLE_H
#define VB_ARCH_X86_MPTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Where the builder places the table (guest-physical), see above. */
#define VB_X86_MPTABLE_GPA 0xF0000u

/* Default IOAPIC and local APIC MMIO bases (Intel 82093AA datasheet; SDM
 * vol. 3A 11.4.1). KVM's in-kernel irqchip decodes these addresses. */
#define VB_X86_IOAPIC_GPA 0xFEC00000u
#define VB_X86_LAPIC_GPA 0xFEE00000u

/* xAPIC ids are 8 bits and 0xFF is the broadcast id; the IOAPIC takes the
 * id after the last CPU (n_cpus), so CPUs 0..253 and IOAPIC 254 fit. */
#define VB_X86_MPTABLE_MAX_CPUS 254u

/* KVM's in-kernel IOAPIC has 24 pins (GSIs 0-23). */
#define VB_X86_IOAPIC_PINS 24u

struct vb_x86_mp_route {
	bool pci;          /* PCI INTA# of pci_slot, else an ISA-style line */
	uint8_t pci_slot;  /* 1-31 */
	uint8_t gsi;       /* IOAPIC pin: 0-23 for PCI, 0-15 otherwise */
};

struct vb_x86_mp_routes {
	const struct vb_x86_mp_route *items;
	size_t count;
};

/* Bytes the table needs (floating pointer included); routes may be NULL. */
size_t vb_x86_mptable_bytes(unsigned n_cpus, const struct vb_x86_mp_routes *routes);

/* Write the floating pointer and configuration table for n_cpus vCPUs
 * (APIC id = vCPU index, cpu 0 is the bootstrap processor) into buf,
 * which the guest sees at buf_gpa (must be 16-byte aligned, the table
 * must end below 4 GiB). The whole buffer is zeroed first. On success
 * returns the number of bytes used (> 0); on failure returns -EINVAL
 * (n_cpus 0 or above VB_X86_MPTABLE_MAX_CPUS, misaligned gpa) or -ENOSPC
 * (buffer too small) and fills err. Also -EINVAL for a route to a pin the
 * IOAPIC lacks, a bad slot, or two routes to one pin. */
int vb_x86_mptable_build(uint8_t *buf, size_t buf_bytes, uint32_t buf_gpa, unsigned n_cpus,
			 const struct vb_x86_mp_routes *routes, struct vb_err *err);

#endif
