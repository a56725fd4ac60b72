#include "dev/pci.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/le.h"

#define ADDR_ENABLE 0x80000000u
/* Bits 30:24 are reserved (read as 0) and 1:0 are fixed 0 for type-1
 * cycles (PCI 3.0, figure 3-1). */
#define ADDR_WRITABLE 0x80fffffcu

struct vb_pci_host {
	pthread_mutex_t lock;
	uint32_t address;
	struct vb_pci_function *slots[VB_PCI_SLOTS];
	struct vb_pci_function bridge;
	struct vb_dev_env *env; /* registry glue */
};


void vb_pci_function_init(struct vb_pci_function *fn, const char *name,
			  uint16_t vendor, uint16_t device, uint32_t class_code,
			  uint8_t revision)
{
	memset(fn, 0, sizeof(*fn));
	fn->name = name;
	vb_le_put(&fn->config[VB_PCI_VENDOR_ID], vendor, 2);
	vb_le_put(&fn->config[VB_PCI_DEVICE_ID], device, 2);
	fn->config[VB_PCI_REVISION] = revision;
	fn->config[VB_PCI_CLASS_PROG] = (uint8_t)class_code;
	fn->config[VB_PCI_CLASS_PROG + 1] = (uint8_t)(class_code >> 8);
	fn->config[VB_PCI_CLASS_PROG + 2] = (uint8_t)(class_code >> 16);
	/* Command: I/O, memory, bus master, parity, SERR#, INTx disable. */
	vb_le_put(&fn->wmask[VB_PCI_COMMAND], 0x0547, 2);
	fn->wmask[0x0c] = 0xff; /* cache line size */
	fn->wmask[0x0d] = 0xff; /* latency timer */
	fn->wmask[VB_PCI_INTERRUPT_LINE] = 0xff;
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int vb_pci_function_set_bar(struct vb_pci_function *fn, unsigned bar,
			    enum vb_pci_bar_kind kind, uint64_t size_bytes,
			    uint64_t addr, struct vb_err *err)
{
	const char *name = fn->name ? fn->name : "pci";
	if (bar >= VB_PCI_MAX_BARS)
		return vb_err_set(err, EINVAL, "%s: BAR %u out of range", name, bar);
	uint8_t *reg = &fn->config[VB_PCI_BAR0 + 4 * bar];
	uint8_t *mask = &fn->wmask[VB_PCI_BAR0 + 4 * bar];
	if (kind == VB_PCI_BAR_NONE) {
		fn->bars[bar].kind = kind;
		fn->bars[bar].size_bytes = 0;
		vb_le_put(reg, 0, 4);
		vb_le_put(mask, 0, 4);
		return 0;
	}
	bool io = kind == VB_PCI_BAR_IO;
	uint64_t min = io ? 4 : 16, max = io ? 256 : (1ULL << 31);
	if (!is_pow2(size_bytes) || size_bytes < min || size_bytes > max)
		return vb_err_set(err, EINVAL,
				  "%s: BAR %u size 0x%llx is not a power of two in [0x%llx, 0x%llx]",
				  name, bar, (unsigned long long)size_bytes,
				  (unsigned long long)min, (unsigned long long)max);
	if ((addr & (size_bytes - 1)) || addr > UINT32_MAX - (size_bytes - 1))
		return vb_err_set(err, EINVAL,
				  "%s: BAR %u address 0x%llx not aligned to its size or above 4 GiB",
				  name, bar, (unsigned long long)addr);
	fn->bars[bar].kind = kind;
	fn->bars[bar].size_bytes = size_bytes;
	/* Memory BAR type bits 0 (32-bit, not prefetchable); I/O bit 0 set. */
	vb_le_put(reg, (uint32_t)addr | (io ? 0x1u : 0x0u), 4);
	vb_le_put(mask, (uint32_t)~(size_bytes - 1), 4);
	return 0;
}

uint64_t vb_pci_function_bar_addr(const struct vb_pci_function *fn,
				  unsigned bar)
{
	if (bar >= VB_PCI_MAX_BARS)
		return 0;
	uint32_t v = (uint32_t)vb_le_get(&fn->config[VB_PCI_BAR0 + 4 * bar], 4);
	switch (fn->bars[bar].kind) {
	case VB_PCI_BAR_MEM32: return v & ~0xfu;
	case VB_PCI_BAR_IO: return v & ~0x3u;
	default: return 0;
	}
}

int vb_pci_function_add_cap(struct vb_pci_function *fn, uint8_t id,
			    const uint8_t *body, uint8_t body_len,
			    uint8_t *offset, struct vb_err *err)
{
	/* Capabilities live after the 64-byte standard header, each
	 * dword aligned (PCI 3.0 section 6.7). */
	unsigned off = fn->last_cap ? (fn->cap_end + 3u) & ~3u : 0x40;
	if (off + 2u + body_len > VB_PCI_CONFIG_BYTES)
		return vb_err_set(err, ENOSPC,
				  "%s: no room for capability 0x%02x (%u bytes)",
				  fn->name ? fn->name : "pci", id, body_len + 2u);
	fn->config[off] = id;
	fn->config[off + 1] = 0;
	if (body_len)
		memcpy(&fn->config[off + 2], body, body_len);
	if (fn->last_cap)
		fn->config[fn->last_cap + 1] = (uint8_t)off;
	else
		fn->config[VB_PCI_CAP_PTR] = (uint8_t)off;
	fn->config[VB_PCI_STATUS] |= VB_PCI_STATUS_CAP_LIST;
	fn->last_cap = (uint8_t)off;
	fn->cap_end = (uint16_t)(off + 2u + body_len);
	if (offset)
		*offset = (uint8_t)off;
	return 0;
}

static struct vb_pci_function *lookup(struct vb_pci_host *h, uint32_t bus,
				      uint32_t dev, uint32_t func)
{
	if (bus != 0 || dev >= VB_PCI_SLOTS || func != 0)
		return NULL;
	return h->slots[dev];
}

static bool valid_access(uint32_t reg, uint32_t size)
{
	if (size != 1 && size != 2 && size != 4)
		return false;
	return reg < VB_PCI_CONFIG_BYTES && (reg & 3u) + size <= 4;
}

static uint32_t cfg_read(struct vb_pci_host *h, uint32_t bus, uint32_t dev,
			 uint32_t func, uint32_t reg, uint32_t size)
{
	struct vb_pci_function *fn = lookup(h, bus, dev, func);
	if (!fn || !valid_access(reg, size))
		return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	uint32_t v = 0;
	for (uint32_t i = 0; i < size; i++)
		v |= (uint32_t)fn->config[reg + i] << (8 * i);
	return v;
}

static uint16_t command_of(const struct vb_pci_function *fn)
{
	return (uint16_t)(fn->config[VB_PCI_COMMAND] |
			  fn->config[VB_PCI_COMMAND + 1] << 8);
}

static void cfg_write(struct vb_pci_host *h, uint32_t bus, uint32_t dev,
		      uint32_t func, uint32_t reg, uint32_t size, uint32_t value)
{
	struct vb_pci_function *fn = lookup(h, bus, dev, func);
	if (!fn || !valid_access(reg, size))
		return;
	uint16_t old_cmd = command_of(fn);
	uint64_t old_bar[VB_PCI_MAX_BARS];
	for (unsigned b = 0; b < VB_PCI_MAX_BARS; b++)
		old_bar[b] = vb_pci_function_bar_addr(fn, b);
	for (uint32_t i = 0; i < size; i++) {
		uint8_t m = fn->wmask[reg + i];
		uint8_t v = (uint8_t)(value >> (8 * i));
		fn->config[reg + i] = (uint8_t)((fn->config[reg + i] & ~m) | (v & m));
	}
	uint16_t new_cmd = command_of(fn);
	if (new_cmd != old_cmd && fn->command_changed)
		fn->command_changed(fn->opaque, old_cmd, new_cmd);
	for (unsigned b = 0; b < VB_PCI_MAX_BARS; b++) {
		uint64_t now = vb_pci_function_bar_addr(fn, b);
		if (now != old_bar[b] && fn->bar_moved)
			fn->bar_moved(fn->opaque, b, old_bar[b], now);
	}
	if (fn->config_written)
		fn->config_written(fn->opaque, reg, size);
}

uint32_t vb_pci_config_read(struct vb_pci_host *h, uint32_t bus, uint32_t dev,
			    uint32_t func, uint32_t reg, uint32_t size)
{
	pthread_mutex_lock(&h->lock);
	uint32_t v = cfg_read(h, bus, dev, func, reg, size);
	pthread_mutex_unlock(&h->lock);
	return v;
}

void vb_pci_config_write(struct vb_pci_host *h, uint32_t bus, uint32_t dev,
			 uint32_t func, uint32_t reg, uint32_t size,
			 uint32_t value)
{
	pthread_mutex_lock(&h->lock);
	cfg_write(h, bus, dev, func, reg, size, value);
	pthread_mutex_unlock(&h->lock);
}

static uint32_t load_le(const uint8_t *data, uint32_t size)
{
	uint32_t v = 0;
	for (uint32_t i = 0; i < size && i < 4; i++)
		v |= (uint32_t)data[i] << (8 * i);
	return v;
}

static void store_le(uint8_t *data, uint32_t size, uint32_t v)
{
	for (uint32_t i = 0; i < size; i++)
		data[i] = i < 4 ? (uint8_t)(v >> (8 * i)) : 0xff;
}

static void data_port(struct vb_pci_host *h, uint32_t port_off, uint8_t *data,
		      uint32_t size, bool is_write)
{
	uint32_t a = h->address;
	bool ok = (a & ADDR_ENABLE) && port_off + size <= 4 &&
		  (size == 1 || size == 2 || size == 4);
	if (!ok) {
		if (!is_write)
			memset(data, 0xff, size);
		return;
	}
	uint32_t bus = (a >> 16) & 0xff, dev = (a >> 11) & 0x1f;
	uint32_t func = (a >> 8) & 0x7, reg = (a & 0xfc) + port_off;
	if (is_write)
		cfg_write(h, bus, dev, func, reg, size, load_le(data, size));
	else
		store_le(data, size, cfg_read(h, bus, dev, func, reg, size));
}

int vb_pci_host_access(void *opaque, uint64_t offset, uint8_t *data,
		       uint32_t size, bool is_write)
{
	struct vb_pci_host *h = opaque;
	pthread_mutex_lock(&h->lock);
	if (offset == 0 && size == 4) {
		/* Only dword accesses reach CONFIG_ADDRESS; byte accesses to
		 * 0xCF8-0xCFB are ordinary I/O (0xCF9 reset is not modelled). */
		if (is_write)
			h->address = load_le(data, 4) & ADDR_WRITABLE;
		else
			store_le(data, 4, h->address);
	} else if (offset >= 4 && offset < VB_PCI_PORTS) {
		data_port(h, (uint32_t)(offset - 4), data, size, is_write);
	} else if (!is_write) {
		memset(data, 0xff, size);
	}
	pthread_mutex_unlock(&h->lock);
	return 0;
}

int vb_pci_host_create(struct vb_pci_host **out, struct vb_err *err)
{
	struct vb_pci_host *h = calloc(1, sizeof(*h));
	if (!h)
		return vb_err_errno(err, ENOMEM, "pci-host");
	int r = pthread_mutex_init(&h->lock, NULL);
	if (r) {
		free(h);
		return vb_err_errno(err, r, "pci-host: mutex");
	}
	/* Intel 82441FX (i440FX) host bridge id: Linux's type-1 sanity check
	 * looks for a host bridge class (0x0600) on bus 0. */
	vb_pci_function_init(&h->bridge, "pci-host", 0x8086, 0x1237, 0x060000, 2);
	h->slots[0] = &h->bridge;
	*out = h;
	return 0;
}

void vb_pci_host_destroy(struct vb_pci_host *h)
{
	if (!h)
		return;
	pthread_mutex_destroy(&h->lock);
	free(h);
}

int vb_pci_host_add(struct vb_pci_host *h, struct vb_pci_function *fn,
		    uint32_t slot, struct vb_err *err)
{
	const char *name = fn->name ? fn->name : "pci";
	if (slot == 0 || slot >= VB_PCI_SLOTS)
		return vb_err_set(err, EINVAL, "%s: PCI slot %u out of range (1-%d)",
				  name, slot, VB_PCI_SLOTS - 1);
	pthread_mutex_lock(&h->lock);
	struct vb_pci_function *cur = h->slots[slot];
	if (!cur)
		h->slots[slot] = fn;
	pthread_mutex_unlock(&h->lock);
	if (cur)
		return vb_err_set(err, EBUSY, "%s: PCI slot %u already used by %s",
				  name, slot, cur->name ? cur->name : "?");
	return 0;
}

void vb_pci_host_remove(struct vb_pci_host *h, uint32_t slot)
{
	if (slot == 0 || slot >= VB_PCI_SLOTS)
		return;
	pthread_mutex_lock(&h->lock);
	h->slots[slot] = NULL;
	pthread_mutex_unlock(&h->lock);
}

static int pci_attach(const struct vb_device_ops *self, struct vb_dev_env *env,
		      const void *config, void **state, struct vb_err *err)
{
	(void)self;
	(void)config;
	if (env->pci)
		return vb_err_set(err, EEXIST, "pci-host: already attached");
	int r = vb_alloc_pci_slot_claim(env->alloc, 0, "pci-host", err);
	if (r < 0)
		return r;
	struct vb_pci_host *h;
	r = vb_pci_host_create(&h, err);
	if (r < 0) {
		vb_alloc_pci_slot_release(env->alloc, 0);
		return r;
	}
	struct vb_bus_range range = {
		.base = VB_PCI_CONFIG_ADDRESS_PORT, .len = VB_PCI_PORTS,
		.name = "pci-host", .access = vb_pci_host_access, .opaque = h,
	};
	r = vb_bus_register(env->pio, &range, err);
	if (r < 0) {
		vb_alloc_pci_slot_release(env->alloc, 0);
		vb_pci_host_destroy(h);
		return r;
	}
	h->env = env;
	env->pci = h;
	*state = h;
	return 0;
}

static void pci_detach(void *state)
{
	struct vb_pci_host *h = state;
	if (!h)
		return;
	(void)vb_bus_unregister(h->env->pio, VB_PCI_CONFIG_ADDRESS_PORT, NULL);
	if (h->env->pci == h)
		h->env->pci = NULL;
	vb_alloc_pci_slot_release(h->env->alloc, 0);
	vb_pci_host_destroy(h);
}

const struct vb_device_ops vb_pci_host_ops = {
	.name = "pci-host",
	.attach = pci_attach,
	.detach = pci_detach,
};
