/* Per-vCPU CPUID tables derived from what KVM supports.
 *
 * KVM_GET_SUPPORTED_CPUID describes what the host and KVM can offer, not
 * one CPU: the topology fields (APIC ids, core counts, cache sharing) are
 * the host's or zero. vb_x86_cpuid_build copies that list and rewrites only
 * the topology so that each vCPU sees a single package of n_cpus cores with
 * one thread each and x2APIC id == vCPU index (matching the MP table):
 *   leaf 1        EBX[31:24] initial APIC id, EBX[23:16] logical count,
 *                 EDX[28] HTT (only with more than one CPU),
 *                 ECX[31] hypervisor present
 *   0xB, 0x1F     x2APIC topology: SMT level (1 thread), core level
 *                 (n_cpus), then the invalid level; EDX = x2APIC id
 *   4             Intel-style vendors: EAX[31:26] cores per package - 1
 *   0x8000001E    AMD/Hygon: extended APIC id, core id, one thread per core
 *   0x80000008    AMD/Hygon: ECX NC and ApicIdCoreIdSize
 * Everything else, and in particular the hypervisor leaves 0x40000000-
 * 0x4FFFFFFF (KVM's signature and paravirt features), is copied unchanged.
 * Runs in the "CPUID and registers" stage, once per vCPU.
 *
 * Pure: no syscalls, no allocation; the caller owns both arrays. */
#ifndef VB_ARCH_X86_CPUID_H
#define VB_ARCH_X86_CPUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "util/err.h"

enum vb_x86_vendor {
	VB_X86_VENDOR_OTHER,
	VB_X86_VENDOR_INTEL, /* GenuineIntel */
	VB_X86_VENDOR_AMD,   /* AuthenticAMD, HygonGenuine */
};

/* Vendor from leaf 0's signature; OTHER if leaf 0 is missing. */
enum vb_x86_vendor vb_x86_cpuid_vendor(const struct kvm_cpuid_entry2 *entries,
				       size_t n_entries);

/* Copy the n_supported entries into out (out_cap >= n_supported), fixing
 * up the topology for vCPU vcpu_index of n_cpus as described above.
 * *n_out receives the entry count. Returns 0, or -EINVAL (n_cpus 0,
 * vcpu_index >= n_cpus) / -ENOSPC (out too small) and fills err. */
int vb_x86_cpuid_build(const struct kvm_cpuid_entry2 *supported,
		       size_t n_supported, unsigned vcpu_index,
		       unsigned n_cpus, struct kvm_cpuid_entry2 *out,
		       size_t out_cap, size_t *n_out, struct vb_err *err);

/* Sets leaf 1 ECX[24], the local APIC's TSC-deadline timer mode, in the
 * n entries (a table without leaf 1 is left alone). For a VM whose
 * in-kernel local APIC has the mode (KVM_CAP_TSC_DEADLINE_TIMER):
 * KVM_GET_SUPPORTED_CPUID lists it only from Linux 6.14 on, because the
 * mode depends on the in-kernel irqchip that userspace creates (api.rst).
 * A Linux guest without it times its APIC timer against the tick at boot,
 * HZ/10 ticks: 100 ms spent waiting. */
void vb_x86_cpuid_offer_tsc_deadline(struct kvm_cpuid_entry2 *entries, size_t n_entries);

/* What a CPUID table (the host's own, or KVM's supported list) says about
 * hardware virtualization. For messages only: vmboot must never refuse to
 * run because vmx or svm is absent (KVM's capability checks decide). */
struct vb_x86_virt_probe {
	enum vb_x86_vendor vendor;
	bool vmx; /* leaf 1 ECX bit 5 (Intel VT-x) */
	bool svm; /* leaf 0x80000001 ECX bit 2 (AMD-V) */
};

void vb_x86_cpuid_probe(const struct kvm_cpuid_entry2 *entries,
			size_t n_entries, struct vb_x86_virt_probe *probe);

/* One line for logs, e.g. "Intel CPU, VT-x (vmx) advertised" or "AMD CPU,
 * no vmx or svm advertised (nested virtualization unavailable)". Always
 * NUL-terminates when buf_bytes > 0. */
void vb_x86_cpuid_probe_describe(const struct vb_x86_virt_probe *probe,
				 char *buf, size_t buf_bytes);

#endif
