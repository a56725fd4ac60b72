/* KVM-PVM hosts: whether `run` should start the guest kernel at all.
 *
 * KVM-PVM (a paravirtualized KVM, recognisable by /sys/module/kvm_pvm)
 * runs guest user code natively but emulates guest kernel (CPL0) code. A
 * kernel built without the guest side of the KVM-PVM patchset
 * (CONFIG_PVM_GUEST, "PVM Guest support" in arch/x86/Kconfig) is emulated
 * instruction by instruction for minutes and then stops early (xrstor in
 * fpu__init_system_xstate, then int3_selftest), having printed nothing.
 *
 * So run decides before anything is built, in two parts:
 *   vb_pvm_decide()  pure: host facts and the kernel's configuration in,
 *                    a verdict and its message out (unit-tested with
 *                    fixture configurations)
 *   vb_pvm_gate()    gathers the facts (sysfs, the kernel image's magic,
 *                    its configuration through kernel-check's reader,
 *                    the way forward from where vmboot is installed) and
 *                    logs the verdict's lines
 * Flat binaries (vmboot's own tiny guests in tests/guests) are exempt:
 * the little kernel-mode code they have is emulated quickly. */
#ifndef VB_CLI_PVM_H
#define VB_CLI_PVM_H

#include <stdbool.h>
#include <stddef.h>

#include "kcheck/kconfig.h"
#include "util/log.h"

/* The Kconfig symbol, without CONFIG_ (kconfig.h convention). */
#define VB_PVM_GUEST_OPTION "PVM_GUEST"
/* Seconds of guest silence before the quiet note (VB_PVM_WARN). */
#define VB_PVM_QUIET_S 10
#define VB_PVM_LINE_BYTES 1024

enum vb_pvm_verdict {
	VB_PVM_RUN,    /* not KVM-PVM, a flat guest, or a PVM guest kernel */
	VB_PVM_WARN,   /* run, but say why it may stay silent (quiet_note) */
	VB_PVM_REFUSE, /* exit 1 before building: the kernel cannot run here */
};

struct vb_pvm_facts {
	bool host_is_pvm;
	bool flat_guest;
	bool force;                      /* --force-pvm */
	const char *kernel;              /* the image, for messages */
	const struct vb_kconfig *config; /* NULL: its configuration is unreadable */
	const char *config_source;       /* where config came from */
	const char *config_error;        /* why config is NULL */
	const char *way_forward;         /* the command that works: nested KVM */
};

/* One line for vb_log, without its "vmboot: LEVEL: ". */
struct vb_pvm_line {
	enum vb_log_level level;
	char text[VB_PVM_LINE_BYTES];
};

struct vb_pvm_decision {
	enum vb_pvm_verdict verdict;
	/* What to tell the user: none for VB_PVM_RUN; the diagnosis, then
	 * the way forward. */
	struct vb_pvm_line lines[2];
	size_t n_lines;
	/* VB_PVM_WARN: the note to log once if the guest has written
	 * nothing after VB_PVM_QUIET_S seconds (vm.h quiet_note); else "". */
	char quiet_note[VB_PVM_LINE_BYTES];
};

void vb_pvm_decide(const struct vb_pvm_facts *facts, struct vb_pvm_decision *out);

/* What run is about to boot, for vb_pvm_gate(). */
struct vb_pvm_request {
	const char *kernel;               /* the resolved kernel path */
	bool force;                       /* --force-pvm */
	const char *machine_file;         /* as given, or NULL (zero-config) */
	bool flags_only;                  /* no file, but flags name a kernel */
	const char *const *guest_argv;    /* run -- CMD ARGS, for the way forward */
	size_t n_guest_args;
};

/* Decides for this host and logs the decision's lines. The host is
 * KVM-PVM when $VMBOOT_SYSFS (default /sys)/module/kvm_pvm exists; tests
 * point VMBOOT_SYSFS at a fake tree. A kernel that cannot be opened as a
 * regular file gets VB_PVM_RUN: the build reports that error itself.
 * Fills *out (quiet_note for VB_PVM_WARN) and returns its verdict. */
enum vb_pvm_verdict vb_pvm_gate(const struct vb_pvm_request *req, struct vb_pvm_decision *out);

/* The command that boots machine_file (NULL: the zero-config default) under
 * real KVM nested in QEMU, named from where vmboot runs (exe_dir) and the
 * working directory: a build tree's `./dev run FILE`, the installed
 * harness (EXE_DIR/../share/vmboot/nested/run), else the source tree's
 * tests/nested/run. Guest arguments are appended shell-quoted. */
void vb_pvm_way_forward(const char *exe_dir, const char *cwd, const char *machine_file,
			const char *const *guest_argv, size_t n_guest_args, char *out,
			size_t size);

/* vb_pvm_way_forward() for this process: its executable's directory and
 * working directory. */
void vb_pvm_way_forward_here(const struct vb_pvm_request *req, char *out, size_t size);

#endif
