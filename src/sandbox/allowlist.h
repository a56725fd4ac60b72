/* The seccomp allowlists of vmboot's thread kinds, compiled with
 * libseccomp. Used where vmboot is built (gen_filters.c makes
 * filters.gen.c of them) and by the tests that check that output; vmboot
 * itself loads the compiled programs (filters.h) and never links
 * libseccomp. Return convention: 0, or -errno. */
#ifndef VB_SANDBOX_ALLOWLIST_H
#define VB_SANDBOX_ALLOWLIST_H

#include <linux/filter.h>
#include <seccomp.h>
#include <stdbool.h>
#include <sys/types.h>

#include "sandbox/sandbox.h"

/* One of the programs a kind has. */
struct vb_allowlist_variant {
	bool debug;             /* SIGSYS (SCMP_ACT_TRAP) instead of killing the process */
	bool user_switch_ahead; /* libc's setresuid broadcast still to come (privs.h) */
	bool sanitizer;         /* AddressSanitizer's own calls allowed */
	pid_t self_pid;         /* the process a may-end-vmboot kind may SIGTERM */
	unsigned needs;         /* enum vb_sandbox_needs: the groups of a machine's devices */
};

/* kind's filter in a new libseccomp context (*out, to seccomp_release). */
int vb_allowlist_build(enum vb_sandbox_kind kind, const struct vb_allowlist_variant *variant,
		       scmp_filter_ctx *out);

/* kind's program as libseccomp exports it, behind one instruction for a
 * kind that skips the syscall cache (below): *insns (to free) holding
 * *len instructions, at most max_len (-EFBIG beyond). */
int vb_allowlist_compile(enum vb_sandbox_kind kind, const struct vb_allowlist_variant *variant,
			 size_t max_len, struct sock_filter **insns, size_t *len);

/* "main", "vcpu", ...; NULL for no kind. */
const char *vb_allowlist_kind_name(enum vb_sandbox_kind kind);

/* Whether kind's program allows kill(self_pid, SIGTERM). */
bool vb_allowlist_ends_vmboot(enum vb_sandbox_kind kind);

/* Whether kind's program keeps the kernel from caching the calls it
 * allows (a load costs less; every call runs the program). */
bool vb_allowlist_skips_syscall_cache(enum vb_sandbox_kind kind);

#endif
