#include "cli/pvm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/x86/boot.h"
#include "kcheck/extract.h"
#include "machine/kvm.h"
#include "util/io.h"

/* ---- the verdict (pure) ---- */

__attribute__((format(printf, 3, 4)))
static void say(struct vb_pvm_decision *out, enum vb_log_level level, const char *fmt, ...)
{
	if (out->n_lines >= sizeof(out->lines) / sizeof(out->lines[0]))
		return;
	struct vb_pvm_line *line = &out->lines[out->n_lines++];
	line->level = level;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line->text, sizeof(line->text), fmt, ap);
	va_end(ap);
}

static void refuse(const struct vb_pvm_facts *f, struct vb_pvm_decision *out)
{
	out->verdict = VB_PVM_REFUSE;
	say(out, VB_LOG_ERROR,
	    "this host's /dev/kvm is KVM-PVM, which cannot run a kernel without CONFIG_%s; %s lacks it according to %s",
	    VB_PVM_GUEST_OPTION, f->kernel, f->config_source ? f->config_source : "its configuration");
	say(out, VB_LOG_NOTE,
	    "boot it under real KVM nested in QEMU instead: %s (or try anyway with --force-pvm)",
	    f->way_forward);
}

static void warn(const struct vb_pvm_facts *f, struct vb_pvm_decision *out)
{
	out->verdict = VB_PVM_WARN;
	if (f->config) {
		say(out, VB_LOG_WARNING,
		    "--force-pvm: %s lacks CONFIG_%s, and this host's KVM-PVM emulates its kernel code: it may run for minutes and stop early",
		    f->kernel, VB_PVM_GUEST_OPTION);
	} else {
		say(out, VB_LOG_WARNING,
		    "this host's /dev/kvm is KVM-PVM, which cannot run a kernel without CONFIG_%s, and %s's configuration is unreadable (%s): trying anyway",
		    VB_PVM_GUEST_OPTION, f->kernel, f->config_error ? f->config_error : "?");
		say(out, VB_LOG_NOTE, "what works here: %s", f->way_forward);
	}
	snprintf(out->quiet_note, sizeof(out->quiet_note),
		 "no guest output after %d s (KVM-PVM emulates guest kernel code; a kernel without CONFIG_%s may never print); what works here: %s",
		 VB_PVM_QUIET_S, VB_PVM_GUEST_OPTION, f->way_forward);
}

void vb_pvm_decide(const struct vb_pvm_facts *f, struct vb_pvm_decision *out)
{
	out->verdict = VB_PVM_RUN;
	out->n_lines = 0;
	out->quiet_note[0] = 0;
	if (!f->host_is_pvm || f->flat_guest)
		return;
	/* PVM_GUEST is a bool: only "y" means the kernel has it. */
	if (f->config && vb_kconfig_tristate(f->config, VB_PVM_GUEST_OPTION) == 'y')
		return;
	if (f->config && !f->force)
		refuse(f, out);
	else
		warn(f, out);
}

/* ---- the way forward ---- */

static bool exists_at(const char *dir, const char *rel)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return n > 0 && (size_t)n < sizeof(path) && access(path, F_OK) == 0;
}

static bool is_source_tree(const char *dir)
{
	return exists_at(dir, "dev") && exists_at(dir, "tests/nested/run");
}

/* A VPATH build directory's Makefile names its source tree. */
static bool source_from_makefile(const char *build_dir, char *out, size_t size)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/Makefile", build_dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	static const char key[] = "abs_top_srcdir = ";
	char line[PATH_MAX + sizeof(key)];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, sizeof(key) - 1))
			continue;
		line[strcspn(line, "\n")] = 0;
		int len = snprintf(out, size, "%s", line + sizeof(key) - 1);
		found = len > 0 && (size_t)len < size && is_source_tree(out);
	}
	fclose(f);
	return found;
}

/* The source tree of the build tree vmboot runs from: ./dev's build/
 * (EXE_DIR/..), an in-tree build (EXE_DIR), or a VPATH build. */
static bool find_source_tree(const char *exe_dir, char *out, size_t size)
{
	char up[PATH_MAX], real[PATH_MAX];
	snprintf(up, sizeof(up), "%s/..", exe_dir);
	const char *candidates[] = { up, exe_dir };
	for (size_t i = 0; i < 2; i++)
		if (is_source_tree(candidates[i]) && realpath(candidates[i], real)) {
			snprintf(out, size, "%s", real);
			return true;
		}
	return source_from_makefile(exe_dir, out, size);
}

/* Appends text to out[*used..size), truncating. */
static void append(char *out, size_t size, size_t *used, const char *text)
{
	if (*used >= size)
		return;
	int n = snprintf(out + *used, size - *used, "%s", text);
	if (n > 0)
		*used += (size_t)n < size - *used ? (size_t)n : size - *used - 1;
}

/* One argument as a POSIX shell reads it back: bare when it is made of
 * harmless characters, else in single quotes. */
static void append_quoted(char *out, size_t size, size_t *used, const char *arg)
{
	bool bare = arg[0] != 0;
	for (const char *p = arg; *p && bare; p++)
		bare = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-",
			      *p) != NULL;
	if (bare) {
		append(out, size, used, arg);
		return;
	}
	append(out, size, used, "'");
	for (const char *p = arg; *p; p++) {
		char c[2] = { *p, 0 };
		append(out, size, used, *p == '\'' ? "'\\''" : c);
	}
	append(out, size, used, "'");
}

