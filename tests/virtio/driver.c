#include "driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/msix.h"
#include "dev/pci.h"
#include "machine/registry.h"

/* virtio-mmio registers (virtio 1.x 4.2.2). */
#define M_DEVICE_FEATURES 0x010
#define M_DEVICE_FEATURES_SEL 0x014
#define M_DRIVER_FEATURES 0x020
#define M_DRIVER_FEATURES_SEL 0x024
#define M_QUEUE_SEL 0x030
#define M_QUEUE_NUM 0x038
#define M_QUEUE_READY 0x044
#define M_QUEUE_NOTIFY 0x050
#define M_INTERRUPT_STATUS 0x060
#define M_INTERRUPT_ACK 0x064
#define M_STATUS 0x070
#define M_QUEUE_DESC 0x080
#define M_QUEUE_DRIVER 0x090
#define M_QUEUE_DEVICE 0x0a0

/* virtio-pci common configuration (4.1.4.3). */
#define P_DFSELECT 0x00
#define P_DF 0x04
#define P_GFSELECT 0x08
#define P_GF 0x0c
#define P_MSIX_CONFIG 0x10
#define P_STATUS 0x14
#define P_QUEUE_SELECT 0x16
#define P_QUEUE_SIZE 0x18
#define P_QUEUE_MSIX 0x1a
#define P_QUEUE_ENABLE 0x1c
#define P_QUEUE_NOTIFY_OFF 0x1e
#define P_QUEUE_DESC 0x20
#define P_QUEUE_DRIVER 0x28
#define P_QUEUE_DEVICE 0x30

static int fake_irq(void *ctx, uint32_t gsi, int level)
{
	struct vt_env *e = ctx;
	if (gsi >= 32)
		return -22;
	if (level && !e->level[gsi])
		e->raises[gsi]++;
	e->level[gsi] = level;
	return 0;
}

static void fake_log(void *ctx, const char *msg)
{
	struct vt_env *e = ctx;
	e->log_lines++;
	snprintf(e->last_log, sizeof(e->last_log), "%s", msg);
}

int vt_env_init(struct vt_env *e)
{
	memset(e, 0, sizeof(*e));
	vb_memmap_compute(VT_RAM_BYTES, &e->map);
	struct vb_err err;
	if (vb_ram_map(&e->ram, &e->map, VB_RAM_SMALL_PAGES, &err) < 0) {
		fprintf(stderr, "vt_env_init: %s\n", err.msg);
		return -1;
	}
	e->mem = vb_ram_view(&e->ram, &e->map);
	vb_bus_init(&e->pio, "pio", NULL);
	vb_bus_init(&e->mmio, "mmio", NULL);
	vb_alloc_init(&e->alloc);
	e->env = (struct vb_dev_env){
		.pio = &e->pio, .mmio = &e->mmio, .alloc = &e->alloc,
		.irq_set_level = fake_irq, .irq_ctx = e, .mem = &e->mem,
		.log = fake_log, .log_ctx = e,
	};
	/* The builder's order: the windows of MMIO devices first (see
	 * vm.c), then the host bridge, then the devices. */
	uint64_t at;
	if (vb_alloc_mmio(&e->alloc, 0x10000, 0x1000, "virtio-mmio", &at, &err) < 0 ||
	    vb_dev_set_attach(&e->devices, &e->env, &vb_pci_host_ops, NULL, &err) < 0) {
		fprintf(stderr, "vt_env_init: %s\n", err.msg);
		vt_env_fini(e);
		return -1;
	}
	return 0;
}

void vt_env_fini(struct vt_env *e)
{
	vb_dev_set_detach_all(&e->devices);
	vb_bus_free(&e->mmio);
	vb_bus_free(&e->pio);
	vb_ram_unmap(&e->ram);
}

void *vt_fixture_new(size_t bytes, size_t env_offset)
{
	unsigned char *f = calloc(1, bytes);
	if (!f || vt_env_init((struct vt_env *)(f + env_offset)) < 0) {
		free(f);
		/* What cmocka's print_message does (stdout, flushed): this file
		 * also links without cmocka, into bench/9p_virtq. */
		printf("SKIP: cannot map test guest RAM\n");
		fflush(stdout);
		return NULL;
	}
	return f;
}

