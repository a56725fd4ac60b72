/* --plan: the resolved machine, for a person and as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/mptable.h"
#include "machine/acpi.h"
#include "machine/machine.h"
#include "parse/devtype.h"
#include "util/json.h"
#include "util/size.h"
#include "virtio/virtio.h"

static void print_size(FILE *out, uint64_t bytes)
{
	char buf[32];
	vb_size_format(bytes, buf, sizeof(buf));
	fputs(buf, out);
}

/* The type serving the node: a directory root disk is served by 9p. */
static const char *device_model(const struct vb_device_node *n)
{
	return n->type->model;
}

/* Whether a plan field's key holds a number (UINT, SIZE) rather than a
 * string or a choice. */
static bool is_number(const struct vb_device_type *t, const char *key)
{
	for (size_t i = 0; i < t->n_keys; i++)
		if (!strcmp(t->keys[i].name, key))
			return t->keys[i].type == VB_KEY_UINT || t->keys[i].type == VB_KEY_SIZE;
	return false;
}

/* The type's plan fields (devtype.h) that have a value, after the
 * placement, as text on out or as JSON members on w (the other NULL);
 * then whether the guest may write, which every device reports. */
static void plan_fields(const struct vb_device_desc *d, unsigned cpus, FILE *out,
			struct vb_json *w)
{
	for (size_t i = 0; i < d->type->n_plan; i++) {
		const struct vb_plan_field *f = &d->type->plan[i];
		const char *name = out ? f->text_prefix : f->json_name;
		const char *text = vb_device_string(d, f->key);
		bool number = f->number ||
			      (is_number(d->type, f->key) && vb_device_is_set(d, f->key));
		uint64_t value = f->number ? f->number(d, cpus) : vb_device_number(d, f->key);
		if (!name || (!text && !number))
			continue;
		if (out && number)
			fprintf(out, "%s%llu", name, (unsigned long long)value);
		else if (out)
			fprintf(out, "%s%s", name, text);
		else if (number)
			vb_json_key_u64(w, name, value);
		else
			vb_json_key_string(w, name, text);
	}
	if (out && vb_device_bool(d, "readonly"))
		fputs("  read-only", out);
	if (w)
		vb_json_key_bool(w, "readonly", vb_device_bool(d, "readonly"));
}

/* Values from flags carry the flag's name as their location's file. */
static const char *origin(const struct vb_machine_graph *g, struct vb_loc loc)
{
	bool from_file = g->desc->source && loc.file && !strcmp(loc.file, g->desc->source);
	return from_file ? "from the machine file" : "from the command line";
}

/* What the threads give up once the VM is built (sandbox/sandbox.h). */
static void print_confinement(const struct vb_machine_graph *g, FILE *out)
{
	fputs("\nconfinement\n", out);
	fputs(g->desc->seccomp ? "  seccomp filter per thread kind, no_new_privs\n"
			       : "  no seccomp filter (seccomp = false: unsafe), no_new_privs\n",
	      out);
	if (g->desc->user)
		fprintf(out, "  runs as %s once built: no capabilities\n", g->desc->user);
	else if (vb_graph_serves_host_files(g))
		fputs("  started as root: keeps CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER"
		      " (9P shares), no other capability\n", out);
	else
		fputs("  started as root: no capabilities once built\n", out);
}

static void print_ram_origin(const struct vb_machine_graph *g, FILE *out)
{
	switch (g->ram_source) {
	case VB_RAM_FILE:
		fputs(origin(g, g->desc->memory_loc), out);
		break;
	case VB_RAM_DEFAULT:
		fprintf(out, "default: 64 MiB x (%u cpus + 3)", g->cpus);
		break;
	case VB_RAM_CAPPED:
		fprintf(out, "default 64 MiB x (%u cpus + 3) capped at 80%% of host RAM (%llu MiB)",
			g->cpus, (unsigned long long)(g->host_ram_bytes >> 20));
		break;
	}
}

