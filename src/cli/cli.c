#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/options.h"
#include "control/cmd.h"
#include "control/sockdir.h"
#include "kcheck/extract.h"
#include "kcheck/kconfig.h"
#include "machine/machine.h"
#include "machine/vm.h"
#include "parse/schema.h"
#include "util/io.h"
#include "zeroconf/zeroconf.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "dev"
#endif

struct command_help {
	enum vb_command command;
	const char *name;
	const char *synopsis;
	const char *summary;
	unsigned mask;
};

static const struct command_help commands[] = {
	{ VB_CMD_RUN, "run", "vmboot [run] [FILE] [OPTIONS] [-- COMMAND [ARGS...]]",
	  "boot the machine FILE describes; options override the file, or describe a machine without one. No kernel: the host's kernel, its root shared at /host, a shell, or COMMAND (vmboot exits with its status)",
	  VB_IN_RUN },
	{ VB_CMD_CHECK, "check", "vmboot --check [--strict] FILE...",
	  "validate machine files without touching /dev/kvm (exit 0 valid, 1 invalid, 2 usage)",
	  VB_IN_CHECK },
	{ VB_CMD_PLAN, "plan", "vmboot --plan [--json] FILE",
	  "print the resolved machine: RAM and where it came from, host mapping, slots, devices, vCPUs, command line",
	  VB_IN_PLAN },
	{ VB_CMD_KERNEL_CHECK, "kernel-check", "vmboot kernel-check KERNEL",
	  "report which kernel options vmboot's devices need are missing or modules (exit 0 bootable, 1 not, 2 usage)",
	  0 },
	{ VB_CMD_LIST, "list", "vmboot list [--json]",
	  "list this user's running VMs: name, pid, state, cpus, memory, uptime", VB_IN_LIST },
	{ VB_CMD_STOP, "stop", "vmboot stop NAME... | --all [--force] [--timeout S]",
	  "ask the guest to power off (Ctrl-Alt-Del), tear down after the timeout", VB_IN_STOP },
	{ VB_CMD_PAUSE, "pause", "vmboot pause NAME... | --all", "stop the vCPUs until resume", 1u << VB_CMD_PAUSE },
	{ VB_CMD_RESUME, "resume", "vmboot resume NAME... | --all", "let paused vCPUs run again", 1u << VB_CMD_RESUME },
	{ VB_CMD_STAT, "stat", "vmboot stat NAME... | --all", "print memory statistics", 1u << VB_CMD_STAT },
	{ VB_CMD_DEBUG, "debug", "vmboot debug NAME... | --all", "print the registers of each vCPU", 1u << VB_CMD_DEBUG },
	{ VB_CMD_BALLOON, "balloon", "vmboot balloon NAME... | --all --inflate SIZE | --deflate SIZE",
	  "grow or shrink the balloon's target: memory the guest gives back to the host", VB_IN_BALLOON },
	{ VB_CMD_CONSOLE, "console", "vmboot console NAME [--tmux [--split]]",
	  "attach to the pty console of a VM started with --tty or --detach (Ctrl-] detaches)",
	  VB_IN_CONSOLE },
	{ VB_CMD_HELP, "help", "vmboot help [COMMAND]", "print usage", 0 },
	{ VB_CMD_VERSION, "version", "vmboot --version", "print the version", 0 },
};

static void print_flag(const struct vb_flag *f, FILE *out)
{
	char left[96];
	if (f->short_name)
		snprintf(left, sizeof(left), "-%c, %s%s%s", f->short_name, f->long_name,
			 f->arg ? " " : "", f->arg ? f->arg : "");
	else
		snprintf(left, sizeof(left), "    %s%s%s", f->long_name, f->arg ? " " : "",
			 f->arg ? f->arg : "");
	if (strlen(left) > 28)
		fprintf(out, "  %s\n  %-28s  %s\n", left, "", f->help);
	else
		fprintf(out, "  %-28s  %s\n", left, f->help);
}

