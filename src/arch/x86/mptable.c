#include "arch/x86/mptable.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* Sizes and codes from the MultiProcessor Specification 1.4, chapter 4. */
#define MPF_BYTES 16u       /* floating pointer structure, table 4-1 */
#define MPC_HDR_BYTES 44u   /* configuration table header, table 4-2 */
#define MPC_CPU_BYTES 20u   /* processor entry, table 4-4 */
#define MPC_SMALL_BYTES 8u  /* bus, IOAPIC, I/O and local interrupt entries */
#define MP_SPEC_REV 4u      /* 1.4 */

enum mpc_entry_type {
	MPC_PROCESSOR = 0,
	MPC_BUS = 1,
	MPC_IOAPIC = 2,
	MPC_IOINT = 3,
	MPC_LINT = 4,
};

enum mp_int_type { MP_INT = 0, MP_NMI = 1, MP_SMI = 2, MP_EXTINT = 3 };

#define MPC_CPU_ENABLED 0x01u
#define MPC_CPU_BSP 0x02u
#define MPC_IOAPIC_ENABLED 0x01u

/* Integrated local APIC version reported by KVM's in-kernel LAPIC and by
 * every APIC since the P6 (SDM vol. 3A 11.4.8: 1xH = integrated APIC). */
#define LAPIC_VERSION 0x14u
/* 82093AA IOAPIC version register value that KVM's IOAPIC also reports. */
#define IOAPIC_VERSION 0x11u

/* Processor signature and feature flags for the processor entries. Linux
 * only reads the APIC id and flags, but the spec asks for CPUID(1) values:
 * family 6, with FPU (bit 0) and APIC (bit 9) set. */
#define CPU_SIGNATURE 0x00000600u
#define CPU_FEATURES 0x00000201u

/* Linux matches a PCI device's interrupt entry by comparing the MP bus id
 * with the PCI bus number (IO_APIC_get_PCI_irq_vector), so PCI bus 0 must
 * be MP bus 0; ISA takes the next id. */
#define PCI_BUS_ID 0u
#define ISA_BUS_ID 1u
/* I/O interrupt entry flags (MP spec table 4-10): polarity in bits 1:0,
 * trigger mode in bits 3:2; 0 = conform to the bus. */
#define MP_IRQ_ACTIVE_HIGH 0x1u
#define MP_IRQ_ACTIVE_LOW 0x3u
#define MP_IRQ_EDGE (0x1u << 2)
#define MP_IRQ_LEVEL (0x3u << 2)
#define ISA_IRQS 16u
#define LINT_ALL_CPUS 0xFFu

enum { N_BUSES = 2, N_LINTS = 2 };

/* Writer over the caller's buffer; every write is bounds-checked against
 * the size computed up front, so a miscount cannot overrun the buffer. */
struct mp_writer {
	uint8_t *buf;
	size_t size;
	size_t pos;
};

static void put8(struct mp_writer *w, uint8_t v)
{
	if (w->pos < w->size)
		w->buf[w->pos] = v;
	w->pos++;
}

static void put16(struct mp_writer *w, uint16_t v)
{
	put8(w, (uint8_t)v);
	put8(w, (uint8_t)(v >> 8));
}

static void put32(struct mp_writer *w, uint32_t v)
{
	put16(w, (uint16_t)v);
	put16(w, (uint16_t)(v >> 16));
}

/* Fixed-width text field, space padded as the spec shows for ids. */
static void put_text(struct mp_writer *w, const char *s, size_t width)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < width; i++)
		put8(w, i < n ? (uint8_t)s[i] : (uint8_t)' ');
}

static void put_zero(struct mp_writer *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(w, 0);
}

/* Every MP structure checksums to 0 over its bytes (byte sum mod 256). */
static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)(0u - sum);
}

/* The route for gsi, or NULL. */
static const struct vb_x86_mp_route *route_of(const struct vb_x86_mp_routes *r, unsigned gsi)
{
	for (size_t i = 0; r && i < r->count; i++)
		if (r->items[i].gsi == gsi)
			return &r->items[i];
	return NULL;
}

/* An ISA line taken by a PCI device is described by the PCI entry only. */
static bool isa_entry_wanted(const struct vb_x86_mp_routes *r, unsigned irq)
{
	const struct vb_x86_mp_route *route = route_of(r, irq);
	return !route || !route->pci;
}

