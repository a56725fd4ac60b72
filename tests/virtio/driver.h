/* A guest-side virtio driver for in-process tests.
 *
 * struct vt_env is a small machine without KVM: guest RAM mapped the way
 * the builder maps it (vb_ram_map over a memory map with a 32-bit gap: 1
 * MiB of RAM above 4 GiB, so the gap and "past RAM" are real), the two
 * buses, the allocator, a PCI host bridge, a recording irqchip, a log
 * that counts lines and, on request, MSI routes (tests/dev/fakes.h).
 * struct vt_drv plays the driver of one device over either transport
 * through the MMIO bus and PCI config space exactly as a guest would, and
 * lays out split virtqueues in guest RAM.
 *
 * Functions return 0 or -1 (tests assert on them); nothing here knows
 * vmboot internals beyond the public headers. */
#ifndef VB_TESTS_VIRTIO_DRIVER_H
#define VB_TESTS_VIRTIO_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../dev/fakes.h"
#include "dev/dev.h"
#include "machine/ram.h"
#include "virtio/virtio.h"

/* RAM below the gap in the test machine; the driver uses the first MiB. */
#define VT_RAM_BYTES (VB_GAP_START_BYTES + (1ULL << 20))
#define VT_HIGH_RAM_END (VB_GAP_END_BYTES + (1ULL << 20))

struct vt_env {
	struct vb_memmap map;
	struct vb_ram ram;
	struct vb_guest_mem mem;
	struct vb_bus pio;
	struct vb_bus mmio;
	struct vb_alloc alloc;
	struct vb_dev_env env;
	struct vb_dev_set devices;
	int level[32];
	unsigned raises[32];
	unsigned log_lines;
	char last_log[512];
	struct fake_msi msi; /* with vt_env_msi */
};

/* 0, or -1 when guest RAM cannot be mapped (the caller skips). */
int vt_env_init(struct vt_env *e);
void vt_env_fini(struct vt_env *e);
/* A test's fixture: bytes zeroed, the struct vt_env at env_offset
 * initialised; NULL, with the SKIP line printed, when guest RAM cannot be
 * mapped. The caller ends it with vt_env_fini and free, in its own order.
 * A bare environment is vt_fixture_new(sizeof(struct vt_env), 0). */
void *vt_fixture_new(size_t bytes, size_t env_offset);
/* The same for a struct whose member env is the struct vt_env. _Generic
 * refuses any other member called env, struct vt_env's own among them (a
 * struct vb_dev_env), which would otherwise compile and be overwritten. */
#define VT_FIXTURE_NEW(type) \
	((type *)vt_fixture_new(sizeof(type), \
				_Generic(&((type *)0)->env, struct vt_env *: offsetof(type, env))))
/* A fresh file of bytes bytes, byte i being byte(i): a disk image. */
void vt_make_image(const char *path, uint64_t bytes, uint8_t (*byte)(uint64_t i));
/* Attach a registry device with a placement; returns the vb_dev_set rc. */
int vt_env_attach(struct vt_env *e, const char *type, const struct vb_virtio_placement *p);
uint8_t *vt_gpa(struct vt_env *e, uint64_t gpa);
/* Route messages (the env's msi hooks over e->msi), so PCI devices
 * attached from now on offer MSI-X. */
void vt_env_msi(struct vt_env *e);
/* Messages delivered as data since the last look (fakes.h). */
uint64_t vt_msi_fired(struct vt_env *e, uint32_t data);

struct vt_drv {
	struct vt_env *e;
	bool pci;
	uint64_t base;   /* MMIO: register window */
	uint32_t slot;   /* PCI */
	uint64_t common, isr, notify, device;
	uint32_t notify_mult;
	uint32_t gsi;
	unsigned edges_taken; /* MMIO: edges before the last status read */
	/* MSI-X, when the function has the capability. */
	uint32_t msix_cap;
	uint64_t msix_table, msix_pba;
	unsigned msix_vectors;
	/* Queue 0 as laid out by vt_drv_queue. */
	uint16_t qsize;
	uint64_t desc, avail, used;
	uint16_t avail_idx;
	uint16_t used_seen;
};

