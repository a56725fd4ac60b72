/* Exits from several vCPUs at once (issue 15, item 3): the run loop calls
 * device handlers from every vCPU thread under no lock of its own, so a
 * device must stay whole when one vCPU drives a queue while others write
 * its selector registers and read everything else, as a hostile guest's
 * other CPUs may.
 *
 * Two virtio-rng devices, one on each transport (the PCI one with MSI-X),
 * each with a driver thread that completes requests one by one, and two
 * hostile threads per device that race it: selector writes (feature and
 * queue selectors), reads of every register, the ISR, the MSI-X table and
 * PBA, a vector's mask toggled, PCI config space. Every request must
 * complete exactly once, in order, at full length, and the devices must
 * stay usable. Run under the sanitizers (./dev sanitize) this is also a
 * memory-safety check of the racing paths. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dev/pci.h"
#include "driver.h"
#include "virtio/device.h"
#include "virtio/virtq.h"

#define MMIO_BASE VB_GAP_START_BYTES
#define MMIO_GSI 16u
#define PCI_SLOT 1u
#define QUEUE_SIZE 16u
#define REQUESTS 3000u
#define HOSTILE_PER_DEVICE 2u
#define BUF_BYTES 32u

/* Where each device's queue and buffers live in guest RAM. */
static const uint64_t queue_gpa[2] = { 0x10000, 0x20000 };
static const uint64_t buf_gpa[2] = { 0x40000, 0x50000 };

/* virtio 1.2 4.1.4.3 (common configuration) and 4.2.2 (MMIO registers):
 * the guest's view, written here as a guest's driver would have it. */
enum {
	PCI_DFSELECT = 0x00, PCI_GFSELECT = 0x08, PCI_QUEUE_SELECT = 0x16, PCI_QUEUE_NOTIFY_OFF = 0x1e,
	PCI_COMMON_BYTES = 0x38,
	MMIO_DEVICE_FEATURES_SEL = 0x014, MMIO_DRIVER_FEATURES_SEL = 0x024,
	MMIO_QUEUE_SEL = 0x030, MMIO_REGS_END = 0x100,
};

struct fixture {
	struct vt_env env;
	struct vt_drv drv[2]; /* [0] PCI, [1] MMIO */
	atomic_bool done;
	atomic_uint drivers_left;
};

struct driver_run {
	struct fixture *f;
	unsigned dev;
	uint64_t doorbell; /* PCI: queue 0's notify address, read at setup */
	unsigned completed;
	unsigned wrong; /* a used element out of order, short, or missing */
};

struct hostile_run {
	struct fixture *f;
	unsigned dev;
	uint32_t seed;
	unsigned long accesses;
};

