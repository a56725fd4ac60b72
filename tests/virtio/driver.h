/* A guest-side virtio driver for in-process tests.
 *
 * struct vt_env is a small machine without KVM: guest RAM mapped the way
 * the builder maps it (vb_ram_map over a memory map with a 32-bit gap: 1
 * MiB of RAM above 4 GiB, so the gap and "past RAM" are real), the two
 * buses, the allocator, a PCI host bridge, a recording irqchip and a log
 * that counts lines. struct vt_drv plays the driver of one device over
 * either transport through the MMIO bus and PCI config space exactly as
 * a guest would, and lays out split virtqueues in guest RAM.
 *
 * Functions return 0 or -1 (tests assert on them); nothing here knows
 * vmboot internals beyond the public headers. */
#ifndef VB_TESTS_VIRTIO_DRIVER_H
#define VB_TESTS_VIRTIO_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

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
};

/* 0, or -1 when guest RAM cannot be mapped (the caller skips). */
int vt_env_init(struct vt_env *e);
void vt_env_fini(struct vt_env *e);
/* Attach a registry device with a placement; returns the vb_dev_set rc. */
int vt_env_attach(struct vt_env *e, const char *type, const struct vb_virtio_placement *p);
uint8_t *vt_gpa(struct vt_env *e, uint64_t gpa);

struct vt_drv {
	struct vt_env *e;
	bool pci;
	uint64_t base;   /* MMIO: register window */
	uint32_t slot;   /* PCI */
	uint64_t common, isr, notify, device;
	uint32_t notify_mult;
	uint32_t gsi;
	/* Queue 0 as laid out by vt_drv_queue. */
	uint16_t qsize;
	uint64_t desc, avail, used;
	uint16_t avail_idx;
	uint16_t used_seen;
};

int vt_drv_open_mmio(struct vt_drv *d, struct vt_env *e, uint64_t base, uint32_t gsi);
int vt_drv_open_pci(struct vt_drv *d, struct vt_env *e, uint32_t slot);

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
/* Read (and acknowledge) the interrupt status. */
uint8_t vt_drv_isr(struct vt_drv *d);
bool vt_drv_line(struct vt_drv *d);

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
