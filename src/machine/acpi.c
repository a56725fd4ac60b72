#include "machine/acpi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev/alloc.h"
#include "mem/memmap.h"
#include "util/io.h"

/* The graph's lines and windows in the shape the tables want. */
struct acpi_devices {
	struct vb_x86_acpi_mmio_dev mmio[VB_X86_ACPI_MAX_MMIO];
	struct vb_x86_acpi_pci_dev pci[VB_X86_ACPI_MAX_PCI];
};

static void collect(const struct vb_machine_graph *g, struct acpi_devices *d,
		    struct vb_x86_acpi_config *cfg)
{
	*cfg = (struct vb_x86_acpi_config){
		.cpus = g->cpus,
		.mmio = d->mmio,
		.pci = d->pci,
		/* PCI0 decodes the whole 32-bit gap and every port above the
		 * ISA range: resolve places BARs there (dev/alloc.h). */
		.pci_mmio_base = (uint32_t)VB_GAP_START_BYTES,
		.pci_mmio_end = (uint32_t)VB_ALLOC_MMIO_END_BYTES,
		.pci_io_base = (uint16_t)VB_ALLOC_PIO_START,
		.pci_io_end = (uint32_t)VB_ALLOC_PIO_END,
		/* The PC devices every machine has (vb_legacy_devices). */
		.uart = true,
		.i8042 = true,
		.rtc = true,
		.ged_gsi = g->acpi.ged_gsi,
	};
	for (size_t i = 0; i < g->n_devices; i++) {
		const struct vb_device_node *n = &g->devices[i];
		if (n->mmio_bytes && cfg->n_mmio < VB_X86_ACPI_MAX_MMIO)
			d->mmio[cfg->n_mmio++] = (struct vb_x86_acpi_mmio_dev){
				n->mmio_base, n->mmio_bytes, n->gsi,
			};
		else if (!n->mmio_bytes && n->gsi && cfg->n_pci < VB_X86_ACPI_MAX_PCI)
			d->pci[cfg->n_pci++] = (struct vb_x86_acpi_pci_dev){
				(uint8_t)n->pci_slot, (uint8_t)n->gsi,
			};
	}
	if (g->console.present && cfg->n_pci < VB_X86_ACPI_MAX_PCI)
		d->pci[cfg->n_pci++] = (struct vb_x86_acpi_pci_dev){
			(uint8_t)g->console.pci_slot, (uint8_t)g->console.gsi,
		};
}

int vb_machine_acpi_build(const struct vb_machine_graph *g, uint8_t *buf, size_t buf_bytes,
			  struct vb_x86_acpi_layout *layout, struct vb_err *err)
{
	struct acpi_devices devices;
	struct vb_x86_acpi_config cfg;
	collect(g, &devices, &cfg);
	return vb_x86_acpi_build(buf, buf_bytes, VB_X86_ACPI_GPA, &cfg, layout, err);
}

int vb_machine_acpi_scratch(const struct vb_machine_graph *g, uint8_t **buf,
			    struct vb_x86_acpi_layout *layout, struct vb_err *err)
{
	*buf = malloc(VB_X86_ACPI_AREA_BYTES);
	if (!*buf)
		return vb_err_set(err, ENOMEM, "ACPI tables: out of memory");
	int rc = vb_machine_acpi_build(g, *buf, VB_X86_ACPI_AREA_BYTES, layout, err);
	if (rc) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

static int write_table(const char *dir, const struct vb_x86_acpi_table *t, const uint8_t *buf,
		       struct vb_err *err)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.dat", dir, t->signature) >= sizeof(path))
		return vb_err_set(err, ENAMETOOLONG, "--acpi-dir %s: path too long", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return vb_err_errno(err, errno, "%s", path);
	long written = vb_write_all(fd, buf + t->offset, t->bytes);
	int rc = written < 0 ? (int)-written : written != (long)t->bytes ? EIO : 0;
	if (close(fd) < 0 && !rc)
		rc = errno;
	return rc ? vb_err_errno(err, rc, "%s", path) : 0;
}

int vb_machine_acpi_write_dir(const struct vb_machine_graph *g, const char *dir,
			      struct vb_err *err)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return vb_err_errno(err, errno, "--acpi-dir %s", dir);
	uint8_t *buf;
	struct vb_x86_acpi_layout layout;
	int rc = vb_machine_acpi_scratch(g, &buf, &layout, err);
	for (size_t i = 0; !rc && i < layout.n_tables; i++)
		rc = write_table(dir, &layout.tables[i], buf, err);
	free(buf);
	return rc;
}
