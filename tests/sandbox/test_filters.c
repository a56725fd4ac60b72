/* The programs vmboot loads (filters.gen.c, compiled when vmboot was
 * built) are, once patched with a pid, what libseccomp compiles from the
 * allowlists for that pid now: the build-time compilation and the run-time
 * pid patch lose nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sandbox/allowlist.h"
#include "sandbox/filters.h"

static struct sock_filter *export_now(enum vb_sandbox_kind kind, struct vb_allowlist_variant v,
				      size_t *len)
{
	struct sock_filter *insns;
	assert_int_equal(vb_allowlist_compile(kind, &v, VB_FILTER_MAX_INSNS, &insns, len), 0);
	return insns;
}

static void check_variant(enum vb_sandbox_kind kind, unsigned needs, bool debug, bool ahead,
			  pid_t pid)
{
	struct vb_allowlist_variant v = { .debug = debug, .user_switch_ahead = ahead,
					  .self_pid = pid, .needs = needs };
#ifdef VB_SANDBOX_UNDER_ASAN
	v.sanitizer = true;
#endif
	size_t len;
	struct sock_filter *now = export_now(kind, v, &len);
	const struct vb_filter_program *p = &vb_filter_programs[kind][needs][ahead];
	assert_int_equal(p->len, len);
	struct sock_filter *patched = malloc(len * sizeof(*patched));
	assert_non_null(patched);
	memcpy(patched, p->insns, len * sizeof(*patched));
	for (unsigned i = 0; i < p->n_pid_slots; i++)
		patched[p->pid_slots[i]].k = (uint32_t)pid;
	for (unsigned i = 0; debug && i < len; i++)
		patched[i].k = vb_filter_debug_action(patched[i]);
	if (memcmp(patched, now, len * sizeof(*patched)))
		fail_msg("%s needs=%u debug=%d user_switch_ahead=%d pid %d: the built program differs",
			 vb_sandbox_kind_name(kind), needs, debug, ahead, (int)pid);
	free(patched);
	free(now);
}

static void built_programs_match_libseccomp_now(void **state)
{
	(void)state;
	static const pid_t pids[] = { 1, 4242, 4194303 };
	for (int kind = 0; kind < VB_SANDBOX_KINDS; kind++)
		for (unsigned needs = 0; needs < VB_SANDBOX_NEEDS_SETS; needs++)
			for (int debug = 0; debug < 2; debug++)
				for (int ahead = 0; ahead < 2; ahead++)
					for (size_t i = 0; i < sizeof(pids) / sizeof(pids[0]); i++)
						check_variant(kind, needs, debug, ahead, pids[i]);
}

/* Only the kind that may end vmboot compares with a pid. */
static void only_the_io_kind_has_pid_slots(void **state)
{
	(void)state;
	for (int kind = 0; kind < VB_SANDBOX_KINDS; kind++) {
		const struct vb_filter_program *p = &vb_filter_programs[kind][0][0];
		assert_int_equal(p->n_pid_slots > 0, vb_allowlist_ends_vmboot(kind));
		assert_int_equal(p->n_pid_slots > 0, kind == VB_SANDBOX_IO);
	}
}

/* A need adds its groups to the kinds that have them and changes no
 * other kind's program. */
static void programs_grow_with_the_needs(void **state)
{
	(void)state;
	const enum vb_sandbox_needs B = VB_SANDBOX_NEEDS_BACKENDS, ALL = VB_SANDBOX_NEEDS_ALL;
	for (int ahead = 0; ahead < 2; ahead++) {
		const enum vb_sandbox_kind device_kinds[] = { VB_SANDBOX_VCPU, VB_SANDBOX_IO };
		for (size_t i = 0; i < 2; i++) {
			const struct vb_filter_program(*k)[2] = vb_filter_programs[device_kinds[i]];
			assert_true(k[0][ahead].len < k[B][ahead].len);
			assert_true(k[B][ahead].len < k[ALL][ahead].len);
		}
		const struct vb_filter_program(*m)[2] = vb_filter_programs[VB_SANDBOX_MAIN];
		assert_true(m[0][ahead].len < m[B][ahead].len);
		assert_ptr_equal(m[B][ahead].insns, m[ALL][ahead].insns);
		const struct vb_filter_program(*n)[2] = vb_filter_programs[VB_SANDBOX_NETD];
		assert_ptr_equal(n[0][ahead].insns, n[ALL][ahead].insns);
	}
	print_message("vcpu program: %u instructions without devices, %u with every kind\n",
		      vb_filter_programs[VB_SANDBOX_VCPU][0][0].len,
		      vb_filter_programs[VB_SANDBOX_VCPU][ALL][0].len);
}

/* The vCPU and main programs open with a load of the instruction pointer,
 * which stops the kernel's cache walk at once (allowlist.c); the other
 * kinds' programs open with libseccomp's load of the architecture. */
static void only_vcpu_and_main_skip_the_syscall_cache(void **state)
{
	(void)state;
	const struct sock_filter ip = BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					       offsetof(struct seccomp_data, instruction_pointer));
	const struct sock_filter arch =
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	for (int kind = 0; kind < VB_SANDBOX_KINDS; kind++) {
		bool skips = kind == VB_SANDBOX_VCPU || kind == VB_SANDBOX_MAIN;
		assert_int_equal(vb_allowlist_skips_syscall_cache(kind), skips);
		for (unsigned needs = 0; needs < VB_SANDBOX_NEEDS_SETS; needs++) {
			const struct sock_filter *insns = vb_filter_programs[kind][needs][0].insns;
			assert_memory_equal(&insns[0], skips ? &ip : &arch, sizeof(ip));
			if (skips)
				assert_memory_equal(&insns[1], &arch, sizeof(arch));
		}
	}
}

static void names_are_resolved(void **state)
{
	(void)state;
	assert_string_equal(vb_filter_syscall_names[0], "read");
	assert_string_equal(vb_filter_syscall_names[59], "execve");
	assert_string_equal(vb_filter_kind_names[VB_SANDBOX_VCPU], "vcpu");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(built_programs_match_libseccomp_now),
		cmocka_unit_test(only_the_io_kind_has_pid_slots),
		cmocka_unit_test(programs_grow_with_the_needs),
		cmocka_unit_test(only_vcpu_and_main_skip_the_syscall_cache),
		cmocka_unit_test(names_are_resolved),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
