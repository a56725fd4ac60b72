/* --plan: the resolved machine, for a person and as JSON. */
#include <stdio.h>
#include <string.h>

#include "machine/machine.h"
#include "util/size.h"

static void print_size(FILE *out, uint64_t bytes)
{
	char buf[32];
	vb_size_format(bytes, buf, sizeof(buf));
	fputs(buf, out);
}

static const char *device_model(const struct vb_device_node *n)
{
	const struct vb_device_desc *d = n->desc;
	/* A disk whose path is a directory is served over 9p as the root. */
	if (n->dir_root)
		return "virtio-9p";
	switch (d->kind) {
	case VB_DEV_DISK: return "virtio-blk";
	case VB_DEV_NET: return "virtio-net";
	case VB_DEV_9P: return "virtio-9p";
	case VB_DEV_BALLOON: return "virtio-balloon";
	case VB_DEV_RNG: return "virtio-rng";
	case VB_DEV_SHMEM: return "ivshmem";
	case VB_DEV_CONSOLE: return "virtio-console";
	case VB_DEV_KIND_COUNT: break;
	}
	return "?";
}

/* Values from flags carry the flag's name as their location's file. */
static const char *origin(const struct vb_machine_graph *g, struct vb_loc loc)
{
	bool from_file = g->desc->source && loc.file && !strcmp(loc.file, g->desc->source);
	return from_file ? "from the machine file" : "from the command line";
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

static void print_device_text(const struct vb_device_node *n, FILE *out)
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
	if (d->path)
		fprintf(out, "  %s", d->path);
	if (d->tag)
		fprintf(out, "  tag %s", d->tag);
	if (d->kind == VB_DEV_NET)
		fprintf(out, "  %s%s%s", vb_net_mode_name(d->net_mode), d->tap ? " " : "",
			d->tap ? d->tap : "");
	if (d->readonly)
		fputs("  read-only", out);
	fputc('\n', out);
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
	if (g->desc->hugepages)
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
		print_device_text(&g->devices[i], out);

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

static void json_string(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void json_device(const struct vb_device_node *n, FILE *out)
{
	const struct vb_device_desc *d = n->desc;
	fputs("{\"id\":", out);
	json_string(out, n->id);
	fputs(",\"type\":", out);
	json_string(out, vb_device_kind_name(d->kind));
	fputs(",\"model\":", out);
	json_string(out, device_model(n));
	if (n->mmio_bytes)
		fprintf(out, ",\"transport\":\"mmio\",\"mmio_base\":%llu,\"mmio_size\":%llu,\"gsi\":%u",
			(unsigned long long)n->mmio_base, (unsigned long long)n->mmio_bytes, n->gsi);
	else
		fprintf(out, ",\"transport\":\"pci\",\"pci\":\"00:%02x.0\",\"gsi\":%u", n->pci_slot,
			n->gsi);
	if (d->path) {
		fputs(",\"path\":", out);
		json_string(out, d->path);
	}
	if (d->tag) {
		fputs(",\"tag\":", out);
		json_string(out, d->tag);
	}
	fprintf(out, ",\"readonly\":%s}", d->readonly ? "true" : "false");
}

void vb_plan_print_json(const struct vb_machine_graph *g, FILE *out)
{
	const struct vb_memmap *m = &g->memmap;
	fputs("{\"name\":", out);
	json_string(out, g->name);
	fprintf(out, ",\"cpus\":%u,\"ram_mib\":%llu,\"ram_source\":\"%s\",\"mmap_bytes\":%llu",
		g->cpus, (unsigned long long)(g->ram_bytes >> 20),
		vb_ram_source_name(g->ram_source), (unsigned long long)m->mmap_bytes);
	if (m->has_gap)
		fprintf(out, ",\"gap\":{\"start\":%llu,\"size\":%llu}",
			(unsigned long long)m->gap_start, (unsigned long long)m->gap_size);
	else
		fputs(",\"gap\":null", out);
	fputs(",\"slots\":[", out);
	for (unsigned i = 0; i < m->n_slots; i++) {
		const struct vb_slot *s = &m->slots[i];
		fprintf(out, "%s{\"slot\":%u,\"guest_phys_addr\":%llu,\"size\":%llu,\"host_offset\":%llu}",
			i ? "," : "", s->slot, (unsigned long long)s->guest_phys_addr,
			(unsigned long long)s->size_bytes, (unsigned long long)s->host_offset);
	}
	fputs("],\"devices\":[", out);
	for (size_t i = 0; i < g->n_devices; i++) {
		if (i)
			fputc(',', out);
		json_device(&g->devices[i], out);
	}
	fputs("],\"kernel\":", out);
	json_string(out, g->desc->kernel);
	fputs(",\"initrd\":", out);
	json_string(out, g->desc->initrd);
	fprintf(out, ",\"initrd_in_memory\":%s", !g->desc->initrd && g->initrd_label ? "true" : "false");
	fprintf(out, ",\"console\":\"%s\",\"hugepages\":%s,\"cmdline\":",
		vb_console_name(g->desc->console), g->desc->hugepages ? "true" : "false");
	json_string(out, g->cmdline);
	fputs("}\n", out);
}
