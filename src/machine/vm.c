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
#include "dev/acpi_pm.h"
#include "machine/acpi.h"
#include "dev/dev.h"
#include "dev/uart.h"
#include "machine/console.h"
#include "machine/ioevent.h"
#include "machine/kvm.h"
#include "machine/load.h"
#include "machine/msi.h"
#include "machine/ram.h"
#include "machine/registry.h"
#include "machine/vcpu.h"
#include "machine/vm_impl.h"
#include "sandbox/privs.h"
#include "util/io.h"
#include "util/log.h"
#include "virtio/balloon.h"
#include "virtio/console.h"
#include "virtio/virtio.h"

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

/* ---- confinement ---- */

/* What each thread gives up once it serves the guest: every capability a
 * root-started VM does not use while it runs (privs.h), and with seccomp
 * (the default) all system calls its kind does not make for the machine's
 * devices. */
static struct vb_sandbox_policy confine_policy(const struct vb_machine_graph *g)
{
	return (struct vb_sandbox_policy){
		.seccomp = g->desc->seccomp,
		.needs = vb_graph_sandbox_needs(g),
		.drop_caps = true,
		.keep_caps = vb_privs_runtime_caps(vb_graph_serves_host_files(g)),
		.user_switch_ahead = g->desc->user != NULL,
	};
}

/* ---- stage 0: the VM's name ---- */

/* Claiming the name first refuses a second VM of the same name before
 * anything is built; the publisher answers from then on, as for a
 * starting VM, until the last stage says the VM runs. The vCPU control
 * exists from here so that a stop while starting is kept for the run. */
/* With `user` the publisher claims the name as that user (its effective
 * ids for the moment, sandbox/privs.h): the control socket and its
 * directory are the user's, where the user's own `vmboot list` looks
 * (control/sockdir.h), and the user can still remove them at the
 * teardown after give_up_root. */
static int publish_claim(struct vb_vm *vm, const struct vb_vm_publisher *pub,
			 struct vb_err *err)
{
	struct vb_user user;
	struct vb_privs_ids before;
	if (!vm->g->desc->user)
		return pub->claim(pub->ctx, vm, vm->name, err);
	int rc = vb_privs_lookup_user(vm->g->desc->user, &user, err);
	if (!rc)
		rc = vb_privs_assume_user(&user, &before, err);
	if (rc)
		return rc;
	rc = pub->claim(pub->ctx, vm, vm->name, err);
	struct vb_err end_err;
	int end = vb_privs_end_assume(&before, &end_err);
	if (!rc && end) {
		*err = end_err;
		rc = end;
	}
	return rc;
}

static int claim_name(struct vb_vm *vm, struct vb_err *err)
{
	const struct vb_vm_publisher *pub = vm->opts->publisher;
	clock_gettime(CLOCK_MONOTONIC, &vm->started);
	if (vm->g->name)
		snprintf(vm->name, sizeof(vm->name), "%s", vm->g->name);
	else
		snprintf(vm->name, sizeof(vm->name), "vmboot-%ld", (long)getpid());
	int rc = vb_vcpu_ctl_create(&vm->vcpu_ctl, err);
	if (!rc && pub)
		rc = publish_claim(vm, pub, err);
	if (!rc)
		test_build_delay(vm);
	return rc;
}