void vb_pvm_way_forward(const char *exe_dir, const char *cwd, const char *machine_file,
			const char *const *guest_argv, size_t n_guest_args, char *out,
			size_t size)
{
	char src[PATH_MAX], real[PATH_MAX], path[PATH_MAX + 64];
	size_t used = 0;
	const char *args_sep = " -- ";
	out[0] = 0;
	if (find_source_tree(exe_dir, src, sizeof(src))) {
		/* ./dev run FILE [-- CMD]: dev boots it nested where it must. */
		bool in_src = cwd && !strcmp(cwd, src);
		const char *dir = in_src ? "." : src;
		append(out, size, &used, dir);
		append(out, size, &used, "/dev run ");
		if (machine_file) {
			append_quoted(out, size, &used, machine_file);
		} else {
			if (!in_src) {
				append_quoted(out, size, &used, src);
				append(out, size, &used, "/");
			}
			append(out, size, &used, "machines/minimal.conf");
		}
	} else {
		snprintf(path, sizeof(path), "%s/../share/vmboot/nested/run", exe_dir);
		if (access(path, X_OK) == 0 && realpath(path, real)) {
			append_quoted(out, size, &used, real);
			append(out, size, &used, " --interactive ");
		} else {
			append(out, size, &used, "tests/nested/run --interactive ");
		}
		snprintf(path, sizeof(path), "%s/../share/doc/vmboot/examples/minimal.conf", exe_dir);
		if (machine_file)
			append_quoted(out, size, &used, machine_file);
		else if (realpath(path, real))
			append_quoted(out, size, &used, real);
		else
			append(out, size, &used, "MACHINE-FILE");
		/* The harness's own -- comes first: vmboot's follows it. */
		args_sep = " -- -- ";
	}
	if (n_guest_args) {
		append(out, size, &used, args_sep);
		for (size_t i = 0; i < n_guest_args; i++) {
			append(out, size, &used, i ? " " : "");
			append_quoted(out, size, &used, guest_argv[i]);
		}
	}
}

/* ---- gathering the facts ---- */

/* 1: a kernel (bzImage or ELF), 0: a flat binary, -1: not a regular file
 * vmboot can read (the build will say why). Only the head is read: the
 * magic numbers are at its start (boot.h). */
static int kernel_kind(const char *path)
{
	struct vb_err ignored;
	int fd = vb_open_expect(path, O_RDONLY, VB_FILE_REGULAR, NULL, &ignored);
	if (fd < 0)
		return -1;
	static const size_t head_bytes = 64 * 1024;
	uint8_t *head = malloc(head_bytes);
	ssize_t n = head ? read(fd, head, head_bytes) : -1;
	close(fd);
	enum vb_x86_kernel_kind kind = VB_X86_KERNEL_BZIMAGE;
	int result = -1;
	if (n > 0) {
		/* A PVH ELF whose note lies beyond the head fails the probe:
		 * it is still a kernel. */
		int rc = vb_x86_kernel_probe(head, (size_t)n, &kind, &ignored);
		result = !rc && kind == VB_X86_KERNEL_FLAT ? 0 : 1;
	}
	free(head);
	return result;
}

/* Reads and parses the kernel's configuration into *cfg. Returns 0, or
 * -errno with why filled. */
static int read_config(const char *kernel, struct vb_kconfig *cfg, char *source,
		       size_t source_size, struct vb_err *why)
{
	char *text;
	size_t len;
	memset(cfg, 0, sizeof(*cfg));
	int rc = vb_kcheck_load_config(kernel, &text, &len, source, source_size, why);
	if (rc)
		return rc;
	rc = vb_kconfig_parse(text, len, cfg, why);
	free(text);
	if (rc)
		vb_err_prefix(why, "%s", source);
	return rc;
}

void vb_pvm_way_forward_here(const struct vb_pvm_request *req, char *out, size_t size)
{
	char exe_dir[PATH_MAX] = ".", cwd[PATH_MAX];
	if (req->flags_only) {
		/* The harness boots machine files: flags alone cannot travel. */
		snprintf(out, size, "write the flags as a machine file FILE, then: ./dev run FILE "
			 "(source tree) or share/vmboot/nested/run --interactive FILE (installed)");
		return;
	}
	if (vb_self_dir(exe_dir, sizeof(exe_dir)))
		snprintf(exe_dir, sizeof(exe_dir), ".");
	vb_pvm_way_forward(exe_dir, getcwd(cwd, sizeof(cwd)), req->machine_file, req->guest_argv,
			   req->n_guest_args, out, size);
}

enum vb_pvm_verdict vb_pvm_gate(const struct vb_pvm_request *req, struct vb_pvm_decision *out)
{
	const char *sysfs = getenv("VMBOOT_SYSFS");
	struct vb_pvm_facts f = {
		.host_is_pvm = vb_kvm_detect_pvm(sysfs && sysfs[0] ? sysfs : NULL),
		.force = req->force,
		.kernel = req->kernel,
	};
	int kind = f.host_is_pvm && req->kernel ? kernel_kind(req->kernel) : -1;
	if (kind < 0) {
		f.host_is_pvm = false; /* nothing to decide: see the header */
		vb_pvm_decide(&f, out);
		return out->verdict;
	}
	f.flat_guest = kind == 0;

	struct vb_kconfig cfg = { 0 };
	char source[PATH_MAX + 64] = "";
	char way[1024];
	struct vb_err why = { .msg = "" };
	if (!f.flat_guest && !read_config(req->kernel, &cfg, source, sizeof(source), &why)) {
		f.config = &cfg;
		f.config_source = source;
	}
	f.config_error = why.msg;
	vb_pvm_way_forward_here(req, way, sizeof(way));
	f.way_forward = way;
	vb_pvm_decide(&f, out);
	vb_kconfig_free(&cfg);
	for (size_t i = 0; i < out->n_lines; i++)
		vb_log(out->lines[i].level, "%s", out->lines[i].text);
	return out->verdict;
}
