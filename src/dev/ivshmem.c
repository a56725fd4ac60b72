#include "dev/ivshmem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev/pci.h"
#include "parse/desc.h"
#include "parse/schema.h"
#include "util/io.h"
#include "virtio/virtio.h"

/* QEMU's ivshmem uses Red Hat's subsystem ids; guests do not look at them,
 * but tools listing devices name it by them. */
#define IVSHMEM_SUBSYS_VENDOR 0x1af4u
#define IVSHMEM_SUBSYS_ID 0x1100u

struct ivshmem {
	struct vb_dev_env *env;
	const char *name;
	struct vb_pci_function fn;
	uint32_t slot;
	uint64_t reg_addr;
	uint64_t mem_addr;
	uint64_t mem_bytes;
	uint8_t *mem;         /* MAP_SHARED view of the backing */
	bool kvm_mapped;
	uint32_t kvm_slot;
	bool on_pci, reg_on_bus, mem_on_bus;
	atomic_uint intr_mask;
	atomic_uint intr_status;
	/* PCI config callbacks run under the host's mutex, one at a time. */
	uint16_t command;
	uint64_t bar_now[VB_PCI_MAX_BARS];
	atomic_bool moved_logged;
};

bool vb_ivshmem_is_shm_name(const char *path)
{
	return path && path[0] == '/' && path[1] && !strchr(path + 1, '/');
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le(uint8_t *p, uint32_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* BAR0. The spec defines 32-bit registers; other sizes or offsets read as
 * zero and are dropped, as are writes to read-only registers. */
static int reg_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t size,
		      bool is_write)
{
	struct ivshmem *d = opaque;
	if (size != 4 || (offset & 3)) {
		if (!is_write)
			memset(data, 0, size);
		return 0;
	}
	uint32_t v = 0;
	switch (offset) {
	case VB_IVSHMEM_INTR_MASK:
		if (is_write)
			atomic_store(&d->intr_mask, get_le32(data));
		else
			v = atomic_load(&d->intr_mask);
		break;
	case VB_IVSHMEM_INTR_STATUS:
		/* Reading acknowledges; nothing sets a bit without peers. */
		if (is_write)
			atomic_store(&d->intr_status, get_le32(data));
		else
			v = atomic_exchange(&d->intr_status, 0);
		break;
	default:
		/* IVPosition: peer number 0; Doorbell: no peer to ring. */
		break;
	}
	if (!is_write)
		put_le(data, v, 4);
	return 0;
}

/* BAR2 when an access traps (no KVM slot). The bus only hands over
 * accesses that lie inside the range. */
static int mem_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t size,
		      bool is_write)
{
	struct ivshmem *d = opaque;
	if (offset > d->mem_bytes || size > d->mem_bytes - offset)
		return 0;
	if (is_write)
		memcpy(d->mem + offset, data, size);
	else
		memcpy(data, d->mem + offset, size);
	return 0;
}

static void check_moved(struct ivshmem *d)
{
	if (!(d->command & VB_PCI_COMMAND_MEMORY))
		return;
	unsigned bar = d->bar_now[VB_IVSHMEM_MEM_BAR] != d->mem_addr ? VB_IVSHMEM_MEM_BAR :
		       d->bar_now[VB_IVSHMEM_REG_BAR] != d->reg_addr ? VB_IVSHMEM_REG_BAR :
								     VB_PCI_MAX_BARS;
	if (bar == VB_PCI_MAX_BARS || atomic_exchange(&d->moved_logged, true))
		return;
	vb_dev_env_log(d->env, "%s: guest moved BAR%u to 0x%llx: not supported, it stays at 0x%llx",
		       d->name, bar, (unsigned long long)d->bar_now[bar],
		       (unsigned long long)(bar == VB_IVSHMEM_MEM_BAR ? d->mem_addr : d->reg_addr));
}

static void command_changed(void *opaque, uint16_t old_cmd, uint16_t new_cmd)
{
	struct ivshmem *d = opaque;
	(void)old_cmd;
	d->command = new_cmd;
	check_moved(d);
}

static void bar_moved(void *opaque, unsigned bar, uint64_t old_addr, uint64_t new_addr)
{
	struct ivshmem *d = opaque;
	(void)old_addr;
	if (bar < VB_PCI_MAX_BARS)
		d->bar_now[bar] = new_addr;
	check_moved(d);
}