static const struct command_help *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int print_help(const char *topic, FILE *out)
{
	size_t n_flags;
	const struct vb_flag *flags = vb_cli_flags(&n_flags);
	const struct command_help *only = topic ? find_command(topic) : NULL;
	if (topic && !only) {
		fprintf(stderr, "vmboot: error: help: unknown command \"%s\" (run, check, plan, kernel-check, list, stop, pause, resume, stat, debug, balloon, console)\n",
			topic);
		return VB_EXIT_USAGE;
	}
	fputs("vmboot - boot a virtual machine described by a file, on KVM\n\nUsage:\n", out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!only || only == &commands[i])
			fprintf(out, "  %-38s %s\n", commands[i].synopsis, commands[i].summary);
	fputs("\n  vmboot FILE means vmboot run FILE. FILE is libconfig (.conf) or YAML (.yaml, .yml).\n",
	      out);
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
		const struct command_help *cmd = &commands[c];
		if (!cmd->mask || (only && only != cmd))
			continue;
		fprintf(out, "\nOptions for %s:\n", cmd->name);
		for (size_t i = 0; i < n_flags; i++)
			if (flags[i].commands & cmd->mask)
				print_flag(&flags[i], out);
	}
	if (!only) {
		fputs("\nGeneral options:\n", out);
		for (size_t i = 0; i < n_flags; i++)
			if (!flags[i].commands)
				print_flag(&flags[i], out);
	}
	fputs("\nSee vmboot(1) and vmboot.conf(5).\n", out);
	return VB_EXIT_OK;
}

/* A machine: the file's tree (or an empty one) with the command-line
 * overrides merged in, converted and resolved. */
struct loaded {
	struct vb_node *root;   /* diagnostics point at its file name */
	struct vb_machine_desc desc;
	struct vb_machine_graph graph;
	bool resolved;
	struct vb_zeroconf_plan zc; /* what the zero-config default filled in */
};

static int get_host(const struct vb_options *opts, struct vb_host_facts *host)
{
	int rc = vb_host_facts_read(host);
	if (rc && (!opts->host_ram_set || !opts->host_cpus_set)) {
		fprintf(stderr, "vmboot: error: reading host RAM and CPUs: %s\n", strerror(-rc));
		return rc;
	}
	if (opts->host_ram_set)
		host->ram_bytes = opts->host_ram_bytes;
	if (opts->host_cpus_set)
		host->cpus = opts->host_cpus;
	return 0;
}

/* No kernel in the file nor the flags: the zero-config default. Without a
 * kernel in /boot the path it would have is used, so the file checks report
 * it like any missing kernel (a warning for --check, an error for run). */
static int apply_default(const struct vb_options *opts, struct loaded *m)
{
	char kernel[VB_ZEROCONF_PATH_MAX] = "";
	struct vb_err err = { "" };
	if (vb_zeroconf_wanted(m->root) &&
	    vb_zeroconf_find_kernel(NULL, kernel, sizeof(kernel), &err)) {
		struct utsname u;
		fprintf(stderr, "vmboot: note: %s\n", err.msg);
		snprintf(kernel, sizeof(kernel), "/boot/vmlinuz-%s",
			 uname(&u) == 0 ? u.release : "RELEASE");
	}
	struct vb_zeroconf_request req = {
		.kernel_path = kernel,
		.argv = opts->guest_argv,
		.argc = opts->n_guest_args,
		.share_host = vb_device_find("9p") != NULL,
	};
	int rc = vb_zeroconf_apply(m->root, &req, &m->zc, &err);
	if (rc)
		fprintf(stderr, "vmboot: error: %s\n", err.msg);
	return rc;
}

static int load(const struct vb_options *opts, const char *path, enum vb_severity missing,
		struct loaded *m, struct vb_diags *diags)
{
	struct vb_host_facts host;