int vt_drv_open_mmio(struct vt_drv *d, struct vt_env *e, uint64_t base, uint32_t gsi);
int vt_drv_open_pci(struct vt_drv *d, struct vt_env *e, uint32_t slot);
/* vt_drv_open_pci at pci_slot when pci, else vt_drv_open_mmio. */
int vt_drv_open_either(struct vt_drv *d, struct vt_env *e, bool pci, uint32_t pci_slot,
		       uint64_t mmio_base, uint32_t mmio_gsi);

uint8_t vt_drv_status(struct vt_drv *d);
void vt_drv_set_status(struct vt_drv *d, uint8_t s);
uint64_t vt_drv_device_features(struct vt_drv *d);
/* Reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK. Returns the status
 * read back (FEATURES_OK set if accepted). */
uint8_t vt_drv_negotiate(struct vt_drv *d, uint64_t features);
/* Lay queue q out at gpa with size entries and enable it. */
void vt_drv_queue(struct vt_drv *d, unsigned q, uint16_t size, uint64_t gpa);
/* Only write the size and addresses (no enable). */
void vt_drv_queue_regs(struct vt_drv *d, unsigned q, uint16_t size, uint64_t gpa);
void vt_drv_queue_enable(struct vt_drv *d, unsigned q);
bool vt_drv_queue_ready(struct vt_drv *d, unsigned q);
void vt_drv_notify(struct vt_drv *d, unsigned q);
/* size bytes (1, 2, 4 or 8) of the device configuration space at off. */
uint64_t vt_drv_config(struct vt_drv *d, uint32_t off, uint32_t size);
/* Read (and acknowledge) the interrupt status. */
uint8_t vt_drv_isr(struct vt_drv *d);
/* An interrupt waits for the driver: PCI, INTx is high; MMIO (an edge
 * line, dev/irq.h), an edge came since the driver last read the status. */
bool vt_drv_line(struct vt_drv *d);
/* Edges on the driver's line so far (MMIO). */
unsigned vt_drv_edges(struct vt_drv *d);

/* MSI-X (PCI): message control's enable and function mask; vector i
 * pointed at the local APIC with data, masked or not, the way Linux
 * writes it (mask, address, data, unmask); its mask alone; a raw table
 * access; the PBA. The vector registers of common configuration: write
 * then read back (NO_VECTOR: refused). */
void vt_drv_msix_control(struct vt_drv *d, bool enable, bool mask_all);
void vt_drv_msix_vector(struct vt_drv *d, unsigned i, uint32_t data, bool masked);
void vt_drv_msix_mask(struct vt_drv *d, unsigned i, bool masked);
void vt_drv_msix_table_write(struct vt_drv *d, uint64_t off, uint64_t v, uint32_t size);
uint64_t vt_drv_msix_pba(struct vt_drv *d);
uint16_t vt_drv_config_vector(struct vt_drv *d, uint16_t vector);
uint16_t vt_drv_queue_vector(struct vt_drv *d, unsigned q, uint16_t vector);

void vt_desc(struct vt_drv *d, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
	     uint16_t next);
/* A raw descriptor anywhere in guest RAM (indirect tables). */
void vt_desc_at(struct vt_drv *d, uint64_t table_gpa, uint16_t i, uint64_t addr, uint32_t len,
		uint16_t flags, uint16_t next);
void vt_avail_push(struct vt_drv *d, uint16_t head);
void vt_avail_set_idx(struct vt_drv *d, uint16_t idx);
void vt_avail_set_flags(struct vt_drv *d, uint16_t flags);
void vt_used_event(struct vt_drv *d, uint16_t v);
uint16_t vt_avail_event(struct vt_drv *d);
uint16_t vt_used_idx(struct vt_drv *d);
void vt_used_set_idx(struct vt_drv *d, uint16_t idx);
/* Next used element: true with id/len filled, false when none. */
bool vt_used_next(struct vt_drv *d, uint32_t *id, uint32_t *len);

#endif
