/* Run where vmboot is built: compiles every thread kind's allowlist
 * (allowlist.c) with libseccomp and prints filters.gen.c, the programs
 * vmboot loads (filters.h). Usage: vmboot-gen-filters > filters.gen.c
 *
 * The I/O kind may SIGTERM its own process, whose pid is only known at
 * run time: each program is compiled for two different pids, and the
 * instructions where the two differ are the ones vmboot patches with
 * getpid(). Anything else differing is an error, not a guess. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* libseccomp's export writes to a descriptor: a temporary file. */
static int compile(enum vb_sandbox_kind kind, struct vb_allowlist_variant v,
		   struct program *out)
{
	scmp_filter_ctx ctx;
	int r = vb_allowlist_build(kind, &v, &ctx);
	if (r)
		return r;
	FILE *f = tmpfile();
	if (!f) {
		seccomp_release(ctx);
		return -errno;
	}
	r = seccomp_export_bpf(ctx, fileno(f));
	seccomp_release(ctx);
	long size = r ? -1 : lseek(fileno(f), 0, SEEK_END);
	if (!r && (size <= 0 || size % (long)sizeof(struct sock_filter) ||
		   size / (long)sizeof(struct sock_filter) > VB_FILTER_MAX_INSNS))
		r = -EFBIG;
	if (!r) {
		out->len = (size_t)size / sizeof(struct sock_filter);
		out->insns = malloc((size_t)size);
		if (!out->insns)
			r = -ENOMEM;
		else if (pread(fileno(f), out->insns, (size_t)size, 0) != size)
			r = -EIO;
	}
	fclose(f);
	return r;
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

static int print_kind(enum vb_sandbox_kind kind, struct vb_filter_program table[2][2],
		      char names[2][2][32])
{
	for (int debug = 0; debug < 2; debug++) {
		for (int ahead = 0; ahead < 2; ahead++) {
			struct vb_allowlist_variant v = { .debug = debug, .user_switch_ahead = ahead };
#ifdef VB_SANDBOX_UNDER_ASAN
			v.sanitizer = true;
#endif
			struct program a = { 0 }, b = { 0 };
			v.self_pid = PID_A;
			int r = compile(kind, v, &a);
			v.self_pid = PID_B;
			if (!r)
				r = compile(kind, v, &b);
			struct vb_filter_program *slots = &table[debug][ahead];
			if (!r)
				r = pid_slots(&a, &b, slots);
			if (!r && vb_allowlist_ends_vmboot(kind) != (slots->n_pid_slots > 0))
				r = -EPROTO;
			if (!r) {
				snprintf(names[debug][ahead], sizeof(names[debug][ahead]),
					 "%s_%s%s", vb_allowlist_kind_name(kind),
					 debug ? "trap" : "kill", ahead ? "_user_switch" : "");
				print_program(names[debug][ahead], &a);
				slots->len = (unsigned short)a.len;
			}
			free(a.insns);
			free(b.insns);
			if (r)
				return fail(vb_allowlist_kind_name(kind), r);
		}
	}
	return 0;
}

static void print_table(struct vb_filter_program table[][2][2], char names[][2][2][32])
{
	printf("const struct vb_filter_program vb_filter_programs[VB_SANDBOX_KINDS][2][2] = {\n");
	for (int kind = 0; kind < VB_SANDBOX_KINDS; kind++) {
		printf("\t{\n");
		for (int debug = 0; debug < 2; debug++) {
			printf("\t\t{\n");
			for (int ahead = 0; ahead < 2; ahead++) {
				const struct vb_filter_program *p = &table[kind][debug][ahead];
				printf("\t\t\t{ %s, %u, %u, {", names[kind][debug][ahead], p->len,
				       p->n_pid_slots);
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
	static struct vb_filter_program table[VB_SANDBOX_KINDS][2][2];
	static char names[VB_SANDBOX_KINDS][2][2][32];
	printf("/* Generated by vmboot-gen-filters (src/sandbox/gen_filters.c) from\n"
	       " * src/sandbox/allowlist.c with libseccomp %u.%u.%u. Do not edit. */\n"
	       "#include \"sandbox/filters.h\"\n\n",
	       seccomp_version()->major, seccomp_version()->minor, seccomp_version()->micro);
	for (int kind = 0; kind < VB_SANDBOX_KINDS; kind++) {
		if (print_kind(kind, table[kind], names[kind]))
			return 1;
	}
	print_table(table, names);
	print_names();
	if (fflush(stdout) || ferror(stdout))
		return fail("stdout", errno);
	return 0;
}
