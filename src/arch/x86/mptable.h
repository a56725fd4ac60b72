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
 *        spec requires: processors, buses (ISA 0, PCI 1), one IOAPIC,
 *        16 I/O interrupt entries, two local interrupt entries.
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

/* Bytes the table needs for n_cpus CPUs (floating pointer included). */
size_t vb_x86_mptable_bytes(unsigned n_cpus);

/* Write the floating pointer and configuration table for n_cpus vCPUs
 * (APIC id = vCPU index, cpu 0 is the bootstrap processor) into buf,
 * which the guest sees at buf_gpa (must be 16-byte aligned, the table
 * must end below 4 GiB). The whole buffer is zeroed first. On success
 * returns the number of bytes used (> 0); on failure returns -EINVAL
 * (n_cpus 0 or above VB_X86_MPTABLE_MAX_CPUS, misaligned gpa) or -ENOSPC
 * (buffer too small) and fills err. */
int vb_x86_mptable_build(uint8_t *buf, size_t buf_bytes, uint32_t buf_gpa,
			 unsigned n_cpus, struct vb_err *err);

#endif
