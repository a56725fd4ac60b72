/* The PCI host bridge: configuration mechanism #1, bus 0 only.
 *
 * Ports 0xCF8 (CONFIG_ADDRESS, dword accesses only) and 0xCFC-0xCFF
 * (CONFIG_DATA: byte, word or dword at the register offset plus the port
 * offset), PCI Local Bus Specification 3.0 section 3.2.2.3.2. Function
 * 00:00.0 is the host bridge (8086:1237, the i440FX id Linux knows, class
 * 0x060000); anything absent reads as all-ones, so probing software sees
 * "no device". Linux's type-1 probe (pci_check_type1) and its sanity check
 * for a host bridge on bus 0 succeed with this, so no MMCONFIG and no
 * pci=conf1 are needed; should a kernel ever insist on MMCONFIG without an
 * ACPI MCFG table, the builder adds pci=conf1.
 *
 * Functions: a device (virtio-pci, ivshmem) fills a struct vb_pci_function
 * — 256 bytes of config space, a write mask per byte, BARs and a
 * capability list — and plugs it in with vb_pci_host_add(). The host
 * borrows it until vb_pci_host_remove() or destroy. BAR sizing follows the
 * spec: a BAR's low bits below its size are read-only, so writing all-ones
 * reads back the size mask with the type bits.
 *
 * Callbacks (bar_moved, command_changed, config_written) run with the
 * host's mutex held, on the vCPU thread that wrote config space; they may
 * read fn->config but must not call back into the host. A BAR "moves"
 * also while the guest sizes it: act on the address only when the command
 * register enables that BAR's decoding.
 *
 * Functions return 0 or -errno and fill err. */
#ifndef VB_DEV_PCI_H
#define VB_DEV_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/dev.h"
#include "util/err.h"

#define VB_PCI_CONFIG_ADDRESS_PORT 0xcf8
#define VB_PCI_PORTS 8
#define VB_PCI_CONFIG_BYTES 256
#define VB_PCI_MAX_BARS 6
#define VB_PCI_SLOTS 32

/* Standard header offsets (type 0). */
#define VB_PCI_VENDOR_ID 0x00
#define VB_PCI_DEVICE_ID 0x02
#define VB_PCI_COMMAND 0x04
#define VB_PCI_STATUS 0x06
#define VB_PCI_REVISION 0x08
#define VB_PCI_CLASS_PROG 0x09
#define VB_PCI_HEADER_TYPE 0x0e
#define VB_PCI_BAR0 0x10
#define VB_PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define VB_PCI_SUBSYSTEM_ID 0x2e
#define VB_PCI_CAP_PTR 0x34
#define VB_PCI_INTERRUPT_LINE 0x3c
#define VB_PCI_INTERRUPT_PIN 0x3d

#define VB_PCI_COMMAND_IO 0x1
#define VB_PCI_COMMAND_MEMORY 0x2
#define VB_PCI_COMMAND_MASTER 0x4
#define VB_PCI_STATUS_CAP_LIST 0x10

enum vb_pci_bar_kind { VB_PCI_BAR_NONE, VB_PCI_BAR_MEM32, VB_PCI_BAR_IO };

struct vb_pci_bar {
	enum vb_pci_bar_kind kind;
	uint64_t size_bytes;
};

struct vb_pci_function {
	const char *name; /* borrowed */
	uint8_t config[VB_PCI_CONFIG_BYTES];
	uint8_t wmask[VB_PCI_CONFIG_BYTES];
	struct vb_pci_bar bars[VB_PCI_MAX_BARS];
	uint8_t last_cap; /* offset of the last capability, 0 if none */
	uint16_t cap_end; /* first byte after the last capability */
	void (*bar_moved)(void *opaque, unsigned bar, uint64_t old_addr,
			  uint64_t new_addr);
	void (*command_changed)(void *opaque, uint16_t old_cmd, uint16_t new_cmd);
	/* Any write the function accepted, after the bytes changed and the
	 * two callbacks above ran: for a capability whose registers act when
	 * written (MSI-X message control, dev/msix.h). */
	void (*config_written)(void *opaque, uint32_t reg, uint32_t size);
	void *opaque;
};

/* class_code is the 24-bit class/subclass/prog-if (0x060000). Sets the
 * writable command bits, cache line, latency timer and interrupt line. */
void vb_pci_function_init(struct vb_pci_function *fn, const char *name,
			  uint16_t vendor, uint16_t device, uint32_t class_code,
			  uint8_t revision);

/* size_bytes: a power of two, >= 16 for memory (< 4 GiB), 4..256 for I/O.
 * addr must be aligned to size. */
int vb_pci_function_set_bar(struct vb_pci_function *fn, unsigned bar,
			    enum vb_pci_bar_kind kind, uint64_t size_bytes,
			    uint64_t addr, struct vb_err *err);

/* The address the guest currently programmed into a BAR (0 for none). */
uint64_t vb_pci_function_bar_addr(const struct vb_pci_function *fn,
				  unsigned bar);

/* Append capability id with body (the bytes after the id/next header) at
 * the next dword-aligned offset from 0x40; *offset gets its position. */
int vb_pci_function_add_cap(struct vb_pci_function *fn, uint8_t id,
			    const uint8_t *body, uint8_t body_len,
			    uint8_t *offset, struct vb_err *err);

struct vb_pci_host;

int vb_pci_host_create(struct vb_pci_host **out, struct vb_err *err);
void vb_pci_host_destroy(struct vb_pci_host *host);

/* Plug fn in at 00:slot.0 (slot 1..31; 0 is the bridge). Call before
 * vCPUs start. */
int vb_pci_host_add(struct vb_pci_host *host, struct vb_pci_function *fn,
		    uint32_t slot, struct vb_err *err);
void vb_pci_host_remove(struct vb_pci_host *host, uint32_t slot);

/* Bus handler for [0xCF8, 0xCFF]; opaque is the host. */
int vb_pci_host_access(void *opaque, uint64_t offset, uint8_t *data,
		       uint32_t size, bool is_write);

/* Direct config access by bus/device/function (also the back end of the
 * port handler). size 1, 2 or 4 within one dword; otherwise, or for an
 * absent function, reads give all-ones and writes are dropped. */
uint32_t vb_pci_config_read(struct vb_pci_host *host, uint32_t bus,
			    uint32_t dev, uint32_t func, uint32_t reg,
			    uint32_t size);
void vb_pci_config_write(struct vb_pci_host *host, uint32_t bus, uint32_t dev,
			 uint32_t func, uint32_t reg, uint32_t size,
			 uint32_t value);

/* Registry glue: config unused. Publishes the host as env->pci. */
extern const struct vb_device_ops vb_pci_host_ops;

#endif
