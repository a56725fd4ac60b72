#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/x86/cmdline.h"
#include "dev/alloc.h"
#include "machine/machine.h"
#include "parse/devtype.h"
#include "parse/schema.h"
#include "sandbox/sandbox.h"
#include "util/size.h"
#include "virtio/virtio.h"

/* virtio-mmio register windows sit at the bottom of the 32-bit gap, one
 * page each (the register block is 0x200 bytes; a page keeps them apart
 * for the MMU), below the PCI BAR window. */
#define VB_VIRTIO_MMIO_BASE VB_GAP_START_BYTES
#define VB_VIRTIO_MMIO_BYTES 0x1000ULL
/* Interrupt lines for virtio devices. ISA IRQs 0-15 carry the timer (0, 2),
 * keyboard (1), COM1 (4), RTC (8) and FPU (13); the rest are free here.
 * virtio-mmio devices must stay below 16: Linux, reading an MP table,
 * numbers IRQs 0-15 after their pins, so virtio_mmio.device=...:N on the
 * command line names pin N only there. PCI devices take the IOAPIC pins
 * 16-23 first (KVM's IOAPIC has 24), then what the ISA range has left. */
static const uint32_t isa_lines[] = { 5, 6, 7, 9, 10, 11, 12, 14, 15, 3 };
/* The 9p tag of a directory root disk (virtio/9p.h VB_VIRTIO_9P_ROOT_TAG:
 * resolve stays free of device headers). */
#define VB_DIR_ROOT_TAG "/dev/root"
#define VB_FIRST_PCI_GSI 16
#define VB_LAST_PCI_GSI 23

/* "address sizes\t: 46 bits physical, 48 bits virtual" (x86 /proc/cpuinfo,
 * the kernel's x86_phys_bits: already reduced by memory encryption, which
 * is what KVM maps against). 0 when there is no such line. */
static unsigned read_phys_bits(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return 0;
	char line[256];
	unsigned bits = 0;
	while (!bits && fgets(line, sizeof(line), f)) {
		const char *colon = strchr(line, ':');
		if (strncmp(line, "address sizes", 13) || !colon ||
		    sscanf(colon + 1, " %u bits physical", &bits) != 1 || bits > VB_MAX_PHYS_BITS)
			bits = 0;
	}
	fclose(f);
	return bits;
}

int vb_host_facts_read(struct vb_host_facts *facts)
{
	/* Callers may override what could not be read (--host-ram); an
	 * unknown address width is 0, the architectural maximum. */
	memset(facts, 0, sizeof(*facts));
	long pages = sysconf(_SC_PHYS_PAGES);
	long page_size = sysconf(_SC_PAGE_SIZE);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (pages <= 0 || page_size <= 0 || cpus <= 0)
		return -errno ? -errno : -EINVAL;
	facts->ram_bytes = (uint64_t)pages * (uint64_t)page_size;
	facts->cpus = (unsigned)cpus;
	facts->phys_bits = read_phys_bits();
	return 0;
}

const char *vb_ram_source_name(enum vb_ram_source source)
{
	switch (source) {
	case VB_RAM_FILE: return "file";
	case VB_RAM_DEFAULT: return "default";
	case VB_RAM_CAPPED: return "capped";
	}
	return "?";
}

enum vb_ram_source vb_ram_default(unsigned cpus, uint64_t host_ram_bytes,
				  uint64_t *ram_bytes)
{
	uint64_t want_mib = 64ULL * ((uint64_t)cpus + 3);
	uint64_t cap_mib = (host_ram_bytes >> 20) * 8 / 10;
	if (want_mib > cap_mib) {
		*ram_bytes = cap_mib << 20;
		return VB_RAM_CAPPED;
	}
	*ram_bytes = want_mib << 20;
	return VB_RAM_DEFAULT;
}

static const struct vb_legacy_device legacy[] = {
	{ "i8042", 0x60, 5, 1, "keyboard controller (reset for reboot=k)" },
	{ "rtc", 0x70, 2, 8, "CMOS real-time clock" },
	{ "uart", 0x3f8, 8, 4, "16550A UART, COM1" },
	{ "pci-host", 0xcf8, 8, -1, "PCI host bridge, configuration mechanism #1" },
};

const struct vb_legacy_device *vb_legacy_devices(size_t *count)
{
	*count = sizeof(legacy) / sizeof(legacy[0]);
	return legacy;
}