	vb_desc_init(&m->desc);
	m->resolved = false;
	memset(&m->zc, 0, sizeof(m->zc));
	if (path)
		m->root = vb_parse_file(path, opts->format, diags);
	else
		m->root = vb_node_new(VB_NODE_TABLE, (struct vb_loc){ "command line", 0, 0 });
	if (!m->root)
		return -EINVAL;
	int rc = vb_overrides_apply(m->root, opts->overrides);
	if (rc)
		return rc;
	rc = apply_default(opts, m);
	if (rc)
		return rc;
	rc = vb_desc_from_tree(m->root, &m->desc, diags);
	/* Report missing files alongside other errors: every problem at once. */
	vb_desc_check_files(&m->desc, missing, diags);
	if (rc || diags->errors)
		return -EINVAL;
	rc = get_host(opts, &host);
	if (rc)
		return rc;
	rc = vb_resolve(&m->desc, &host, &m->graph, diags);
	m->resolved = !rc;
	if (m->resolved && m->zc.initramfs)
		m->graph.initrd_label = "(built in memory: vmboot's init and the kernel's modules)";
	return rc ? rc : (diags->errors ? -EINVAL : 0);
}

static void unload(struct loaded *m)
{
	if (m->resolved)
		vb_graph_free(&m->graph);
	vb_desc_free(&m->desc);
	vb_node_free(m->root);
	m->root = NULL;
}

static void report(struct vb_diags *diags)
{
	vb_diags_sort(diags);
	vb_diags_print(diags, stderr);
}

static int cmd_check(const struct vb_options *opts)
{
	int status = VB_EXIT_OK;
	if (!opts->n_files) {
		fputs("vmboot: error: --check needs at least one machine file\n", stderr);
		return VB_EXIT_USAGE;
	}
	for (size_t i = 0; i < opts->n_files; i++) {
		struct vb_diags diags;
		struct loaded m;
		vb_diags_init(&diags);
		int rc = load(opts, opts->files[i], opts->strict ? VB_SEV_ERROR : VB_SEV_WARNING,
			      &m, &diags);
		report(&diags);
		if (rc || diags.errors)
			status = VB_EXIT_INVALID;
		unload(&m);
		vb_diags_free(&diags);
	}
	return status;
}

static int single_file(const struct vb_options *opts, const char *command, const char **path)
{
	if (opts->n_files > 1) {
		fprintf(stderr, "vmboot: error: %s takes one machine file, got %zu\n", command,
			opts->n_files);
		return VB_EXIT_USAGE;
	}
	*path = opts->n_files ? opts->files[0] : NULL;
	return 0;
}

static int cmd_plan(const struct vb_options *opts)
{
	const char *path;
	int status = single_file(opts, "--plan", &path);
	if (status)
		return status;
	struct vb_diags diags;
	struct loaded m;
	vb_diags_init(&diags);
	int rc = load(opts, path, VB_SEV_WARNING, &m, &diags);
	report(&diags);
	if (rc) {
		status = VB_EXIT_INVALID;
	} else if (opts->json) {
		vb_plan_print_json(&m.graph, stdout);
	} else {
		vb_plan_print_text(&m.graph, stdout);
	}
	unload(&m);
	vb_diags_free(&diags);
	return status;
}

/* Where to look when this host cannot run the guest. */
static void explain_kvm_failure(int rc)
{
	if (rc == -ENOENT || rc == -ENODEV || rc == -EACCES || rc == -EPERM)
		fputs("vmboot: note: no usable /dev/kvm here. To boot a machine on a host without\n"
		      "vmboot: note: hardware virtualization, use the nested harness:\n"
		      "vmboot: note:   tests/nested/run MACHINE-FILE   (real KVM inside QEMU's emulator)\n"
		      "vmboot: note: (tests/nested/test_zeroconf.sh runs the zero-config default there)\n",
		      stderr);
}

/* The zero-config pieces of a run: vmboot's initramfs, and the filter that
 * takes the guest's VMBOOT-STATUS line out of the console output. */
struct zc_run {
	uint8_t *initramfs;
	size_t initramfs_bytes;
	struct vb_console tty, filtered;
	struct vb_zeroconf_status status;
};

