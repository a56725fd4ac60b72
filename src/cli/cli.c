#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/options.h"
#include "cli/pvm.h"
#include "cli/service.h"
#include "control/cmd.h"
#include "control/vmctl.h"
#include "kcheck/extract.h"
#include "kcheck/kconfig.h"
#include "machine/acpi.h"
#include "machine/load.h"
#include "machine/machine.h"
#include "machine/registry.h"
#include "machine/vm.h"
#include "netd/netd.h"
#include "parse/merge.h"
#include "parse/schema.h"
#include "parse/schema_json.h"
#include "util/io.h"
#include "util/json.h"
#include "util/log.h"
#include "zeroconf/zeroconf.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "dev"
#endif

/* vmboot WORD: WORD names a machine file, or is a command mistyped. A word
 * that is neither a file nor close to a command is reported as a missing
 * file would be by run (exit 1); one close to a command is a usage error
 * with the suggestion (exit 2). Names with a dot or slash are plainly
 * files: the loader reports them as usual. Returns 0 to go on. */
static int check_first_word(const struct vb_options *opts)
{
	if (!opts->file_first || opts->command == VB_CMD_HELP || !opts->n_files)
		return 0;
	const char *word = opts->files[0];
	if (access(word, F_OK) == 0 || errno != ENOENT)
		return 0;
	const char *hint = vb_cli_closest_command(word);
	if (hint) {
		fprintf(stderr, "vmboot: error: \"%s\": no such command or file; did you mean \"%s\"?\n",
			word, hint);
		return VB_EXIT_USAGE;
	}
	if (strpbrk(word, "./"))
		return 0;
	fprintf(stderr, "vmboot: error: \"%s\": no such command or file (see vmboot --help)\n",
		word);
	return VB_EXIT_INVALID;
}

/* ---- the pipeline --------------------------------------------------------
 * Every command on a machine runs the same steps, one call each:
 *
 *   parse_machine     the machine file into a tree (parse/node.h), or an
 *                     empty tree without a file; the flags were parsed into
 *                     a tree of their own by vb_options_parse (options.h)
 *   merge_layers      the flags' tree over the file's, later shadowing
 *                     earlier (parse/merge.h); then the zero-config default
 *                     where no layer names a kernel (zeroconf/zeroconf.h)
 *   validate_machine  the tree into a description (parse/desc.h): each
 *                     key's type and range by the schema, the rules across
 *                     keys, the files it names (parse/schema.h)
 *   resolve_machine   the description into the machine graph for this host
 *                     (or --host-ram, --host-cpus): RAM, memory map, device
 *                     addresses and interrupts (machine/machine.h)
 *   build_machine     run: the VM from the graph, until it ends
 *                     (machine/vm.h)
 *
 * load() is the first four; one_machine() runs load() and then the last
 * step: build_machine for run, print_plan for plan. check instead runs
 * the builder's loading stage on scratch memory after load(), for each
 * file. Every step adds what it finds to one set of diagnostics, each at
 * its file's line or its flag. */

/* A machine on its way through the pipeline. */
struct loaded {
	struct vb_node *root;   /* diagnostics point at its file name */
	struct vb_machine_desc desc;
	struct vb_machine_graph graph;
	bool resolved;
	struct vb_zeroconf_plan zc; /* what the zero-config default filled in */
};

static int parse_machine(const struct vb_options *opts, const char *path, struct loaded *m,
			 struct vb_diags *diags)
{
	if (path)
		m->root = vb_parse_file(path, opts->format, diags);
	else
		m->root = vb_node_new(VB_NODE_TABLE, (struct vb_loc){ "command line", 0, 0 });
	return m->root ? 0 : -EINVAL;
}

