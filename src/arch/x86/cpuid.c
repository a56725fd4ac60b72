#include "arch/x86/cpuid.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Bit positions from the Intel SDM vol. 2A, CPUID instruction, and the AMD
 * APM vol. 3, appendix E. */
#define LEAF1_EBX_APIC_ID_SHIFT 24
#define LEAF1_EBX_LOGICAL_SHIFT 16
#define LEAF1_EBX_TOPO_MASK 0xFFFF0000u
#define LEAF1_EDX_HTT (1u << 28)
#define LEAF1_ECX_VMX (1u << 5)
#define LEAF1_ECX_TSC_DEADLINE (1u << 24)
#define LEAF1_ECX_HYPERVISOR (1u << 31)
#define EXT1_ECX_SVM (1u << 2)

#define LEAF4_EAX_CACHE_TYPE 0x1Fu
#define LEAF4_EAX_CORES_SHIFT 26
#define LEAF4_EAX_CORES_MASK (0x3Fu << LEAF4_EAX_CORES_SHIFT)

/* Leaf 0xB/0x1F level types (ECX[15:8]). */
#define TOPO_LEVEL_INVALID 0u
#define TOPO_LEVEL_SMT 1u
#define TOPO_LEVEL_CORE 2u

#define AMD_8_ECX_NC_MASK 0xFFu
#define AMD_8_ECX_CORE_ID_SIZE_SHIFT 12
#define AMD_8_ECX_TOPO_MASK 0xFFFFu
#define AMD_1E_EBX_TOPO_MASK 0xFFFFu
#define AMD_1E_ECX_TOPO_MASK 0x7FFu

/* Number of bits needed to hold ids 0..n-1: ceil(log2(n)). */
static unsigned id_bits(unsigned n)
{
	unsigned bits = 0;
	while (bits < 32 && (1ull << bits) < n)
		bits++;
	return bits;
}

static unsigned min_u(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

static const struct kvm_cpuid_entry2 *
find_leaf(const struct kvm_cpuid_entry2 *e, size_t n, uint32_t function)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].function == function)
			return &e[i];
	return NULL;
}

static bool vendor_is(const struct kvm_cpuid_entry2 *leaf0, const char *name)
{
	char sig[12];
	/* The 12-byte signature is EBX, EDX, ECX in that order. */
	memcpy(sig, &leaf0->ebx, 4);
	memcpy(sig + 4, &leaf0->edx, 4);
	memcpy(sig + 8, &leaf0->ecx, 4);
	return memcmp(sig, name, sizeof(sig)) == 0;
}

enum vb_x86_vendor vb_x86_cpuid_vendor(const struct kvm_cpuid_entry2 *entries,
				       size_t n_entries)
{
	const struct kvm_cpuid_entry2 *leaf0 = find_leaf(entries, n_entries, 0);
	if (!leaf0)
		return VB_X86_VENDOR_OTHER;
	if (vendor_is(leaf0, "GenuineIntel"))
		return VB_X86_VENDOR_INTEL;
	/* Hygon's Dhyana is a licensed Zen and uses AMD's topology leaves. */
	if (vendor_is(leaf0, "AuthenticAMD") || vendor_is(leaf0, "HygonGenuine"))
		return VB_X86_VENDOR_AMD;
	return VB_X86_VENDOR_OTHER;
}

struct topo {
	unsigned apic_id;
	unsigned n_cpus;
	enum vb_x86_vendor vendor;
};

static void fix_leaf1(struct kvm_cpuid_entry2 *e, const struct topo *t)
{
	/* Both fields are 8 bits wide; with more than 255 CPUs the x2APIC
	 * leaves carry the full id, as on real hardware. */
	e->ebx &= ~LEAF1_EBX_TOPO_MASK;
	e->ebx |= (uint32_t)(t->apic_id & 0xFFu) << LEAF1_EBX_APIC_ID_SHIFT;
	e->ebx |= (uint32_t)min_u(t->n_cpus, 255) << LEAF1_EBX_LOGICAL_SHIFT;
	if (t->n_cpus > 1)
		e->edx |= LEAF1_EDX_HTT;
	else
		e->edx &= ~LEAF1_EDX_HTT;
	/* Guests check this bit before trusting the 0x40000000 leaves. */
	e->ecx |= LEAF1_ECX_HYPERVISOR;
}

/* Leaf 0xB and 0x1F share one format (SDM vol. 2A, CPUID leaf 0BH):
 * EAX[4:0] = shift of the x2APIC id to reach the next level's id,
 * EBX[15:0] = logical processors at this level, ECX[7:0] = subleaf,
 * ECX[15:8] = level type, EDX = x2APIC id. */
static void fix_x2apic_topology(struct kvm_cpuid_entry2 *e, const struct topo *t)
{
	uint32_t sub = e->index & 0xFFu;
	e->edx = t->apic_id;
	switch (e->index) {
	case 0:
		e->eax = 0; /* one thread per core: no SMT bits */
		e->ebx = 1;
		e->ecx = sub | (TOPO_LEVEL_SMT << 8);
		break;
	case 1:
		e->eax = id_bits(t->n_cpus);
		e->ebx = t->n_cpus & 0xFFFFu;
		e->ecx = sub | (TOPO_LEVEL_CORE << 8);
		break;
	default:
		e->eax = 0;
		e->ebx = 0;
		e->ecx = sub | (TOPO_LEVEL_INVALID << 8);
		break;
	}
}

/* Deterministic cache parameters: EAX[31:26] is "maximum addressable core
 * ids in the package - 1" (6 bits). Subleaves with cache type 0 are the
 * terminator and stay as they are. */