static void release_name(struct vb_vm *vm)
{
	const struct vb_vm_publisher *pub = vm->opts->publisher;
	if (pub)
		pub->release(pub->ctx);
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
	const struct vb_machine_desc *d = vm->g->desc;
	enum vb_ram_pages pages = VB_RAM_HUGE_IF_AVAILABLE;
	if (d->hugepages_set)
		pages = d->hugepages ? VB_RAM_HUGE_REQUIRED : VB_RAM_SMALL_PAGES;
	rc = vb_ram_map(&vm->ram, &vm->g->memmap, pages, err);
	if (!rc && vm->opts->verbose)
		vb_log(VB_LOG_DEBUG, "guest RAM: %s pages", vm->ram.hugepages ? "transparent huge" : "4 KiB");
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
	/* Reset and poweroff both end the run with status 0; the kind only
	 * names the end (dispatch). */
	atomic_store(&vm->stop_poweroff, req == VB_DEV_REQ_POWEROFF);
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

/* The ops serving a graph node: its type's, or, for a disk whose path is
 * a directory, the type resolve made it (a 9p root filesystem). */
static const struct vb_device_ops *node_ops(const struct vb_device_node *n)
{
	return n->type->ops;
}

/* Graph devices attach with their type's ops (parse/devtype.h): refuse a
 * type without them before anything is attached. resolve
 * laid out the MMIO map (machine.h): reserve the virtio-mmio windows
 * here; each PCI device reserves the BARs it is handed. */
static int check_and_reserve(struct vb_vm *vm, struct vb_err *err)
{
	for (size_t i = 0; i < vm->g->n_devices; i++) {
		const struct vb_device_node *n = &vm->g->devices[i];
		if (!node_ops(n))
			return vb_err_set(err, ENOTSUP, "device %s (%s): not implemented yet", n->id,
					  n->type->name);
		int rc = n->mmio_bytes ? vb_alloc_mmio_reserve(&vm->alloc, n->mmio_base,
							       n->mmio_bytes, n->id, err)
				       : 0;
		if (rc)
			return rc;
	}
	return 0;
}

static void init_env(struct vb_vm *vm)
{
	const struct vb_console stdout_console = { vb_console_write_fd, &vm->stdout_fd };
	vb_host_console_init(&vm->console,
			     vm->opts->console_out ? vm->opts->console_out : &stdout_console);
	vm->env = (struct vb_dev_env){
		.pio = &vm->pio,
		.mmio = &vm->mmio,
		.alloc = &vm->alloc,
		.irq_set_level = vb_kvm_irq_set_level,
		.irq_ctx = &vm->kvm,
		.irqfd_open = vm->kvm.has_irqfd && vm->kvm.has_irqchip ? vb_kvm_irqfd_open : NULL,
		.map_memory = vb_kvm_map_memory,
		.unmap_memory = vb_kvm_unmap_memory,
		.memory_ctx = &vm->kvm,
		.mem = &vm->mem,
		/* With a virtio console the UART stays (the kernel may probe
		 * it) but its output goes nowhere; set after the PC devices. */
		.console = vm->g->desc->console == VB_CONSOLE_SERIAL
				   ? vb_host_console_sink(&vm->console)
				   : NULL,
		.request = device_request,
		.request_ctx = vm,
		.log = device_log,
		.confine = &vm->confine,
	};
}

/* The power-management registers the FADT names, with ACPI only. */
static int attach_acpi_pm(struct vb_vm *vm, struct vb_err *err)
{
	if (!vm->g->acpi.enabled)
		return 0;
	const struct vb_acpi_pm_config cfg = { vm->g->acpi.ged_gsi };
	int rc = vb_dev_set_attach(&vm->devices, &vm->env, &vb_acpi_pm_ops, &cfg, err);
	if (!rc)
		vm->acpi_pm = vm->devices.items[vm->devices.count - 1].state;
	return rc;
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
	return attach_acpi_pm(vm, err);
}

static int attach_graph_devices(struct vb_vm *vm, struct vb_err *err)
{
	for (size_t i = 0; i < vm->g->n_devices; i++) {
		const struct vb_device_node *n = &vm->g->devices[i];
		struct vb_virtio_placement place = {
			.name = n->id,
			.desc = n->desc,
			.machine_name = vm->g->name,
			.cpus = vm->g->cpus,
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
 * Interrupts: see start_msi. */
static int start_ioevent(struct vb_vm *vm, struct vb_err *err)
{
	if (!vm->kvm.has_ioeventfd)
		return 0;
	int rc = vb_ioevent_create(&vm->ioevent, kvm_doorbell_assign, &vm->kvm, err);
	if (!rc)
		vb_ioevent_plug(vm->ioevent, &vm->env);
	return rc;
}

/* MSI-X for virtio-pci (dev/msix.h) where KVM routes messages and binds
 * eventfds to them (machine/msi.h): the env's msi hooks, which hold the
 * route table (msi_ctx) until detach_devices. Elsewhere the hooks stay
 * NULL and every interrupt is a line set with KVM_IRQ_LINE (dev/irq.h). */
static int start_msi(struct vb_vm *vm, struct vb_err *err)
{
	if (!vm->kvm.has_irq_routing || !vm->kvm.has_irqfd)
		return 0;
	const struct vb_msi_kernel k = { vb_kvm_set_gsi_routing, vb_kvm_irqfd, &vm->kvm };
	struct vb_msi *msi;
	int rc = vb_msi_create(&msi, &k, err);
	if (!rc)
		vb_msi_plug(msi, &vm->env);
	return rc;
}

static void stop_msi(struct vb_vm *vm)
{
	if (vm->env.msi_ctx && vm->opts->verbose)
		vb_log(VB_LOG_DEBUG, "MSI routes: %lu routing tables handed to KVM",
		       vb_msi_commits(vm->env.msi_ctx));
	vb_msi_destroy(vm->env.msi_ctx);
	vm->env.msi_ctx = NULL;
}

static void log_notify_path(const struct vb_vm *vm)
{
	if (!vm->opts->verbose)
		return;
	char irqs[96] = "interrupts: KVM_IRQ_LINE (no KVM_CAP_IRQ_ROUTING or KVM_CAP_IRQFD)";
	unsigned routes = vm->env.msi_ctx ? vb_msi_count(vm->env.msi_ctx) : 0;
	if (routes)
		snprintf(irqs, sizeof(irqs), "interrupts: MSI-X irqfd (%u routes) once the driver enables it, else KVM_IRQ_LINE",
			 routes);
	else if (vm->env.msi_ctx)
		snprintf(irqs, sizeof(irqs), "interrupts: KVM_IRQ_LINE (no PCI device with MSI-X)");
	const char *lines = vm->env.irqfd_open ? "virtio-mmio lines: edges through KVM irqfds"
					       : "virtio-mmio lines: edges with KVM_IRQ_LINE";
	if (vm->ioevent)
		vb_log(VB_LOG_DEBUG, "virtio notifications: ioeventfd (%u doorbells), %s; %s",
		       vb_ioevent_count(vm->ioevent), irqs, lines);
	else
		vb_log(VB_LOG_DEBUG, "virtio notifications: exits (no KVM_CAP_IOEVENTFD), %s; %s",
		       irqs, lines);
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
	rc = start_msi(vm, err);
	if (!rc)
		rc = start_ioevent(vm, err);
	if (!rc)
		rc = attach_pc_devices(vm, err);
	/* The UART attached without the console (init_env): with console =
	 * "virtio" it goes to the virtio console, a graph device or implied. */
	if (vm->g->desc->console == VB_CONSOLE_VIRTIO)
		vm->env.console = vb_host_console_sink(&vm->console);
	if (!rc)
		rc = attach_graph_devices(vm, err);
	if (!rc && vm->g->desc->console == VB_CONSOLE_VIRTIO)
		rc = attach_virtio_console(vm, err);
	if (!rc && vm->ioevent)
		rc = vb_ioevent_start(vm->ioevent, &vm->confine, err);
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
	stop_msi(vm);
	vm->ioevent = NULL;
	vm->uart = NULL;
	vm->vcon = NULL;
	vm->vcon_gsi = 0;
	vm->balloon = NULL;
	vm->acpi_pm = NULL;
	vb_bus_free(&vm->mmio);
	vb_bus_free(&vm->pio);
}

/* ---- stage 7: kernel ---- */

/* Linux finds the CPUs, the IOAPIC and every device's interrupt line
 * through the ACPI tables or, with acpi = false or a kernel built without
 * ACPI, through the MP table, which is always written. Both go into the
 * BIOS area e820 marks reserved. */
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

/* Flat binaries (the tiny test guests) read no tables: building them
 * would only cost startup time. */
static int write_acpi_tables(struct vb_vm *vm, struct vb_err *err)
{
	if (!vm->g->acpi.enabled || vm->boot.kind == VB_X86_KERNEL_FLAT)
		return 0;
	uint8_t *area = vb_gmem_ptr(&vm->mem, VB_X86_ACPI_GPA, VB_X86_ACPI_AREA_BYTES);
	if (!area)
		return vb_err_set(err, ENOSPC, "ACPI tables: 0x%x+%u is not guest RAM",
				  VB_X86_ACPI_GPA, VB_X86_ACPI_AREA_BYTES);
	struct vb_x86_acpi_layout layout;
	return vb_machine_acpi_build(vm->g, area, VB_X86_ACPI_AREA_BYTES, &layout, err);
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
	rc = write_mptable(vm, err);
	if (!rc)
		rc = write_acpi_tables(vm, err);
	return rc;
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
		/* The irqchip is in the kernel (kvm.h's required capabilities). */
		if (vm->kvm.has_tsc_deadline)
			vb_x86_cpuid_offer_tsc_deadline(mine->entries, n);
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

static size_t console_input(void *ctx, const uint8_t *buf, size_t n)
{
	struct vb_vm *vm = ctx;
	if (vm->vcon)
		return vb_virtio_console_feed(vm->vcon, buf, n);
	return vm->uart ? vb_uart_feed(vm->uart, buf, n) : n;
}

static int open_console(struct vb_vm *vm, struct vb_err *err)
{
	if (vm->g->desc->console == VB_CONSOLE_NONE)
		return 0;
	const struct vb_host_console_input in = {
		.in_fd = vm->opts->console_in_fd,
		.tty = vm->g->desc->tty,
		.quiet = vm->opts->on_ready != NULL,
		.to_guest = console_input,
		.ctx = vm,
		.confine = &vm->confine,
	};
	return vb_host_console_open(&vm->console, &in, err);
}

static void close_console(struct vb_vm *vm)
{
	vb_host_console_close(&vm->console);
}

/* ---- stage 10: root ---- */

/* The console's pty is the user's to attach to (vmboot console). */
static int give_pty(struct vb_vm *vm, const struct vb_user *user, struct vb_err *err)
{
	if (!vb_host_console_pty(&vm->console))
		return 0;
	if (fchown(vm->console.pty.slave_fd, user->uid, (gid_t)-1) < 0)
		return vb_err_errno(err, errno, "%s: chown to %s", vm->console.pty.path, user->name);
	return 0;
}

/* With `user`, everything that needed root is open by now: the VM goes
 * on as that user (sandbox/privs.h), with no capability in any thread.
 * Nothing to undo: the teardown needs no root (it closes descriptors,
 * drops locks and removes the control socket, which is the user's:
 * publish_claim). */
static int give_up_root(struct vb_vm *vm, struct vb_err *err)
{
	struct vb_user user;
	if (!vm->g->desc->user)
		return 0;
	int rc = vb_privs_lookup_user(vm->g->desc->user, &user, err);
	if (!rc)
		rc = give_pty(vm, &user, err);
	if (!rc)
		rc = vb_privs_switch_user(&user, err);
	/* Threads that confine themselves from now on need nothing for it. */
	if (!rc)
		atomic_store(&vm->confine.user_switch_ahead, false);
	if (!rc && vm->opts->verbose)
		vb_log(VB_LOG_DEBUG, "running as %s (uid %u, gid %u)", user.name,
		       (unsigned)user.uid, (unsigned)user.gid);
	return rc;
}

/* ---- stage 11: the VM runs ---- */

/* Every part is built: the publisher may now use them all (vm.h). */
static int publish_running(struct vb_vm *vm, struct vb_err *err)
{
	const struct vb_vm_publisher *pub = vm->opts->publisher;
	(void)err;
	atomic_store(&vm->phase, VM_RUNNING);
	vm->control.fd = -1;
	if (pub)
		pub->running(pub->ctx, &vm->control);
	return 0;
}

/* Before the VM's parts go: from here the publisher says "stopping" and
 * uses none of them (its hook returns once no call that does is left). */
static void publish_stopping(struct vb_vm *vm)
{
	const struct vb_vm_publisher *pub = vm->opts->publisher;
	atomic_store(&vm->phase, VM_STOPPING);
	if (pub)
		pub->stopping(pub->ctx);
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
	{ "give up root", give_up_root, NULL },
	{ "answer on the control socket", publish_running, publish_stopping },
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

/* A port or MMIO access to the bus's device; a reset or poweroff it asked
 * for ends the run. */
static int dispatch(struct vb_vm *vm, struct vb_bus *bus, uint64_t addr, uint8_t *data,
		    uint32_t len, bool is_write, struct vb_err *err)
{
	vb_bus_dispatch(bus, addr, data, len, is_write);
	if (!atomic_load(&vm->stop_requested))
		return 0;
	vb_err_set(err, 0, "guest %s (%s 0x%llx)",
		   atomic_load(&vm->stop_poweroff) ? "powered off" : "reset", bus->name,
		   (unsigned long long)addr);
	return VB_EXIT_STOP;
}

static int handle_pio(void *ctx, uint16_t port, bool is_write, uint8_t *data, uint8_t size,
		      struct vb_err *err)
{
	return dispatch(ctx, &((struct vb_vm *)ctx)->pio, port, data, size, is_write, err);
}

static int handle_mmio(void *ctx, uint64_t addr, bool is_write, uint8_t *data, uint32_t len,
		       struct vb_err *err)
{
	return dispatch(ctx, &((struct vb_vm *)ctx)->mmio, addr, data, len, is_write, err);
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
	vb_host_console_note_if_quiet(&vm->console, vm->opts->quiet_note);
}

/* The run ends: a vCPU or the doorbell thread blocked writing guest
 * output to a stdout nobody reads must not hold the VM up. */
static void cancel_console_writes(void *ctx)
{
	struct vb_vm *vm = ctx;
	uint64_t one = 1;
	if (write(vm->console_cancel_fd, &one, sizeof(one)) < 0)
		vb_log(VB_LOG_DEBUG, "console: cancelling writes: %s", strerror(errno));
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
		.confine = &vm->confine,
		.ending = cancel_console_writes,
		.service = vm->control.fd >= 0 ? &vm->control : NULL,
	};
	struct vb_run_result res;
	int rc = vb_vcpu_run_all_ctl(vm->vcpus, vm->n_vcpus, &h, vm->vcpu_ctl, &res, err);
	if (rc) {
		if (res.action == VB_VCPU_FAIL && res.vcpu < vm->n_vcpus)
			describe_failure(vm, &vm->vcpus[res.vcpu], err);
		return rc;
	}
	memcpy(out->why, res.why.msg, sizeof(out->why));
	if (vb_host_console_quit_requested(&vm->console)) {
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
	vm->confine = confine_policy(graph);
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
	vm->console_cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->build_sig_fd < 0 || vm->abort_fd < 0 || vm->console_cancel_fd < 0)
		rc = vb_err_errno(err, errno, "build: %s", vm->build_sig_fd < 0 ? "signalfd" : "eventfd");
	vb_console_fd_open(&vm->stdout_fd, opts->console_out_fd, vm->console_cancel_fd);

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
	if (!rc && !interrupted && opts->on_ready) {
		opts->on_ready(opts->ready_ctx, vm->name, vb_host_console_pty(&vm->console));
		/* It may have pointed stdout elsewhere (run --detach lets go of
		 * the user's terminal): a description of the old pipe held on
		 * to would keep it open. No vCPU runs yet to write meanwhile. */
		vb_console_fd_close(&vm->stdout_fd);
		vb_console_fd_open(&vm->stdout_fd, opts->console_out_fd, vm->console_cancel_fd);
	}
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
	vb_console_fd_close(&vm->stdout_fd);
	if (vm->console_cancel_fd >= 0)
		close(vm->console_cancel_fd);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	free(vm);
	return rc;
}