static void print_device_text(const struct vb_device_node *n, unsigned cpus, FILE *out)
{
	const struct vb_device_desc *d = n->desc;
	fprintf(out, "  %-10s %-14s ", n->id, device_model(n));
	if (n->mmio_bytes)
		fprintf(out, "mmio 0x%llx-0x%llx gsi %u", (unsigned long long)n->mmio_base,
			(unsigned long long)(n->mmio_base + n->mmio_bytes - 1), n->gsi);
	else
		fprintf(out, "pci 00:%02x.0", n->pci_slot);
	if (n->gsi && !n->mmio_bytes)
		fprintf(out, " gsi %u", n->gsi);
	/* Its queues signal MSI-X messages where KVM routes them (every
	 * hardware-virtualization KVM); the gsi is for a driver without. */
	if (!n->mmio_bytes && n->type->virtio)
		fputs(" msi-x", out);
	if (n->bar_bytes)
		fprintf(out, " bar 0x%llx-0x%llx", (unsigned long long)n->bar_base,
			(unsigned long long)(n->bar_base + n->bar_bytes - 1));
	if (n->reg_base)
		fprintf(out, " regs 0x%llx", (unsigned long long)n->reg_base);
	plan_fields(d, cpus, out, NULL);
	fputc('\n', out);
}

/* How the guest learns the machine: the ACPI tables and what the DSDT
 * says, or the MP table alone. */
static void print_platform_text(const struct vb_machine_graph *g, FILE *out)
{
	if (!g->acpi.enabled) {
		fprintf(out, "\nplatform    MP table at 0x%x (acpi = false; acpi=off on the command line)\n",
			VB_X86_MPTABLE_GPA);
		return;
	}
	fputs("\nplatform    ACPI, hardware-reduced (for Linux kernels; the MP table too)\n", out);
	uint8_t *buf;
	struct vb_x86_acpi_layout layout;
	struct vb_err err = { "" };
	if (vb_machine_acpi_scratch(g, &buf, &layout, &err)) {
		fprintf(out, "  (no tables: %s)\n", err.msg);
		return;
	}
	free(buf);
	for (size_t i = 0; i < layout.n_tables; i++)
		fprintf(out, "  %-4s  0x%x  %u bytes\n", layout.tables[i].signature,
			layout.tables[i].gpa, layout.tables[i].bytes);
	fputs("  DSDT describes\n", out);
	for (size_t i = 0; i < layout.n_nodes; i++)
		fprintf(out, "    %-12s %-9s %s\n", layout.nodes[i].path, layout.nodes[i].hid,
			layout.nodes[i].what);
}