static unsigned io_entry_count(const struct vb_x86_mp_routes *r)
{
	unsigned n = 0;
	for (unsigned irq = 0; irq < ISA_IRQS; irq++)
		n += isa_entry_wanted(r, irq);
	for (size_t i = 0; r && i < r->count; i++)
		n += r->items[i].pci;
	return n;
}

static unsigned entry_count(unsigned n_cpus, const struct vb_x86_mp_routes *r)
{
	return n_cpus + N_BUSES + 1u + io_entry_count(r) + N_LINTS;
}

static size_t config_bytes(unsigned n_cpus, const struct vb_x86_mp_routes *r)
{
	return MPC_HDR_BYTES + (size_t)n_cpus * MPC_CPU_BYTES +
	       (size_t)(N_BUSES + 1u + io_entry_count(r) + N_LINTS) * MPC_SMALL_BYTES;
}

size_t vb_x86_mptable_bytes(unsigned n_cpus, const struct vb_x86_mp_routes *routes)
{
	return MPF_BYTES + config_bytes(n_cpus, routes);
}

static void put_floating_pointer(struct mp_writer *w, uint32_t config_gpa)
{
	size_t start = w->pos;
	put_text(w, "_MP_", 4);
	put32(w, config_gpa);
	put8(w, 1);           /* length in 16-byte paragraphs */
	put8(w, MP_SPEC_REV);
	put8(w, 0);           /* checksum, patched below */
	put8(w, 0);           /* feature 1: 0 = configuration table present */
	put8(w, 0);           /* feature 2: IMCRP clear, virtual wire mode */
	put_zero(w, 3);       /* features 3-5 reserved */
	w->buf[start + 10] = checksum(w->buf + start, MPF_BYTES);
}

static void put_config_header(struct mp_writer *w, unsigned n_cpus,
			      const struct vb_x86_mp_routes *r)
{
	put_text(w, "PCMP", 4);
	put16(w, (uint16_t)config_bytes(n_cpus, r));
	put8(w, MP_SPEC_REV);
	put8(w, 0);           /* checksum, patched after the entries */
	put_text(w, "VMBOOT", 8);
	put_text(w, "KVM", 12);
	put32(w, 0);          /* no OEM table */
	put16(w, 0);
	put16(w, (uint16_t)entry_count(n_cpus, r));
	put32(w, VB_X86_LAPIC_GPA);
	put16(w, 0);          /* no extended table */
	put8(w, 0);
	put8(w, 0);
}

static void put_processor(struct mp_writer *w, unsigned apic_id)
{
	put8(w, MPC_PROCESSOR);
	put8(w, (uint8_t)apic_id);
	put8(w, LAPIC_VERSION);
	put8(w, (uint8_t)(MPC_CPU_ENABLED | (apic_id == 0 ? MPC_CPU_BSP : 0)));
	put32(w, CPU_SIGNATURE);
	put32(w, CPU_FEATURES);
	put_zero(w, 8);
}

static void put_bus(struct mp_writer *w, uint8_t id, const char *type)
{
	put8(w, MPC_BUS);
	put8(w, id);
	put_text(w, type, 6);
}

static void put_ioapic(struct mp_writer *w, uint8_t id)
{
	put8(w, MPC_IOAPIC);
	put8(w, id);
	put8(w, IOAPIC_VERSION);
	put8(w, MPC_IOAPIC_ENABLED);
	put32(w, VB_X86_IOAPIC_GPA);
}

/* Flags 0: polarity and trigger "conform to the bus", i.e. ISA active-high
 * edge (MP spec table 4-10). */
static void put_int(struct mp_writer *w, uint8_t entry_type, uint8_t int_type, uint16_t flags,
		    uint8_t bus, uint8_t irq, uint8_t dest_id, uint8_t dest_pin)
{
	put8(w, entry_type);
	put8(w, int_type);
	put16(w, flags);
	put8(w, bus);
	put8(w, irq);
	put8(w, dest_id);
	put8(w, dest_pin);
}

