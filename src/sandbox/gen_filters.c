/* Run where vmboot is built: compiles every thread kind's allowlist
 * (allowlist.c) with libseccomp and prints filters.gen.c, the programs
 * vmboot loads (filters.h). Usage: vmboot-gen-filters > filters.gen.c
 *
 * The I/O kind may SIGTERM its own process, whose pid is only known at
 * run time: each program is compiled for two different pids, and the
 * instructions where the two differ are the ones vmboot patches with
 * getpid(). Anything else differing is an error, not a guess.
 *
 * A kind has a program for each set of needs (sandbox.h): those that come
 * out the same are printed once. The debug mode's traps are not programs
 * of their own: vmboot turns the kills into traps as it loads one
 * (filters.h), which is checked here against libseccomp's own. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/allowlist.h"
#include "sandbox/filters.h"

/* Two pids no program holds as any other constant. */
#define PID_A 0x5a5a5
#define PID_B 0x3c3c3

struct program {
	struct sock_filter *insns;
	size_t len;
};

static int fail(const char *what, int r)
{
	fprintf(stderr, "vmboot-gen-filters: %s: %s\n", what, strerror(r < 0 ? -r : r));
	return 1;
}

static int compile(enum vb_sandbox_kind kind, const struct vb_allowlist_variant *v,
		   struct program *out)
{
	return vb_allowlist_compile(kind, v, VB_FILTER_MAX_INSNS, &out->insns, &out->len);
}

/* The instructions of a (pid A) and b (pid B) that differ, which must be
 * exactly the comparisons with the pid. */
static int pid_slots(const struct program *a, const struct program *b,
		     struct vb_filter_program *slots)
{
	if (a->len != b->len)
		return -EPROTO;
	for (size_t i = 0; i < a->len; i++) {
		if (!memcmp(&a->insns[i], &b->insns[i], sizeof(a->insns[i])))
			continue;
		struct sock_filter x = a->insns[i], y = b->insns[i];
		if (x.k != PID_A || y.k != PID_B || x.code != y.code || x.jt != y.jt ||
		    x.jf != y.jf || slots->n_pid_slots == VB_FILTER_MAX_PID_SLOTS)
			return -EPROTO;
		slots->pid_slots[slots->n_pid_slots++] = (unsigned short)i;
	}
	return 0;
}

static void print_program(const char *name, const struct program *p)
{
	printf("static const struct sock_filter %s[%zu] = {\n", name, p->len);
	for (size_t i = 0; i < p->len; i++)
		printf("\t{ 0x%04x, %u, %u, 0x%08x },\n", p->insns[i].code, p->insns[i].jt,
		       p->insns[i].jf, p->insns[i].k);
	printf("};\n\n");
}

/* The debug variant must be the program with its kills turned into traps
 * (vb_filter_debug_action), which vmboot does when it loads one. */
static int check_debug(enum vb_sandbox_kind kind, struct vb_allowlist_variant v,
		       const struct program *kill)
{
	struct program trap = { 0 };
	v.debug = true;
	int r = compile(kind, &v, &trap);
	if (!r && trap.len != kill->len)
		r = -EPROTO;
	for (size_t i = 0; !r && i < kill->len; i++) {
		struct sock_filter x = kill->insns[i];
		x.k = vb_filter_debug_action(x);
		if (memcmp(&x, &trap.insns[i], sizeof(x)))
			r = -EPROTO;
	}
	free(trap.insns);
	return r;
}

/* One entry of the table: its program (a new one, or the same as an
 * earlier entry: a kind that has no group of a need gets nothing from it). */
struct entry {
	struct program prog;
	struct vb_filter_program slots;
	char name[48];
};

static const struct entry *same_program(const struct entry *entries, size_t n,
					const struct program *p)
{
	for (size_t i = 0; i < n; i++)
		if (entries[i].prog.len == p->len &&
		    !memcmp(entries[i].prog.insns, p->insns, p->len * sizeof(*p->insns)))
			return &entries[i];
	return NULL;
}

