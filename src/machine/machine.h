/* The machine graph: a description resolved against host facts.
 *
 * vb_resolve() is pure: it sizes RAM (kvmtool's rule made exact), computes
 * the memory map once, names the devices and assigns their resources, and
 * assembles the final kernel command line. Host facts come in through
 * struct vb_host_facts, read by vb_host_facts_read() (sysconf) in
 * production and injected by --host-ram/--host-cpus and the tests, so
 * --plan and --check never need /dev/kvm.
 *
 * Every rule the builder enforces on the machine and can know without
 * /dev/kvm is checked here or before (validate) with a location, and the
 * builder trusts the graph: RAM that fits this host's address widths
 * (memmap.h), a PCI slot and interrupt line for every device, and the
 * whole MMIO map (virtio-mmio windows, PCI BARs, shmem regions) laid out
 * with the builder's own allocator. util/refusal.h lists the rules.
 *
 * The graph borrows strings from the description: keep the description
 * alive while the graph is used; vb_graph_free() frees only what resolve
 * allocated. */
#ifndef VB_MACHINE_MACHINE_H
#define VB_MACHINE_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mem/memmap.h"
#include "parse/desc.h"
#include "util/diag.h"

struct vb_host_facts {
	uint64_t ram_bytes; /* _SC_PHYS_PAGES x _SC_PAGE_SIZE */
	unsigned cpus;      /* online CPUs */
	/* Physical address bits of the host's CPUs (/proc/cpuinfo "address
	 * sizes"): KVM maps no guest memory above them. 0: unknown, taken
	 * as the x86-64 maximum of 52. */
	unsigned phys_bits;
};

/* Reads the real host. Returns 0 or -errno. */
int vb_host_facts_read(struct vb_host_facts *facts);

enum vb_ram_source {
	VB_RAM_FILE,    /* memory = ... in the file or -m */
	VB_RAM_DEFAULT, /* 64 MiB x (cpus + 3) */
	VB_RAM_CAPPED,  /* the default, capped at 80% of host RAM */
};

const char *vb_ram_source_name(enum vb_ram_source source);

/* kvmtool's default: 64 MiB x (cpus + 3), capped at 80% of host RAM (host
 * RAM counted in whole MiB). Sets *ram_bytes and returns where it came from. */
enum vb_ram_source vb_ram_default(unsigned cpus, uint64_t host_ram_bytes,
				  uint64_t *ram_bytes);

/* Fixed PC devices every machine has. */
struct vb_legacy_device {
	const char *name;
	uint16_t port;
	uint16_t ports;     /* number of consecutive ports */
	int irq;            /* -1: none */
	const char *what;
};

const struct vb_legacy_device *vb_legacy_devices(size_t *count);

struct vb_device_node {
	const struct vb_device_desc *desc;
	/* The type that serves it: its own, or the one a directory root
	 * disk is served by (dir_root below). */
	const struct vb_device_type *type;
	char id[VB_NAME_MAX + 1];
	unsigned pci_slot;      /* PCI transport: device number on bus 0 */
	uint64_t mmio_base;     /* MMIO transport: register window */
	uint64_t mmio_bytes;
	uint32_t gsi;           /* interrupt line (virtio devices) */
	/* PCI: the memory BAR resolve placed, which the device reserves: a
	 * virtio-pci device's registers, a shmem device's memory (BAR2). */
	uint64_t bar_base;
	uint64_t bar_bytes;
	uint64_t reg_base;      /* shmem: its register BAR (BAR0) */
	/* A device whose path is a directory and whose type names a
	 * dir_root type (a disk: parse/devtype.h): served by that type
	 * (virtio-9p, with the tag "/dev/root") and mounted as the root
	 * filesystem (resolve.c). */
	bool dir_root;
};

struct vb_machine_graph {
	const struct vb_machine_desc *desc;
	const char *name;
	unsigned cpus;
	bool cpus_from_host;
	uint64_t ram_bytes;
	enum vb_ram_source ram_source;
	uint64_t host_ram_bytes;
	struct vb_memmap memmap;
	struct vb_device_node *devices;
	size_t n_devices;
	/* console = "virtio" without a console device: the virtio console
	 * the builder adds, on PCI, placed here like any device. */
	struct vb_implied_console {
		bool present;
		unsigned pci_slot;
		uint32_t gsi;
		uint64_t bar_base;
	} console;
	/* ACPI tables (machine file's acpi, default true; built for Linux
	 * kernels, not flat binaries): the power button's line (GED). */
	struct vb_graph_acpi {
		bool enabled;
		uint32_t ged_gsi;
	} acpi;
	unsigned host_phys_bits;  /* as in struct vb_host_facts */
	char *cmdline;
	/* Shown for the initrd when the machine file names none but vmboot
	 * supplies one (the zero-config default); borrowed, may be NULL. */
	const char *initrd_label;
	/* The guest's init is vmboot's own (the zero-config default): it has
	 * no power-button handler, and Ctrl-Alt-Del resets it at once. */
	bool vmboot_init;
};

/* Adds located errors and warnings to diags; returns 0, or -EINVAL when
 * it added errors (-ENOMEM when out of memory). On success free the graph
 * with vb_graph_free(). desc is one the schema accepted (every device has
 * its type, parse/devtype.h), whose type's hooks place it. */
int vb_resolve(const struct vb_machine_desc *desc, const struct vb_host_facts *host,
	       struct vb_machine_graph *graph, struct vb_diags *diags);
void vb_graph_free(struct vb_machine_graph *graph);

/* A device of the graph serves host files for the guest (a 9P share):
 * then a root-started VM keeps root's file access (sandbox/privs.h). */
bool vb_graph_serves_host_files(const struct vb_machine_graph *graph);

/* What the graph's devices do on vmboot's threads (enum vb_sandbox_needs,
 * sandbox/sandbox.h): which seccomp programs the threads load. */
unsigned vb_graph_sandbox_needs(const struct vb_machine_graph *graph);

/* --plan output: for a person, and as one JSON object. */
void vb_plan_print_text(const struct vb_machine_graph *graph, FILE *out);
void vb_plan_print_json(const struct vb_machine_graph *graph, FILE *out);

#endif