static void fix_leaf4(struct kvm_cpuid_entry2 *e, const struct topo *t)
{
	if ((e->eax & LEAF4_EAX_CACHE_TYPE) == 0)
		return;
	e->eax &= ~LEAF4_EAX_CORES_MASK;
	e->eax |= (uint32_t)(min_u(t->n_cpus, 64) - 1) << LEAF4_EAX_CORES_SHIFT;
}

/* AMD APM vol. 3 E.4.24: EAX extended APIC id; EBX[7:0] core id,
 * EBX[15:8] threads per core - 1; ECX[7:0] node id, ECX[10:8] nodes per
 * processor - 1. One node, one thread per core. */
static void fix_amd_8000001e(struct kvm_cpuid_entry2 *e, const struct topo *t)
{
	e->eax = t->apic_id;
	e->ebx = (e->ebx & ~AMD_1E_EBX_TOPO_MASK) | (t->apic_id & 0xFFu);
	e->ecx &= ~AMD_1E_ECX_TOPO_MASK;
}

/* AMD APM vol. 3 E.4.17: ECX[7:0] NC = cores - 1, ECX[15:12]
 * ApicIdCoreIdSize = APIC id bits that identify the core. */
static void fix_amd_80000008(struct kvm_cpuid_entry2 *e, const struct topo *t)
{
	e->ecx &= ~AMD_8_ECX_TOPO_MASK;
	e->ecx |= (uint32_t)(min_u(t->n_cpus, 256) - 1) & AMD_8_ECX_NC_MASK;
	e->ecx |= (uint32_t)min_u(id_bits(t->n_cpus), 15)
		  << AMD_8_ECX_CORE_ID_SIZE_SHIFT;
}

static void fix_entry(struct kvm_cpuid_entry2 *e, const struct topo *t)
{
	bool amd = t->vendor == VB_X86_VENDOR_AMD;

	/* Hypervisor range: KVM's own leaves, passed through untouched. */
	if (e->function >= 0x40000000u && e->function <= 0x4FFFFFFFu)
		return;
	switch (e->function) {
	case 1:
		fix_leaf1(e, t);
		break;
	case 4:
		if (!amd)
			fix_leaf4(e, t);
		break;
	case 0xB:
	case 0x1F:
		fix_x2apic_topology(e, t);
		break;
	case 0x80000008u:
		if (amd)
			fix_amd_80000008(e, t);
		break;
	case 0x8000001Eu:
		if (amd)
			fix_amd_8000001e(e, t);
		break;
	default:
		break;
	}
}

int vb_x86_cpuid_build(const struct kvm_cpuid_entry2 *supported,
		       size_t n_supported, unsigned vcpu_index,
		       unsigned n_cpus, struct kvm_cpuid_entry2 *out,
		       size_t out_cap, size_t *n_out, struct vb_err *err)
{
	if (n_cpus == 0 || vcpu_index >= n_cpus)
		return vb_err_set(err, EINVAL,
				  "CPUID: vCPU %u of %u: index out of range",
				  vcpu_index, n_cpus);
	if (n_supported > 0 && (supported == NULL || out == NULL))
		return vb_err_set(err, EINVAL, "CPUID: no entry table");
	if (out_cap < n_supported)
		return vb_err_set(err, ENOSPC,
				  "CPUID: %zu supported entries, room for %zu",
				  n_supported, out_cap);

	struct topo t = {
		.apic_id = vcpu_index,
		.n_cpus = n_cpus,
		.vendor = vb_x86_cpuid_vendor(supported, n_supported),
	};
	for (size_t i = 0; i < n_supported; i++) {
		out[i] = supported[i];
		fix_entry(&out[i], &t);
	}
	if (n_out)
		*n_out = n_supported;
	return 0;
}

void vb_x86_cpuid_offer_tsc_deadline(struct kvm_cpuid_entry2 *entries, size_t n_entries)
{
	for (size_t i = 0; i < n_entries; i++)
		if (entries[i].function == 1)
			entries[i].ecx |= LEAF1_ECX_TSC_DEADLINE;
}

void vb_x86_cpuid_probe(const struct kvm_cpuid_entry2 *entries,
			size_t n_entries, struct vb_x86_virt_probe *probe)
{
	const struct kvm_cpuid_entry2 *l1 = find_leaf(entries, n_entries, 1);
	const struct kvm_cpuid_entry2 *e1 =
		find_leaf(entries, n_entries, 0x80000001u);

	probe->vendor = vb_x86_cpuid_vendor(entries, n_entries);
	probe->vmx = l1 && (l1->ecx & LEAF1_ECX_VMX);
	probe->svm = e1 && (e1->ecx & EXT1_ECX_SVM);
}

static const char *vendor_name(enum vb_x86_vendor v)
{
	switch (v) {
	case VB_X86_VENDOR_INTEL:
		return "Intel";
	case VB_X86_VENDOR_AMD:
		return "AMD";
	default:
		return "unknown-vendor";
	}
}

void vb_x86_cpuid_probe_describe(const struct vb_x86_virt_probe *probe,
				 char *buf, size_t buf_bytes)
{
	const char *virt;

	if (buf_bytes == 0)
		return;
	if (probe->vmx && probe->svm)
		virt = "VT-x (vmx) and AMD-V (svm) advertised";
	else if (probe->vmx)
		virt = "VT-x (vmx) advertised";
	else if (probe->svm)
		virt = "AMD-V (svm) advertised";
	else
		virt = "no vmx or svm advertised (nested virtualization unavailable)";
	snprintf(buf, buf_bytes, "%s CPU, %s", vendor_name(probe->vendor), virt);
}