static int setup(void **state)
{
	struct fixture *f = VT_FIXTURE_NEW(struct fixture);
	if (!f)
		return -1;
	vt_env_msi(&f->env);
	struct vb_virtio_placement pci = { .name = "rng-pci", .transport = VB_VIRTIO_PCI,
					   .pci_slot = PCI_SLOT };
	struct vb_virtio_placement mmio = {
		.name = "rng-mmio", .transport = VB_VIRTIO_MMIO, .mmio_base = MMIO_BASE,
		.mmio_bytes = 0x1000, .gsi = MMIO_GSI,
	};
	assert_int_equal(vt_env_attach(&f->env, "rng", &pci), 0);
	assert_int_equal(vt_env_attach(&f->env, "rng", &mmio), 0);
	assert_int_equal(vt_drv_open_pci(&f->drv[0], &f->env, PCI_SLOT), 0);
	assert_int_equal(vt_drv_open_mmio(&f->drv[1], &f->env, MMIO_BASE, MMIO_GSI), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	vt_env_fini(&f->env);
	free(f);
	return 0;
}

static void start(struct vt_drv *d, uint64_t gpa)
{
	uint8_t s = vt_drv_negotiate(d, 1ULL << VB_VIRTIO_F_VERSION_1);
	assert_true(s & VB_VIRTIO_S_FEATURES_OK);
	if (d->msix_vectors) {
		vt_drv_msix_control(d, true, false);
		vt_drv_msix_vector(d, 0, 0x40, false);
		vt_drv_msix_vector(d, 1, 0x41, false);
		assert_int_equal(vt_drv_queue_vector(d, 0, 1), 1);
	}
	vt_drv_queue(d, 0, QUEUE_SIZE, gpa);
	vt_drv_set_status(d, s | VB_VIRTIO_S_DRIVER_OK);
	assert_true(vt_drv_status(d) & VB_VIRTIO_S_DRIVER_OK);
}

static void mmio_access(struct vt_env *e, uint64_t addr, uint32_t size, bool is_write,
			uint32_t value);

static void *drive(void *arg)
{
	struct driver_run *r = arg;
	struct vt_drv *d = &r->f->drv[r->dev];
	for (unsigned n = 0; n < REQUESTS; n++) {
		uint16_t i = (uint16_t)(n % QUEUE_SIZE);
		vt_desc(d, i, buf_gpa[r->dev] + (uint64_t)BUF_BYTES * i, BUF_BYTES,
			VB_VIRTQ_DESC_F_WRITE, 0);
		vt_avail_push(d, i);
		/* As Linux does: queue_notify_off is read once, at setup.
		 * vt_drv_notify reads it through queue_select, which the
		 * hostile threads write. */
		if (r->doorbell)
			mmio_access(&r->f->env, r->doorbell, 2, true, 0);
		else
			vt_drv_notify(d, 0);
		uint32_t id, len;
		if (vt_used_next(d, &id, &len) && id == i && len == BUF_BYTES)
			r->completed++;
		else
			r->wrong++;
	}
	atomic_fetch_sub(&r->f->drivers_left, 1);
	return NULL;
}

static uint32_t next_random(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void mmio_access(struct vt_env *e, uint64_t addr, uint32_t size, bool is_write,
			uint32_t value)
{
	uint8_t b[8] = { 0 };
	for (uint32_t i = 0; i < size && i < 4; i++)
		b[i] = (uint8_t)(value >> (8 * i));
	vb_bus_dispatch(&e->mmio, addr, b, size, is_write);
}

/* One access a hostile vCPU makes to the PCI function: never one that
 * changes what the driver relies on (status, queue 0's setup, vector 1),
 * so every request still has to complete. */
static void hostile_pci(struct fixture *f, uint32_t r)
{
	struct vt_drv *d = &f->drv[0];
	uint32_t pick = r % 8, value = r >> 8;
	switch (pick) {
	case 0: mmio_access(&f->env, d->common + PCI_DFSELECT, 4, true, value % 4); break;
	case 1: mmio_access(&f->env, d->common + PCI_GFSELECT, 4, true, value % 4); break;
	case 2: mmio_access(&f->env, d->common + PCI_QUEUE_SELECT, 2, true, value % 4); break;
	case 3: mmio_access(&f->env, d->common + (value % (PCI_COMMON_BYTES / 2)) * 2, 2, false, 0);
		break;
	case 4: mmio_access(&f->env, d->isr, 1, false, 0); break;
	case 5: vt_drv_msix_mask(d, 0, value & 1); break;
	case 6: mmio_access(&f->env, (value & 1) ? d->msix_pba : d->msix_table + (value % 8) * 4,
			    4, false, 0);
		break;
	default:
		(void)vb_pci_config_read(f->env.env.pci, 0, PCI_SLOT, 0, value % 256 & ~3u, 4);
		break;
	}
}

/* The same for the MMIO transport: selectors written, every register read. */
static void hostile_mmio(struct fixture *f, uint32_t r)
{
	uint32_t pick = r % 4, value = r >> 8;
	static const uint32_t selectors[] = { MMIO_DEVICE_FEATURES_SEL, MMIO_DRIVER_FEATURES_SEL,
					      MMIO_QUEUE_SEL };
	if (pick < 3)
		mmio_access(&f->env, MMIO_BASE + selectors[pick], 4, true, value % 4);
	else
		mmio_access(&f->env, MMIO_BASE + (value % (MMIO_REGS_END / 4)) * 4, 4, false, 0);
}

static void *hostile(void *arg)
{
	struct hostile_run *h = arg;
	while (!atomic_load(&h->f->done)) {
		uint32_t r = next_random(&h->seed);
		if (h->dev == 0)
			hostile_pci(h->f, r);
		else
			hostile_mmio(h->f, r);
		h->accesses++;
	}
	return NULL;
}

static void test_one_driver_many_cpus(void **state)
{
	struct fixture *f = *state;
	start(&f->drv[0], queue_gpa[0]);
	start(&f->drv[1], queue_gpa[1]);
	/* Queue 0's doorbell on the PCI device, before any hostile write. */
	mmio_access(&f->env, f->drv[0].common + PCI_QUEUE_SELECT, 2, true, 0);
	uint8_t off[2] = { 0 };
	vb_bus_dispatch(&f->env.mmio, f->drv[0].common + PCI_QUEUE_NOTIFY_OFF, off, 2, false);
	uint64_t doorbell = f->drv[0].notify + (uint64_t)(off[0] | off[1] << 8) * f->drv[0].notify_mult;
	struct driver_run drivers[2];
	struct hostile_run others[2 * HOSTILE_PER_DEVICE];
	pthread_t driver_threads[2], other_threads[2 * HOSTILE_PER_DEVICE];
	atomic_store(&f->done, false);
	atomic_store(&f->drivers_left, 2);
	for (unsigned i = 0; i < 2 * HOSTILE_PER_DEVICE; i++) {
		others[i] = (struct hostile_run){ .f = f, .dev = i % 2, .seed = 0x9e3779b9u + i };
		assert_int_equal(pthread_create(&other_threads[i], NULL, hostile, &others[i]), 0);
	}
	for (unsigned i = 0; i < 2; i++) {
		drivers[i] = (struct driver_run){ .f = f, .dev = i, .doorbell = i == 0 ? doorbell : 0 };
		assert_int_equal(pthread_create(&driver_threads[i], NULL, drive, &drivers[i]), 0);
	}
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(pthread_join(driver_threads[i], NULL), 0);
	atomic_store(&f->done, true);
	unsigned long raced = 0;
	for (unsigned i = 0; i < 2 * HOSTILE_PER_DEVICE; i++) {
		assert_int_equal(pthread_join(other_threads[i], NULL), 0);
		raced += others[i].accesses;
	}
	print_message("exits raced: %lu hostile accesses beside %u requests\n", raced,
		      2 * REQUESTS);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(drivers[i].wrong, 0);
		assert_int_equal(drivers[i].completed, REQUESTS);
		assert_int_equal(vt_used_idx(&f->drv[i]), (uint16_t)REQUESTS);
		/* Still a working device: not marked broken by the races. */
		assert_false(vt_drv_status(&f->drv[i]) & VB_VIRTIO_S_NEEDS_RESET);
		assert_true(vt_drv_queue_ready(&f->drv[i], 0));
	}
	assert_true(raced > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_driver_many_cpus, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
