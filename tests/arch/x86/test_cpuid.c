/* Per-vCPU CPUID from a synthetic KVM_GET_SUPPORTED_CPUID list. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/cpuid.h"

#define SIG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

#define IDX KVM_CPUID_FLAG_SIGNIFCANT_INDEX

enum { N_MAX = 32 };

struct table {
	struct kvm_cpuid_entry2 e[N_MAX];
	size_t n;
};

static void add(struct table *t, uint32_t fn, uint32_t idx, uint32_t flags,
		uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	assert_true(t->n < N_MAX);
	struct kvm_cpuid_entry2 *e = &t->e[t->n++];
	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = idx;
	e->flags = flags;
	e->eax = a;
	e->ebx = b;
	e->ecx = c;
	e->edx = d;
}

/* Host-like values: leaf 1 claims APIC id 7 and 16 logical CPUs, leaf 4
 * claims 8 cores, so every rewrite is visible. */
static void make_table(struct table *t, bool amd)
{
	t->n = 0;
	if (amd) /* "AuthenticAMD" as EBX, EDX, ECX */
		add(t, 0, 0, 0, 0x1F, SIG('A', 'u', 't', 'h'), SIG('c', 'A', 'M', 'D'),
		    SIG('e', 'n', 't', 'i'));
	else /* "GenuineIntel" */
		add(t, 0, 0, 0, 0x1F, SIG('G', 'e', 'n', 'u'), SIG('n', 't', 'e', 'l'),
		    SIG('i', 'n', 'e', 'I'));
	add(t, 1, 0, 0, 0x000906EA, 0x07100800, 0x00000020 /* vmx */, 0x1FEBFBFF);
	add(t, 4, 0, IDX, 0x1C004121, 0x01C0003F, 0x3F, 0);
	add(t, 4, 1, IDX, 0x1C004122, 0x01C0003F, 0x3F, 0);
	add(t, 4, 2, IDX, 0x1C03C163, 0x03C0003F, 0x3FFF, 6);
	add(t, 4, 3, IDX, 0x00000000, 0, 0, 0);
	add(t, 0xB, 0, IDX, 1, 2, 0x100, 7);
	add(t, 0xB, 1, IDX, 4, 16, 0x201, 7);
	add(t, 0xB, 2, IDX, 0, 0, 0x2, 7);
	add(t, 0x1F, 0, IDX, 1, 2, 0x100, 7);
	add(t, 0x1F, 1, IDX, 4, 16, 0x201, 7);
	add(t, 0x1F, 2, IDX, 5, 32, 0x502, 7);
	add(t, 0x40000000, 0, 0, 0x40000001, SIG('K', 'V', 'M', 'K'),
	    SIG('V', 'M', 'K', 'V'), SIG('M', 0, 0, 0));
	add(t, 0x40000001, 0, 0, 0xDEADBEEF, 0xCAFEF00D, 0x12345678, 0x9ABCDEF0);
	add(t, 0x80000001, 0, 0, 0, 0, amd ? 0x4 /* svm */ : 0, 0);
	add(t, 0x80000008, 0, 0, 0x3030, 0, 0x0001F00F, 0);
	add(t, 0x8000001E, 0, 0, 0x55, 0x0103, 0x0701, 0);
}

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid_entry2 *e,
					   size_t n, uint32_t fn, uint32_t idx)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].function == fn && e[i].index == idx)
			return &e[i];
	fail_msg("leaf 0x%x.%u missing", fn, idx);
	return NULL;
}

static unsigned bits_for(unsigned n)
{
	unsigned b = 0;
	while ((1u << b) < n)
		b++;
	return b;
}

static void build(const struct table *t, unsigned idx, unsigned n,
		  struct kvm_cpuid_entry2 *out, size_t *n_out)
{
	struct vb_err err = { { 0 } };
	assert_int_equal(vb_x86_cpuid_build(t->e, t->n, idx, n, out, N_MAX, n_out,
					    &err), 0);
	assert_int_equal(*n_out, t->n);
}