static int zc_prepare(const struct vb_options *opts, const struct loaded *m,
		      struct vb_vm_options *vm_opts, struct zc_run *zc)
{
	char init[VB_ZEROCONF_PATH_MAX];
	struct vb_err err = { "" };
	if (!m->zc.initramfs)
		return 0;
	if (m->zc.host_kernel && opts->verbose)
		fprintf(stderr, "vmboot: zero-config: kernel %s\n", m->desc.kernel);
	int rc = vb_zeroconf_find_init(init, sizeof(init), &err);
	if (!rc)
		rc = vb_zeroconf_initramfs(m->desc.kernel, init, &zc->initramfs,
					   &zc->initramfs_bytes, &err);
	if (rc) {
		fprintf(stderr, "vmboot: error: %s\n", err.msg);
		return rc;
	}
	vm_opts->initrd_data = zc->initramfs;
	vm_opts->initrd_bytes = zc->initramfs_bytes;
	zc->tty = (struct vb_console){ vb_console_write_fd, &vm_opts->console_out_fd };
	/* A command's output may end without a newline, so its status line
	 * can start mid-line; a shell's ends with the echoed "exit". */
	vb_zeroconf_status_init(&zc->status, &zc->tty, opts->n_guest_args > 0);
	zc->filtered = (struct vb_console){ vb_zeroconf_status_write, &zc->status };
	vm_opts->console_out = &zc->filtered;
	return 0;
}

/* The guest command's status when the guest reported one. */
static int zc_finish(const struct vb_options *opts, const struct loaded *m, struct zc_run *zc,
		     int status)
{
	if (!m->zc.initramfs)
		return status;
	vb_zeroconf_status_flush(&zc->status);
	free(zc->initramfs);
	zc->initramfs = NULL;
	int guest = vb_zeroconf_status_exit(&zc->status);
	if (status != VB_EXIT_OK)
		return status;
	if (guest >= 0)
		return guest;
	if (opts->n_guest_args) {
		fputs("vmboot: error: the guest stopped without reporting the command's exit status\n",
		      stderr);
		return VB_EXIT_INVALID;
	}
	return status;
}

static int outcome_status(const struct vb_options *opts, const struct vb_vm_outcome *outcome)
{
	if (opts->verbose)
		fprintf(stderr, "vmboot: %s\n", outcome->why);
	switch (outcome->end) {
	case VB_VM_SIGNALLED:
		return 128 + outcome->signal;
	case VB_VM_GUEST_STOPPED:
	case VB_VM_CONSOLE_QUIT:
	default:
		return VB_EXIT_OK;
	}
}

/* run --detach: the VM is built in a child in its own session; the
 * parent waits until the child says the VM is ready (the name and pty on
 * a pipe), prints them and exits 0. Until then the child's errors go to
 * the user's terminal as usual; if it exits without a word, the parent
 * exits with its status. */
struct detach {
	int fd; /* the pipe's write end in the child; -1 once used */
};

/* Where a detached VM's later messages go: NAME.log beside its control
 * socket (same directory, same owner, mode 0600), so a VM that fails after
 * the user got the prompt back leaves its reason somewhere. Returns the fd
 * or -1 (then the messages are lost, as with no terminal at all). */
static int open_detach_log(const char *name, char *path, size_t size)
{
	struct vb_err err;
	char dir[256];
	if (vb_ctl_dir(dir, sizeof(dir), &err) < 0)
		return -1;
	int n = snprintf(path, size, "%s/%s.log", dir, name);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
}

static void detach_ready(void *ctx, const char *name, const char *console_path)
{
	struct detach *d = ctx;
	char log_path[320] = "none";
	int log = open_detach_log(name, log_path, sizeof(log_path));
	if (log < 0)
		snprintf(log_path, sizeof(log_path), "none");
	char line[VB_NAME_MAX + 4 + 160 + sizeof(log_path)];
	int n = snprintf(line, sizeof(line), "%s %s %s\n", name,
			 console_path ? console_path : "none", log_path);
	if (n > 0 && (size_t)n < sizeof(line))
		(void)vb_write_all(d->fd, (const uint8_t *)line, (size_t)n);
	close(d->fd);
	d->fd = -1;
	/* Let go of the user's terminal: nobody is there to read later
	 * messages, and holding it would keep a pipe open after the parent. */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		(void)dup2(null, 0);
		(void)dup2(null, 1);
		(void)dup2(null, 2);
		close(null);
	}
	if (log >= 0) {
		(void)dup2(log, 2);
		close(log);
	}
}

