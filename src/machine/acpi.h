/* The guest's ACPI tables from the machine graph: the one place that turns
 * the graph's devices, vCPUs and lines into arch/x86/acpi.h's config, for
 * the builder (guest RAM), --plan (the table list) and --acpi-dir (files
 * for `iasl -d`). */
#ifndef VB_MACHINE_ACPI_H
#define VB_MACHINE_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/acpi.h"
#include "machine/machine.h"
#include "util/err.h"

/* Build g's tables into buf (the guest sees it at VB_X86_ACPI_GPA); fills
 * *layout. g->acpi.enabled must be true. Returns 0 or -errno with err. */
int vb_machine_acpi_build(const struct vb_machine_graph *g, uint8_t *buf, size_t buf_bytes,
			  struct vb_x86_acpi_layout *layout, struct vb_err *err);

/* Build g's tables into a scratch buffer the caller frees; fills *layout. */
int vb_machine_acpi_scratch(const struct vb_machine_graph *g, uint8_t **buf,
			    struct vb_x86_acpi_layout *layout, struct vb_err *err);

/* Write every table to DIR/SIGNATURE.dat (RSDP.dat, XSDT.dat, FACP.dat,
 * APIC.dat, DSDT.dat), creating dir if needed. Returns 0 or -errno. */
int vb_machine_acpi_write_dir(const struct vb_machine_graph *g, const char *dir,
			      struct vb_err *err);

#endif
