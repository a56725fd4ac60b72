/* What a VM answers while it is claimed (vm.h, "Controlling a VM"): its
 * state, stop at any time, and once it runs pause, registers, balloon and
 * console. The builder (vm.c) makes the parts; this file only reads and
 * nudges them, from the publisher's thread. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dev/acpi_pm.h"
#include "dev/i8042.h"
#include "machine/vm.h"
#include "machine/vm_impl.h"
#include "util/log.h"
#include "virtio/balloon.h"

/* A pause waits this long for a vCPU busy in a device model. */
#define PAUSE_WAIT_MS 5000

/* A balloon stat asks the guest for fresh numbers and waits briefly for
 * them; without an answer the last numbers are shown. */
#define BALLOON_STATS_WAIT_MS 500

const char *vb_vm_state_name(enum vb_vm_state state)
{
	switch (state) {
	case VB_VM_STARTING: return "starting";
	case VB_VM_RUNNING: return "running";
	case VB_VM_PAUSED: return "paused";
	case VB_VM_STOPPING: return "stopping";
	}
	return "?";
}

/* Where the console is: the pty's path, "stdio" (the terminal vmboot runs
 * in) or "none". */
static const char *console_where(const struct vb_vm *vm)
{
	const char *pty = vb_host_console_pty(&vm->console);
	if (pty)
		return pty;
	return vm->g->desc->console == VB_CONSOLE_NONE ? "none" : "stdio";
}

/* Reads only what is fixed before the name is claimed (the graph, the
 * name, the start time) and atomics, and the console once running, so it
 * is safe while the builder works on the rest. */
void vb_vm_get_info(struct vb_vm *vm, struct vb_vm_info *info)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	enum vm_phase phase = atomic_load(&vm->phase);
	*info = (struct vb_vm_info){
		.name = vm->name,
		.state = phase == VM_STARTING	? VB_VM_STARTING
			 : phase == VM_STOPPING ? VB_VM_STOPPING
			 : vb_vcpu_ctl_paused(vm->vcpu_ctl) ? VB_VM_PAUSED
							    : VB_VM_RUNNING,
		.cpus = vm->g->cpus,
		.ram_bytes = vm->g->ram_bytes,
		.uptime_s = (long long)(now.tv_sec - vm->started.tv_sec),
		.console = phase == VM_RUNNING ? console_where(vm) : NULL,
	};
}

static struct vb_i8042 *find_i8042(struct vb_vm *vm)
{
	for (size_t i = 0; i < vm->devices.count; i++)
		if (vm->devices.items[i].ops == &vb_i8042_ops)
			return vm->devices.items[i].state;
	return NULL;
}

/* Flat binaries get no ACPI tables (vm.c): no button to press; vmboot's
 * own init has no handler for it. */
static bool button_first(const struct vb_vm *vm)
{
	return vm->acpi_pm && vm->boot.kind != VB_X86_KERNEL_FLAT && !vm->g->vmboot_init;
}

/* With ACPI the first request presses the power button: the guest's OS
 * powers off (systemd-logind or acpid), which ends the run with status 0.
 * The second (the control server's nudge, or another `vmboot stop`), or
 * the first without the button: Ctrl-Alt-Del on the keyboard controller,
 * the PC's other way to ask its OS to shut down (with reboot=k the guest
 * then resets, which ends the run), for a guest whose OS never read the
 * press. One that did is powering off, slowly: Ctrl-Alt-Del would turn
 * that into a reboot (systemd starts its reboot target even then), so
 * the timeout alone forces a guest that never gets there. A paused guest
 * could not react: resume it. Called by the control server only, one
 * request at a time (control/server.h), so the count needs no lock. */
static int ask_guest_to_stop(struct vb_vm *vm, struct vb_err *err)
{
	bool button = button_first(vm);
	unsigned asked = vm->stop_requests++;
	if (button && asked == 0) {
		int rc = vb_acpi_pm_press_power_button(vm->acpi_pm);
		if (rc)
			return vb_err_errno(err, -rc, "pressing the power button");
		vb_vcpu_ctl_resume(vm->vcpu_ctl);
		return 0;
	}
	if (button && vb_acpi_pm_button_taken(vm->acpi_pm))
		return 0;
	if (asked > (button ? 1u : 0u))
		return 0; /* asked both ways already: the timeout ends it */
	struct vb_i8042 *kbc = find_i8042(vm);
	if (!kbc)
		return vb_err_set(err, ENODEV, "no keyboard controller to send Ctrl-Alt-Del through");
	int rc = vb_i8042_send_ctrl_alt_del(kbc);
	if (rc)
		return vb_err_errno(err, -rc, "sending Ctrl-Alt-Del");
	vb_vcpu_ctl_resume(vm->vcpu_ctl);
	return 0;
}

