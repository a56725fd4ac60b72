/* The VM's parts: private to the builder (vm.c), which makes and takes
 * them apart stage by stage, and to what the VM answers while it runs
 * (vm_control.c), which only reads and nudges them. Nothing outside
 * src/machine/vm*.c includes this; everyone else has struct vb_vm as an
 * opaque handle (vm.h). */
#ifndef VB_MACHINE_VM_IMPL_H
#define VB_MACHINE_VM_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "arch/x86/boot.h"
#include "dev/alloc.h"
#include "dev/bus.h"
#include "dev/dev.h"
#include "machine/console.h"
#include "machine/kvm.h"
#include "machine/machine.h"
#include "machine/ram.h"
#include "machine/vcpu.h"
#include "machine/vm.h"
#include "mem/guestmem.h"
#include "util/io.h"

/* What the VM's control calls may touch (vm.h, "Controlling a VM"). */
enum vm_phase {
	VM_STARTING, /* stages 0 to 9: the name, the graph, the vCPU control */
	VM_RUNNING,  /* stage 11 done: every part */
	VM_STOPPING, /* being taken apart: the name and the graph again */
};

struct vb_vm {
	const struct vb_machine_graph *g;
	const struct vb_vm_options *opts;

	struct vb_kvm kvm;
	struct vb_ram ram;
	struct vb_guest_mem mem;
	struct vb_kvm_vcpu *vcpus;
	unsigned n_vcpus;

	struct vb_bus pio;
	struct vb_bus mmio;
	struct vb_alloc alloc;
	struct vb_dev_env env;
	struct vb_sandbox_policy confine; /* every thread's, once built */
	struct vb_dev_set devices;
	struct vb_ioevent *ioevent; /* NULL: no KVM_CAP_IOEVENTFD, doorbells exit */
	struct vb_uart *uart;
	/* console = "virtio": the console device and where it was placed
	 * (not a graph device, so the MP table learns its line from here). */
	struct vb_virtio_console *vcon;
	uint32_t vcon_slot;
	uint32_t vcon_gsi;
	struct vb_virtio_balloon *balloon; /* the graph's balloon, if any */
	struct vb_acpi_pm *acpi_pm;        /* with ACPI: the power button */
	unsigned stop_requests;            /* orderly stops asked so far */

	struct vb_x86_boot_regs regs;
	struct vb_x86_boot_info boot;

	struct vb_host_console console; /* the host end (console.h) */
	/* stdout as the console (no opts->console_out): its writes give up
	 * once the run ends (console_cancel_fd, an eventfd). */
	struct vb_console_fd stdout_fd;
	int console_cancel_fd;
	atomic_bool stop_requested; /* a device asked for reset/poweroff */
	atomic_bool stop_poweroff;  /* ... and it was a poweroff */

	/* Control: the claimed name, the handle that pauses or stops the
	 * vCPUs, and the phase the control calls go by. */
	char name[VB_NAME_MAX + 1];
	struct vb_vcpu_ctl *vcpu_ctl;
	struct vb_run_service control; /* the publisher's, while the guest runs */
	struct timespec started;
	atomic_int phase; /* enum vm_phase */

	/* What interrupts the build (vm.h): SIGINT/SIGTERM, read from
	 * build_sig_fd, or `vmboot stop` while starting, which writes
	 * abort_fd. Once one has, interrupted_by holds the signal, or
	 * stopped_starting is set. */
	int build_sig_fd;
	int abort_fd;
	int interrupted_by;
	bool stopped_starting;
};

#endif