static int make_entry(enum vb_sandbox_kind kind, unsigned needs, bool ahead, struct entry *e)
{
	struct vb_allowlist_variant v = { .user_switch_ahead = ahead, .needs = needs };
#ifdef VB_SANDBOX_UNDER_ASAN
	v.sanitizer = true;
#endif
	struct program b = { 0 };
	v.self_pid = PID_A;
	int r = compile(kind, &v, &e->prog);
	if (!r)
		r = check_debug(kind, v, &e->prog);
	v.self_pid = PID_B;
	if (!r)
		r = compile(kind, &v, &b);
	if (!r)
		r = pid_slots(&e->prog, &b, &e->slots);
	if (!r && vb_allowlist_ends_vmboot(kind) != (e->slots.n_pid_slots > 0))
		r = -EPROTO;
	free(b.insns);
	e->slots.len = (unsigned short)e->prog.len;
	snprintf(e->name, sizeof(e->name), "%s_needs%u%s", vb_allowlist_kind_name(kind), needs,
		 ahead ? "_user_switch" : "");
	return r;
}

#define ENTRIES (VB_SANDBOX_KINDS * VB_SANDBOX_NEEDS_SETS * 2)

static int print_programs(struct entry *entries, const char **names)
{
	size_t n = 0;
	for (int kind = 0; kind < VB_SANDBOX_KINDS; kind++) {
		for (unsigned needs = 0; needs < VB_SANDBOX_NEEDS_SETS; needs++) {
			for (int ahead = 0; ahead < 2; ahead++, n++) {
				struct entry *e = &entries[n];
				int r = make_entry(kind, needs, ahead, e);
				if (r)
					return fail(vb_allowlist_kind_name(kind), r);
				const struct entry *same = same_program(entries, n, &e->prog);
				if (same && !memcmp(&same->slots, &e->slots, sizeof(e->slots))) {
					names[n] = same->name;
					continue;
				}
				names[n] = e->name;
				print_program(e->name, &e->prog);
			}
		}
	}
	return 0;
}

static void print_table(const struct entry *entries, const char **names)
{
	printf("const struct vb_filter_program "
	       "vb_filter_programs[VB_SANDBOX_KINDS][VB_SANDBOX_NEEDS_SETS][2] = {\n");
	size_t n = 0;
	for (int kind = 0; kind < VB_SANDBOX_KINDS; kind++) {
		printf("\t{ /* %s */\n", vb_allowlist_kind_name(kind));
		for (unsigned needs = 0; needs < VB_SANDBOX_NEEDS_SETS; needs++) {
			printf("\t\t{\n");
			for (int ahead = 0; ahead < 2; ahead++, n++) {
				const struct vb_filter_program *p = &entries[n].slots;
				printf("\t\t\t{ %s, %u, %u, {", names[n], p->len, p->n_pid_slots);
				for (unsigned i = 0; i < p->n_pid_slots; i++)
					printf(" %u,", p->pid_slots[i]);
				printf("%s } },\n", p->n_pid_slots ? "" : " 0");
			}
			printf("\t\t},\n");
		}
		printf("\t},\n");
	}
	printf("};\n\n");
}

static void print_names(void)
{
	printf("const char *const vb_filter_kind_names[VB_SANDBOX_KINDS] = {");
	for (int kind = 0; kind < VB_SANDBOX_KINDS; kind++)
		printf(" \"%s\",", vb_allowlist_kind_name(kind));
	printf(" };\n\n");
	printf("const char *const vb_filter_syscall_names[VB_FILTER_SYSCALL_NAMES] = {\n");
	for (int nr = 0; nr < VB_FILTER_SYSCALL_NAMES; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		if (name)
			printf("\t[%d] = \"%s\",\n", nr, name);
		free(name);
	}
	printf("};\n");
}

int main(void)
{
	static struct entry entries[ENTRIES];
	static const char *names[ENTRIES];
	printf("/* Generated by vmboot-gen-filters (src/sandbox/gen_filters.c) from\n"
	       " * src/sandbox/allowlist.c with libseccomp %u.%u.%u. Do not edit. */\n"
	       "#include \"sandbox/filters.h\"\n\n",
	       seccomp_version()->major, seccomp_version()->minor, seccomp_version()->micro);
	int r = print_programs(entries, names);
	if (!r) {
		print_table(entries, names);
		print_names();
	}
	for (size_t i = 0; i < ENTRIES; i++)
		free(entries[i].prog.insns);
	if (r)
		return r;
	if (fflush(stdout) || ferror(stdout))
		return fail("stdout", errno);
	return 0;
}