/* A stop while starting ends the build (undone, vmboot exits 0); should
 * the build finish first, the stop left on the vCPU control ends the run
 * before the guest runs an instruction. */
static void stop_build(struct vb_vm *vm)
{
	vb_vcpu_ctl_stop(vm->vcpu_ctl, "stopped by vmboot stop while starting");
	uint64_t one = 1;
	/* An eventfd write of 1 cannot fail short of a counter overflow. */
	if (write(vm->abort_fd, &one, sizeof(one)) < 0)
		vb_log(VB_LOG_ERROR, "control: stop: %s", strerror(errno));
}

int vb_vm_stop(struct vb_vm *vm, bool force, struct vb_err *err)
{
	switch ((enum vm_phase)atomic_load(&vm->phase)) {
	case VM_STARTING:
		stop_build(vm);
		return 0;
	case VM_RUNNING:
		if (!force)
			return ask_guest_to_stop(vm, err);
		vb_vcpu_ctl_stop(vm->vcpu_ctl, "stopped by vmboot stop");
		return 0;
	case VM_STOPPING:
		break;
	}
	return 0;
}

int vb_vm_pause(struct vb_vm *vm, struct vb_err *err)
{
	return vb_vcpu_ctl_pause(vm->vcpu_ctl, PAUSE_WAIT_MS, err);
}

void vb_vm_resume(struct vb_vm *vm)
{
	vb_vcpu_ctl_resume(vm->vcpu_ctl);
}

/* Registers are read with every vCPU held (paused for the moment if it was
 * running), so they are a consistent snapshot and no vCPU is inside
 * KVM_RUN while another thread issues ioctls on it. */
int vb_vm_read_registers(struct vb_vm *vm, vb_vm_regs_fn *fn, void *ctx, struct vb_err *err)
{
	bool was_paused = vb_vcpu_ctl_paused(vm->vcpu_ctl);
	int rc = vb_vcpu_ctl_pause(vm->vcpu_ctl, PAUSE_WAIT_MS, err);
	for (unsigned i = 0; !rc && i < vm->n_vcpus; i++) {
		struct kvm_regs regs;
		struct kvm_sregs sregs;
		rc = vb_kvm_vcpu_get_state(&vm->vcpus[i], &regs, &sregs, err);
		if (!rc)
			fn(ctx, i, &regs, &sregs);
	}
	if (!was_paused)
		vb_vcpu_ctl_resume(vm->vcpu_ctl);
	return rc;
}

int vb_vm_balloon_stats(struct vb_vm *vm, struct vb_balloon_stats *st)
{
	if (!vm->balloon)
		return -ENODEV;
	vb_virtio_balloon_get_stats(vm->balloon, st);
	if (vb_virtio_balloon_stats_request(vm->balloon)) {
		uint64_t before = st->stats_updates;
		for (unsigned ms = 0; ms < BALLOON_STATS_WAIT_MS && st->stats_updates == before;
		     ms += 10) {
			usleep(10000);
			vb_virtio_balloon_get_stats(vm->balloon, st);
		}
	}
	return 0;
}

int vb_vm_balloon_change(struct vb_vm *vm, bool deflate, uint64_t bytes, uint64_t *target_bytes,
			 bool *driver_ok, struct vb_err *err)
{
	if (!vm->balloon)
		return vb_err_set(err, ENODEV, "this VM has no balloon device");
	struct vb_balloon_stats st;
	vb_virtio_balloon_get_stats(vm->balloon, &st);
	/* The target is in 4 KiB pages (5.5.4); it can never exceed RAM. */
	uint64_t ram_pages = vm->g->ram_bytes / VB_VIRTIO_BALLOON_PAGE_BYTES;
	uint64_t pages = bytes / VB_VIRTIO_BALLOON_PAGE_BYTES;
	uint64_t target = st.target_pages;
	if (deflate)
		target = pages >= target ? 0 : target - pages;
	else
		target = pages >= ram_pages - target ? ram_pages : target + pages;
	if (target > UINT32_MAX)
		target = UINT32_MAX;
	vb_virtio_balloon_set_target(vm->balloon, (uint32_t)target);
	*target_bytes = target * VB_VIRTIO_BALLOON_PAGE_BYTES;
	*driver_ok = st.driver_ok;
	return 0;
}

bool vb_vm_console_pty(struct vb_vm *vm, const char **path, uint64_t *overflows)
{
	*path = vb_host_console_pty(&vm->console);
	*overflows = *path ? vb_host_console_overflows(&vm->console) : 0;
	return *path != NULL;
}
