#include "machine/vm.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "arch/x86/boot.h"
#include "arch/x86/cpuid.h"
#include "arch/x86/insn.h"
#include "arch/x86/mptable.h"
#include "control/server.h"
#include "control/sockdir.h"
#include "dev/dev.h"
#include "dev/i8042.h"
#include "dev/pty.h"
#include "dev/term.h"
#include "dev/uart.h"
#include "machine/ioevent.h"
#include "machine/kvm.h"
#include "machine/load.h"
#include "machine/ram.h"
#include "machine/vcpu.h"
#include "util/io.h"
#include "util/log.h"
#include "virtio/balloon.h"
#include "virtio/console.h"
#include "virtio/virtio.h"

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
	struct vb_console console;
	struct vb_dev_env env;
	struct vb_dev_set devices;
	struct vb_ioevent *ioevent; /* NULL: no KVM_CAP_IOEVENTFD, doorbells exit */
	struct vb_uart *uart;
	/* console = "virtio": the console device and where it was placed
	 * (not a graph device, so the MP table learns its line from here). */
	struct vb_virtio_console *vcon;
	uint32_t vcon_slot;
	uint32_t vcon_gsi;
	struct vb_virtio_balloon *balloon; /* the graph's balloon, if any */

	struct vb_x86_boot_regs regs;
	struct vb_x86_boot_info boot;

	struct vb_term term;
	struct vb_pty pty;          /* tty = true: the console's pty */
	/* Devices write to console, which notes that the guest has spoken
	 * (opts->quiet_note) and hands the bytes on to console_dest. */
	struct vb_console console_dest;
	atomic_bool guest_spoke;
	atomic_bool stop_requested; /* a device asked for reset/poweroff */
	atomic_bool quit_requested; /* Ctrl-A x on the console */

	/* Control (control/server.h): the claimed name, its server, and the
	 * handle that pauses or stops the vCPUs. */
	char name[VB_CTL_NAME_MAX + 1];
	struct vb_ctl_server *ctl_server;
	struct vb_vcpu_ctl *vcpu_ctl;
	struct timespec started;
	atomic_int phase;           /* enum vm_phase: what the socket says */

	/* What interrupts the build (vm.h): SIGINT/SIGTERM, read from
	 * build_sig_fd, or `vmboot stop` while starting, which writes
	 * abort_fd. Once one has, interrupted_by holds the signal, or
	 * stopped_starting is set. */
	int build_sig_fd;
	int abort_fd;
	int interrupted_by;
	bool stopped_starting;
};

enum vm_phase { VM_STARTING, VM_RUNNING, VM_STOPPING };

/* ---- interrupting the build ---- */

/* Waits up to timeout_ms (0: only looks) for a SIGINT/SIGTERM or a stop
 * request. True once the build has been interrupted; it stays so. */