static void size_ram(const struct vb_machine_desc *desc, const struct vb_host_facts *host,
		     struct vb_machine_graph *g, struct vb_diags *diags)
{
	if (desc->memory_set) {
		struct vb_err err;
		g->ram_source = VB_RAM_FILE;
		if (vb_memmap_check_ram(desc->ram_bytes, host->phys_bits, &err)) {
			vb_diag_error(diags, desc->memory_loc, "memory: %s", err.msg);
			return;
		}
		g->ram_bytes = desc->ram_bytes;
		if (desc->ram_bytes > host->ram_bytes) {
			char want[32], have[32];
			vb_size_format(desc->ram_bytes, want, sizeof(want));
			vb_size_format((host->ram_bytes >> 20) << 20, have, sizeof(have));
			vb_diag_warning(diags, desc->memory_loc,
					"memory: %s is more than the host's %s of RAM", want, have);
		}
		return;
	}
	g->ram_source = vb_ram_default(g->cpus, host->ram_bytes, &g->ram_bytes);
	if (g->ram_bytes < VB_MIN_RAM_BYTES) {
		char have[32];
		vb_size_format((host->ram_bytes >> 20) << 20, have, sizeof(have));
		vb_diag_error(diags, (struct vb_loc){ .file = desc->source },
			      "memory: the default (80%% of the host's %s) is below the minimum of 64 MiB",
			      have);
	}
}

struct line_pool {
	bool used[VB_LAST_PCI_GSI + 1];
};

static bool take_isa_line(struct line_pool *pool, uint32_t *gsi)
{
	for (size_t i = 0; i < sizeof(isa_lines) / sizeof(isa_lines[0]); i++) {
		if (!pool->used[isa_lines[i]]) {
			pool->used[isa_lines[i]] = true;
			*gsi = isa_lines[i];
			return true;
		}
	}
	return false;
}

static bool take_line(struct line_pool *pool, bool pci, uint32_t *gsi)
{
	for (uint32_t g = VB_FIRST_PCI_GSI; pci && g <= VB_LAST_PCI_GSI; g++) {
		if (!pool->used[g]) {
			pool->used[g] = true;
			*gsi = g;
			return true;
		}
	}
	return take_isa_line(pool, gsi);
}

/* A disk whose path is a host directory is a 9p root filesystem, as in
 * kvmtool. This stat is the one file-system fact resolve reads itself:
 * the plan must show the root= words the guest will get. A path that
 * cannot be stat'ed is left to the disk device (and --check) to report. */
