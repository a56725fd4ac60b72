#include "dev/ivshmem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev/pci.h"
#include "dev/placement.h"
#include "mem/memmap.h"
#include "parse/desc.h"
#include "parse/schema.h"
#include "util/io.h"
#include "util/le.h"
#include "util/refusal.h"
#include "util/size.h"

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
	atomic_bool moved_logged;
};

bool vb_ivshmem_is_shm_name(const char *path)
{
	return path && path[0] == '/' && path[1] && !strchr(path + 1, '/');
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
			atomic_store(&d->intr_mask, (uint32_t)vb_le_get(data, 4));
		else
			v = atomic_load(&d->intr_mask);
		break;
	case VB_IVSHMEM_INTR_STATUS:
		/* Reading acknowledges; nothing sets a bit without peers. */
		if (is_write)
			atomic_store(&d->intr_status, (uint32_t)vb_le_get(data, 4));
		else
			v = atomic_exchange(&d->intr_status, 0);
		break;
	default:
		/* IVPosition: peer number 0; Doorbell: no peer to ring. */
		break;
	}
	if (!is_write)
		vb_le_put(data, v, 4);
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

/* The BAR the guest has moved from where attach placed it, or
 * VB_PCI_MAX_BARS. */
static unsigned moved_bar(const struct ivshmem *d)
{
	if (vb_pci_function_bar_addr(&d->fn, VB_IVSHMEM_MEM_BAR) != d->mem_addr)
		return VB_IVSHMEM_MEM_BAR;
	if (vb_pci_function_bar_addr(&d->fn, VB_IVSHMEM_REG_BAR) != d->reg_addr)
		return VB_IVSHMEM_REG_BAR;
	return VB_PCI_MAX_BARS;
}

/* What both PCI hooks do. The host calls them, under its mutex, after the
 * guest's config write: the command register and the BARs are read from
 * the function's config space, where they live. */
static void check_moved(struct ivshmem *d)
{
	if (!(d->fn.config[VB_PCI_COMMAND] & VB_PCI_COMMAND_MEMORY))
		return;
	unsigned bar = moved_bar(d);
	if (bar == VB_PCI_MAX_BARS || atomic_exchange(&d->moved_logged, true))
		return;
	vb_dev_env_log(d->env, "%s: guest moved BAR%u to 0x%llx: not supported, it stays at 0x%llx",
		       d->name, bar, (unsigned long long)vb_pci_function_bar_addr(&d->fn, bar),
		       (unsigned long long)(bar == VB_IVSHMEM_MEM_BAR ? d->mem_addr : d->reg_addr));
}

static void command_changed(void *opaque, uint16_t old_cmd, uint16_t new_cmd)
{
	(void)old_cmd;
	(void)new_cmd;
	check_moved(opaque);
}

