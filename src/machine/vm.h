/* The builder: turns a resolved machine graph into a running VM.
 *
 * Stages, in order, each paired with its undo (run in reverse on failure
 * and after the run):
 *   0. name           choose the VM's name and hand it to the publisher
 *                     (below), which claims it (a live VM with the same
 *                     name is refused before anything is built) and
 *                     answers at once: state "starting", and a stop
 *                     request ends the build
 *   1. open KVM       /dev/kvm: API version, capabilities, KVM_CREATE_VM
 *   2. map RAM        one host mapping laid out like guest physical space,
 *                     the 32-bit gap PROT_NONE (ram.h)
 *   3. memory slots   KVM_SET_USER_MEMORY_REGION per memory-map slot
 *   4. irqchip        in-kernel PIC/IOAPIC/LAPIC and PIT
 *   5. vCPUs          KVM_CREATE_VCPU and the kvm_run mappings
 *   6. devices        buses, the PC devices (and the ACPI power-management
 *                     registers), then the machine file's
 *                     devices, all through the device registry, at the
 *                     slots, lines and MMIO ranges resolve laid out
 *   7. kernel         kernel and initrd into RAM, boot params, e820,
 *                     command line (machine/load.h: what --check runs
 *                     on scratch memory), MP table with every device's line,
 *                     ACPI tables for Linux kernels (machine/acpi.h)
 *   8. CPU state      per-vCPU CPUID (KVM's supported leaves, hypervisor
 *                     leaves 0x40000000+ passed through) and registers
 *   9. console        host terminal in raw mode, input to the console;
 *                     or (tty = true) a new pty (dev/pty.h) that takes the
 *                     console's output and input instead (console.h)
 *  10. root           with `user`, the whole process becomes that user
 *                     (sandbox/privs.h); every thread drops the
 *                     capabilities it does not use as it confines itself
 *                     (sandbox/sandbox.h)
 *  11. running        the publisher may use every control call (pause,
 *                     registers, balloon ...); undone first, it makes the
 *                     publisher say "stopping" while the rest is taken
 *                     apart
 * then the vCPUs run, one thread each, until the guest resets or powers
 * off, a signal arrives, the user types Ctrl-A x, or `vmboot stop` asks.
 *
 * Nothing blocks and the build is interruptible: every file is opened
 * non-blocking and checked (util/io.h), and SIGINT/SIGTERM (blocked from
 * the start, read from a signalfd) or a `vmboot stop` are looked for
 * before each stage; either ends the build with everything built undone
 * (outcome SIGNALLED with the signal, or GUEST_STOPPED). For tests,
 * VMBOOT_TEST_BUILD_DELAY_MS=N makes stage 0 wait N ms (at most 60 s)
 * for such an interruption, with the publisher answering, before KVM is
 * opened.
 *
 * Why this order: RAM must exist before KVM can map it and before the
 * kernel is copied; the irqchip must exist before vCPUs (their LAPICs are
 * created with them) and before devices raise interrupts; CPU state is set
 * after the kernel because it depends on where the kernel was loaded; the
 * publisher hears that the VM runs last, so nobody can pause a VM that is
 * half built.
 *
 * Who reaches a running VM: the builder opens no socket. The control
 * layer sits above machine/ (an include only points down), so the builder
 * takes a publisher, hooks it calls at its stages, and exposes the calls a
 * publisher may make (below, "Controlling a VM"). control/vmctl.h makes
 * the publisher that serves the VM's control socket, and cli/ hands it in
 * (vb_vm_options.publisher); tests and other callers may run a VM with no
 * publisher at all. */
#ifndef VB_MACHINE_VM_H
#define VB_MACHINE_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/dev.h"

#include "machine/machine.h"
#include "util/err.h"

/* The VM being built or run: made by vb_vm_run, gone when it returns;
 * opaque outside the builder. */
struct vb_vm;

struct vb_run_service; /* vcpu.h */

/* The hooks through which a VM becomes reachable (the control socket:
 * control/vmctl.h). Each is called from the thread running vb_vm_run. */
struct vb_vm_publisher {
	void *ctx;
	/* Stage 0, before anything is built: claim name (-EADDRINUSE with
	 * err when a live VM has it) and answer at once, as for a starting
	 * VM: only vb_vm_get_info and vb_vm_stop may be called on vm until
	 * running. */
	int (*claim)(void *ctx, struct vb_vm *vm, const char *name, struct vb_err *err);
	/* Stage 11, every part built: any control call from now on. No
	 * thread of the publisher's may run on once it returns: guest code
	 * runs next, and a thread that loaded no seccomp filter must not run
	 * beside it. What it still has to do while the guest runs it may
	 * put in *service (fd -1 when called: nothing), which the thread
	 * that waits for the run serves under its own filter (vcpu.h). */
	void (*running)(void *ctx, struct vb_run_service *service);
	/* The first undo: vb_vm_get_info and vb_vm_stop only, again. When it
	 * returns, no other call may be in progress or start later. */
	void (*stopping)(void *ctx);
	/* The last undo: let the name go; no call after it returns. Also
	 * called when claim failed or was never called. */
	void (*release)(void *ctx);
};