/* Tests assert on what they read back, so a short write here shows. */
void vt_make_image(const char *path, uint64_t bytes, uint8_t (*byte)(uint64_t i))
{
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	for (uint64_t i = 0; i < bytes; i++)
		putc(byte(i), f);
	fclose(f);
}

int vt_env_attach(struct vt_env *e, const char *type, const struct vb_virtio_placement *p)
{
	struct vb_err err;
	const struct vb_device_ops *ops = vb_device_find(type);
	if (!ops)
		return -1;
	int r = vb_dev_set_attach(&e->devices, &e->env, ops, p, &err);
	if (r < 0)
		fprintf(stderr, "vt_env_attach: %s\n", err.msg);
	return r;
}

uint8_t *vt_gpa(struct vt_env *e, uint64_t gpa)
{
	return e->ram.host_base + gpa;
}

void vt_env_msi(struct vt_env *e)
{
	fake_msi_plug(&e->msi, &e->env);
}

uint64_t vt_msi_fired(struct vt_env *e, uint32_t data)
{
	return fake_msi_fired_data(&e->msi, data);
}

static uint64_t bus_read(struct vt_drv *d, uint64_t addr, uint32_t size)
{
	uint8_t b[8] = { 0 };
	vb_bus_dispatch(&d->e->mmio, addr, b, size, false);
	uint64_t v = 0;
	for (uint32_t i = 0; i < size; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static void bus_write(struct vt_drv *d, uint64_t addr, uint64_t v, uint32_t size)
{
	uint8_t b[8];
	for (uint32_t i = 0; i < size; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	vb_bus_dispatch(&d->e->mmio, addr, b, size, true);
}

int vt_drv_open_mmio(struct vt_drv *d, struct vt_env *e, uint64_t base, uint32_t gsi)
{
	memset(d, 0, sizeof(*d));
	d->e = e;
	d->base = base;
	d->gsi = gsi;
	if (bus_read(d, base, 4) != 0x74726976u || bus_read(d, base + 4, 4) != 2)
		return -1;
	return 0;
}

int vt_drv_open_pci(struct vt_drv *d, struct vt_env *e, uint32_t slot)
{
	memset(d, 0, sizeof(*d));
	d->e = e;
	d->pci = true;
	d->slot = slot;
	struct vb_pci_host *h = e->env.pci;
	if (vb_pci_config_read(h, 0, slot, 0, VB_PCI_VENDOR_ID, 2) != 0x1af4)
		return -1;
	uint32_t bar = vb_pci_config_read(h, 0, slot, 0, VB_PCI_BAR0, 4) & ~0xfu;
	d->gsi = vb_pci_config_read(h, 0, slot, 0, VB_PCI_INTERRUPT_LINE, 1);
	uint32_t cmd = vb_pci_config_read(h, 0, slot, 0, VB_PCI_COMMAND, 2);
	vb_pci_config_write(h, 0, slot, 0, VB_PCI_COMMAND, 2, cmd | VB_PCI_COMMAND_MEMORY);
	unsigned found = 0;
	uint32_t cap = vb_pci_config_read(h, 0, slot, 0, VB_PCI_CAP_PTR, 1);
	for (int guard = 0; cap && guard < 48; guard++) {
		uint32_t id = vb_pci_config_read(h, 0, slot, 0, cap, 1);
		uint32_t next = vb_pci_config_read(h, 0, slot, 0, cap + 1, 1);
		if (id == VB_MSIX_CAP_ID) {
			uint32_t table = vb_pci_config_read(h, 0, slot, 0, cap + VB_MSIX_TABLE, 4);
			uint32_t pba = vb_pci_config_read(h, 0, slot, 0, cap + VB_MSIX_PBA, 4);
			uint32_t ctl = vb_pci_config_read(h, 0, slot, 0, cap + VB_MSIX_CONTROL, 2);
			/* Both in BAR 0, the only one virtio-pci has. */
			if ((table & 7u) || (pba & 7u))
				return -1;
			d->msix_cap = cap;
			d->msix_table = (uint64_t)bar + table;
			d->msix_pba = (uint64_t)bar + pba;
			d->msix_vectors = (ctl & 0x7ffu) + 1;
		}
		if (id == 0x09) {
			uint32_t type = vb_pci_config_read(h, 0, slot, 0, cap + 3, 1);
			uint32_t off = vb_pci_config_read(h, 0, slot, 0, cap + 8, 4);
			uint64_t at = (uint64_t)bar + off;
			switch (type) {
			case 1: d->common = at; found |= 1; break;
			case 2:
				d->notify = at;
				d->notify_mult = vb_pci_config_read(h, 0, slot, 0, cap + 16, 4);
				found |= 2;
				break;
			case 3: d->isr = at; found |= 4; break;
			case 4: d->device = at; break;
			}
		}
		cap = next;
	}
	return found == 7 ? 0 : -1;
}

int vt_drv_open_either(struct vt_drv *d, struct vt_env *e, bool pci, uint32_t pci_slot,
		       uint64_t mmio_base, uint32_t mmio_gsi)
{
	return pci ? vt_drv_open_pci(d, e, pci_slot) : vt_drv_open_mmio(d, e, mmio_base, mmio_gsi);
}

uint8_t vt_drv_status(struct vt_drv *d)
{
	return (uint8_t)(d->pci ? bus_read(d, d->common + P_STATUS, 1) :
				  bus_read(d, d->base + M_STATUS, 4));
}

void vt_drv_set_status(struct vt_drv *d, uint8_t s)
{
	if (d->pci)
		bus_write(d, d->common + P_STATUS, s, 1);
	else
		bus_write(d, d->base + M_STATUS, s, 4);
}

static uint32_t features_word(struct vt_drv *d, uint32_t sel)
{
	if (d->pci) {
		bus_write(d, d->common + P_DFSELECT, sel, 4);
		return (uint32_t)bus_read(d, d->common + P_DF, 4);
	}
	bus_write(d, d->base + M_DEVICE_FEATURES_SEL, sel, 4);
	return (uint32_t)bus_read(d, d->base + M_DEVICE_FEATURES, 4);
}

uint64_t vt_drv_device_features(struct vt_drv *d)
{
	return features_word(d, 0) | (uint64_t)features_word(d, 1) << 32;
}

static void set_driver_features(struct vt_drv *d, uint64_t f)
{
	for (uint32_t sel = 0; sel < 2; sel++) {
		uint32_t w = (uint32_t)(f >> (32 * sel));
		if (d->pci) {
			bus_write(d, d->common + P_GFSELECT, sel, 4);
			bus_write(d, d->common + P_GF, w, 4);
		} else {
			bus_write(d, d->base + M_DRIVER_FEATURES_SEL, sel, 4);
			bus_write(d, d->base + M_DRIVER_FEATURES, w, 4);
		}
	}
}

uint8_t vt_drv_negotiate(struct vt_drv *d, uint64_t features)
{
	vt_drv_set_status(d, 0);
	d->avail_idx = 0;
	d->used_seen = 0;
	vt_drv_set_status(d, VB_VIRTIO_S_ACKNOWLEDGE);
	vt_drv_set_status(d, VB_VIRTIO_S_ACKNOWLEDGE | VB_VIRTIO_S_DRIVER);
	set_driver_features(d, features);
	vt_drv_set_status(d, VB_VIRTIO_S_ACKNOWLEDGE | VB_VIRTIO_S_DRIVER | VB_VIRTIO_S_FEATURES_OK);
	return vt_drv_status(d);
}

static void queue_select(struct vt_drv *d, unsigned q)
{
	if (d->pci)
		bus_write(d, d->common + P_QUEUE_SELECT, q, 2);
	else
		bus_write(d, d->base + M_QUEUE_SEL, q, 4);
}

static void write_addr(struct vt_drv *d, uint64_t pci_off, uint64_t mmio_off, uint64_t v)
{
	if (d->pci) {
		bus_write(d, d->common + pci_off, (uint32_t)v, 4);
		bus_write(d, d->common + pci_off + 4, v >> 32, 4);
	} else {
		bus_write(d, d->base + mmio_off, (uint32_t)v, 4);
		bus_write(d, d->base + mmio_off + 4, v >> 32, 4);
	}
}

void vt_drv_queue_regs(struct vt_drv *d, unsigned q, uint16_t size, uint64_t gpa)
{
	d->qsize = size;
	d->desc = gpa;
	d->avail = gpa + 16ULL * size;
	d->used = (d->avail + 6 + 2ULL * size + 3) & ~3ULL;
	d->avail_idx = 0;
	d->used_seen = 0;
	/* A hostile test may place the rings outside RAM: clear only RAM. */
	uint64_t bytes = d->used + 6 + 8ULL * size - gpa;
	uint8_t *p = vb_gmem_ptr(&d->e->mem, gpa, bytes);
	if (p)
		memset(p, 0, bytes);
	queue_select(d, q);
	if (d->pci)
		bus_write(d, d->common + P_QUEUE_SIZE, size, 2);
	else
		bus_write(d, d->base + M_QUEUE_NUM, size, 4);
	write_addr(d, P_QUEUE_DESC, M_QUEUE_DESC, d->desc);
	write_addr(d, P_QUEUE_DRIVER, M_QUEUE_DRIVER, d->avail);
	write_addr(d, P_QUEUE_DEVICE, M_QUEUE_DEVICE, d->used);
}

void vt_drv_queue_enable(struct vt_drv *d, unsigned q)
{
	queue_select(d, q);
	if (d->pci)
		bus_write(d, d->common + P_QUEUE_ENABLE, 1, 2);
	else
		bus_write(d, d->base + M_QUEUE_READY, 1, 4);
}

bool vt_drv_queue_ready(struct vt_drv *d, unsigned q)
{
	queue_select(d, q);
	return d->pci ? bus_read(d, d->common + P_QUEUE_ENABLE, 2) == 1 :
			bus_read(d, d->base + M_QUEUE_READY, 4) == 1;
}

void vt_drv_queue(struct vt_drv *d, unsigned q, uint16_t size, uint64_t gpa)
{
	vt_drv_queue_regs(d, q, size, gpa);
	vt_drv_queue_enable(d, q);
}

void vt_drv_notify(struct vt_drv *d, unsigned q)
{
	if (d->pci) {
		queue_select(d, q);
		uint64_t off = bus_read(d, d->common + P_QUEUE_NOTIFY_OFF, 2);
		bus_write(d, d->notify + off * d->notify_mult, q, 2);
	} else {
		bus_write(d, d->base + M_QUEUE_NOTIFY, q, 4);
	}
}

/* virtio-mmio's configuration space starts at 0x100 (4.2.2). */
uint64_t vt_drv_config(struct vt_drv *d, uint32_t off, uint32_t size)
{
	return bus_read(d, (d->pci ? d->device : d->base + 0x100) + off, size);
}

static unsigned edges(const struct vt_drv *d)
{
	return d->gsi < 32 ? d->e->raises[d->gsi] : 0;
}

uint8_t vt_drv_isr(struct vt_drv *d)
{
	if (d->pci)
		return (uint8_t)bus_read(d, d->isr, 1);
	/* The handler of the edges so far: they are taken. */
	d->edges_taken = edges(d);
	uint8_t v = (uint8_t)bus_read(d, d->base + M_INTERRUPT_STATUS, 4);
	bus_write(d, d->base + M_INTERRUPT_ACK, v, 4);
	return v;
}

unsigned vt_drv_edges(struct vt_drv *d)
{
	return edges(d);
}

bool vt_drv_line(struct vt_drv *d)
{
	if (!d->pci)
		return edges(d) != d->edges_taken;
	return d->gsi < 32 && d->e->level[d->gsi];
}

static void put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void vt_desc_at(struct vt_drv *d, uint64_t table_gpa, uint16_t i, uint64_t addr, uint32_t len,
		uint16_t flags, uint16_t next)
{
	uint8_t *p = vt_gpa(d->e, table_gpa + 16ULL * i);
	put(p, addr, 8);
	put(p + 8, len, 4);
	put(p + 12, flags, 2);
	put(p + 14, next, 2);
}

void vt_desc(struct vt_drv *d, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
	     uint16_t next)
{
	vt_desc_at(d, d->desc, i, addr, len, flags, next);
}

void vt_avail_push(struct vt_drv *d, uint16_t head)
{
	uint8_t *a = vt_gpa(d->e, d->avail);
	put(a + 4 + 2 * (d->avail_idx % d->qsize), head, 2);
	d->avail_idx++;
	put(a + 2, d->avail_idx, 2);
}

void vt_avail_set_idx(struct vt_drv *d, uint16_t idx)
{
	d->avail_idx = idx;
	put(vt_gpa(d->e, d->avail) + 2, idx, 2);
}

void vt_avail_set_flags(struct vt_drv *d, uint16_t flags)
{
	put(vt_gpa(d->e, d->avail), flags, 2);
}

void vt_used_event(struct vt_drv *d, uint16_t v)
{
	put(vt_gpa(d->e, d->avail) + 4 + 2ULL * d->qsize, v, 2);
}

uint16_t vt_avail_event(struct vt_drv *d)
{
	return (uint16_t)get(vt_gpa(d->e, d->used) + 4 + 8ULL * d->qsize, 2);
}

uint16_t vt_used_idx(struct vt_drv *d)
{
	return (uint16_t)get(vt_gpa(d->e, d->used) + 2, 2);
}

void vt_used_set_idx(struct vt_drv *d, uint16_t idx)
{
	put(vt_gpa(d->e, d->used) + 2, idx, 2);
}

bool vt_used_next(struct vt_drv *d, uint32_t *id, uint32_t *len)
{
	if (vt_used_idx(d) == d->used_seen)
		return false;
	const uint8_t *el = vt_gpa(d->e, d->used) + 4 + 8ULL * (d->used_seen % d->qsize);
	*id = (uint32_t)get(el, 4);
	*len = (uint32_t)get(el + 4, 4);
	d->used_seen++;
	return true;
}

void vt_drv_msix_control(struct vt_drv *d, bool enable, bool mask_all)
{
	uint32_t v = (enable ? VB_MSIX_CONTROL_ENABLE : 0u) | (mask_all ? VB_MSIX_CONTROL_MASKALL : 0u);
	vb_pci_config_write(d->e->env.pci, 0, d->slot, 0, d->msix_cap + VB_MSIX_CONTROL, 2, v);
}

void vt_drv_msix_table_write(struct vt_drv *d, uint64_t off, uint64_t v, uint32_t size)
{
	bus_write(d, d->msix_table + off, v, size);
}

void vt_drv_msix_mask(struct vt_drv *d, unsigned i, bool masked)
{
	vt_drv_msix_table_write(d, (uint64_t)i * VB_MSIX_ENTRY_BYTES + VB_MSIX_ENTRY_CTRL,
				masked ? VB_MSIX_CTRL_MASKED : 0u, 4);
}

void vt_drv_msix_vector(struct vt_drv *d, unsigned i, uint32_t data, bool masked)
{
	uint64_t at = (uint64_t)i * VB_MSIX_ENTRY_BYTES;
	vt_drv_msix_mask(d, i, true);
	vt_drv_msix_table_write(d, at + VB_MSIX_ENTRY_ADDR_LO, 0xfee00000u, 4);
	vt_drv_msix_table_write(d, at + VB_MSIX_ENTRY_ADDR_HI, 0, 4);
	vt_drv_msix_table_write(d, at + VB_MSIX_ENTRY_DATA, data, 4);
	if (!masked)
		vt_drv_msix_mask(d, i, false);
}

uint64_t vt_drv_msix_pba(struct vt_drv *d)
{
	return bus_read(d, d->msix_pba, 8);
}

uint16_t vt_drv_config_vector(struct vt_drv *d, uint16_t vector)
{
	bus_write(d, d->common + P_MSIX_CONFIG, vector, 2);
	return (uint16_t)bus_read(d, d->common + P_MSIX_CONFIG, 2);
}

uint16_t vt_drv_queue_vector(struct vt_drv *d, unsigned q, uint16_t vector)
{
	queue_select(d, q);
	bus_write(d, d->common + P_QUEUE_MSIX, vector, 2);
	return (uint16_t)bus_read(d, d->common + P_QUEUE_MSIX, 2);
}