static void bar_moved(void *opaque, unsigned bar, uint64_t old_addr, uint64_t new_addr)
{
	(void)bar;
	(void)old_addr;
	(void)new_addr;
	check_moved(opaque);
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
	d->mem_addr = p->bar_base                           ? p->bar_base
		      : vb_device_is_set(desc, "address") ? vb_device_number(desc, "address")
							  : 0;
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
	vb_le_put(&fn->config[VB_PCI_SUBSYSTEM_VENDOR_ID], IVSHMEM_SUBSYS_VENDOR, 2);
	vb_le_put(&fn->config[VB_PCI_SUBSYSTEM_ID], IVSHMEM_SUBSYS_ID, 2);
	fn->config[VB_PCI_INTERRUPT_PIN] = 0; /* ivshmem-plain: no interrupt */
	fn->bar_moved = bar_moved;
	fn->command_changed = command_changed;
	fn->opaque = d;
	int r = vb_pci_function_set_bar(fn, VB_IVSHMEM_REG_BAR, VB_PCI_BAR_MEM32,
					VB_IVSHMEM_REG_BYTES, d->reg_addr, err);
	if (!r)
		r = vb_pci_function_set_bar(fn, VB_IVSHMEM_MEM_BAR, VB_PCI_BAR_MEM32, d->mem_bytes,
					    d->mem_addr, err);
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

/* A shmem region is a 32-bit PCI memory BAR and a KVM memory slot. */
#define SHMEM_MIN_BYTES 4096ULL
#define SHMEM_MAX_BYTES (2ULL << 30)

/* The size and address rules (SHMEM_SIZE, SHMEM_ALIGN in util/refusal.h),
 * which validate reports at the keys and attach enforces. Where the
 * region lands (the PCI window, clear of other ranges) is placement's.
 * 0, or -EINVAL with err filled. */
static int check_size(uint64_t size_bytes, struct vb_err *err)
{
	char shown[32];
	vb_size_format(size_bytes, shown, sizeof(shown));
	/* BAR2 is a 32-bit memory BAR, so a power of two of at most 2 GiB
	 * (PCI 3.0 6.2.5.1; dev/pci.c), and a KVM memory slot, so whole
	 * pages. */
	if (size_bytes < SHMEM_MIN_BYTES || size_bytes > SHMEM_MAX_BYTES ||
	    (size_bytes & (size_bytes - 1)))
		return vb_refuse(err, VB_REFUSAL_SHMEM_SIZE, EINVAL,
				 "%s is not a power of two from 4 KiB to 2 GiB (a 32-bit PCI BAR of whole pages)",
				 shown);
	return 0;
}

static int check_address(uint64_t size_bytes, uint64_t address, struct vb_err *err)
{
	char shown[32];
	vb_size_format(size_bytes, shown, sizeof(shown));
	/* A BAR is aligned to its size (PCI 3.0 6.2.5.1). */
	if (address & (size_bytes - 1))
		return vb_refuse(err, VB_REFUSAL_SHMEM_ALIGN, EINVAL,
				 "0x%llx is not aligned to the size (%s): a BAR is naturally aligned",
				 (unsigned long long)address, shown);
	return 0;
}

/* Both rules, for a description. */
static int check_region(const struct vb_device_desc *desc, struct vb_err *err)
{
	uint64_t size = vb_device_number(desc, "size");
	int r = check_size(size, err);
	if (!r && vb_device_is_set(desc, "address"))
		r = check_address(size, vb_device_number(desc, "address"), err);
	return r;
}

static int check_desc(const char *name, const struct vb_device_desc *desc, struct vb_err *err)
{
	const char *path = desc ? vb_device_string(desc, "path") : NULL;
	if (!path || !path[0])
		return vb_err_set(err, EINVAL, "%s: shared memory needs a path", name);
	/* The rule validate reports at the file's size and address. */
	int r = check_region(desc, err);
	if (r < 0)
		vb_err_prefix(err, "%s", name);
	return r;
}

static int ivshmem_attach(const struct vb_device_ops *self, struct vb_dev_env *env,
			  const void *config, void **state, struct vb_err *err)
{
	(void)self;
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
	d->mem_bytes = vb_device_number(p->desc, "size");
	r = place(d, p, err);
	if (r < 0) {
		free(d);
		return r;
	}
	r = map_backing(d, vb_device_string(p->desc, "path"), err);
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

/* ---- the device type --------------------------------------------------- */

static void shmem_validate(const struct vb_machine_desc *m, size_t i, struct vb_diags *diags)
{
	const struct vb_device_desc *dev = &m->devices[i];
	struct vb_err err;
	uint64_t size = vb_device_number(dev, "size");
	/* No size: the required-key error already says so. */
	if (!vb_device_is_set(dev, "size"))
		return;
	if (check_size(size, &err))
		vb_diag_error(diags, vb_device_loc(dev, "size"), "devices[%zu].size: %s", i, err.msg);
	else if (vb_device_is_set(dev, "address") &&
		 check_address(size, vb_device_number(dev, "address"), &err))
		vb_diag_error(diags, vb_device_loc(dev, "address"), "devices[%zu].address: %s", i,
			      err.msg);
}

/* A file or object that is created when missing, and must otherwise be a
 * regular file. glibc keeps POSIX shared memory objects in /dev/shm
 * (shm_open(3), shm_overview(7)). */
static void shmem_check_files(const struct vb_device_desc *dev, size_t i,
			      enum vb_severity severity, struct vb_diags *diags)
{
	char what[64], object[512];
	const char *path = vb_device_string(dev, "path");
	if (!path)
		return;
	snprintf(what, sizeof(what), "devices[%zu].path", i);
	if (vb_ivshmem_is_shm_name(path)) {
		int n = snprintf(object, sizeof(object), "/dev/shm%s", path);
		if (n < 0 || (size_t)n >= sizeof(object))
			return; /* shm_open reports the name too long */
		path = object;
	}
	vb_desc_check_path(what, path, vb_device_loc(dev, "path"), VB_FILE_REGULAR, true, severity,
			   diags);
}

static void window_error(const struct vb_device_desc *d, size_t i, struct vb_diags *diags)
{
	char size[32];
	vb_size_format(vb_device_number(d, "size"), size, sizeof(size));
	vb_diag_error(diags, vb_device_loc(d, "address"),
		      "devices[%zu].address: 0x%llx (%s) is not inside the 32-bit PCI window [0x%llx, 0x%llx): below it is guest RAM, above it the IOAPIC and local APIC",
		      i, (unsigned long long)vb_device_number(d, "address"), size,
		      (unsigned long long)VB_GAP_START_BYTES,
		      (unsigned long long)VB_ALLOC_MMIO_END_BYTES);
}

/* The region at the address the file gives, before anything is
 * allocated. */
static void shmem_reserve(const struct vb_device_desc *d, size_t i, const char *id,
			  struct vb_alloc *alloc, struct vb_device_bars *bars,
			  struct vb_diags *diags)
{
	struct vb_err err;
	if (!vb_device_is_set(d, "address") || check_region(d, &err))
		return;
	uint64_t address = vb_device_number(d, "address");
	int r = vb_alloc_mmio_reserve(alloc, address, vb_device_number(d, "size"), id, &err);
	if (r == 0)
		bars->bar_base = address;
	else if (r == -EINVAL) /* outside the window (alloc.h) */
		window_error(d, i, diags);
	else
		vb_diag_error(diags, vb_device_loc(d, "address"), "devices[%zu].address: %s", i,
			      err.msg);
}

static void space_error(const struct vb_device_desc *d, size_t i, struct vb_diags *diags)
{
	char size[32];
	vb_size_format(vb_device_number(d, "size"), size, sizeof(size));
	vb_diag_error(diags, vb_device_loc(d, "size"),
		      "devices[%zu].size: no room for %s aligned to its size in the 32-bit PCI window [0x%llx, 0x%llx) (%llu MiB, shared with the other devices)",
		      i, size, (unsigned long long)VB_GAP_START_BYTES,
		      (unsigned long long)VB_ALLOC_MMIO_END_BYTES,
		      (unsigned long long)((VB_ALLOC_MMIO_END_BYTES - VB_GAP_START_BYTES) >> 20));
}

/* BAR2, the memory, aligned to its size where the file gave no address;
 * then BAR0, the registers. */
static void shmem_place(const struct vb_device_desc *d, size_t i, const char *id,
			struct vb_alloc *alloc, struct vb_device_bars *bars, struct vb_diags *diags)
{
	struct vb_err err;
	if (check_region(d, &err))
		return; /* validate reported it */
	uint64_t size = vb_device_number(d, "size");
	bars->bar_bytes = size;
	if (!vb_device_is_set(d, "address") &&
	    vb_alloc_mmio(alloc, size, size, id, &bars->bar_base, &err)) {
		space_error(d, i, diags);
		return;
	}
	if (vb_alloc_mmio(alloc, VB_IVSHMEM_REG_BYTES, 0, id, &bars->reg_base, &err))
		vb_diag_error(diags, d->loc, "devices[%zu]: %s", i, err.msg);
}

/* --shmem PATH,SIZE[,ADDRESS] */
static int shmem_flag(struct vb_node *dev, const char *flag, char *arg, struct vb_err *err)
{
	char *fields[4];
	size_t n = vb_flag_split(arg, fields, 4);
	if (n < 2 || n > 3)
		return vb_flag_error(err, flag, "expected PATH,SIZE[,ADDRESS]");
	if (vb_flag_put_string(dev, "path", fields[0], flag) ||
	    vb_flag_put_string(dev, "size", fields[1], flag))
		return -ENOMEM;
	if (n == 3) {
		char *end;
		errno = 0;
		unsigned long long address = strtoull(fields[2], &end, 0);
		if (errno || *end || address > INT64_MAX)
			return vb_flag_error(err, flag, "\"%s\" is not an address", fields[2]);
		if (vb_flag_put_int(dev, "address", (int64_t)address, flag))
			return -ENOMEM;
	}
	return 0;
}

static const struct vb_key_schema shmem_keys[] = {
	{ .name = "path", .type = VB_KEY_STRING, .required = true,
	  .help = "host file, or a POSIX shared memory object name starting with '/'" },
	{ .name = "size", .type = VB_KEY_SIZE, .size_unit = 1, .required = true,
	  .help = "size of the shared region, a power of two such as \"16M\"" },
	{ .name = "address", .type = VB_KEY_SIZE, .size_unit = 1,
	  .default_text = "allocated in the PCI window",
	  .help = "guest physical address of the region (BAR), aligned to its size" },
};

static const struct vb_device_flag shmem_flags[] = {
	{ .long_name = "--shmem", .arg = "PATH,SIZE[,ADDRESS]",
	  .help = "add an ivshmem shared memory device; repeatable", .parse = shmem_flag },
};

static const struct vb_plan_field shmem_plan[] = {
	{ .key = "path", .text_prefix = "  ", .json_name = "path" },
};

const struct vb_device_type vb_ivshmem_type = {
	.name = "shmem", .help = "ivshmem-compatible shared memory PCI device",
	.keys = shmem_keys, .n_keys = VB_COUNT(shmem_keys), .validate = shmem_validate,
	.check_files = shmem_check_files, .flags = shmem_flags, .n_flags = VB_COUNT(shmem_flags),
	.model = "ivshmem", .plan = shmem_plan, .n_plan = VB_COUNT(shmem_plan),
	.reserve = shmem_reserve, .place = shmem_place, .ops = &vb_ivshmem_ops,
};
