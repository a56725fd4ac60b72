/* The ivshmem device without KVM: PCI identity and BAR sizing as a guest
 * probes them, the shared file or POSIX shm object (written through the
 * mapping the builder would make a KVM slot of, and through trapped
 * accesses), the register block, and the attach errors. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev/ivshmem.h"
#include "dev/pci.h"
#include "mem/memmap.h"
#include "parse/desc.h"
#include "virtio/virtio.h"

#define SLOT 3u
#define SIZE (64u * 1024u)

struct fixture {
	struct vb_bus pio, mmio;
	struct vb_alloc alloc;
	struct vb_dev_env env;
	struct vb_dev_set devices;
	struct vb_device_desc desc;
	struct vb_virtio_placement place;
	char dir[64];
	char path[128];
	/* fake map_memory */
	bool map_fails;
	unsigned maps, unmaps;
	uint64_t map_gpa, map_bytes;
	uint8_t *map_host;
	uint32_t unmapped_slot;
	unsigned log_lines;
	char last_log[256];
};

static int fake_map(void *ctx, uint64_t gpa, void *host, uint64_t bytes, uint32_t *slot,
		    struct vb_err *err)
{
	struct fixture *f = ctx;
	if (f->map_fails)
		return vb_err_set(err, EEXIST, "KVM_SET_USER_MEMORY_REGION: File exists");
	f->maps++;
	f->map_gpa = gpa;
	f->map_host = host;
	f->map_bytes = bytes;
	*slot = 42;
	return 0;
}

static void fake_unmap(void *ctx, uint32_t slot)
{
	struct fixture *f = ctx;
	f->unmaps++;
	f->unmapped_slot = slot;
}

static void fake_log(void *ctx, const char *msg)
{
	struct fixture *f = ctx;
	f->log_lines++;
	snprintf(f->last_log, sizeof(f->last_log), "%s", msg);
}