static void check_common(const struct table *t, const struct kvm_cpuid_entry2 *o,
			 size_t n_out, unsigned idx, unsigned n)
{
	const struct kvm_cpuid_entry2 *l1 = find(o, n_out, 1, 0);
	assert_int_equal(l1->ebx >> 24, idx);
	assert_int_equal((l1->ebx >> 16) & 0xFF, n);
	assert_int_equal(l1->ebx & 0xFFFF, 0x0800); /* CLFLUSH size, brand kept */
	assert_int_equal(!!(l1->edx & (1u << 28)), n > 1);
	assert_true(l1->ecx & (1u << 31));
	assert_true(l1->ecx & (1u << 5)); /* the rest of ECX is untouched */
	assert_int_equal(l1->eax, 0x000906EA);

	/* Hypervisor leaves: byte-for-byte what KVM reported. */
	for (uint32_t fn = 0x40000000; fn <= 0x40000001; fn++) {
		const struct kvm_cpuid_entry2 *in = find(t->e, t->n, fn, 0);
		const struct kvm_cpuid_entry2 *out = find(o, n_out, fn, 0);
		assert_memory_equal(in, out, sizeof(*in));
	}
	assert_int_equal(find(o, n_out, 0x40000001, 0)->eax, 0xDEADBEEF);

	/* x2APIC topology in both 0xB and 0x1F. */
	uint32_t leaves[2] = { 0xB, 0x1F };
	for (int l = 0; l < 2; l++) {
		const struct kvm_cpuid_entry2 *smt = find(o, n_out, leaves[l], 0);
		const struct kvm_cpuid_entry2 *core = find(o, n_out, leaves[l], 1);
		const struct kvm_cpuid_entry2 *end = find(o, n_out, leaves[l], 2);
		assert_int_equal(smt->eax, 0);
		assert_int_equal(smt->ebx, 1);
		assert_int_equal(smt->ecx, 0x100);
		assert_int_equal(smt->edx, idx);
		assert_int_equal(core->eax, bits_for(n));
		assert_int_equal(core->ebx, n);
		assert_int_equal(core->ecx, 0x201);
		assert_int_equal(core->edx, idx);
		assert_int_equal(end->ebx, 0);
		assert_int_equal((end->ecx >> 8) & 0xFF, 0);
		assert_int_equal(end->edx, idx);
	}
}

static void check_intel(unsigned n)
{
	struct table t;
	struct kvm_cpuid_entry2 out[N_MAX];
	size_t n_out;
	make_table(&t, false);
	for (unsigned idx = 0; idx < n; idx++) {
		build(&t, idx, n, out, &n_out);
		check_common(&t, out, n_out, idx, n);
		for (uint32_t sub = 0; sub < 3; sub++) {
			const struct kvm_cpuid_entry2 *c = find(out, n_out, 4, sub);
			assert_int_equal(c->eax >> 26, n - 1);
			/* Low bits (type, level, sharing) kept. */
			assert_int_equal(c->eax & 0x03FFFFFF,
					 find(t.e, t.n, 4, sub)->eax & 0x03FFFFFF);
		}
		assert_int_equal(find(out, n_out, 4, 3)->eax, 0);
		/* AMD-only leaves untouched on Intel. */
		assert_memory_equal(find(out, n_out, 0x8000001E, 0),
				    find(t.e, t.n, 0x8000001E, 0),
				    sizeof(struct kvm_cpuid_entry2));
	}
}

static void check_amd(unsigned n)
{
	struct table t;
	struct kvm_cpuid_entry2 out[N_MAX];
	size_t n_out;
	make_table(&t, true);
	for (unsigned idx = 0; idx < n; idx++) {
		build(&t, idx, n, out, &n_out);
		check_common(&t, out, n_out, idx, n);
		const struct kvm_cpuid_entry2 *e8 = find(out, n_out, 0x80000008, 0);
		assert_int_equal(e8->ecx & 0xFF, n - 1);
		assert_int_equal((e8->ecx >> 12) & 0xF, bits_for(n));
		assert_int_equal(e8->ecx >> 16, 0x1); /* perf TSC size kept */
		const struct kvm_cpuid_entry2 *e1e = find(out, n_out, 0x8000001E, 0);
		assert_int_equal(e1e->eax, idx);
		assert_int_equal(e1e->ebx & 0xFFFF, idx);
		assert_int_equal(e1e->ecx & 0x7FF, 0);
		/* Leaf 4 is Intel's: untouched on AMD. */
		assert_int_equal(find(out, n_out, 4, 0)->eax, 0x1C004121);
	}
}