void vb_plan_print_text(const struct vb_machine_graph *g, FILE *out)
{
	const struct vb_memmap *m = &g->memmap;
	fprintf(out, "machine %s", g->name);
	if (g->desc->source)
		fprintf(out, " (%s)", g->desc->source);
	fprintf(out, "\n\ncpus        %u (%s)\n", g->cpus,
		g->cpus_from_host ? "default: online host CPUs" : origin(g, g->desc->cpus_loc));
	fputs("memory      ", out);
	print_size(out, g->ram_bytes);
	fputs(" (", out);
	print_ram_origin(g, out);
	fputs(")\n", out);

	fputs("\nhost mapping\n  ", out);
	print_size(out, m->mmap_bytes);
	fputs(" anonymous, MADV_MERGEABLE", out);
	if (!g->desc->hugepages_set)
		fputs(", MADV_HUGEPAGE where the kernel has THP (2 MiB aligned)", out);
	else if (g->desc->hugepages)
		fputs(", MADV_HUGEPAGE (2 MiB aligned)", out);
	fputc('\n', out);
	if (m->has_gap)
		fprintf(out, "  gap [0x%llx, 0x%llx) PROT_NONE (768 MiB, the 32-bit PCI hole)\n",
			(unsigned long long)m->gap_start,
			(unsigned long long)(m->gap_start + m->gap_size));
	else
		fputs("  no gap (RAM ends below 3328 MiB)\n", out);

	fputs("\nmemory slots\n", out);
	for (unsigned i = 0; i < m->n_slots; i++) {
		const struct vb_slot *s = &m->slots[i];
		fprintf(out, "  slot %u  guest [0x%llx, 0x%llx)  ", s->slot,
			(unsigned long long)s->guest_phys_addr,
			(unsigned long long)(s->guest_phys_addr + s->size_bytes));
		print_size(out, s->size_bytes);
		fprintf(out, "  host offset 0x%llx\n", (unsigned long long)s->host_offset);
	}

	print_confinement(g, out);

	fputs("\ndevices\n", out);
	size_t n_legacy;
	const struct vb_legacy_device *legacy = vb_legacy_devices(&n_legacy);
	for (size_t i = 0; i < n_legacy; i++) {
		fprintf(out, "  %-10s %-14s ioport 0x%x-0x%x", legacy[i].name, "legacy",
			legacy[i].port, legacy[i].port + legacy[i].ports - 1);
		if (legacy[i].irq >= 0)
			fprintf(out, " irq %d", legacy[i].irq);
		fprintf(out, "  %s\n", legacy[i].what);
	}
	for (size_t i = 0; i < g->n_devices; i++)
		print_device_text(&g->devices[i], g->cpus, out);
	if (g->console.present)
		fprintf(out, "  %-10s %-14s pci 00:%02x.0 gsi %u msi-x bar 0x%llx-0x%llx  console = virtio\n",
			"console", "virtio-console", g->console.pci_slot, g->console.gsi,
			(unsigned long long)g->console.bar_base,
			(unsigned long long)(g->console.bar_base + VB_VIRTIO_PCI_BAR_BYTES - 1));

	if (g->acpi.enabled)
		fprintf(out, "  %-10s %-14s ioport 0x%x-0x%x irq %u  ACPI sleep and reset registers, power button\n",
			"acpi-pm", "legacy", VB_X86_ACPI_PM_PORT,
			VB_X86_ACPI_PM_PORT + VB_X86_ACPI_PM_PORTS - 1, g->acpi.ged_gsi);

	print_platform_text(g, out);

	fputs("\nvcpus\n", out);
	for (unsigned i = 0; i < g->cpus; i++)
		fprintf(out, "  vcpu %u  apic id %u%s\n", i, i, i == 0 ? " (boot CPU)" : "");

	fprintf(out, "\nkernel      %s\n", g->desc->kernel ? g->desc->kernel : "(none)");
	fprintf(out, "initrd      %s\n", g->desc->initrd       ? g->desc->initrd
					 : g->initrd_label ? g->initrd_label
							   : "(none)");
	fprintf(out, "console     %s%s\n", vb_console_name(g->desc->console),
		g->desc->tty ? " on a new pty" : "");
	fprintf(out, "cmdline     %s\n", g->cmdline);
}

static void json_device(const struct vb_device_node *n, unsigned cpus, struct vb_json *w)
{
	const struct vb_device_desc *d = n->desc;
	char pci[16];
	vb_json_begin_object(w);
	vb_json_key_string(w, "id", n->id);
	vb_json_key_string(w, "type", d->type->name);
	vb_json_key_string(w, "model", device_model(n));
	if (n->mmio_bytes) {
		vb_json_key_string(w, "transport", "mmio");
		vb_json_key_u64(w, "mmio_base", n->mmio_base);
		vb_json_key_u64(w, "mmio_size", n->mmio_bytes);
	} else {
		snprintf(pci, sizeof(pci), "00:%02x.0", n->pci_slot);
		vb_json_key_string(w, "transport", "pci");
		vb_json_key_string(w, "pci", pci);
	}
	vb_json_key_u64(w, "gsi", n->gsi);
	if (n->bar_bytes) {
		vb_json_key_u64(w, "bar_base", n->bar_base);
		vb_json_key_u64(w, "bar_size", n->bar_bytes);
	}
	if (n->reg_base)
		vb_json_key_u64(w, "reg_base", n->reg_base);
	plan_fields(d, cpus, NULL, w);
	vb_json_end_object(w);
}

static void json_memmap(const struct vb_memmap *m, struct vb_json *w)
{
	vb_json_key_u64(w, "mmap_bytes", m->mmap_bytes);
	vb_json_key(w, "gap");
	if (m->has_gap) {
		vb_json_begin_object(w);
		vb_json_key_u64(w, "start", m->gap_start);
		vb_json_key_u64(w, "size", m->gap_size);
		vb_json_end_object(w);
	} else {
		vb_json_null(w);
	}
	vb_json_key(w, "slots");
	vb_json_begin_array(w);
	for (unsigned i = 0; i < m->n_slots; i++) {
		const struct vb_slot *s = &m->slots[i];
		vb_json_begin_object(w);
		vb_json_key_u64(w, "slot", s->slot);
		vb_json_key_u64(w, "guest_phys_addr", s->guest_phys_addr);
		vb_json_key_u64(w, "size", s->size_bytes);
		vb_json_key_u64(w, "host_offset", s->host_offset);
		vb_json_end_object(w);
	}
	vb_json_end_array(w);
}