static bool is_directory(const char *path)
{
	struct stat st;
	return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Mark the directory root (a device whose type names a dir_root type and
 * whose path is a directory); there can be only one root, and no share of
 * the serving type may take its tag. */
static void find_dir_root(const struct vb_machine_desc *desc, struct vb_machine_graph *g,
			  struct vb_diags *diags)
{
	size_t root = SIZE_MAX;
	const struct vb_device_type *served_by = NULL;
	for (size_t i = 0; i < desc->n_devices; i++) {
		const struct vb_device_desc *d = &desc->devices[i];
		const char *path = vb_device_string(d, "path");
		if (!d->type->dir_root || !is_directory(path))
			continue;
		if (root != SIZE_MAX) {
			vb_diag_error(diags, vb_device_loc(d, "path"),
				      "devices[%zu].path: %s is a directory, and so is devices[%zu]'s: only one directory can be the root filesystem",
				      i, path, root);
			continue;
		}
		root = i;
		served_by = d->type->dir_root;
		g->devices[i].dir_root = true;
		g->devices[i].type = served_by;
	}
	for (size_t i = 0; root != SIZE_MAX && i < desc->n_devices; i++) {
		const struct vb_device_desc *d = &desc->devices[i];
		const char *tag = d->type == served_by ? vb_device_string(d, "tag") : NULL;
		if (tag && strcmp(tag, VB_DIR_ROOT_TAG) == 0)
			vb_diag_error(diags, vb_device_loc(d, "tag"),
				      "devices[%zu].tag: \"%s\" is the tag of the root directory devices[%zu]",
				      i, tag, root);
	}
}

static bool has_console_device(const struct vb_machine_desc *desc)
{
	for (size_t i = 0; i < desc->n_devices; i++)
		if (desc->devices[i].type->guest_console)
			return true;
	return false;
}

/* console = "virtio" without a console device: the builder adds one on
 * PCI (vm.c), and it needs a slot and a line like any graph device. */
static void place_implied_console(const struct vb_machine_desc *desc, struct vb_machine_graph *g,
				  unsigned next_slot, struct line_pool *pool,
				  struct vb_diags *diags)
{
	if (desc->console != VB_CONSOLE_VIRTIO || has_console_device(desc))
		return;
	struct vb_loc loc = desc->console_loc.file ? desc->console_loc
						   : (struct vb_loc){ .file = desc->source };
	g->console.present = true;
	g->console.pci_slot = next_slot;
	if (next_slot > 31)
		vb_diag_error(diags, loc,
			      "console: the virtio console needs a PCI slot and the devices take all 31");
	if (!take_line(pool, true, &g->console.gsi))
		vb_diag_error(diags, loc,
			      "console: the virtio console needs an interrupt line and the devices take all %zu",
			      sizeof(isa_lines) / sizeof(isa_lines[0]) + VB_LAST_PCI_GSI -
				      VB_FIRST_PCI_GSI + 1);
}

/* With ACPI the power button is a GED device with an edge-triggered line
 * of its own (arch/x86/acpi.h), taken after every device's. */
static void place_power_button(const struct vb_machine_desc *desc, struct vb_machine_graph *g,
			       struct line_pool *pool, struct vb_diags *diags)
{
	g->acpi.enabled = desc->acpi;
	if (!desc->acpi)
		return;
	struct vb_loc loc = desc->acpi_loc.file ? desc->acpi_loc
						: (struct vb_loc){ .file = desc->source };
	if (!take_line(pool, true, &g->acpi.ged_gsi))
		vb_diag_error(diags, loc,
			      "acpi: the power button needs an interrupt line and the devices take all %zu; "
			      "remove a device or set acpi = false",
			      sizeof(isa_lines) / sizeof(isa_lines[0]) + VB_LAST_PCI_GSI -
				      VB_FIRST_PCI_GSI + 1);
}

/* How many devices of devices[i]'s type come before it: its default
 * name's number ("disk1"). */
static unsigned index_of_type(const struct vb_machine_desc *desc, size_t i)
{
	unsigned n = 0;
	for (size_t j = 0; j < i; j++)
		n += desc->devices[j].type == desc->devices[i].type;
	return n;
}

static void name_devices(const struct vb_machine_desc *desc, struct vb_machine_graph *g,
			 struct vb_diags *diags)
{
	unsigned next_slot = 1; /* 00:00.0 is the host bridge */
	uint64_t next_mmio = VB_VIRTIO_MMIO_BASE;
	struct line_pool pool = { { false } };

	for (size_t i = 0; i < desc->n_devices; i++) {
		const struct vb_device_desc *d = &desc->devices[i];
		struct vb_device_node *n = &g->devices[i];
		n->desc = d;
		n->type = d->type;
		if (d->id)
			snprintf(n->id, sizeof(n->id), "%s", d->id);
		else
			snprintf(n->id, sizeof(n->id), "%s%u", d->type->name, index_of_type(desc, i));
		bool virtio = d->type->virtio;
		bool mmio = virtio && d->transport == VB_TRANSPORT_MMIO;
		if (!mmio) {
			/* 32 device numbers on bus 0, one taken by the host bridge. */
			if (next_slot > 31)
				vb_diag_error(diags, d->loc, "devices[%zu]: no free PCI slot (31 at most)", i);
			n->pci_slot = next_slot++;
		} else {
			n->mmio_base = next_mmio;
			n->mmio_bytes = VB_VIRTIO_MMIO_BYTES;
			next_mmio += VB_VIRTIO_MMIO_BYTES;
		}
		if (virtio && !take_line(&pool, !mmio, &n->gsi))
			vb_diag_error(diags, d->loc,
				      "devices[%zu]: no free interrupt line (%zu for MMIO devices, %zu in all)",
				      i, sizeof(isa_lines) / sizeof(isa_lines[0]),
				      sizeof(isa_lines) / sizeof(isa_lines[0]) + VB_LAST_PCI_GSI -
					      VB_FIRST_PCI_GSI + 1);
	}
	g->n_devices = desc->n_devices;
	find_dir_root(desc, g, diags);
	place_implied_console(desc, g, next_slot, &pool, diags);
	place_power_button(desc, g, &pool, diags);
}

/* A type's reserve or place hook for devices[i], its BARs kept in the
 * graph. */
static void type_bars(vb_device_place_fn *hook, const struct vb_device_desc *d, size_t i,
		      struct vb_device_node *n, struct vb_alloc *a, struct vb_diags *diags)
{
	struct vb_device_bars bars = { n->bar_base, n->bar_bytes, n->reg_base };
	hook(d, i, n->id, a, &bars, diags);
	n->bar_base = bars.bar_base;
	n->bar_bytes = bars.bar_bytes;
	n->reg_base = bars.reg_base;
}

/* The fixed ranges: the virtio-mmio windows name_devices put at the
 * bottom of the PCI window, and those the file places (a type's reserve:
 * shmem regions at their address). */
static void reserve_fixed(const struct vb_machine_desc *desc, struct vb_machine_graph *g,
			  struct vb_alloc *a, struct vb_diags *diags)
{
	struct vb_err err;
	for (size_t i = 0; i < g->n_devices; i++) {
		struct vb_device_node *n = &g->devices[i];
		const struct vb_device_desc *d = &desc->devices[i];
		if (n->mmio_bytes && vb_alloc_mmio_reserve(a, n->mmio_base, n->mmio_bytes, n->id, &err))
			vb_diag_error(diags, d->loc, "devices[%zu]: %s", i, err.msg);
		if (d->type->reserve)
			type_bars(d->type->reserve, d, i, n, a, diags);
	}
}

/* One PCI device's BARs, in the order the device takes them: a virtio
 * device's one BAR, or what its type's place hook allocates. */
static void place_bars(const struct vb_device_desc *d, size_t i, struct vb_device_node *n,
		       struct vb_alloc *a, struct vb_diags *diags)
{
	struct vb_err err;
	if (!d->type->virtio) {
		if (d->type->place)
			type_bars(d->type->place, d, i, n, a, diags);
		return;
	}
	n->bar_bytes = VB_VIRTIO_PCI_BAR_BYTES;
	if (vb_alloc_mmio(a, n->bar_bytes, 0, n->id, &n->bar_base, &err))
		vb_diag_error(diags, d->loc, "devices[%zu]: %s", i, err.msg);
}

/* The machine's MMIO map, laid out once with the builder's allocator
 * (dev/alloc.h): fixed ranges first, then every PCI BAR in device order,
 * then the implied virtio console's. The devices reserve exactly these
 * ranges at attach, so whatever the allocator would refuse at run (a
 * region outside the window, overlapping another, or no room) is a
 * located error here. */
static void place_mmio(const struct vb_machine_desc *desc, struct vb_machine_graph *g,
		       struct vb_diags *diags)
{
	struct vb_alloc a;
	struct vb_err err;
	vb_alloc_init(&a);
	reserve_fixed(desc, g, &a, diags);
	for (size_t i = 0; i < g->n_devices; i++)
		if (!g->devices[i].mmio_bytes)
			place_bars(&desc->devices[i], i, &g->devices[i], &a, diags);
	if (g->console.present &&
	    vb_alloc_mmio(&a, VB_VIRTIO_PCI_BAR_BYTES, 0, "console", &g->console.bar_base, &err))
		vb_diag_error(diags, desc->console_loc.file ? desc->console_loc
							    : (struct vb_loc){ .file = desc->source },
			      "console: %s", err.msg);
}

/* Device words (virtio-mmio announcements, a directory root) go before
 * the user's params, so the user has the last word on every parameter. */
static int build_cmdline(const struct vb_machine_desc *desc, struct vb_machine_graph *g,
			 struct vb_diags *diags)
{
	char extra[VB_X86_CMDLINE_MAX] = "";
	size_t used = 0;
	for (size_t i = 0; i < g->n_devices; i++) {
		const struct vb_device_node *n = &g->devices[i];
		/* With ACPI the DSDT names them (LNRO0005), for kernels built
		 * without CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES too. */
		if (!n->mmio_bytes || g->acpi.enabled)
			continue;
		used += (size_t)snprintf(extra + used, used < sizeof(extra) ? sizeof(extra) - used : 0,
					 "%svirtio_mmio.device=%llu@0x%llx:%u", used ? " " : "",
					 (unsigned long long)n->mmio_bytes,
					 (unsigned long long)n->mmio_base, n->gsi);
	}
	for (size_t i = 0; i < g->n_devices; i++) {
		const struct vb_device_node *n = &g->devices[i];
		/* Linux mounts root=NAME with rootfstype=9p by handing NAME to
		 * 9p as the mount source, which 9p takes as the virtio tag;
		 * cache=loose lets the guest cache what only it changes. */
		if (n->dir_root && used < sizeof(extra))
			used += (size_t)snprintf(extra + used, sizeof(extra) - used,
						 "%sroot=%s rootfstype=9p rootflags=trans=virtio,version=9p2000.L,cache=loose %s",
						 used ? " " : "", VB_DIR_ROOT_TAG,
						 vb_device_bool(n->desc, "readonly") ? "ro" : "rw");
	}
	if (used < sizeof(extra) && desc->params && desc->params[0])
		used += (size_t)snprintf(extra + used, sizeof(extra) - used, "%s%s",
					 used ? " " : "", desc->params);

	g->cmdline = malloc(VB_X86_CMDLINE_MAX);
	if (!g->cmdline)
		return -ENOMEM;
	struct vb_err err;
	int rc = used >= sizeof(extra) ? -E2BIG : 0;
	if (!rc)
		rc = vb_x86_cmdline_build(desc->console, g->acpi.enabled, extra, VB_X86_CMDLINE_MAX_LEN,
					  g->cmdline, VB_X86_CMDLINE_MAX, &err);
	if (rc == -E2BIG || rc == -ENOSPC) {
		struct vb_loc loc = desc->params ? desc->params_loc
						 : (struct vb_loc){ .file = desc->source };
		vb_diag_error(diags, loc,
			      "params: the kernel command line would be longer than the %u bytes the kernel accepts",
			      VB_X86_CMDLINE_MAX_LEN);
		g->cmdline[0] = 0;
		return 0;
	}
	if (rc) {
		vb_diag_error(diags, (struct vb_loc){ .file = desc->source }, "%s", err.msg);
		g->cmdline[0] = 0;
	}
	return 0;
}

int vb_resolve(const struct vb_machine_desc *desc, const struct vb_host_facts *host,
	       struct vb_machine_graph *g, struct vb_diags *diags)
{
	size_t errors_before = diags->errors;
	memset(g, 0, sizeof(*g));
	g->desc = desc;
	g->name = desc->name;
	g->host_ram_bytes = host->ram_bytes;
	g->cpus = desc->cpus_set ? desc->cpus : host->cpus;
	g->cpus_from_host = !desc->cpus_set;
	if (g->cpus < 1)
		g->cpus = 1;
	if (g->cpus > VB_MAX_CPUS) {
		if (desc->cpus_set)
			vb_diag_error(diags, desc->cpus_loc, "cpus: at most %d", VB_MAX_CPUS);
		g->cpus = VB_MAX_CPUS;
	}

	size_ram(desc, host, g, diags);
	if (g->ram_bytes)
		vb_memmap_compute(g->ram_bytes, &g->memmap);

	g->devices = calloc(desc->n_devices ? desc->n_devices : 1, sizeof(*g->devices));
	if (!g->devices)
		return -ENOMEM;
	name_devices(desc, g, diags);
	place_mmio(desc, g, diags);
	g->host_phys_bits = host->phys_bits;

	if (build_cmdline(desc, g, diags)) {
		vb_graph_free(g);
		return -ENOMEM;
	}
	if (diags->errors > errors_before) {
		vb_graph_free(g);
		return -EINVAL;
	}
	return 0;
}

unsigned vb_graph_sandbox_needs(const struct vb_machine_graph *g)
{
	unsigned needs = 0;
	for (size_t i = 0; i < g->n_devices; i++)
		needs |= g->devices[i].type->sandbox_needs;
	return needs;
}

bool vb_graph_serves_host_files(const struct vb_machine_graph *g)
{
	return vb_graph_sandbox_needs(g) & VB_SANDBOX_NEEDS_HOST_FILES;
}

void vb_graph_free(struct vb_machine_graph *g)
{
	free(g->devices);
	free(g->cmdline);
	memset(g, 0, sizeof(*g));
}