static int get_host(const struct vb_options *opts, struct vb_host_facts *host)
{
	int rc = vb_host_facts_read(host);
	if (rc && (!opts->host_ram_set || !opts->host_cpus_set)) {
		vb_log(VB_LOG_ERROR, "reading host RAM and CPUs: %s", strerror(-rc));
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
		vb_log(VB_LOG_NOTE, "%s", err.msg);
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
		vb_log(VB_LOG_ERROR, "%s", err.msg);
	return rc;
}

static int merge_layers(const struct vb_options *opts, struct loaded *m)
{
	int rc = vb_layer_merge(m->root, opts->overrides);
	return rc ? rc : apply_default(opts, m);
}

/* Every problem at once: the cross-key rules run even when a key was
 * wrong, and missing files are reported alongside. */
static int validate_machine(struct loaded *m, enum vb_severity missing, struct vb_diags *diags)
{
	size_t n_types;
	const struct vb_device_type *const *types = vb_device_types(&n_types);
	int rc = vb_desc_from_tree(m->root, types, n_types, &m->desc, diags);
	vb_desc_validate(&m->desc, diags);
	vb_desc_check_files(&m->desc, missing, diags);
	return rc || diags->errors ? -EINVAL : 0;
}

static int resolve_machine(const struct vb_options *opts, struct loaded *m,
			   struct vb_diags *diags)
{
	struct vb_host_facts host;
	int rc = get_host(opts, &host);
	if (rc)
		return rc;
	rc = vb_resolve(&m->desc, &host, &m->graph, diags);
	m->resolved = !rc;
	if (m->resolved && m->zc.initramfs) {
		m->graph.initrd_label = "(built in memory: vmboot's init and the kernel's modules)";
		m->graph.vmboot_init = true;
	}
	return rc ? rc : (diags->errors ? -EINVAL : 0);
}

/* The pipeline up to the graph; unload() after, whatever it returned. */
static int load(const struct vb_options *opts, const char *path, enum vb_severity missing,
		struct loaded *m, struct vb_diags *diags)
{
	*m = (struct loaded){ .root = NULL };
	vb_desc_init(&m->desc);
	int rc = parse_machine(opts, path, m, diags);
	if (!rc)
		rc = merge_layers(opts, m);
	if (!rc)
		rc = validate_machine(m, missing, diags);
	if (!rc)
		rc = resolve_machine(opts, m, diags);
	return rc;
}

static void unload(struct loaded *m)
{
	if (m->resolved)
		vb_graph_free(&m->graph);
	vb_desc_free(&m->desc);
	vb_node_free(m->root);
	m->root = NULL;
}

/* Ends a --json document; a write that failed (a full disk, a closed
 * pipe) is an error, not a truncated document passed off as whole.
 * Returns 0 or -errno. */
static int json_done(struct vb_json *w, const char *what)
{
	int rc = vb_json_finish(w);
	if (rc)
		vb_log(VB_LOG_ERROR, "%s: writing the JSON: %s", what, strerror(-rc));
	return rc;
}

/* GCC-style, with the source line and caret (util/diag.h); colour as
 * --color and the terminal say, never beside --json. Under journald the
 * priority prefixes, and no excerpt: one line per message (util/log.h). */
static void report(const struct vb_options *opts, struct vb_diags *diags)
{
	bool journal = vb_log_fd_is_journal(STDERR_FILENO);
	struct vb_diag_style style = {
		.color = vb_diag_color_wanted(opts->json ? VB_COLOR_NEVER : opts->color,
					      STDERR_FILENO),
		.excerpt = !journal,
		.priority = journal,
	};
	vb_diags_sort(diags);
	vb_diags_render(diags, &style, stderr);
}

/* --check --json: one diagnostic (vmboot(1), JSON OUTPUT). input is the
 * machine file being checked; loc.file is where the problem is, which for
 * a flag's value is the flag (--cpus). */
static void diag_json(struct vb_json *w, const char *input, const struct vb_diag *d)
{
	vb_json_begin_object(w);
	vb_json_key_string(w, "file", d->loc.file);
	vb_json_key(w, "line");
	if (d->loc.line > 0)
		vb_json_u64(w, (uint64_t)d->loc.line);
	else
		vb_json_null(w);
	vb_json_key(w, "column");
	if (d->loc.line > 0 && d->loc.col > 0)
		vb_json_u64(w, (uint64_t)d->loc.col);
	else
		vb_json_null(w);
	vb_json_key_string(w, "severity", d->severity == VB_SEV_ERROR ? "error" : "warning");
	vb_json_key_string(w, "message", d->message);
	vb_json_key_string(w, "suggestion", d->suggestion);
	vb_json_key_string(w, "input", input);
	vb_json_end_object(w);
}

/* A file's diagnostics: printed, or into the --json array. A failure
 * that left no diagnostic (reading the host's RAM, memory) was logged on
 * stderr; the array still needs an error for that file. */
static void check_report(const struct vb_options *opts, struct vb_json *w, const char *path,
			 int rc, struct vb_diags *diags)
{
	if (!w) {
		report(opts, diags);
		return;
	}
	if (rc && !diags->errors)
		vb_diag_error(diags, (struct vb_loc){ path, 0, 0 }, "not checked: %s", strerror(-rc));
	vb_diags_sort(diags);
	for (size_t i = 0; i < diags->count; i++)
		diag_json(w, path, &diags->items[i]);
}

static int cmd_check(const struct vb_options *opts)
{
	int status = VB_EXIT_OK;
	struct vb_json json;
	if (!opts->n_files) {
		fputs("vmboot: error: --check needs at least one machine file\n", stderr);
		return VB_EXIT_USAGE;
	}
	if (opts->json) {
		/* One array over all files, one diagnostic per line. */
		vb_json_init_file(&json, stdout, 1);
		vb_json_begin_array(&json);
	}
	for (size_t i = 0; i < opts->n_files; i++) {
		struct vb_diags diags;
		struct loaded m;
		vb_diags_init(&diags);
		int rc = load(opts, opts->files[i], opts->strict ? VB_SEV_ERROR : VB_SEV_WARNING,
			      &m, &diags);
		/* The builder's loading stage on scratch memory: a kernel or
		 * initrd that does not fit is refused here, not at run. */
		if (!rc && m.resolved)
			vb_machine_check_load(&m.graph, &diags);
		check_report(opts, opts->json ? &json : NULL, opts->files[i], rc, &diags);
		if (rc || diags.errors)
			status = VB_EXIT_INVALID;
		unload(&m);
		vb_diags_free(&diags);
	}
	if (opts->json) {
		vb_json_end_array(&json);
		status = json_done(&json, "check") ? VB_EXIT_INVALID : status;
	}
	return status;
}

static int single_file(const struct vb_options *opts, const char *command, const char **path)
{
	if (opts->n_files > 1) {
		vb_log(VB_LOG_ERROR, "%s takes one machine file, got %zu", command, opts->n_files);
		return VB_EXIT_USAGE;
	}
	*path = opts->n_files ? opts->files[0] : NULL;
	return 0;
}

/* The version, and the helper programs this vmboot would run (or where it
 * looked for them): how to tell what an installation will use without
 * booting anything. */
static void print_version(void)
{
	char path[VB_ZEROCONF_PATH_MAX];
	struct vb_err err = { .msg = "" };
	printf("vmboot %s\n", PACKAGE_VERSION);
	printf("vmboot-init  %s\n", vb_zeroconf_find_init(path, sizeof(path), &err) ? err.msg : path);
	printf("vmboot-net   %s\n", vb_netd_find_helper(path, sizeof(path), &err) ? err.msg : path);
}

/* The whole pipeline on one machine (plan, run): load it, report what was
 * found, then the last step on the graph. Returns the exit status. */
static int one_machine(const struct vb_options *opts, const char *path, enum vb_severity missing,
		       int (*last_step)(const struct vb_options *opts, const struct loaded *m))
{
	struct vb_diags diags;
	struct loaded m;
	vb_diags_init(&diags);
	int rc = load(opts, path, missing, &m, &diags);
	report(opts, &diags);
	int status = rc ? VB_EXIT_INVALID : last_step(opts, &m);
	unload(&m);
	vb_diags_free(&diags);
	return status;
}

static int print_plan(const struct vb_options *opts, const struct loaded *m)
{
	if (opts->acpi_dir) {
		struct vb_err err = { "" };
		if (!m->graph.acpi.enabled) {
			vb_log(VB_LOG_ERROR, "--acpi-dir: this machine has no ACPI tables (acpi = false)");
			return VB_EXIT_INVALID;
		}
		if (vb_machine_acpi_write_dir(&m->graph, opts->acpi_dir, &err)) {
			vb_log(VB_LOG_ERROR, "%s", err.msg);
			return VB_EXIT_INVALID;
		}
	}
	if (opts->json)
		vb_plan_print_json(&m->graph, stdout);
	else
		vb_plan_print_text(&m->graph, stdout);
	return VB_EXIT_OK;
}

static int cmd_plan(const struct vb_options *opts)
{
	const char *path;
	int status = single_file(opts, "--plan", &path);
	return status ? status : one_machine(opts, path, VB_SEV_WARNING, print_plan);
}

/* Where to look when this host cannot run the guest. */
static void explain_kvm_failure(int rc, const struct vb_pvm_request *req)
{
	if (rc != -ENOENT && rc != -ENODEV && rc != -EACCES && rc != -EPERM)
		return;
	char way[1024];
	vb_pvm_way_forward_here(req, way, sizeof(way));
	vb_log(VB_LOG_NOTE, "no usable /dev/kvm here: this host cannot run the machine directly");
	vb_log(VB_LOG_NOTE, "boot it under real KVM nested in QEMU's emulator instead: %s", way);
}

/* The zero-config pieces of a run: vmboot's initramfs, and the filter that
 * takes the guest's VMBOOT-STATUS line out of the console output. */
struct zc_run {
	uint8_t *initramfs;
	size_t initramfs_bytes;
	struct vb_console_fd tty_fd;
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
		vb_log(VB_LOG_DEBUG, "zero-config: kernel %s", m->desc.kernel);
	int rc = vb_zeroconf_find_init(init, sizeof(init), &err);
	if (!rc)
		rc = vb_zeroconf_initramfs(m->desc.kernel, init, &zc->initramfs,
					   &zc->initramfs_bytes, &err);
	if (rc) {
		vb_log(VB_LOG_ERROR, "%s", err.msg);
		return rc;
	}
	vm_opts->initrd_data = zc->initramfs;
	vm_opts->initrd_bytes = zc->initramfs_bytes;
	/* Detached, stdout becomes /dev/null once the VM is ready (service.c):
	 * nothing is learnt about the user's pipe, nor a description of it
	 * held, that would outlive that; writes wait for poll instead. */
	if (opts->detach)
		zc->tty_fd = (struct vb_console_fd){ .fd = vm_opts->console_out_fd, .cancel_fd = -1,
						     .nonblock_fd = -1 };
	else
		vb_console_fd_open(&zc->tty_fd, vm_opts->console_out_fd, -1);
	zc->tty = (struct vb_console){ vb_console_write_fd, &zc->tty_fd };
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
	vb_console_fd_close(&zc->tty_fd);
	free(zc->initramfs);
	zc->initramfs = NULL;
	int guest = vb_zeroconf_status_exit(&zc->status);
	if (status != VB_EXIT_OK)
		return status;
	if (guest >= 0)
		return guest;
	if (opts->n_guest_args) {
		vb_log(VB_LOG_ERROR, "the guest stopped without reporting the command's exit status");
		return VB_EXIT_INVALID;
	}
	return status;
}

static int outcome_status(const struct vb_options *opts, const struct vb_vm_outcome *outcome)
{
	if (opts->verbose)
		vb_log(VB_LOG_DEBUG, "%s", outcome->why);
	else if (strstr(outcome->why, "triple fault"))
		/* Linux resets that way only when nothing else worked: the
		 * guest most likely crashed, which a user must hear of. */
		vb_log(VB_LOG_WARNING, "%s: the guest crashed, or had no other way to reboot",
		       outcome->why);
	switch (outcome->end) {
	case VB_VM_SIGNALLED:
		return 128 + outcome->signal;
	case VB_VM_GUEST_STOPPED:
	case VB_VM_CONSOLE_QUIT:
	default:
		return VB_EXIT_OK;
	}
}

/* The pipeline's last step, for run: build the machine and run it until
 * it ends (machine/vm.h), reachable on its control socket
 * (control/vmctl.h) and reporting to a service manager or run --detach's
 * parent (cli/service.h). Returns the exit status. */
static int build_machine(const struct vb_options *opts, const struct loaded *m)
{
	if (m->desc.tty && opts->n_guest_args) {
		/* The command's exit status comes back through the console
		 * vmboot reads, which a pty console bypasses. */
		vb_log(VB_LOG_ERROR, "--tty and --detach do not go with -- COMMAND");
		return VB_EXIT_USAGE;
	}
	/* On KVM-PVM, before anything is built (cli/pvm.h). */
	struct vb_pvm_decision pvm;
	struct vb_pvm_request pvm_req = {
		.kernel = m->desc.kernel,
		.force = opts->force_pvm,
		.machine_file = opts->n_files ? opts->files[0] : NULL,
		.flags_only = !opts->n_files && !m->zc.host_kernel,
		.guest_argv = opts->guest_argv,
		.n_guest_args = opts->n_guest_args,
	};
	if (vb_pvm_gate(&pvm_req, &pvm) == VB_PVM_REFUSE)
		return VB_EXIT_INVALID;
	struct vb_vm_options vm_opts = {
		.kvm_device = opts->kvm_device,
		.verbose = opts->verbose,
		.console_in_fd = 0,
		.console_out_fd = 1,
		.quiet_note = pvm.quiet_note[0] ? pvm.quiet_note : NULL,
		.quiet_note_s = VB_PVM_QUIET_S,
	};
	struct vb_detach detach = { -1 };
	if (opts->detach) {
		int status = vb_detach_fork(&detach, &vm_opts);
		if (status >= 0)
			return status;
	}
	struct vb_service service;
	vb_service_open(&service, opts->detach, &vm_opts);
	struct vb_vmctl vmctl = { .stop_timeout_s = VB_CTL_STOP_TIMEOUT_DEFAULT_S, .statm_fd = -1 };
	const struct vb_vm_publisher publisher = vb_vmctl_publisher(&vmctl);
	vm_opts.publisher = &publisher;
	struct zc_run zc = { .initramfs = NULL };
	if (zc_prepare(opts, m, &vm_opts, &zc)) {
		vb_service_close(&service);
		return VB_EXIT_INVALID;
	}
	struct vb_vm_outcome outcome;
	struct vb_err err = { "" };
	int rc = vb_vm_run(&m->graph, &vm_opts, &outcome, &err);
	vb_service_close(&service);
	vb_detach_close(&detach);
	if (rc) {
		zc_finish(opts, m, &zc, VB_EXIT_INVALID);
		vb_log(VB_LOG_ERROR, "%s", err.msg);
		explain_kvm_failure(rc, &pvm_req);
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
		vb_log(VB_LOG_ERROR, "--tty and --detach do not go with -- COMMAND");
		return VB_EXIT_USAGE;
	}
	return one_machine(opts, path, VB_SEV_ERROR, build_machine);
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
	bool ok;
	if (opts->json) {
		/* The options one per line. */
		struct vb_json json;
		vb_json_init_file(&json, stdout, 2);
		ok = vb_kcheck_report_json(&cfg, source, &json);
		ok = !json_done(&json, "kernel-check") && ok;
	} else {
		printf("configuration: %s\n", source);
		ok = vb_kcheck_report(&cfg, stdout, NULL);
	}
	vb_kconfig_free(&cfg);
	return ok ? VB_EXIT_OK : VB_EXIT_INVALID;
}

/* A full disk or a closed pipe is a failure, not a truncated schema. */
static int cmd_schema(void)
{
	size_t n_types;
	const struct vb_device_type *const *types = vb_device_types(&n_types);
	int rc = vb_schema_write_json(stdout, types, n_types);
	if (rc) {
		vb_log(VB_LOG_ERROR, "schema: writing standard output: %s", strerror(-rc));
		return VB_EXIT_INVALID;
	}
	return VB_EXIT_OK;
}

int vb_cli_main(int argc, char **argv)
{
	struct vb_options opts;
	struct vb_err err = { "" };
	int status;

	if (argc < 2) {
		vb_cli_print_help(NULL, stderr);
		return VB_EXIT_USAGE;
	}
	if (vb_options_parse(argc, argv, &opts, &err)) {
		bool named = opts.command_named && opts.command != VB_CMD_HELP;
		fprintf(stderr, "vmboot: error: %s\nTry 'vmboot %s%s--help'.\n", err.msg,
			named ? vb_cli_command_name(opts.command) : "", named ? " " : "");
		vb_options_free(&opts);
		return VB_EXIT_USAGE;
	}
	status = check_first_word(&opts);
	if (status) {
		vb_options_free(&opts);
		return status;
	}
	switch (opts.command) {
	case VB_CMD_HELP:
		status = vb_cli_print_help(opts.help_topic, stdout);
		break;
	case VB_CMD_VERSION:
		print_version();
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
	case VB_CMD_SCHEMA:
		status = cmd_schema();
		break;
	case VB_CMD_RUN:
	default:
		status = cmd_run(&opts);
		break;
	}
	vb_options_free(&opts);
	return status;
}
