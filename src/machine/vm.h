/* The builder: turns a resolved machine graph into a running VM.
 *
 * Stages, in order, each paired with its undo (run in reverse on failure
 * and after the run):
 *   0. name           claim the VM's control socket name (a live VM with
 *                     the same name is refused before anything is built)
 *                     and answer on it at once: state "starting", and a
 *                     stop request ends the build
 *   1. open KVM       /dev/kvm: API version, capabilities, KVM_CREATE_VM
 *   2. map RAM        one host mapping laid out like guest physical space,
 *                     the 32-bit gap PROT_NONE (ram.h)
 *   3. memory slots   KVM_SET_USER_MEMORY_REGION per memory-map slot
 *   4. irqchip        in-kernel PIC/IOAPIC/LAPIC and PIT
 *   5. vCPUs          KVM_CREATE_VCPU and the kvm_run mappings
 *   6. devices        buses, the PC devices, then the machine file's
 *                     devices, all through the device registry, at the
 *                     slots, lines and MMIO ranges resolve laid out
 *   7. kernel         kernel and initrd into RAM, boot params, e820,
 *                     command line (machine/load.h: what --check runs
 *                     on scratch memory), MP table with every device's line
 *   8. CPU state      per-vCPU CPUID (KVM's supported leaves, hypervisor
 *                     leaves 0x40000000+ passed through) and registers
 *   9. console        host terminal in raw mode, input to the console;
 *                     or (tty = true) a new pty (dev/pty.h) that takes the
 *                     console's output and input instead
 *  10. control        the control socket's full ops (pause, stat,
 *                     debug ...); undone first, it makes the socket say
 *                     "stopping" while the rest is taken apart
 * then the vCPUs run, one thread each, until the guest resets or powers
 * off, a signal arrives, the user types Ctrl-A x, or `vmboot stop` asks.
 *
 * Nothing blocks and the build is interruptible: every file is opened
 * non-blocking and checked (util/io.h), and SIGINT/SIGTERM (blocked from
 * the start, read from a signalfd) or a `vmboot stop` are looked for
 * before each stage; either ends the build with everything built undone
 * (outcome SIGNALLED with the signal, or GUEST_STOPPED). For tests,
 * VMBOOT_TEST_BUILD_DELAY_MS=N makes stage 0 wait N ms (at most 60 s)
 * for such an interruption, with the socket answering, before KVM is
 * opened.
 *
 * Why this order: RAM must exist before KVM can map it and before the
 * kernel is copied; the irqchip must exist before vCPUs (their LAPICs are
 * created with them) and before devices raise interrupts; CPU state is set
 * after the kernel because it depends on where the kernel was loaded; the
 * control socket gets its full ops last so nobody can pause a VM that is
 * half built. */
#ifndef VB_MACHINE_VM_H
#define VB_MACHINE_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/dev.h"

#include "machine/machine.h"
#include "util/err.h"

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

#endif