/* A shmem device of path and size, no address. */
static void set_desc(struct fixture *f, const char *path, uint64_t size)
{
	vb_device_desc_free(&f->desc);
	assert_int_equal(vb_device_desc_init(&f->desc, &vb_ivshmem_type), 0);
	assert_int_equal(vb_device_set_string(&f->desc, "path", path), 0);
	assert_int_equal(vb_device_set_number(&f->desc, "size", size), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	vb_bus_init(&f->pio, "pio", NULL);
	vb_bus_init(&f->mmio, "mmio", NULL);
	vb_alloc_init(&f->alloc);
	f->env = (struct vb_dev_env){
		.pio = &f->pio, .mmio = &f->mmio, .alloc = &f->alloc,
		.map_memory = fake_map, .unmap_memory = fake_unmap, .memory_ctx = f,
		.log = fake_log, .log_ctx = f,
	};
	struct vb_err err;
	assert_int_equal(vb_dev_set_attach(&f->devices, &f->env, &vb_pci_host_ops, NULL, &err), 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vb-test-shmem-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/shared", f->dir);
	set_desc(f, f->path, SIZE);
	f->place = (struct vb_virtio_placement){ .name = "shmem0", .desc = &f->desc, .pci_slot = SLOT };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	vb_dev_set_detach_all(&f->devices);
	vb_device_desc_free(&f->desc);
	vb_bus_free(&f->pio);
	vb_bus_free(&f->mmio);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int attach(struct fixture *f, struct vb_err *err)
{
	return vb_dev_set_attach(&f->devices, &f->env, &vb_ivshmem_ops, &f->place, err);
}

static uint32_t cfg(struct fixture *f, uint32_t reg, uint32_t size)
{
	return vb_pci_config_read(f->env.pci, 0, SLOT, 0, reg, size);
}

static void cfg_write(struct fixture *f, uint32_t reg, uint32_t v)
{
	vb_pci_config_write(f->env.pci, 0, SLOT, 0, reg, 4, v);
}

/* The BAR's size as a guest finds it: write all-ones, read the mask. */
static uint64_t bar_size(struct fixture *f, unsigned bar)
{
	uint32_t reg = VB_PCI_BAR0 + 4 * bar;
	uint32_t old = cfg(f, reg, 4);
	cfg_write(f, reg, 0xffffffffu);
	uint32_t mask = cfg(f, reg, 4);
	cfg_write(f, reg, old);
	assert_int_equal(cfg(f, reg, 4), old);
	assert_int_equal(mask & 0xf, 0); /* 32-bit memory, not prefetchable */
	return ((uint64_t)(~(mask & ~0xfu)) + 1) & 0xffffffffu;
}

static uint32_t reg_read(struct fixture *f, uint32_t off, uint32_t size)
{
	uint8_t b[4] = { 0xAA, 0xAA, 0xAA, 0xAA };
	uint64_t bar0 = cfg(f, VB_PCI_BAR0, 4) & ~0xfu;
	assert_int_equal(vb_bus_dispatch(&f->mmio, bar0 + off, b, size, false), 0);
	uint32_t v = 0;
	for (uint32_t i = 0; i < size; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

static void reg_write(struct fixture *f, uint32_t off, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	uint64_t bar0 = cfg(f, VB_PCI_BAR0, 4) & ~0xfu;
	assert_int_equal(vb_bus_dispatch(&f->mmio, bar0 + off, b, 4, true), 0);
}

static void read_file(const char *path, uint64_t off, void *buf, size_t n)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, n, (off_t)off), (ssize_t)n);
	close(fd);
}

static void test_identity_and_bars(void **state)
{
	struct fixture *f = *state;
	struct vb_err err;
	assert_int_equal(attach(f, &err), 0);
	assert_int_equal(cfg(f, VB_PCI_VENDOR_ID, 2), VB_IVSHMEM_VENDOR);
	assert_int_equal(cfg(f, VB_PCI_DEVICE_ID, 2), VB_IVSHMEM_DEVICE);
	assert_int_equal(cfg(f, VB_PCI_REVISION, 1), VB_IVSHMEM_REVISION);
	assert_int_equal(cfg(f, VB_PCI_REVISION, 4) >> 16, 0x0500);
	assert_int_equal(cfg(f, VB_PCI_INTERRUPT_PIN, 1), 0);
	assert_int_equal(bar_size(f, VB_IVSHMEM_REG_BAR), VB_IVSHMEM_REG_BYTES);
	assert_int_equal(bar_size(f, VB_IVSHMEM_MEM_BAR), SIZE);
	/* BAR2 is naturally aligned in the PCI window and is what the
	 * builder was asked to map. */
	uint64_t bar2 = cfg(f, VB_PCI_BAR0 + 8, 4) & ~0xfu;
	assert_true(bar2 >= VB_GAP_START_BYTES);
	assert_int_equal(bar2 & (SIZE - 1), 0);
	assert_int_equal(f->maps, 1);
	assert_int_equal(f->map_gpa, bar2);
	assert_int_equal(f->map_bytes, SIZE);
	/* BARs 1, 3-5 are absent. */
	assert_int_equal(cfg(f, VB_PCI_BAR0 + 4, 4), 0);
	assert_int_equal(cfg(f, VB_PCI_BAR0 + 12, 4), 0);
}

static void test_file_mapping(void **state)
{
	struct fixture *f = *state;
	struct vb_err err;
	assert_int_equal(access(f->path, F_OK), -1);
	assert_int_equal(attach(f, &err), 0);
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, SIZE);
	/* What the guest would store through the KVM slot... */
	memcpy(f->map_host + 4096, "through the slot", 16);
	char got[16];
	read_file(f->path, 4096, got, sizeof(got));
	assert_memory_equal(got, "through the slot", 16);
	/* ...and through a trapped access. */
	uint64_t bar2 = cfg(f, VB_PCI_BAR0 + 8, 4) & ~0xfu;
	uint8_t v[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	assert_int_equal(vb_bus_dispatch(&f->mmio, bar2 + SIZE - 8, v, 8, true), 0);
	read_file(f->path, SIZE - 8, got, 8);
	assert_memory_equal(got, v, 8);
	uint8_t back[8] = { 0 };
	assert_int_equal(vb_bus_dispatch(&f->mmio, bar2 + SIZE - 8, back, 8, false), 0);
	assert_memory_equal(back, v, 8);
	/* Past the end is not the device's. */
	assert_int_equal(vb_bus_dispatch(&f->mmio, bar2 + SIZE - 4, back, 8, false),
			 VB_BUS_UNCLAIMED);
	/* Detach unmaps the slot; the bytes stay in the file. */
	vb_dev_set_detach_all(&f->devices);
	assert_int_equal(f->unmaps, 1);
	assert_int_equal(f->unmapped_slot, 42);
	read_file(f->path, 4096, got, sizeof(got));
	assert_memory_equal(got, "through the slot", 16);
}

static void test_existing_file(void **state)
{
	struct fixture *f = *state;
	struct vb_err err;
	/* A longer file keeps its length and its bytes. */
	int fd = open(f->path, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 2 * SIZE), 0);
	assert_int_equal(pwrite(fd, "kept", 4, 10), 4);
	close(fd);
	assert_int_equal(attach(f, &err), 0);
	assert_memory_equal(f->map_host + 10, "kept", 4);
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, 2 * SIZE);
}