struct vb_vm_options {
	const char *kvm_device; /* NULL: /dev/kvm */
	bool verbose;           /* log each stage to stderr */
	int console_in_fd;      /* -1: no console input */
	int console_out_fd;
	/* Where console output goes instead of console_out_fd (NULL: the
	 * fd), e.g. the zero-config status filter (zeroconf/zeroconf.h).
	 * Called from vCPU threads, one write at a time. Borrowed. */
	const struct vb_console *console_out;
	/* An initrd already in memory (the zero-config initramfs), used when
	 * the description names no initrd file. Borrowed; copied into RAM. */
	const uint8_t *initrd_data;
	size_t initrd_bytes;
	/* Called once, after every stage is built and just before the vCPUs
	 * start, with the VM's name and its console pty (NULL when the
	 * console is not on a pty). run --detach reports success and lets
	 * go of the user's terminal here. With it set the builder does not
	 * print the pty path itself. May be NULL. */
	void (*on_ready)(void *ctx, const char *name, const char *console_path);
	void *ready_ctx;
	/* For a service manager (util/notify.h). on_running: once, after
	 * every stage is built and before on_ready and the vCPUs start (so
	 * run --detach's child can say so before its parent exits).
	 * on_stopping: once, when a run that on_running announced ends (the
	 * guest powered off or reset, vmboot stop, a signal, Ctrl-A x, a
	 * vCPU failure), before anything is taken apart; why is the reason.
	 * Either may be NULL; both get notify_ctx. */
	void (*on_running)(void *ctx, const char *name, unsigned n_vcpus);
	void (*on_stopping)(void *ctx, const char *why);
	void *notify_ctx;
	/* Who may reach the VM while it runs (above). Borrowed; NULL: nobody
	 * (stage 0 only chooses the name). */
	const struct vb_vm_publisher *publisher;
	/* Logged once as a note (util/log.h) when the guest has written
	 * nothing to its console quiet_note_s seconds after the vCPUs start:
	 * a guest kernel that KVM-PVM emulates may stay silent for minutes
	 * (cli/pvm.h).
	 * NULL: never. The timer runs in the thread that waits for the run
	 * to end, so it costs the guest no exit. */
	const char *quiet_note;
	unsigned quiet_note_s;
};

enum vb_vm_end {
	VB_VM_GUEST_STOPPED, /* reset or poweroff, or vmboot stop: a normal end */
	VB_VM_SIGNALLED,     /* SIGINT/SIGTERM, while running or building */
	VB_VM_CONSOLE_QUIT,  /* Ctrl-A x */
};

struct vb_vm_outcome {
	enum vb_vm_end end;
	int signal;
	char why[VB_ERR_MSG_BYTES];
};

/* Builds, runs and tears down. Returns 0 with *outcome filled, or -errno
 * with err saying which stage failed and why. */
int vb_vm_run(const struct vb_machine_graph *graph, const struct vb_vm_options *opts,
	      struct vb_vm_outcome *outcome, struct vb_err *err);

/* ---- Controlling a VM (vm_control.c) ----
 * For a publisher, from one thread of its own at a time, on the vm its
 * claim hook was given, between claim and release. Return convention: 0
 * or -errno with err filled. */

enum vb_vm_state { VB_VM_STARTING, VB_VM_RUNNING, VB_VM_PAUSED, VB_VM_STOPPING };

/* "starting", "running", "paused", "stopping". */
const char *vb_vm_state_name(enum vb_vm_state state);

struct vb_vm_info {
	const char *name;     /* valid while vm is */
	enum vb_vm_state state;
	unsigned cpus;
	uint64_t ram_bytes;
	long long uptime_s;   /* since the name was claimed */
	/* Running or paused: where the console is, the pty's path, "stdio"
	 * (vmboot's own terminal) or "none"; NULL while starting or
	 * stopping. */
	const char *console;
};

/* Any time. */
void vb_vm_get_info(struct vb_vm *vm, struct vb_vm_info *info);

/* Any time. Starting: ends the build (undone; the run's outcome is
 * GUEST_STOPPED) and, should the build finish first, the run before the
 * guest runs an instruction. Running: asks the guest to power off
 * (Ctrl-Alt-Del on the keyboard controller, resuming a paused guest), or
 * with force ends the run at once. Stopping: nothing left to do. */
int vb_vm_stop(struct vb_vm *vm, bool force, struct vb_err *err);

/* The rest only while running (between the publisher's running and
 * stopping hooks). */

/* Holds every vCPU out of KVM_RUN, waiting up to 5 s for one busy in a
 * device model; resume lets them go. */
int vb_vm_pause(struct vb_vm *vm, struct vb_err *err);
void vb_vm_resume(struct vb_vm *vm);

struct kvm_regs;
struct kvm_sregs;
typedef void vb_vm_regs_fn(void *ctx, unsigned vcpu, const struct kvm_regs *regs,
			   const struct kvm_sregs *sregs);

/* Calls fn for each vCPU in order with its registers, read while every
 * vCPU is held (paused for the moment if it was running): a consistent
 * snapshot, and no vCPU inside KVM_RUN while its registers are read. */
int vb_vm_read_registers(struct vb_vm *vm, vb_vm_regs_fn *fn, void *ctx, struct vb_err *err);

struct vb_balloon_stats;

/* The balloon's numbers (virtio/balloon.h), asked afresh from the guest
 * and waited for up to half a second (else the last ones). -ENODEV:
 * no balloon. */
int vb_vm_balloon_stats(struct vb_vm *vm, struct vb_balloon_stats *st);

/* Raises (deflate false) or lowers the balloon's target by bytes, kept
 * between 0 and guest RAM: *target_bytes is the new target, *driver_ok
 * whether the guest's driver is up to act on it. */
int vb_vm_balloon_change(struct vb_vm *vm, bool deflate, uint64_t bytes, uint64_t *target_bytes,
			 bool *driver_ok, struct vb_err *err);

/* True with the pty's path and its overflow count (dev/pty.h) when the
 * console is on a pty. */
bool vb_vm_console_pty(struct vb_vm *vm, const char **path, uint64_t *overflows);

#endif