static void put_config_table(struct mp_writer *w, unsigned n_cpus,
			     const struct vb_x86_mp_routes *r)
{
	size_t start = w->pos;
	uint8_t ioapic_id = (uint8_t)n_cpus;

	put_config_header(w, n_cpus, r);
	for (unsigned i = 0; i < n_cpus; i++)
		put_processor(w, i);
	put_bus(w, PCI_BUS_ID, "PCI");
	put_bus(w, ISA_BUS_ID, "ISA");
	put_ioapic(w, ioapic_id);
	/* Identity routing, IRQ0 on pin 0: see the header. A virtio-mmio
	 * line is declared edge-triggered, active high (dev/irq.h). */
	for (uint8_t irq = 0; irq < ISA_IRQS; irq++) {
		if (!isa_entry_wanted(r, irq))
			continue;
		uint16_t flags = route_of(r, irq) ? MP_IRQ_EDGE | MP_IRQ_ACTIVE_HIGH : 0;
		put_int(w, MPC_IOINT, MP_INT, flags, ISA_BUS_ID, irq, ioapic_id, irq);
	}
	/* PCI INTA# of a slot: source irq is (device << 2) | (pin - 1); PCI
	 * interrupts are level-triggered, active low (PCI 3.0, 2.2.6). */
	for (size_t i = 0; r && i < r->count; i++) {
		const struct vb_x86_mp_route *route = &r->items[i];
		if (route->pci)
			put_int(w, MPC_IOINT, MP_INT, MP_IRQ_LEVEL | MP_IRQ_ACTIVE_LOW, PCI_BUS_ID,
				(uint8_t)(route->pci_slot << 2), ioapic_id, route->gsi);
	}
	/* Virtual wire mode (MP spec 3.6.2.2): the 8259 reaches the CPUs as
	 * ExtINT on LINT0 and NMI arrives on LINT1. */
	put_int(w, MPC_LINT, MP_EXTINT, 0, ISA_BUS_ID, 0, LINT_ALL_CPUS, 0);
	put_int(w, MPC_LINT, MP_NMI, 0, ISA_BUS_ID, 0, LINT_ALL_CPUS, 1);
	w->buf[start + 7] = checksum(w->buf + start, w->pos - start);
}

static int check_routes(const struct vb_x86_mp_routes *r, struct vb_err *err)
{
	for (size_t i = 0; r && i < r->count; i++) {
		const struct vb_x86_mp_route *route = &r->items[i];
		if (route->gsi >= VB_X86_IOAPIC_PINS || (!route->pci && route->gsi >= ISA_IRQS))
			return vb_err_set(err, EINVAL, "MP table: no IOAPIC pin %u for %s", route->gsi,
					  route->pci ? "a PCI device" : "an ISA-style line");
		if (route->pci && (route->pci_slot == 0 || route->pci_slot > 31))
			return vb_err_set(err, EINVAL, "MP table: PCI slot %u", route->pci_slot);
		for (size_t j = 0; j < i; j++)
			if (r->items[j].gsi == route->gsi)
				return vb_err_set(err, EINVAL, "MP table: IOAPIC pin %u routed twice",
						  route->gsi);
	}
	return 0;
}

int vb_x86_mptable_build(uint8_t *buf, size_t buf_bytes, uint32_t buf_gpa, unsigned n_cpus,
			 const struct vb_x86_mp_routes *routes, struct vb_err *err)
{
	if (n_cpus == 0 || n_cpus > VB_X86_MPTABLE_MAX_CPUS)
		return vb_refuse(err, VB_REFUSAL_CPUS, EINVAL,
				 "MP table: %u CPUs: must be 1 to %u", n_cpus,
				 VB_X86_MPTABLE_MAX_CPUS);
	/* The floating pointer must be paragraph aligned (MP spec 4.1). */
	if (buf_gpa % 16 != 0)
		return vb_err_set(err, EINVAL,
				  "MP table: address 0x%x is not 16-byte aligned",
				  (unsigned)buf_gpa);
	int rc = check_routes(routes, err);
	if (rc)
		return rc;
	size_t need = vb_x86_mptable_bytes(n_cpus, routes);
	if (buf == NULL || buf_bytes < need)
		return vb_err_set(err, ENOSPC,
				  "MP table: %u CPUs need %zu bytes, buffer has %zu",
				  n_cpus, need, buf == NULL ? (size_t)0 : buf_bytes);
	/* All pointers in the table are 32-bit physical addresses. */
	if ((uint64_t)buf_gpa + need > 0x100000000ull)
		return vb_err_set(err, EINVAL,
				  "MP table: 0x%x + %zu bytes crosses 4 GiB",
				  (unsigned)buf_gpa, need);

	memset(buf, 0, buf_bytes);
	struct mp_writer w = { .buf = buf, .size = buf_bytes, .pos = 0 };
	put_floating_pointer(&w, buf_gpa + MPF_BYTES);
	put_config_table(&w, n_cpus, routes);
	return (int)w.pos;
}