static void test_shm_object(void **state)
{
	struct fixture *f = *state;
	struct vb_err err;
	struct stat st;
	if (stat("/dev/shm", &st) != 0) {
		print_message("SKIP: no /dev/shm\n");
		skip();
	}
	char name[64];
	snprintf(name, sizeof(name), "/vb-test-shmem-%ld", (long)getpid());
	shm_unlink(name);
	set_desc(f, name, SIZE);
	assert_int_equal(attach(f, &err), 0);
	memcpy(f->map_host, "shm bytes", 9);
	int fd = shm_open(name, O_RDONLY, 0);
	assert_true(fd >= 0);
	char got[9];
	assert_int_equal(pread(fd, got, 9, 0), 9);
	close(fd);
	assert_memory_equal(got, "shm bytes", 9);
	vb_dev_set_detach_all(&f->devices);
	assert_int_equal(shm_unlink(name), 0);

	assert_true(vb_ivshmem_is_shm_name("/x"));
	assert_false(vb_ivshmem_is_shm_name("/tmp/x"));
	assert_false(vb_ivshmem_is_shm_name("x"));
	assert_false(vb_ivshmem_is_shm_name("/"));
}

static void test_explicit_address(void **state)
{
	struct fixture *f = *state;
	struct vb_err err;
	assert_int_equal(vb_device_set_number(&f->desc, "address", 0xe0000000ULL), 0);
	assert_int_equal(attach(f, &err), 0);
	assert_int_equal(cfg(f, VB_PCI_BAR0 + 8, 4) & ~0xfu, 0xe0000000u);
	assert_int_equal(f->map_gpa, 0xe0000000ULL);
}