/* In the parent: returns the exit status. */
static int detach_wait(pid_t child, int fd)
{
	char buf[512];
	size_t used = 0;
	for (;;) {
		ssize_t n = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (used += (size_t)n) == sizeof(buf) - 1)
			break;
	}
	close(fd);
	buf[used] = 0;
	char *space = strchr(buf, ' '), *nl = strchr(buf, '\n');
	if (!space || !nl || nl < space) {
		int status;
		while (waitpid(child, &status, 0) < 0)
			if (errno != EINTR)
				return VB_EXIT_INVALID;
		if (WIFEXITED(status))
			return WEXITSTATUS(status) ? WEXITSTATUS(status) : VB_EXIT_INVALID;
		return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
	*nl = 0;
	char *console = space + 1, *log = strchr(console, ' ');
	*space = 0;
	if (log)
		*log++ = 0;
	printf("name %s\npid %ld\nconsole %s\nlog %s\n", buf, (long)child, console,
	       log ? log : "none");
	return VB_EXIT_OK;
}

/* Returns -1 in the child (go on building, with d->fd set), or the
 * parent's exit status. */
static int detach_fork(struct detach *d)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "vmboot: error: --detach: pipe: %s\n", strerror(errno));
		return VB_EXIT_INVALID;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "vmboot: error: --detach: fork: %s\n", strerror(errno));
		close(p[0]);
		close(p[1]);
		return VB_EXIT_INVALID;
	}
	if (pid > 0) {
		close(p[1]);
		return detach_wait(pid, p[0]);
	}
	close(p[0]);
	/* A session of its own: the terminal's Ctrl-C and hang-up are not
	 * the VM's business any more. */
	(void)setsid();
	d->fd = p[1];
	return -1;
}

static int boot(const struct vb_options *opts, const struct loaded *m)
{
	struct vb_vm_options vm_opts = {
		.kvm_device = opts->kvm_device,
		.verbose = opts->verbose,
		.console_in_fd = 0,
		.console_out_fd = 1,
	};
	struct detach detach = { -1 };
	if (opts->detach) {
		int status = detach_fork(&detach);
		if (status >= 0)
			return status;
		vm_opts.on_ready = detach_ready;
		vm_opts.ready_ctx = &detach;
	}
	struct zc_run zc = { .initramfs = NULL };
	if (zc_prepare(opts, m, &vm_opts, &zc))
		return VB_EXIT_INVALID;
	struct vb_vm_outcome outcome;
	struct vb_err err = { "" };
	int rc = vb_vm_run(&m->graph, &vm_opts, &outcome, &err);
	if (detach.fd >= 0)
		close(detach.fd);
	if (rc) {
		zc_finish(opts, m, &zc, VB_EXIT_INVALID);
		fprintf(stderr, "vmboot: error: %s\n", err.msg);
		explain_kvm_failure(rc);
		return VB_EXIT_INVALID;
	}
	return zc_finish(opts, m, &zc, outcome_status(opts, &outcome));
}

/* Commands on running VMs: the names are the positional arguments. */
static int cmd_control(const struct vb_options *opts, const char *name)
{
	struct vb_ctl_cmd_args args = {
		.names = opts->files,
		.n_names = opts->n_files,
		.all = opts->all,
		.json = opts->json,
		.force = opts->force,
		.timeout_set = opts->timeout_set,
		.timeout_s = opts->timeout_s,
		.balloon_set = opts->balloon_set,
		.balloon_deflate = opts->balloon_deflate,
		.balloon_bytes = opts->balloon_bytes,
		.tmux = opts->tmux,
		.split = opts->split,
		.out = stdout,
	};
	return vb_ctl_cmd_run(name, &args);
}