/* "acpi": null without ACPI, else its tables (by signature, in guest
 * memory order) and the DSDT's objects. */
static void json_acpi(const struct vb_machine_graph *g, struct vb_json *w)
{
	uint8_t *buf = NULL;
	struct vb_x86_acpi_layout layout;
	struct vb_err err = { "" };
	vb_json_key(w, "acpi");
	if (!g->acpi.enabled || vb_machine_acpi_scratch(g, &buf, &layout, &err)) {
		vb_json_null(w);
		return;
	}
	free(buf);
	vb_json_begin_object(w);
	vb_json_key_u64(w, "ged_gsi", g->acpi.ged_gsi);
	vb_json_key(w, "tables");
	vb_json_begin_object(w);
	for (size_t i = 0; i < layout.n_tables; i++) {
		vb_json_key(w, layout.tables[i].signature);
		vb_json_begin_object(w);
		vb_json_key_u64(w, "address", layout.tables[i].gpa);
		vb_json_key_u64(w, "length", layout.tables[i].bytes);
		vb_json_end_object(w);
	}
	vb_json_end_object(w);
	vb_json_key(w, "dsdt");
	vb_json_begin_array(w);
	for (size_t i = 0; i < layout.n_nodes; i++) {
		vb_json_begin_object(w);
		vb_json_key_string(w, "path", layout.nodes[i].path);
		vb_json_key_string(w, "hid", layout.nodes[i].hid);
		vb_json_key_string(w, "what", layout.nodes[i].what);
		vb_json_end_object(w);
	}
	vb_json_end_array(w);
	vb_json_end_object(w);
}

static void json_console_device(const struct vb_machine_graph *g, struct vb_json *w)
{
	char pci[16];
	snprintf(pci, sizeof(pci), "00:%02x.0", g->console.pci_slot);
	vb_json_key(w, "console_device");
	vb_json_begin_object(w);
	vb_json_key_string(w, "pci", pci);
	vb_json_key_u64(w, "gsi", g->console.gsi);
	vb_json_key_u64(w, "bar_base", g->console.bar_base);
	vb_json_key_u64(w, "bar_size", VB_VIRTIO_PCI_BAR_BYTES);
	vb_json_end_object(w);
}

void vb_plan_print_json(const struct vb_machine_graph *g, FILE *out)
{
	struct vb_json w;
	vb_json_init_file(&w, out, VB_JSON_COMPACT);
	vb_json_begin_object(&w);
	vb_json_key_string(&w, "name", g->name);
	vb_json_key_u64(&w, "cpus", g->cpus);
	vb_json_key_u64(&w, "ram_mib", g->ram_bytes >> 20);
	vb_json_key_string(&w, "ram_source", vb_ram_source_name(g->ram_source));
	json_memmap(&g->memmap, &w);
	vb_json_key(&w, "devices");
	vb_json_begin_array(&w);
	for (size_t i = 0; i < g->n_devices; i++)
		json_device(&g->devices[i], g->cpus, &w);
	vb_json_end_array(&w);
	if (g->console.present)
		json_console_device(g, &w);
	vb_json_key_string(&w, "kernel", g->desc->kernel);
	vb_json_key_string(&w, "initrd", g->desc->initrd);
	vb_json_key_bool(&w, "initrd_in_memory", !g->desc->initrd && g->initrd_label);
	vb_json_key_string(&w, "console", vb_console_name(g->desc->console));
	if (g->desc->hugepages_set)
		vb_json_key_bool(&w, "hugepages", g->desc->hugepages);
	else
		vb_json_key_string(&w, "hugepages", "if available");
	vb_json_key_bool(&w, "seccomp", g->desc->seccomp);
	vb_json_key_string(&w, "user", g->desc->user);
	json_acpi(g, &w);
	vb_json_key_string(&w, "cmdline", g->cmdline);
	vb_json_end_object(&w);
	/* As the text form: a failed write shows in the stream's error. */
	(void)vb_json_finish(&w);
}
