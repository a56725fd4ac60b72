/* The seccomp programs of vmboot's thread kinds, compiled from the
 * allowlists (allowlist.c) by libseccomp when vmboot is built: the
 * generated filters.gen.c (gen_filters.c). Loading one is a copy and one
 * system call, where compiling it took libseccomp a few hundred
 * microseconds and its memory on every thread that started. */
#ifndef VB_SANDBOX_FILTERS_H
#define VB_SANDBOX_FILTERS_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>

#include "sandbox/sandbox.h"

/* Under AddressSanitizer a process's exit runs LeakSanitizer's check,
 * which stops the world with clone and ptrace: a filtered vmboot would die
 * at its very end. A sanitizer build drops capabilities but loads no
 * filter for a VM (tests/sandbox loads them by hand there), and its
 * programs allow the sanitizer's own calls. */
#if defined(__SANITIZE_ADDRESS__)
#define VB_SANDBOX_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VB_SANDBOX_UNDER_ASAN 1
#endif
#endif

/* Longest program the generator accepts, a quarter of the kernel's
 * BPF_MAXINSNS: an allowlist grown past it wants a look, not a bigger
 * bound. (The one program a loading thread patches is copied to the
 * heap.) */
#define VB_FILTER_MAX_INSNS 1024
/* The instructions that compare with the process's own pid. */
#define VB_FILTER_MAX_PID_SLOTS 4

struct vb_filter_program {
	const struct sock_filter *insns;
	unsigned short len;
	unsigned short n_pid_slots;
	unsigned short pid_slots[VB_FILTER_MAX_PID_SLOTS];
};

/* [kind][needs][user_switch_ahead], as allowlist.h's variants; compiled
 * for the build's sanitizer setting. Entries that come out the same share
 * one program (a kind without a group a need adds). */
extern const struct vb_filter_program
	vb_filter_programs[VB_SANDBOX_KINDS][VB_SANDBOX_NEEDS_SETS][2];

/* The debug mode's programs are these with every kill a trap (SIGSYS):
 * instruction insn's k, as the debug mode loads it. The generator checks
 * that this is what libseccomp compiles for a trapping default. */
static inline __u32 vb_filter_debug_action(struct sock_filter insn)
{
	return insn.code == (BPF_RET | BPF_K) && insn.k == SECCOMP_RET_KILL_PROCESS
		       ? SECCOMP_RET_TRAP
		       : insn.k;
}
extern const char *const vb_filter_kind_names[VB_SANDBOX_KINDS];

/* The native architecture's system call names by number, for the debug
 * mode's SIGSYS handler (no resolving in a signal handler). */
#define VB_FILTER_SYSCALL_NAMES 512
extern const char *const vb_filter_syscall_names[VB_FILTER_SYSCALL_NAMES];

#endif