static int cmd_run(const struct vb_options *opts)
{
	const char *path;
	int status = single_file(opts, "run", &path);
	if (status)
		return status;
	const struct vb_node *tty = vb_node_get(opts->overrides, "tty");
	if (opts->n_guest_args && tty && tty->boolean) {
		fputs("vmboot: error: --tty and --detach do not go with -- COMMAND\n", stderr);
		return VB_EXIT_USAGE;
	}
	struct vb_diags diags;
	struct loaded m;
	vb_diags_init(&diags);
	int rc = load(opts, path, VB_SEV_ERROR, &m, &diags);
	report(&diags);
	if (rc) {
		status = VB_EXIT_INVALID;
	} else if (m.desc.tty && opts->n_guest_args) {
		/* The command's exit status comes back through the console
		 * vmboot reads, which a pty console bypasses. */
		fputs("vmboot: error: --tty and --detach do not go with -- COMMAND\n", stderr);
		status = VB_EXIT_USAGE;
	} else {
		status = boot(opts, &m);
	}
	unload(&m);
	vb_diags_free(&diags);
	return status;
}

static int cmd_kernel_check(const struct vb_options *opts)
{
	if (opts->n_files != 1) {
		fputs("vmboot: error: kernel-check takes one kernel (bzImage, vmlinux or config file)\n",
		      stderr);
		return VB_EXIT_USAGE;
	}
	char *text, source[4200];
	size_t len;
	struct vb_err err = { "" };
	if (vb_kcheck_load_config(opts->files[0], &text, &len, source, sizeof(source), &err)) {
		fprintf(stderr, "vmboot: error: kernel-check: %s\n", err.msg);
		return VB_EXIT_INVALID;
	}
	struct vb_kconfig cfg;
	int rc = vb_kconfig_parse(text, len, &cfg, &err);
	free(text);
	if (rc) {
		fprintf(stderr, "vmboot: error: kernel-check: %s: %s\n", source, err.msg);
		vb_kconfig_free(&cfg);
		return VB_EXIT_INVALID;
	}
	printf("configuration: %s\n", source);
	bool ok = vb_kcheck_report(&cfg, stdout, NULL);
	vb_kconfig_free(&cfg);
	return ok ? VB_EXIT_OK : VB_EXIT_INVALID;
}

int vb_cli_main(int argc, char **argv)
{
	struct vb_options opts;
	struct vb_err err = { "" };
	int status;

	if (argc < 2) {
		print_help(NULL, stderr);
		return VB_EXIT_USAGE;
	}
	if (vb_options_parse(argc, argv, &opts, &err)) {
		fprintf(stderr, "vmboot: error: %s\nTry 'vmboot --help'.\n", err.msg);
		vb_options_free(&opts);
		return VB_EXIT_USAGE;
	}
	switch (opts.command) {
	case VB_CMD_HELP:
		status = print_help(opts.help_topic, stdout);
		break;
	case VB_CMD_VERSION:
		printf("vmboot %s\n", PACKAGE_VERSION);
		status = VB_EXIT_OK;
		break;
	case VB_CMD_CHECK:
		status = cmd_check(&opts);
		break;
	case VB_CMD_PLAN:
		status = cmd_plan(&opts);
		break;
	case VB_CMD_LIST: status = cmd_control(&opts, "list"); break;
	case VB_CMD_STOP: status = cmd_control(&opts, "stop"); break;
	case VB_CMD_PAUSE: status = cmd_control(&opts, "pause"); break;
	case VB_CMD_RESUME: status = cmd_control(&opts, "resume"); break;
	case VB_CMD_STAT: status = cmd_control(&opts, "stat"); break;
	case VB_CMD_DEBUG: status = cmd_control(&opts, "debug"); break;
	case VB_CMD_BALLOON: status = cmd_control(&opts, "balloon"); break;
	case VB_CMD_CONSOLE: status = cmd_control(&opts, "console"); break;
	case VB_CMD_KERNEL_CHECK:
		status = cmd_kernel_check(&opts);
		break;
	case VB_CMD_RUN:
	default:
		status = cmd_run(&opts);
		break;
	}
	vb_options_free(&opts);
	return status;
}