static void test_intel_1(void **s) { (void)s; check_intel(1); }
static void test_intel_2(void **s) { (void)s; check_intel(2); }
static void test_intel_4(void **s) { (void)s; check_intel(4); }
static void test_amd_1(void **s) { (void)s; check_amd(1); }
static void test_amd_2(void **s) { (void)s; check_amd(2); }
static void test_amd_4(void **s) { (void)s; check_amd(4); }

static void test_errors(void **s)
{
	(void)s;
	struct table t;
	struct kvm_cpuid_entry2 out[N_MAX];
	size_t n_out = 99;
	struct vb_err err = { { 0 } };
	make_table(&t, false);
	assert_int_equal(vb_x86_cpuid_build(t.e, t.n, 2, 2, out, N_MAX, &n_out, &err),
			 -EINVAL);
	assert_int_equal(vb_x86_cpuid_build(t.e, t.n, 0, 0, out, N_MAX, &n_out, &err),
			 -EINVAL);
	assert_int_equal(vb_x86_cpuid_build(t.e, t.n, 0, 1, out, t.n - 1, &n_out, &err),
			 -ENOSPC);
	assert_non_null(strstr(err.msg, "CPUID"));
	assert_int_equal(n_out, 99);
	/* An empty list is valid (nothing to fix). */
	assert_int_equal(vb_x86_cpuid_build(NULL, 0, 0, 1, NULL, 0, &n_out, &err), 0);
	assert_int_equal(n_out, 0);
}

static void test_vendor_and_probe(void **s)
{
	(void)s;
	struct table t;
	struct vb_x86_virt_probe p;
	char msg[128];

	make_table(&t, false);
	assert_int_equal(vb_x86_cpuid_vendor(t.e, t.n), VB_X86_VENDOR_INTEL);
	vb_x86_cpuid_probe(t.e, t.n, &p);
	assert_true(p.vmx);
	assert_false(p.svm);
	vb_x86_cpuid_probe_describe(&p, msg, sizeof(msg));
	assert_string_equal(msg, "Intel CPU, VT-x (vmx) advertised");

	make_table(&t, true);
	t.e[1].ecx = 0; /* no vmx */
	assert_int_equal(vb_x86_cpuid_vendor(t.e, t.n), VB_X86_VENDOR_AMD);
	vb_x86_cpuid_probe(t.e, t.n, &p);
	assert_false(p.vmx);
	assert_true(p.svm);
	vb_x86_cpuid_probe_describe(&p, msg, sizeof(msg));
	assert_string_equal(msg, "AMD CPU, AMD-V (svm) advertised");

	vb_x86_cpuid_probe(t.e, 0, &p);
	assert_int_equal(p.vendor, VB_X86_VENDOR_OTHER);
	assert_false(p.vmx || p.svm);
	vb_x86_cpuid_probe_describe(&p, msg, 10);
	assert_int_equal(strlen(msg), 9);
}

/* Only leaf 1 ECX[24] changes, whatever the rest holds. */
static void test_tsc_deadline_offered(void **s)
{
	(void)s;
	struct table t, before;
	make_table(&t, true);
	before = t;
	assert_int_equal(find(t.e, t.n, 1, 0)->ecx & (1u << 24), 0);
	vb_x86_cpuid_offer_tsc_deadline(t.e, t.n);
	for (size_t i = 0; i < t.n; i++) {
		if (t.e[i].function == 1)
			before.e[i].ecx |= 1u << 24;
		assert_memory_equal(&t.e[i], &before.e[i], sizeof(t.e[i]));
	}
	/* Offered twice, or to a table where KVM already lists it: the same. */
	vb_x86_cpuid_offer_tsc_deadline(t.e, t.n);
	assert_memory_equal(t.e, before.e, t.n * sizeof(t.e[0]));
	/* No leaf 1 (a table cut short): nothing to set, nothing touched. */
	make_table(&t, false);
	before = t;
	vb_x86_cpuid_offer_tsc_deadline(t.e, 1);
	assert_memory_equal(t.e, before.e, t.n * sizeof(t.e[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intel_1), cmocka_unit_test(test_intel_2),
		cmocka_unit_test(test_intel_4), cmocka_unit_test(test_amd_1),
		cmocka_unit_test(test_amd_2),   cmocka_unit_test(test_amd_4),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_vendor_and_probe),
		cmocka_unit_test(test_tsc_deadline_offered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