static void test_registers(void **state)
{
	struct fixture *f = *state;
	struct vb_err err;
	assert_int_equal(attach(f, &err), 0);
	assert_int_equal(reg_read(f, VB_IVSHMEM_INTR_MASK, 4), 0);
	reg_write(f, VB_IVSHMEM_INTR_MASK, 0xffffffffu);
	assert_int_equal(reg_read(f, VB_IVSHMEM_INTR_MASK, 4), 0xffffffffu);
	assert_int_equal(reg_read(f, VB_IVSHMEM_IV_POSITION, 4), 0);
	reg_write(f, VB_IVSHMEM_IV_POSITION, 7); /* read-only */
	assert_int_equal(reg_read(f, VB_IVSHMEM_IV_POSITION, 4), 0);
	reg_write(f, VB_IVSHMEM_INTR_STATUS, 1);
	assert_int_equal(reg_read(f, VB_IVSHMEM_INTR_STATUS, 4), 1);
	assert_int_equal(reg_read(f, VB_IVSHMEM_INTR_STATUS, 4), 0); /* read clears */
	reg_write(f, VB_IVSHMEM_DOORBELL, 0x10001); /* no peers: ignored */
	assert_int_equal(reg_read(f, 0x2, 2), 0);   /* odd access: zero */
	assert_int_equal(reg_read(f, 0xfc, 4), 0);
	assert_int_equal(f->log_lines, 0);
}

static void test_moved_bar_logged(void **state)
{
	struct fixture *f = *state;
	struct vb_err err;
	assert_int_equal(attach(f, &err), 0);
	uint32_t bar2 = cfg(f, VB_PCI_BAR0 + 8, 4);
	/* Sizing with decoding off is normal and silent. */
	(void)bar_size(f, VB_IVSHMEM_MEM_BAR);
	vb_pci_config_write(f->env.pci, 0, SLOT, 0, VB_PCI_COMMAND, 2, VB_PCI_COMMAND_MEMORY);
	assert_int_equal(f->log_lines, 0);
	cfg_write(f, VB_PCI_BAR0 + 8, bar2 + 16 * SIZE);
	assert_int_equal(f->log_lines, 1);
	assert_non_null(strstr(f->last_log, "shmem0"));
	assert_non_null(strstr(f->last_log, "not supported"));
	/* The memory stays where it was mapped. */
	assert_int_equal(f->maps, 1);
	assert_int_equal(f->map_gpa, bar2);
}

static void test_attach_errors(void **state)
{
	struct fixture *f = *state;
	struct vb_err err;
	set_desc(f, f->path, 3000);
	assert_int_equal(attach(f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "shmem0"));
	assert_non_null(strstr(err.msg, "power of two"));
	set_desc(f, f->path, SIZE);
	assert_int_equal(vb_device_set_number(&f->desc, "address", 0xe0000000ULL + 4096), 0);
	assert_int_equal(attach(f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "aligned"));
	assert_int_equal(vb_device_set_number(&f->desc, "address", 0x100000), 0);
	assert_int_equal(attach(f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "PCI window"));
	set_desc(f, "/nonexistent-dir/vb/shared", SIZE);
	assert_true(attach(f, &err) < 0);
	assert_non_null(strstr(err.msg, "/nonexistent-dir/vb/shared"));
	set_desc(f, f->dir, SIZE); /* a directory */
	assert_true(attach(f, &err) < 0);
	assert_non_null(strstr(err.msg, "shmem0"));
	/* A FIFO (no writer) is refused without blocking, not opened. */
	char fifo[160];
	snprintf(fifo, sizeof(fifo), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	set_desc(f, fifo, SIZE);
	assert_int_equal(attach(f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "shmem0"));
	assert_non_null(strstr(err.msg, "is a FIFO, not a regular file"));
	unlink(fifo);
	/* KVM refuses the slot: everything is undone, the slot is free. */
	set_desc(f, f->path, SIZE);
	f->map_fails = true;
	assert_true(attach(f, &err) < 0);
	assert_non_null(strstr(err.msg, "shmem0"));
	assert_int_equal(f->devices.count, 1); /* the host bridge only */
	f->map_fails = false;
	assert_int_equal(attach(f, &err), 0);
	assert_int_equal(cfg(f, VB_PCI_VENDOR_ID, 2), VB_IVSHMEM_VENDOR);
	assert_int_equal(vb_dev_set_attach(&f->devices, &f->env, &vb_ivshmem_ops, NULL, &err),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity_and_bars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_mapping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shm_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explicit_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_moved_bar_logged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