static bool build_interrupted(struct vb_vm *vm, int timeout_ms)
{
	if (vm->interrupted_by || vm->stopped_starting)
		return true;
	struct pollfd p[2] = { { .fd = vm->build_sig_fd, .events = POLLIN },
			       { .fd = vm->abort_fd, .events = POLLIN } };
	int n;
	while ((n = poll(p, 2, timeout_ms)) < 0 && errno == EINTR)
		;
	if (n <= 0)
		return false;
	struct signalfd_siginfo si;
	if ((p[0].revents & POLLIN) &&
	    read(vm->build_sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		vm->interrupted_by = (int)si.ssi_signo;
	else if (p[1].revents & POLLIN)
		vm->stopped_starting = true;
	return vm->interrupted_by || vm->stopped_starting;
}

/* Test hook (vm.h): stage 0 lasts this long unless interrupted, so a
 * test can interrupt a build without /dev/kvm. */
#define TEST_BUILD_DELAY_MAX_MS 60000

static void test_build_delay(struct vb_vm *vm)
{
	const char *text = getenv("VMBOOT_TEST_BUILD_DELAY_MS");
	long ms = text ? strtol(text, NULL, 10) : 0;
	if (ms > 0)
		build_interrupted(vm, ms > TEST_BUILD_DELAY_MAX_MS ? TEST_BUILD_DELAY_MAX_MS
								   : (int)ms);
}

/* ---- the control socket while starting and stopping ---- */

static const char *phase_name(const struct vb_vm *vm)
{
	return atomic_load(&vm->phase) == VM_STOPPING ? "stopping" : "starting";
}

/* These read only what is fixed before the server starts (the graph, the
 * name, the start time) and atomics, so they are safe while the builder
 * works on the rest. */
static int early_info(void *ctx, struct vb_ctl_reply *r, struct vb_err *err)
{
	struct vb_vm *vm = ctx;
	(void)err;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	vb_ctl_reply_add(r, "name", "%s", vm->name);
	vb_ctl_reply_add(r, "pid", "%ld", (long)getpid());
	vb_ctl_reply_add(r, "state", "%s", phase_name(vm));
	vb_ctl_reply_add(r, "cpus", "%u", vm->g->cpus);
	vb_ctl_reply_add(r, "memory_bytes", "%llu", (unsigned long long)vm->g->ram_bytes);
	vb_ctl_reply_add(r, "uptime_s", "%lld", (long long)(now.tv_sec - vm->started.tv_sec));
	return 0;
}

/* A stop while starting ends the build (undone, vmboot exits 0); should
 * the build finish first, the stop left on the vCPU control ends the run
 * before the guest runs an instruction. While stopping: nothing to do. */
static int early_stop(void *ctx, bool force, struct vb_err *err)
{
	struct vb_vm *vm = ctx;
	(void)force;
	(void)err;
	if (atomic_load(&vm->phase) == VM_STOPPING)
		return 0;
	vb_vcpu_ctl_stop(vm->vcpu_ctl, "stopped by vmboot stop while starting");
	uint64_t one = 1;
	/* An eventfd write of 1 cannot fail short of a counter overflow. */
	if (write(vm->abort_fd, &one, sizeof(one)) < 0)
		vb_log(VB_LOG_ERROR, "control: stop: %s", strerror(errno));
	return 0;
}

static int early_refuse(struct vb_vm *vm, struct vb_err *err)
{
	return vb_err_set(err, EAGAIN, "%s is %s", vm->name, phase_name(vm));
}

static int early_plain(void *ctx, struct vb_err *err)
{
	return early_refuse(ctx, err);
}

static int early_reply(void *ctx, struct vb_ctl_reply *r, struct vb_err *err)
{
	(void)r;
	return early_refuse(ctx, err);
}

static int early_balloon(void *ctx, bool deflate, uint64_t bytes, struct vb_ctl_reply *r,
			 struct vb_err *err)
{
	(void)deflate;
	(void)bytes;
	(void)r;
	return early_refuse(ctx, err);
}

static struct vb_ctl_ops early_ops(struct vb_vm *vm)
{
	return (struct vb_ctl_ops){
		.ctx = vm,
		.info = early_info,
		.pause = early_plain,
		.resume = early_plain,
		.stop = early_stop,
		.debug = early_reply,
		.stat = early_reply,
		.balloon = early_balloon,
		.console = early_reply,
	};
}

/* ---- stage 0: the VM's name ---- */

/* Claiming the name first refuses a second VM of the same name before
 * anything is built; the socket answers from then on, as a starting VM
 * (early_ops) until the last stage gives it the full ops. */
static int claim_name(struct vb_vm *vm, struct vb_err *err)
{
	clock_gettime(CLOCK_MONOTONIC, &vm->started);
	if (vm->g->name)
		snprintf(vm->name, sizeof(vm->name), "%s", vm->g->name);
	else
		snprintf(vm->name, sizeof(vm->name), "vmboot-%ld", (long)getpid());
	char dir[VB_CTL_PATH_MAX];
	int rc = vb_ctl_dir(dir, sizeof(dir), err);
	if (!rc)
		rc = vb_vcpu_ctl_create(&vm->vcpu_ctl, err);
	if (!rc)
		rc = vb_ctl_server_open(dir, vm->name, &vm->ctl_server, err);
	const struct vb_ctl_ops ops = early_ops(vm);
	if (!rc)
		rc = vb_ctl_server_start(vm->ctl_server, &ops, VB_CTL_STOP_TIMEOUT_DEFAULT_S, err);
	if (!rc)
		test_build_delay(vm);
	return rc;
}

static void release_name(struct vb_vm *vm)
{
	vb_ctl_server_close(vm->ctl_server);
	vm->ctl_server = NULL;
	vb_vcpu_ctl_destroy(vm->vcpu_ctl);
	vm->vcpu_ctl = NULL;
}

/* ---- stage 1: KVM ---- */

static int open_kvm(struct vb_vm *vm, struct vb_err *err)
{
	int rc = vb_kvm_open(&vm->kvm, vm->opts->kvm_device, NULL, err);
	if (!rc)
		rc = vb_kvm_check_vcpus(&vm->kvm, vm->g->cpus, err);
	if (!rc)
		rc = vb_kvm_create_vm(&vm->kvm, err);
	return rc;
}

static void close_kvm(struct vb_vm *vm)
{
	vb_kvm_close(&vm->kvm);
}

/* ---- stage 2 and 3: RAM and slots ---- */

static int map_ram(struct vb_vm *vm, struct vb_err *err)
{
	/* resolve checked this (and --check reports it); the graph may come
	 * from elsewhere, so the one rule guards the mapping too. */
	int rc = vb_memmap_check_ram(vm->g->ram_bytes, vm->g->host_phys_bits, err);
	if (rc)
		return rc;
	rc = vb_ram_map(&vm->ram, &vm->g->memmap, vm->g->desc->hugepages, err);
	vm->mem = vb_ram_view(&vm->ram, &vm->g->memmap);
	return rc;
}

static void unmap_ram(struct vb_vm *vm)
{
	vb_ram_unmap(&vm->ram);
}

static int register_slots(struct vb_vm *vm, struct vb_err *err)
{
	return vb_kvm_set_memory(&vm->kvm, &vm->g->memmap, vm->ram.host_base, err);
}

/* ---- stage 4 and 5: irqchip and vCPUs ---- */

static int create_irqchip(struct vb_vm *vm, struct vb_err *err)
{
	return vb_kvm_create_irqchip(&vm->kvm, err);
}

static int create_vcpus(struct vb_vm *vm, struct vb_err *err)
{
	vm->vcpus = calloc(vm->g->cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return vb_err_set(err, ENOMEM, "vCPUs: out of memory");
	for (unsigned i = 0; i < vm->g->cpus; i++) {
		int rc = vb_kvm_vcpu_create(&vm->kvm, i, &vm->vcpus[i], err);
		if (rc)
			return rc;
		vm->n_vcpus++;
	}
	return 0;
}

static void destroy_vcpus(struct vb_vm *vm)
{
	for (unsigned i = vm->n_vcpus; i-- > 0;)
		vb_kvm_vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	vm->vcpus = NULL;
	vm->n_vcpus = 0;
}

/* ---- stage 6: devices ---- */

static void device_request(void *ctx, enum vb_dev_request req)
{
	struct vb_vm *vm = ctx;
	(void)req; /* reset and poweroff both end the run with status 0 */
	atomic_store(&vm->stop_requested, true);
}

static void device_log(void *ctx, const char *msg)
{
	(void)ctx;
	vb_log(VB_LOG_WARNING, "%s", msg);
}

static void ioport_debug(void *ctx, const char *bus, uint64_t addr, const uint8_t *data,
			 uint32_t size, bool is_write, const char *device)
{
	const struct vb_vm *vm = ctx;
	const struct vb_debug_desc *dbg = &vm->g->desc->debug;
	if (dbg->ioport) {
		uint64_t value = 0;
		for (uint32_t i = 0; i < size && i < 8; i++)
			value |= (uint64_t)data[i] << (8 * i);
		vb_log(VB_LOG_DEBUG, "%s %s 0x%llx size %u value 0x%llx (%s)", bus,
		       is_write ? "out" : "in", (unsigned long long)addr, size,
		       (unsigned long long)value, device ? device : "unclaimed");
	}
	if (dbg->iodelay_ms)
		usleep(dbg->iodelay_ms * 1000u);
}

/* PC devices every machine has, by registry name. */
static const char *const pc_devices[] = { "ignore", "i8042", "rtc", "uart", "pci-host" };

/* The virtio console the file did not place (no console device): resolve
 * gave it a PCI slot, line and BAR after the graph's devices (machine.h).
 * PCI even on an MMIO machine: the host bridge is always there and the
 * kernel's PCI probe needs no command line. */
static int attach_virtio_console(struct vb_vm *vm, struct vb_err *err)
{
	if (vm->vcon || !vm->g->console.present) /* a console device in the graph */
		return 0;
	uint32_t slot = vm->g->console.pci_slot, gsi = vm->g->console.gsi;
	struct vb_virtio_placement place = {
		.name = "console", .transport = VB_VIRTIO_PCI, .pci_slot = slot, .gsi = gsi,
		.bar_base = vm->g->console.bar_base,
	};
	int rc = vb_dev_set_attach(&vm->devices, &vm->env, &vb_virtio_console_ops, &place, err);
	if (rc)
		return rc;
	vm->vcon = vm->devices.items[vm->devices.count - 1].state;
	vm->vcon_slot = slot;
	vm->vcon_gsi = gsi;
	return 0;
}

/* The registry device serving a graph node: its kind's, except a disk
 * whose path is a directory, which resolve made a 9p root filesystem. */
static const struct vb_device_ops *node_ops(const struct vb_device_node *n)
{
	return vb_device_find(n->dir_root ? "9p" : vb_device_kind_name(n->desc->kind));
}

/* Graph devices attach through the registry under their kind's name:
 * refuse a kind without a device before anything is attached. resolve
 * laid out the MMIO map (machine.h): reserve the virtio-mmio windows
 * here; each PCI device reserves the BARs it is handed. */
static int check_and_reserve(struct vb_vm *vm, struct vb_err *err)
{
	for (size_t i = 0; i < vm->g->n_devices; i++) {
		const struct vb_device_node *n = &vm->g->devices[i];
		if (!node_ops(n))
			return vb_err_set(err, ENOTSUP, "device %s (%s): not implemented yet", n->id,
					  vb_device_kind_name(n->desc->kind));
		int rc = n->mmio_bytes ? vb_alloc_mmio_reserve(&vm->alloc, n->mmio_base,
							       n->mmio_bytes, n->id, err)
				       : 0;
		if (rc)
			return rc;
	}
	return 0;
}

static long console_write_noted(void *ctx, const uint8_t *buf, size_t n)
{
	struct vb_vm *vm = ctx;
	if (n)
		atomic_store_explicit(&vm->guest_spoke, true, memory_order_relaxed);
	return vm->console_dest.write(vm->console_dest.ctx, buf, n);
}

static void init_env(struct vb_vm *vm)
{
	vm->console_dest = vm->opts->console_out
				   ? *vm->opts->console_out
				   : (struct vb_console){ vb_console_write_fd,
							  (void *)&vm->opts->console_out_fd };
	vm->console = (struct vb_console){ console_write_noted, vm };
	vm->env = (struct vb_dev_env){
		.pio = &vm->pio,
		.mmio = &vm->mmio,
		.alloc = &vm->alloc,
		.irq_set_level = vb_kvm_irq_set_level,
		.irq_ctx = &vm->kvm,
		.map_memory = vb_kvm_map_memory,
		.unmap_memory = vb_kvm_unmap_memory,
		.memory_ctx = &vm->kvm,
		.mem = &vm->mem,
		/* With a virtio console the UART stays (the kernel may probe
		 * it) but its output goes nowhere; set after the PC devices. */
		.console = vm->g->desc->console == VB_CONSOLE_SERIAL ? &vm->console : NULL,
		.request = device_request,
		.request_ctx = vm,
		.log = device_log,
	};
}

static int attach_pc_devices(struct vb_vm *vm, struct vb_err *err)
{
	/* The command line comes from the plan (resolve), so the UART does
	 * not add a console= of its own. */
	static const struct vb_uart_config com1 = { VB_UART_COM1_BASE, VB_UART_COM1_GSI, false, 0 };
	for (size_t i = 0; i < sizeof(pc_devices) / sizeof(pc_devices[0]); i++) {
		const struct vb_device_ops *ops = vb_device_find(pc_devices[i]);
		if (!ops)
			return vb_err_set(err, ENOENT, "device %s: not in the registry", pc_devices[i]);
		bool is_uart = ops == &vb_uart_ops;
		int rc = vb_dev_set_attach(&vm->devices, &vm->env, ops, is_uart ? &com1 : NULL, err);
		if (rc)
			return rc;
		if (is_uart)
			vm->uart = vm->devices.items[vm->devices.count - 1].state;
	}
	return 0;
}

static int attach_graph_devices(struct vb_vm *vm, struct vb_err *err)
{
	for (size_t i = 0; i < vm->g->n_devices; i++) {
		const struct vb_device_node *n = &vm->g->devices[i];
		struct vb_virtio_placement place = {
			.name = n->id,
			.desc = n->desc,
			.machine_name = vm->g->name,
			.transport = n->mmio_bytes ? VB_VIRTIO_MMIO : VB_VIRTIO_PCI,
			.pci_slot = n->pci_slot,
			.mmio_base = n->mmio_base,
			.mmio_bytes = n->mmio_bytes,
			.gsi = n->gsi,
			.bar_base = n->bar_base,
			.reg_base = n->reg_base,
		};
		const struct vb_device_ops *ops = node_ops(n);
		int rc = vb_dev_set_attach(&vm->devices, &vm->env, ops, &place, err);
		if (rc)
			return rc;
		if (ops == &vb_virtio_balloon_ops)
			vm->balloon = vm->devices.items[vm->devices.count - 1].state;
		else if (ops == &vb_virtio_console_ops)
			vm->vcon = vm->devices.items[vm->devices.count - 1].state;
	}
	return 0;
}

static int kvm_doorbell_assign(void *ctx, int fd, const struct vb_doorbell *db, bool assign,
			       struct vb_err *err)
{
	return vb_kvm_ioeventfd(ctx, fd, db->gpa, db->len, db->match, db->datamatch, assign, err);
}

/* Virtio doorbells through ioeventfd where KVM has it (machine/ioevent.h).
 * Interrupts stay on KVM_IRQ_LINE, from whichever thread completes the
 * request: see dev/irq.h for why not irqfd. */
static int start_ioevent(struct vb_vm *vm, struct vb_err *err)
{
	if (!vm->kvm.has_ioeventfd)
		return 0;
	int rc = vb_ioevent_create(&vm->ioevent, kvm_doorbell_assign, &vm->kvm, err);
	if (!rc)
		vb_ioevent_plug(vm->ioevent, &vm->env);
	return rc;
}

static void log_notify_path(const struct vb_vm *vm)
{
	if (!vm->opts->verbose)
		return;
	if (vm->ioevent)
		vb_log(VB_LOG_DEBUG, "virtio notifications: ioeventfd (%u doorbells), interrupts: KVM_IRQ_LINE",
		       vb_ioevent_count(vm->ioevent));
	else
		vb_log(VB_LOG_DEBUG, "virtio notifications: exits (no KVM_CAP_IOEVENTFD), interrupts: KVM_IRQ_LINE");
}

static int attach_devices(struct vb_vm *vm, struct vb_err *err)
{
	const struct vb_debug_desc *dbg = &vm->g->desc->debug;
	struct vb_bus_debug debug = { ioport_debug, vm };
	bool want_debug = dbg->ioport || dbg->iodelay_ms;
	vb_bus_init(&vm->pio, "pio", want_debug ? &debug : NULL);
	vb_bus_init(&vm->mmio, "mmio", want_debug ? &debug : NULL);
	vb_alloc_init(&vm->alloc);

	int rc = check_and_reserve(vm, err);
	if (rc)
		return rc;
	init_env(vm);
	rc = start_ioevent(vm, err);
	if (!rc)
		rc = attach_pc_devices(vm, err);
	/* The UART attached without the console (init_env): with console =
	 * "virtio" it goes to the virtio console, a graph device or implied. */
	if (vm->g->desc->console == VB_CONSOLE_VIRTIO)
		vm->env.console = &vm->console;
	if (!rc)
		rc = attach_graph_devices(vm, err);
	if (!rc && vm->g->desc->console == VB_CONSOLE_VIRTIO)
		rc = attach_virtio_console(vm, err);
	if (!rc && vm->ioevent)
		rc = vb_ioevent_start(vm->ioevent, err);
	if (!rc)
		log_notify_path(vm);
	return rc;
}

static void detach_devices(struct vb_vm *vm)
{
	/* The vCPUs are joined: stop the doorbell thread before any device
	 * it calls into goes away (ioevent.h). */
	vb_ioevent_stop(vm->ioevent);
	if (vm->ioevent && vm->opts->verbose)
		vb_log(VB_LOG_DEBUG, "virtio notifications: %llu ioeventfd wakeups",
		       (unsigned long long)vb_ioevent_calls(vm->ioevent));
	vb_dev_set_detach_all(&vm->devices);
	vb_ioevent_destroy(vm->ioevent);
	vm->ioevent = NULL;
	vm->uart = NULL;
	vm->vcon = NULL;
	vm->vcon_gsi = 0;
	vm->balloon = NULL;
	vb_bus_free(&vm->mmio);
	vb_bus_free(&vm->pio);
}

/* ---- stage 7: kernel ---- */

/* Linux finds the CPUs, the IOAPIC and every device's interrupt line
 * through the MP table: there is no ACPI. Written into the BIOS area e820
 * marks reserved. */
static int write_mptable(struct vb_vm *vm, struct vb_err *err)
{
	struct vb_x86_mp_route items[VB_MAX_DEVICES];
	struct vb_x86_mp_routes routes = { items, 0 };
	for (size_t i = 0; i < vm->g->n_devices && routes.count < VB_MAX_DEVICES; i++) {
		const struct vb_device_node *n = &vm->g->devices[i];
		if (!n->gsi)
			continue;
		items[routes.count++] = (struct vb_x86_mp_route){
			.pci = !n->mmio_bytes, .pci_slot = (uint8_t)n->pci_slot, .gsi = (uint8_t)n->gsi,
		};
	}
	if (vm->vcon_gsi && routes.count < VB_MAX_DEVICES)
		items[routes.count++] = (struct vb_x86_mp_route){
			.pci = true, .pci_slot = (uint8_t)vm->vcon_slot, .gsi = (uint8_t)vm->vcon_gsi,
		};
	size_t bytes = vb_x86_mptable_bytes(vm->g->cpus, &routes);
	uint8_t *table = vb_gmem_ptr(&vm->mem, VB_X86_MPTABLE_GPA, bytes);
	if (!table)
		return vb_err_set(err, ENOSPC, "MP table: 0x%x+%zu is not guest RAM",
				  VB_X86_MPTABLE_GPA, bytes);
	int rc = vb_x86_mptable_build(table, bytes, VB_X86_MPTABLE_GPA, vm->g->cpus, &routes, err);
	return rc < 0 ? rc : 0;
}

/* The same function --check runs on scratch memory (machine/load.h). */
static int load_kernel(struct vb_vm *vm, struct vb_err *err)
{
	int rc = vb_machine_load(vm->g, vm->opts->initrd_data, vm->opts->initrd_bytes, &vm->mem,
				 &vm->regs, &vm->boot, err);
	if (rc)
		return rc;
	/* A kernel that KVM-PVM cannot run was refused before the build
	 * (cli/pvm.h); the quiet note covers the rest. */
	return write_mptable(vm, err);
}

/* ---- stage 8: CPU state ---- */

static int set_cpu_state(struct vb_vm *vm, struct vb_err *err)
{
	struct kvm_cpuid2 *supported = NULL;
	int rc = vb_kvm_get_supported_cpuid(&vm->kvm, &supported, err);
	if (rc)
		return rc;
	size_t cap = supported->nent + 8;
	struct kvm_cpuid2 *mine = calloc(1, sizeof(*mine) + cap * sizeof(mine->entries[0]));
	if (!mine) {
		free(supported);
		return vb_err_set(err, ENOMEM, "CPUID: out of memory");
	}
	/* Flat binaries (our tiny test guests) start every vCPU at the entry;
	 * a Linux kernel starts its APs itself with INIT/SIPI. */
	bool all_run = vm->boot.kind == VB_X86_KERNEL_FLAT;
	for (unsigned i = 0; !rc && i < vm->n_vcpus; i++) {
		size_t n = 0;
		rc = vb_x86_cpuid_build(supported->entries, supported->nent, i, vm->n_vcpus,
					mine->entries, cap, &n, err);
		mine->nent = (uint32_t)n;
		if (!rc)
			rc = vb_kvm_vcpu_set_cpuid(&vm->vcpus[i], mine, err);
		if (!rc && (i == 0 || all_run))
			rc = vb_kvm_vcpu_set_regs(&vm->vcpus[i], &vm->regs, err);
		if (!rc)
			rc = vb_kvm_vcpu_set_runnable(&vm->vcpus[i], i == 0 || all_run, err);
		if (!rc && vm->g->desc->debug.single_step)
			rc = vb_kvm_vcpu_set_single_step(&vm->vcpus[i], true, err);
	}
	free(mine);
	free(supported);
	return rc;
}

/* ---- stage 9: console ---- */

static size_t console_sink(void *ctx, const uint8_t *buf, size_t n)
{
	struct vb_vm *vm = ctx;
	if (vm->vcon)
		return vb_virtio_console_feed(vm->vcon, buf, n);
	return vm->uart ? vb_uart_feed(vm->uart, buf, n) : n;
}

static void console_event(void *ctx, enum vb_term_event ev)
{
	struct vb_vm *vm = ctx;
	if (ev != VB_TERM_QUIT)
		return; /* end of input: the guest keeps running */
	atomic_store(&vm->quit_requested, true);
	/* The run loop waits for SIGINT/SIGTERM on a signalfd. */
	kill(getpid(), SIGTERM);
}

/* tty = true: the devices already hold &vm->console (no vCPU has run
 * yet), so pointing its destination at the pty here moves all guest
 * output there. */
static int open_pty_console(struct vb_vm *vm, struct vb_err *err)
{
	int rc = vb_pty_open(&vm->pty, err);
	if (rc)
		return rc;
	vm->console_dest = (struct vb_console){ vb_pty_console_write, &vm->pty };
	vb_term_attach_fd(&vm->term, vm->pty.master_fd);
	rc = vb_term_start_reader(&vm->term, console_sink, console_event, vm, err);
	if (!rc && !vm->opts->on_ready)
		vb_log(VB_LOG_INFO, "console on %s", vm->pty.path);
	return rc;
}

static int open_console(struct vb_vm *vm, struct vb_err *err)
{
	memset(&vm->term, 0, sizeof(vm->term));
	vm->term.in_fd = -1;
	vb_pty_init(&vm->pty);
	if (vm->g->desc->console == VB_CONSOLE_NONE)
		return 0;
	if (vm->g->desc->tty)
		return open_pty_console(vm, err);
	if (vm->opts->console_in_fd < 0)
		return 0;
	int rc = vb_term_open(&vm->term, vm->opts->console_in_fd, err);
	if (!rc)
		rc = vb_term_start_reader(&vm->term, console_sink, console_event, vm, err);
	return rc;
}

/* The reader is joined before the pty closes, so it never reads a closed
 * (or reused) descriptor. */
static void close_console(struct vb_vm *vm)
{
	vb_term_close(&vm->term);
	vb_pty_close(&vm->pty);
}

/* ---- stage 10: control server ---- */

/* A pause waits this long for a vCPU busy in a device model. */
#define CTL_PAUSE_WAIT_MS 5000

/* Where the console is, for info and list: the pty path, "stdio" (the
 * terminal vmboot runs in) or "none". */
static const char *console_where(const struct vb_vm *vm)
{
	if (vm->pty.master_fd >= 0)
		return vm->pty.path;
	return vm->g->desc->console == VB_CONSOLE_NONE ? "none" : "stdio";
}

static int ctl_info(void *ctx, struct vb_ctl_reply *r, struct vb_err *err)
{
	struct vb_vm *vm = ctx;
	(void)err;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	vb_ctl_reply_add(r, "name", "%s", vm->name);
	vb_ctl_reply_add(r, "pid", "%ld", (long)getpid());
	vb_ctl_reply_add(r, "state", "%s", vb_vcpu_ctl_paused(vm->vcpu_ctl) ? "paused" : "running");
	vb_ctl_reply_add(r, "cpus", "%u", vm->n_vcpus);
	vb_ctl_reply_add(r, "memory_bytes", "%llu", (unsigned long long)vm->g->ram_bytes);
	vb_ctl_reply_add(r, "uptime_s", "%lld", (long long)(now.tv_sec - vm->started.tv_sec));
	vb_ctl_reply_add(r, "console", "%s", console_where(vm));
	return 0;
}

static int ctl_console(void *ctx, struct vb_ctl_reply *r, struct vb_err *err)
{
	struct vb_vm *vm = ctx;
	if (vm->pty.master_fd < 0)
		return vb_err_set(err, ENODEV, "the console of %s is %s, not a pty (start it with --tty)",
				  vm->name, console_where(vm));
	vb_ctl_reply_add(r, "path", "%s", vm->pty.path);
	vb_ctl_reply_add(r, "overflows", "%llu",
			 (unsigned long long)atomic_load(&vm->pty.overflows));
	return 0;
}

static int ctl_pause(void *ctx, struct vb_err *err)
{
	struct vb_vm *vm = ctx;
	return vb_vcpu_ctl_pause(vm->vcpu_ctl, CTL_PAUSE_WAIT_MS, err);
}

static int ctl_resume(void *ctx, struct vb_err *err)
{
	struct vb_vm *vm = ctx;
	(void)err;
	vb_vcpu_ctl_resume(vm->vcpu_ctl);
	return 0;
}

static struct vb_i8042 *find_i8042(struct vb_vm *vm)
{
	for (size_t i = 0; i < vm->devices.count; i++)
		if (vm->devices.items[i].ops == &vb_i8042_ops)
			return vm->devices.items[i].state;
	return NULL;
}

static int ctl_stop(void *ctx, bool force, struct vb_err *err)
{
	struct vb_vm *vm = ctx;
	if (force) {
		vb_vcpu_ctl_stop(vm->vcpu_ctl, "stopped by vmboot stop");
		return 0;
	}
	/* No ACPI: Ctrl-Alt-Del on the keyboard controller is how a PC asks
	 * its OS to shut down (with reboot=k the guest then resets, which
	 * ends the run). A paused guest could not react: resume it. */
	struct vb_i8042 *kbc = find_i8042(vm);
	if (!kbc)
		return vb_err_set(err, ENODEV, "no keyboard controller to send Ctrl-Alt-Del through");
	int rc = vb_i8042_send_ctrl_alt_del(kbc);
	if (rc)
		return vb_err_errno(err, -rc, "sending Ctrl-Alt-Del");
	vb_vcpu_ctl_resume(vm->vcpu_ctl);
	return 0;
}

static void add_segment(struct vb_ctl_reply *r, unsigned i, const char *name,
			const struct kvm_segment *s)
{
	char key[32];
	snprintf(key, sizeof(key), "vcpu%u.%s", i, name);
	vb_ctl_reply_add(r, key, "selector 0x%04x base 0x%llx limit 0x%x type %u dpl %u db %u l %u",
			 s->selector, (unsigned long long)s->base, s->limit, s->type, s->dpl, s->db,
			 s->l);
}

static void add_regs(struct vb_ctl_reply *r, unsigned i, const struct kvm_regs *g,
		     const struct kvm_sregs *s)
{
	const struct { const char *name; unsigned long long v; } v[] = {
		{ "rip", g->rip }, { "rflags", g->rflags }, { "rax", g->rax }, { "rbx", g->rbx },
		{ "rcx", g->rcx }, { "rdx", g->rdx }, { "rsi", g->rsi }, { "rdi", g->rdi },
		{ "rsp", g->rsp }, { "rbp", g->rbp }, { "r8", g->r8 }, { "r9", g->r9 },
		{ "r10", g->r10 }, { "r11", g->r11 }, { "r12", g->r12 }, { "r13", g->r13 },
		{ "r14", g->r14 }, { "r15", g->r15 }, { "cr0", s->cr0 }, { "cr2", s->cr2 },
		{ "cr3", s->cr3 }, { "cr4", s->cr4 }, { "efer", s->efer }, { "apic_base", s->apic_base },
	};
	char key[32];
	for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		snprintf(key, sizeof(key), "vcpu%u.%s", i, v[k].name);
		vb_ctl_reply_add(r, key, "0x%016llx", v[k].v);
	}
	add_segment(r, i, "cs", &s->cs);
	add_segment(r, i, "ss", &s->ss);
	add_segment(r, i, "ds", &s->ds);
}

/* Registers are read with every vCPU held (paused for the moment if it was
 * running), so they are a consistent snapshot and no vCPU is inside
 * KVM_RUN while another thread issues ioctls on it. */
static int ctl_debug(void *ctx, struct vb_ctl_reply *r, struct vb_err *err)
{
	struct vb_vm *vm = ctx;
	bool was_paused = vb_vcpu_ctl_paused(vm->vcpu_ctl);
	int rc = vb_vcpu_ctl_pause(vm->vcpu_ctl, CTL_PAUSE_WAIT_MS, err);
	for (unsigned i = 0; !rc && i < vm->n_vcpus; i++) {
		struct kvm_regs regs;
		struct kvm_sregs sregs;
		rc = vb_kvm_vcpu_get_state(&vm->vcpus[i], &regs, &sregs, err);
		if (!rc)
			add_regs(r, i, &regs, &sregs);
	}
	if (!was_paused)
		vb_vcpu_ctl_resume(vm->vcpu_ctl);
	return rc;
}

/* A stat asks the guest for fresh numbers and waits briefly for them;
 * without an answer the last numbers are shown. */
#define BALLOON_STATS_WAIT_MS 500

static void add_balloon_stats(struct vb_vm *vm, struct vb_ctl_reply *r)
{
	if (!vm->balloon) {
		vb_ctl_reply_add(r, "balloon", "none");
		return;
	}
	struct vb_balloon_stats st;
	vb_virtio_balloon_get_stats(vm->balloon, &st);
	if (vb_virtio_balloon_stats_request(vm->balloon)) {
		uint64_t before = st.stats_updates;
		for (unsigned ms = 0; ms < BALLOON_STATS_WAIT_MS && st.stats_updates == before; ms += 10) {
			usleep(10000);
			vb_virtio_balloon_get_stats(vm->balloon, &st);
		}
	}
	const uint64_t page = VB_VIRTIO_BALLOON_PAGE_BYTES;
	vb_ctl_reply_add(r, "balloon", "%s", st.driver_ok ? "active" : "waiting for the guest driver");
	vb_ctl_reply_add(r, "balloon_target_bytes", "%llu", (unsigned long long)(st.target_pages * page));
	vb_ctl_reply_add(r, "balloon_actual_bytes", "%llu", (unsigned long long)(st.actual_pages * page));
	vb_ctl_reply_add(r, "balloon_inflated_bytes", "%llu", (unsigned long long)(st.inflated_pages * page));
	vb_ctl_reply_add(r, "balloon_deflated_bytes", "%llu", (unsigned long long)(st.deflated_pages * page));
	vb_ctl_reply_add(r, "balloon_bad_pfns", "%llu", (unsigned long long)st.bad_pfns);
	vb_ctl_reply_add(r, "balloon_stats_updates", "%llu", (unsigned long long)st.stats_updates);
	for (unsigned t = 0; t < VB_BALLOON_S_COUNT; t++) {
		char key[64];
		if (!(st.valid & (1u << t)))
			continue;
		snprintf(key, sizeof(key), "guest.%s", vb_virtio_balloon_stat_name(t));
		vb_ctl_reply_add(r, key, "%llu", (unsigned long long)st.value[t]);
	}
}

static int ctl_stat(void *ctx, struct vb_ctl_reply *r, struct vb_err *err)
{
	struct vb_vm *vm = ctx;
	(void)err;
	vb_ctl_reply_add(r, "memory_bytes", "%llu", (unsigned long long)vm->g->ram_bytes);
	/* /proc/self/statm: size resident shared ... in pages (proc(5)). */
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long long size = 0, resident = 0;
	if (f) {
		if (fscanf(f, "%llu %llu", &size, &resident) == 2) {
			unsigned long long page = (unsigned long long)sysconf(_SC_PAGESIZE);
			vb_ctl_reply_add(r, "host_rss_bytes", "%llu", resident * page);
		}
		fclose(f);
	}
	add_balloon_stats(vm, r);
	return 0;
}

static int ctl_balloon(void *ctx, bool deflate, uint64_t bytes, struct vb_ctl_reply *r,
		       struct vb_err *err)
{
	struct vb_vm *vm = ctx;
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
	vb_ctl_reply_add(r, "balloon_target_bytes", "%llu",
			 (unsigned long long)(target * VB_VIRTIO_BALLOON_PAGE_BYTES));
	if (!st.driver_ok)
		vb_ctl_reply_add(r, "balloon_note", "the guest driver is not up yet");
	return 0;
}

/* The server has answered since stage 0; now it can use every part. */
static int start_control(struct vb_vm *vm, struct vb_err *err)
{
	(void)err;
	const struct vb_ctl_ops ops = {
		.ctx = vm,
		.info = ctl_info,
		.pause = ctl_pause,
		.resume = ctl_resume,
		.stop = ctl_stop,
		.debug = ctl_debug,
		.stat = ctl_stat,
		.balloon = ctl_balloon,
		.console = ctl_console,
	};
	vb_ctl_server_set_ops(vm->ctl_server, &ops);
	atomic_store(&vm->phase, VM_RUNNING);
	return 0;
}

/* Before the VM's parts go: from here the socket says "stopping" and no
 * callback that uses them runs (set_ops waits for one in progress). */
static void stop_control(struct vb_vm *vm)
{
	atomic_store(&vm->phase, VM_STOPPING);
	const struct vb_ctl_ops ops = early_ops(vm);
	vb_ctl_server_set_ops(vm->ctl_server, &ops);
}

/* ---- the stage table ---- */

struct stage {
	const char *name;
	int (*build)(struct vb_vm *vm, struct vb_err *err);
	void (*undo)(struct vb_vm *vm);
};

static const struct stage stages[] = {
	{ "claim the VM's name", claim_name, release_name },
	{ "open KVM", open_kvm, close_kvm },
	{ "map guest RAM", map_ram, unmap_ram },
	{ "register memory slots", register_slots, NULL },
	{ "create irqchip and PIT", create_irqchip, NULL },
	{ "create vCPUs", create_vcpus, destroy_vcpus },
	{ "attach devices", attach_devices, detach_devices },
	{ "load kernel", load_kernel, NULL },
	{ "set CPUID and registers", set_cpu_state, NULL },
	{ "open console", open_console, close_console },
	{ "answer on the control socket", start_control, stop_control },
};
#define N_STAGES (sizeof(stages) / sizeof(stages[0]))

static void undo_stages(struct vb_vm *vm, size_t done)
{
	while (done-- > 0) {
		if (stages[done].undo)
			stages[done].undo(vm);
		if (vm->opts->verbose)
			vb_log(VB_LOG_DEBUG, "undone: %s", stages[done].name);
	}
}

/* ---- running ---- */

/* The build was interrupted: nothing ran, everything built is undone. */
static void interrupted_outcome(const struct vb_vm *vm, struct vb_vm_outcome *out)
{
	if (vm->interrupted_by) {
		out->end = VB_VM_SIGNALLED;
		out->signal = vm->interrupted_by;
		snprintf(out->why, sizeof(out->why), "%s while starting: the build was undone",
			 vm->interrupted_by == SIGINT ? "SIGINT" : "SIGTERM");
	} else {
		out->end = VB_VM_GUEST_STOPPED;
		snprintf(out->why, sizeof(out->why),
			 "stopped by vmboot stop while starting: the build was undone");
	}
}

static int handle_pio(void *ctx, uint16_t port, bool is_write, uint8_t *data, uint8_t size,
		      struct vb_err *err)
{
	struct vb_vm *vm = ctx;
	(void)err;
	vb_bus_dispatch(&vm->pio, port, data, size, is_write);
	return atomic_load(&vm->stop_requested) ? VB_EXIT_STOP : 0;
}

static int handle_mmio(void *ctx, uint64_t addr, bool is_write, uint8_t *data, uint32_t len,
		       struct vb_err *err)
{
	struct vb_vm *vm = ctx;
	(void)err;
	vb_bus_dispatch(&vm->mmio, addr, data, len, is_write);
	return atomic_load(&vm->stop_requested) ? VB_EXIT_STOP : 0;
}

static int handle_debug(void *ctx, uint64_t rip, struct vb_err *err)
{
	(void)ctx;
	(void)err;
	vb_log(VB_LOG_DEBUG, "single step: rip 0x%llx", (unsigned long long)rip);
	return 0;
}

/* Up to max bytes at a guest linear address, translating each page on its
 * own (an instruction may straddle two pages that are not physically
 * contiguous). Returns how many bytes it could read. */
static size_t read_guest_code(struct vb_vm *vm, struct vb_kvm_vcpu *vcpu, uint64_t linear,
			      uint8_t *out, size_t max)
{
	size_t n = 0;
	struct vb_err ignored;
	while (n < max) {
		uint64_t gpa;
		if (vb_kvm_vcpu_translate(vcpu, linear + n, &gpa, &ignored))
			break;
		size_t in_page = 4096 - (size_t)((linear + n) & 0xfff);
		size_t chunk = max - n < in_page ? max - n : in_page;
		const uint8_t *p = vb_gmem_ptr(&vm->mem, gpa, chunk);
		if (!p)
			break;
		memcpy(out + n, p, chunk);
		n += chunk;
	}
	return n;
}

/* Where the vCPU stopped, as a person debugging it needs it: RIP, the
 * instruction bytes there and what they are. Best effort: any step that
 * fails just ends the report. */
static void describe_failure(struct vb_vm *vm, struct vb_kvm_vcpu *vcpu, struct vb_err *err)
{
	if (vcpu->run->exit_reason != KVM_EXIT_INTERNAL_ERROR &&
	    vcpu->run->exit_reason != KVM_EXIT_FAIL_ENTRY &&
	    vcpu->run->exit_reason != KVM_EXIT_UNKNOWN)
		return;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	if (vb_kvm_vcpu_get_state(vcpu, &regs, &sregs, NULL))
		return;
	enum vb_x86_mode mode = VB_X86_MODE_16;
	uint64_t linear = regs.rip;
	if (sregs.efer & (1u << 10) && sregs.cs.l) /* EFER.LMA and a 64-bit CS */
		mode = VB_X86_MODE_64;
	else
		linear = sregs.cs.base + regs.rip;
	if (mode != VB_X86_MODE_64 && (sregs.cr0 & 1))
		mode = sregs.cs.db ? VB_X86_MODE_32 : VB_X86_MODE_16;

	char what[256] = "instruction bytes unavailable";
	uint8_t code[15];
	size_t n = read_guest_code(vm, vcpu, linear, code, sizeof(code));
	if (n) {
		char bytes[64], meaning[96];
		vb_x86_insn_format_bytes(code, n, bytes, sizeof(bytes));
		vb_x86_insn_describe(code, n, mode, meaning, sizeof(meaning));
		snprintf(what, sizeof(what), "bytes %s: %s", bytes, meaning);
	}
	char where[384];
	snprintf(where, sizeof(where), "at RIP 0x%llx (%s, %s)", (unsigned long long)regs.rip,
		 mode == VB_X86_MODE_64 ? "64-bit" : mode == VB_X86_MODE_32 ? "32-bit" : "16-bit",
		 what);
	size_t used = strlen(err->msg);
	snprintf(err->msg + used, sizeof(err->msg) - used, "; %s", where);
}

/* The handlers' timer (opts->quiet_note). */
static void note_quiet_guest(void *ctx)
{
	struct vb_vm *vm = ctx;
	if (!atomic_load(&vm->guest_spoke))
		vb_log(VB_LOG_NOTE, "%s", vm->opts->quiet_note);
}

static int run_vcpus(struct vb_vm *vm, struct vb_vm_outcome *out, struct vb_err *err)
{
	struct vb_exit_handlers h = {
		.ctx = vm,
		.pio = handle_pio,
		.mmio = handle_mmio,
		.debug = vm->g->desc->debug.single_step ? handle_debug : NULL,
		.host_is_pvm = vm->kvm.is_pvm,
		.timer = vm->opts->quiet_note ? note_quiet_guest : NULL,
		.timer_ms = vm->opts->quiet_note_s * 1000u,
	};
	struct vb_run_result res;
	int rc = vb_vcpu_run_all_ctl(vm->vcpus, vm->n_vcpus, &h, vm->vcpu_ctl, &res, err);
	if (rc) {
		if (res.action == VB_VCPU_FAIL && res.vcpu < vm->n_vcpus)
			describe_failure(vm, &vm->vcpus[res.vcpu], err);
		return rc;
	}
	memcpy(out->why, res.why.msg, sizeof(out->why));
	if (atomic_load(&vm->quit_requested)) {
		out->end = VB_VM_CONSOLE_QUIT;
		snprintf(out->why, sizeof(out->why), "console: Ctrl-A x");
	} else if (res.signal) {
		out->end = VB_VM_SIGNALLED;
		out->signal = res.signal;
	} else {
		out->end = VB_VM_GUEST_STOPPED;
	}
	return 0;
}

int vb_vm_run(const struct vb_machine_graph *graph, const struct vb_vm_options *opts,
	      struct vb_vm_outcome *outcome, struct vb_err *err)
{
	struct vb_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return vb_err_set(err, ENOMEM, "out of memory");
	vm->g = graph;
	vm->opts = opts;
	vm->kvm.dev_fd = vm->kvm.vm_fd = -1;
	memset(outcome, 0, sizeof(*outcome));

	/* SIGINT/SIGTERM are taken from a signalfd by the run loop: block
	 * them before any thread (console reader, vCPUs) starts, so no
	 * thread dies of them with the terminal in raw mode. */
	sigset_t stop_sigs, old_mask;
	sigemptyset(&stop_sigs);
	sigaddset(&stop_sigs, SIGINT);
	sigaddset(&stop_sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_sigs, &old_mask);

	/* Until the vCPUs run, the build reads them itself (and stop
	 * requests), between stages: see build_interrupted. */
	int rc = 0;
	vm->build_sig_fd = signalfd(-1, &stop_sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	vm->abort_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->build_sig_fd < 0 || vm->abort_fd < 0)
		rc = vb_err_errno(err, errno, "build: %s", vm->build_sig_fd < 0 ? "signalfd" : "eventfd");

	size_t done = 0;
	for (; !rc && done < N_STAGES && !build_interrupted(vm, 0); done++) {
		if (opts->verbose)
			vb_log(VB_LOG_DEBUG, "%s", stages[done].name);
		rc = stages[done].build(vm, err);
		if (rc) {
			vb_err_prefix(err, "%s", stages[done].name);
			/* A stage that failed half way undoes its own part too. */
			if (stages[done].undo)
				stages[done].undo(vm);
			break;
		}
	}
	bool interrupted = !rc && build_interrupted(vm, 0);
	if (interrupted)
		interrupted_outcome(vm, outcome);
	bool announced = !rc && !interrupted && opts->on_running;
	if (announced)
		opts->on_running(opts->notify_ctx, vm->name, vm->n_vcpus);
	if (!rc && !interrupted && opts->on_ready)
		opts->on_ready(opts->ready_ctx, vm->name, vm->pty.master_fd >= 0 ? vm->pty.path : NULL);
	if (!rc && !interrupted)
		rc = run_vcpus(vm, outcome, err);
	if (announced && opts->on_stopping)
		opts->on_stopping(opts->notify_ctx, rc ? err->msg : outcome->why);
	atomic_store(&vm->phase, VM_STOPPING);
	undo_stages(vm, done);
	/* A SIGINT/SIGTERM during the teardown is spent: the VM is gone. */
	struct signalfd_siginfo si;
	while (vm->build_sig_fd >= 0 && read(vm->build_sig_fd, &si, sizeof(si)) > 0)
		;
	if (vm->build_sig_fd >= 0)
		close(vm->build_sig_fd);
	if (vm->abort_fd >= 0)
		close(vm->abort_fd);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	free(vm);
	return rc;
}