/* Open (creating) the backing and make it at least size bytes. Returns the
 * descriptor or -errno. */
static int open_backing(const struct ivshmem *d, const char *path, uint64_t size,
			struct vb_err *err)
{
	struct stat st;
	int fd, r = 0;
	/* A regular file only, opened without waiting: O_NONBLOCK keeps a
	 * FIFO in /dev/shm from blocking shm_open (glibc passes the flags
	 * to open(2)); a host file goes through the one checked opener. */
	if (vb_ivshmem_is_shm_name(path)) {
		fd = shm_open(path, O_RDWR | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600);
		if (fd < 0)
			return vb_err_errno(err, errno, "%s: shm_open %s", d->name, path);
		r = vb_fd_expect(fd, path, VB_FILE_REGULAR, &st, err);
	} else {
		fd = vb_open_expect(path, O_RDWR | O_CREAT, VB_FILE_REGULAR, &st, err);
		if (fd < 0) {
			vb_err_prefix(err, "%s: open", d->name);
			return fd;
		}
	}
	if (r < 0)
		vb_err_prefix(err, "%s", d->name);
	else if ((uint64_t)st.st_size < size && ftruncate(fd, (off_t)size) < 0)
		r = vb_err_errno(err, errno, "%s: grow %s to %llu bytes", d->name, path,
				 (unsigned long long)size);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

static int map_backing(struct ivshmem *d, const char *path, struct vb_err *err)
{
	int fd = open_backing(d, path, d->mem_bytes, err);
	if (fd < 0)
		return fd;
	void *p = mmap(NULL, d->mem_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int saved = errno;
	close(fd);
	if (p == MAP_FAILED)
		return vb_err_errno(err, saved, "%s: mmap %s", d->name, path);
	d->mem = p;
	return 0;
}

/* Slot and addresses: explicit ones are claimed, the rest allocated. */
static int place(struct ivshmem *d, const struct vb_virtio_placement *p, struct vb_err *err)
{
	const struct vb_device_desc *desc = p->desc;
	struct vb_alloc *a = d->env->alloc;
	int r = p->pci_slot ? vb_alloc_pci_slot_claim(a, p->pci_slot, d->name, err) :
			      vb_alloc_pci_slot(a, d->name, &d->slot, err);
	if (r < 0)
		return r;
	if (p->pci_slot)
		d->slot = p->pci_slot;
	/* Where resolve placed BAR2 (the file's address or one it chose), or
	 * the desc's address (tests), reserved: the allocator keeps it inside
	 * the PCI window, below the IOAPIC and clear of RAM and of every
	 * other range, so the KVM slot overlaps nothing. */
	d->mem_addr = p->bar_base ? p->bar_base : desc->has_address ? desc->address : 0;
	r = d->mem_addr ? vb_alloc_mmio_reserve(a, d->mem_addr, d->mem_bytes, d->name, err) :
			  vb_alloc_mmio(a, d->mem_bytes, d->mem_bytes, d->name, &d->mem_addr, err);
	d->reg_addr = p->reg_base;
	if (!r)
		r = d->reg_addr ? vb_alloc_mmio_reserve(a, d->reg_addr, VB_IVSHMEM_REG_BYTES, d->name,
							err) :
				  vb_alloc_mmio(a, VB_IVSHMEM_REG_BYTES, 0, d->name, &d->reg_addr, err);
	if (r < 0)
		vb_alloc_pci_slot_release(a, d->slot);
	return r;
}

static int build_function(struct ivshmem *d, struct vb_err *err)
{
	struct vb_pci_function *fn = &d->fn;
	vb_pci_function_init(fn, d->name, VB_IVSHMEM_VENDOR, VB_IVSHMEM_DEVICE, VB_IVSHMEM_CLASS,
			     VB_IVSHMEM_REVISION);
	put_le(&fn->config[VB_PCI_SUBSYSTEM_VENDOR_ID], IVSHMEM_SUBSYS_VENDOR, 2);
	put_le(&fn->config[VB_PCI_SUBSYSTEM_ID], IVSHMEM_SUBSYS_ID, 2);
	fn->config[VB_PCI_INTERRUPT_PIN] = 0; /* ivshmem-plain: no interrupt */
	fn->bar_moved = bar_moved;
	fn->command_changed = command_changed;
	fn->opaque = d;
	int r = vb_pci_function_set_bar(fn, VB_IVSHMEM_REG_BAR, VB_PCI_BAR_MEM32,
					VB_IVSHMEM_REG_BYTES, d->reg_addr, err);
	if (!r)
		r = vb_pci_function_set_bar(fn, VB_IVSHMEM_MEM_BAR, VB_PCI_BAR_MEM32, d->mem_bytes,
					    d->mem_addr, err);
	d->bar_now[VB_IVSHMEM_REG_BAR] = d->reg_addr;
	d->bar_now[VB_IVSHMEM_MEM_BAR] = d->mem_addr;
	return r;
}

static int plug(struct ivshmem *d, struct vb_err *err)
{
	struct vb_dev_env *env = d->env;
	struct vb_bus_range reg = {
		.base = d->reg_addr, .len = VB_IVSHMEM_REG_BYTES, .name = d->name,
		.access = reg_access, .opaque = d,
	};
	struct vb_bus_range mem = {
		.base = d->mem_addr, .len = d->mem_bytes, .name = d->name,
		.access = mem_access, .opaque = d,
	};
	int r = vb_bus_register(env->mmio, &mem, err);
	if (r < 0)
		return r;
	d->mem_on_bus = true;
	r = vb_bus_register(env->mmio, &reg, err);
	if (r < 0)
		return r;
	d->reg_on_bus = true;
	if (env->map_memory) {
		r = env->map_memory(env->memory_ctx, d->mem_addr, d->mem, d->mem_bytes, &d->kvm_slot,
				    err);
		if (r < 0) {
			vb_err_prefix(err, "%s", d->name);
			return r;
		}
		d->kvm_mapped = true;
	}
	r = vb_pci_host_add(env->pci, &d->fn, d->slot, err);
	if (r < 0)
		return r;
	d->on_pci = true;
	return 0;
}

static void ivshmem_free(struct ivshmem *d)
{
	struct vb_dev_env *env = d->env;
	if (d->on_pci)
		vb_pci_host_remove(env->pci, d->slot);
	if (d->kvm_mapped && env->unmap_memory)
		env->unmap_memory(env->memory_ctx, d->kvm_slot);
	if (d->reg_on_bus)
		(void)vb_bus_unregister(env->mmio, d->reg_addr, NULL);
	if (d->mem_on_bus)
		(void)vb_bus_unregister(env->mmio, d->mem_addr, NULL);
	if (d->mem)
		munmap(d->mem, d->mem_bytes);
	vb_alloc_pci_slot_release(env->alloc, d->slot);
	free(d);
}

static int check_desc(const char *name, const struct vb_device_desc *desc, struct vb_err *err)
{
	if (!desc || !desc->path || !desc->path[0])
		return vb_err_set(err, EINVAL, "%s: shared memory needs a path", name);
	/* The rule validate reports at the file's size and address. */
	int r = vb_shmem_check(desc, err);
	if (r < 0)
		vb_err_prefix(err, "%s", name);
	return r;
}

static int ivshmem_attach(struct vb_dev_env *env, const void *config, void **state,
			  struct vb_err *err)
{
	const struct vb_virtio_placement *p = config;
	const char *name = p && p->name ? p->name : "shmem";
	if (!p)
		return vb_err_set(err, EINVAL, "%s: shared memory needs a path and a size", name);
	int r = check_desc(name, p->desc, err);
	if (r < 0)
		return r;
	if (!env->pci)
		return vb_err_set(err, EINVAL, "%s: no PCI host bridge attached", name);
	struct ivshmem *d = calloc(1, sizeof(*d));
	if (!d)
		return vb_err_errno(err, ENOMEM, "%s", name);
	d->env = env;
	d->name = name;
	d->mem_bytes = p->desc->size_bytes;
	r = place(d, p, err);
	if (r < 0) {
		free(d);
		return r;
	}
	r = map_backing(d, p->desc->path, err);
	if (!r)
		r = build_function(d, err);
	if (!r)
		r = plug(d, err);
	if (r < 0) {
		ivshmem_free(d);
		return r;
	}
	*state = d;
	return 0;
}

static void ivshmem_detach(void *state)
{
	if (state)
		ivshmem_free(state);
}

const struct vb_device_ops vb_ivshmem_ops = {
	.name = "shmem",
	.attach = ivshmem_attach,
	.detach = ivshmem_detach,
};
