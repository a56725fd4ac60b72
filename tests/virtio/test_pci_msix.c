/* virtio-pci with MSI-X, driven as a guest driver would through the BAR
 * and config space (driver.h), on fake MSI routes: virtio-rng's queue
 * interrupt and configuration interrupt each on its vector, the vector
 * registers (virtio 1.2 4.1.4.3, 4.1.5.1.2), and a hostile driver: table
 * writes out of range, vectors pointing nowhere, masking while requests
 * complete, MSI-X disabled again, a reset with vectors set. Every request
 * must still complete, and every interrupt arrive exactly once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dev/msix.h"
#include "driver.h"
#include "virtio/device.h"
#include "virtio/virtq.h"

#define QUEUE_GPA 0x10000ULL
#define BUF_GPA 0x40000ULL
#define SLOT 1u
#define CONFIG_DATA 0x40u
#define QUEUE_DATA 0x41u
#define CONFIG_VECTOR 0u
#define QUEUE_VECTOR 1u

static const uint64_t features = 1ULL << VB_VIRTIO_F_VERSION_1;

struct fixture {
	struct vt_env env;
	struct vt_drv drv;
	uint16_t next_desc;
};

static int open_rng(void **state, bool msi)
{
	struct fixture *f = VT_FIXTURE_NEW(struct fixture);
	if (!f)
		return -1;
	if (msi)
		vt_env_msi(&f->env);
	struct vb_virtio_placement p = { .name = "rng0", .transport = VB_VIRTIO_PCI,
					 .pci_slot = SLOT };
	assert_int_equal(vt_env_attach(&f->env, "rng", &p), 0);
	assert_int_equal(vt_drv_open_pci(&f->drv, &f->env, SLOT), 0);
	*state = f;
	return 0;
}

static int setup(void **state) { return open_rng(state, true); }

static int teardown(void **state)
{
	struct fixture *f = *state;
	vt_env_fini(&f->env);
	/* Every route went back with the device. */
	assert_int_equal(fake_msi_in_use(&f->env.msi), 0);
	free(f);
	return 0;
}

/* Up to FEATURES_OK and queue 0, as Linux's probe: MSI-X enabled with
 * the function masked, the vectors programmed and mapped, the function
 * unmasked; then DRIVER_OK. */
static void start(struct fixture *f, bool map_vectors)
{
	uint8_t s = vt_drv_negotiate(&f->drv, features);
	assert_true(s & VB_VIRTIO_S_FEATURES_OK);
	vt_drv_msix_control(&f->drv, true, true);
	vt_drv_msix_vector(&f->drv, CONFIG_VECTOR, CONFIG_DATA, false);
	vt_drv_msix_vector(&f->drv, QUEUE_VECTOR, QUEUE_DATA, false);
	if (map_vectors) {
		assert_int_equal(vt_drv_config_vector(&f->drv, CONFIG_VECTOR), CONFIG_VECTOR);
		assert_int_equal(vt_drv_queue_vector(&f->drv, 0, QUEUE_VECTOR), QUEUE_VECTOR);
	}
	vt_drv_msix_control(&f->drv, true, false);
	vt_drv_queue(&f->drv, 0, 16, QUEUE_GPA);
	vt_drv_set_status(&f->drv, s | VB_VIRTIO_S_DRIVER_OK);
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_DRIVER_OK);
	f->next_desc = 0;
}

/* One 32-byte buffer for random bytes; true when the device used it. */
static bool request(struct fixture *f)
{
	uint16_t i = f->next_desc++ % 16;
	vt_desc(&f->drv, i, BUF_GPA + 32ULL * i, 32, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_avail_push(&f->drv, i);
	vt_drv_notify(&f->drv, 0);
	uint32_t id, len;
	return vt_used_next(&f->drv, &id, &len) && id == i && len == 32;
}

static void test_offered(void **state)
{
	struct fixture *f = *state;
	/* One vector per queue plus the configuration's. */
	assert_int_not_equal(f->drv.msix_cap, 0);
	assert_int_equal(f->drv.msix_vectors, 2);
	assert_int_equal(fake_msi_in_use(&f->env.msi), 2);
	/* Table and PBA in the BAR, apart from the virtio structures. */
	assert_true(f->drv.msix_table > f->drv.notify);
	assert_true(f->drv.msix_pba >= f->drv.msix_table + 2 * VB_MSIX_ENTRY_BYTES);
	/* Until the driver maps them, the registers read NO_VECTOR. */
	uint8_t s = vt_drv_negotiate(&f->drv, features);
	assert_true(s & VB_VIRTIO_S_FEATURES_OK);
	vt_drv_queue(&f->drv, 0, 16, QUEUE_GPA);
	assert_int_equal(vt_drv_queue_vector(&f->drv, 0, VB_VIRTIO_NO_VECTOR), VB_VIRTIO_NO_VECTOR);
}

static void test_without_routes(void **state)
{
	(void)state;
	struct fixture *f;
	if (open_rng((void **)&f, false) < 0)
		skip();
	/* No MSI routes in the env: INTx alone, the vectors refused. */
	assert_int_equal(f->drv.msix_cap, 0);
	uint8_t s = vt_drv_negotiate(&f->drv, features);
	vt_drv_queue(&f->drv, 0, 16, QUEUE_GPA);
	assert_int_equal(vt_drv_config_vector(&f->drv, 0), VB_VIRTIO_NO_VECTOR);
	assert_int_equal(vt_drv_queue_vector(&f->drv, 0, 0), VB_VIRTIO_NO_VECTOR);
	vt_drv_set_status(&f->drv, s | VB_VIRTIO_S_DRIVER_OK);
	assert_true(request(f));
	assert_true(vt_drv_line(&f->drv));
	assert_int_equal(vt_drv_isr(&f->drv), VB_VIRTIO_ISR_QUEUE);
	teardown((void **)&f);
}

static void test_queue_message(void **state)
{
	struct fixture *f = *state;
	start(f, true);
	for (int i = 0; i < 3; i++) {
		assert_true(request(f));
		assert_int_equal(vt_msi_fired(&f->env, QUEUE_DATA), 1);
	}
	/* No line, no ISR bit, nothing on the configuration vector. */
	assert_false(vt_drv_line(&f->drv));
	assert_int_equal(vt_drv_isr(&f->drv), 0);
	assert_int_equal(vt_msi_fired(&f->env, CONFIG_DATA), 0);
}

static void test_vector_registers(void **state)
{
	struct fixture *f = *state;
	start(f, true);
	/* Beyond the table: refused, read back as NO_VECTOR. */
	assert_int_equal(vt_drv_queue_vector(&f->drv, 0, 2), VB_VIRTIO_NO_VECTOR);
	assert_int_equal(vt_drv_queue_vector(&f->drv, 0, 0x7fff), VB_VIRTIO_NO_VECTOR);
	assert_int_equal(vt_drv_config_vector(&f->drv, 2), VB_VIRTIO_NO_VECTOR);
	/* Queues the device does not have keep NO_VECTOR, and never reach
	 * the configuration's register (queue 8 is one past the most). */
	assert_int_equal(vt_drv_config_vector(&f->drv, CONFIG_VECTOR), CONFIG_VECTOR);
	for (unsigned q = 1; q <= VB_VIRTIO_MAX_QUEUES; q++)
		assert_int_equal(vt_drv_queue_vector(&f->drv, q, 1), VB_VIRTIO_NO_VECTOR);
	assert_int_equal(vt_drv_queue_vector(&f->drv, 0xffff, 1), VB_VIRTIO_NO_VECTOR);
	assert_int_equal(vt_drv_config_vector(&f->drv, CONFIG_VECTOR), CONFIG_VECTOR);
	/* Both on one vector is allowed (Linux's shared mode). */
	assert_int_equal(vt_drv_queue_vector(&f->drv, 0, CONFIG_VECTOR), CONFIG_VECTOR);
	assert_true(request(f));
	assert_int_equal(vt_msi_fired(&f->env, CONFIG_DATA), 1);
	assert_int_equal(vt_msi_fired(&f->env, QUEUE_DATA), 0);
}

static void test_vector_nowhere(void **state)
{
	struct fixture *f = *state;
	start(f, true);
	/* Unmapped: the request completes and no interrupt is sent. */
	assert_int_equal(vt_drv_queue_vector(&f->drv, 0, VB_VIRTIO_NO_VECTOR),
			 VB_VIRTIO_NO_VECTOR);
	assert_true(request(f));
	assert_int_equal(vt_msi_fired(&f->env, QUEUE_DATA), 0);
	assert_false(vt_drv_line(&f->drv));
	/* Mapped to an entry whose address is no APIC's: dropped. */
	assert_int_equal(vt_drv_queue_vector(&f->drv, 0, QUEUE_VECTOR), QUEUE_VECTOR);
	vt_drv_msix_mask(&f->drv, QUEUE_VECTOR, true);
	vt_drv_msix_table_write(&f->drv, QUEUE_VECTOR * VB_MSIX_ENTRY_BYTES, 0, 4);
	vt_drv_msix_mask(&f->drv, QUEUE_VECTOR, false);
	assert_true(request(f));
	assert_int_equal(vt_msi_fired(&f->env, QUEUE_DATA), 0);
	assert_false(vt_drv_line(&f->drv));
	/* Fixed: delivered again. */
	vt_drv_msix_vector(&f->drv, QUEUE_VECTOR, QUEUE_DATA, false);
	assert_true(request(f));
	assert_int_equal(vt_msi_fired(&f->env, QUEUE_DATA), 1);
}

/* n requests complete while masked (mask(true) hides them, mask(false)
 * shows them): nothing is sent until the unmask, then exactly one. */
static void masked_requests(struct fixture *f, void (*mask)(struct fixture *f, bool on))
{
	start(f, true);
	mask(f, true);
	for (int i = 0; i < 3; i++)
		assert_true(request(f));
	assert_int_equal(vt_msi_fired(&f->env, QUEUE_DATA), 0);
	assert_int_equal(vt_drv_msix_pba(&f->drv), 1u << QUEUE_VECTOR);
	mask(f, false);
	assert_int_equal(vt_msi_fired(&f->env, QUEUE_DATA), 1);
	assert_int_equal(vt_drv_msix_pba(&f->drv), 0);
	mask(f, true);
	mask(f, false);
	assert_int_equal(vt_msi_fired(&f->env, QUEUE_DATA), 0);
	assert_false(vt_drv_line(&f->drv));
	assert_true(request(f));
	assert_int_equal(vt_msi_fired(&f->env, QUEUE_DATA), 1);
}

static void mask_vector(struct fixture *f, bool on)
{
	vt_drv_msix_mask(&f->drv, QUEUE_VECTOR, on);
}

static void mask_function(struct fixture *f, bool on)
{
	vt_drv_msix_control(&f->drv, true, on);
}

static void test_mask_vector(void **state)
{
	masked_requests(*state, mask_vector);
}

static void test_mask_function(void **state)
{
	masked_requests(*state, mask_function);
}

static void test_table_out_of_range(void **state)
{
	struct fixture *f = *state;
	start(f, true);
	struct vt_drv *d = &f->drv;
	uint64_t end = 2 * VB_MSIX_ENTRY_BYTES;
	/* Past the table, odd widths, unaligned, into the PBA, past it,
	 * the BAR's last dword. */
	vt_drv_msix_table_write(d, end, 0xffffffff, 4);
	vt_drv_msix_table_write(d, 0xff8, ~0ULL, 8);
	vt_drv_msix_table_write(d, VB_MSIX_ENTRY_CTRL, 0x1, 1);
	vt_drv_msix_table_write(d, QUEUE_VECTOR * VB_MSIX_ENTRY_BYTES + 2, 0, 4);
	vt_drv_msix_table_write(d, d->msix_pba - d->msix_table, ~0ULL, 8);
	vt_drv_msix_table_write(d, d->msix_pba - d->msix_table + 0x1000, ~0ULL, 8);
	vt_drv_msix_table_write(d, d->common + VB_VIRTIO_PCI_BAR_BYTES - 4 - d->msix_table, 1, 4);
	assert_int_equal(vt_drv_msix_pba(d), 0);
	/* The device and its vectors go on as before. */
	assert_true(request(f));
	assert_int_equal(vt_msi_fired(&f->env, QUEUE_DATA), 1);
	assert_false(vt_drv_status(d) & VB_VIRTIO_S_NEEDS_RESET);
}

static void test_disabled_again(void **state)
{
	struct fixture *f = *state;
	start(f, true);
	assert_true(request(f));
	assert_int_equal(vt_msi_fired(&f->env, QUEUE_DATA), 1);
	/* Back to INTx: the line and the ISR bit. */
	vt_drv_msix_control(&f->drv, false, false);
	assert_true(request(f));
	assert_int_equal(vt_msi_fired(&f->env, QUEUE_DATA), 0);
	assert_true(vt_drv_line(&f->drv));
	assert_int_equal(vt_drv_isr(&f->drv), VB_VIRTIO_ISR_QUEUE);
	assert_false(vt_drv_line(&f->drv));
	/* Enabled while the line is up: it drops, messages take over. */
	assert_true(request(f));
	assert_true(vt_drv_line(&f->drv));
	vt_drv_msix_control(&f->drv, true, false);
	assert_false(vt_drv_line(&f->drv));
	assert_true(request(f));
	assert_int_equal(vt_msi_fired(&f->env, QUEUE_DATA), 1);
	assert_false(vt_drv_line(&f->drv));
}

static void test_reset_unmaps(void **state)
{
	struct fixture *f = *state;
	start(f, true);
	vt_drv_set_status(&f->drv, 0);
	/* 4.1.5.1.2.1: every event unmapped by the reset. */
	assert_int_equal(vt_drv_config_vector(&f->drv, VB_VIRTIO_NO_VECTOR), VB_VIRTIO_NO_VECTOR);
	assert_int_equal(vt_drv_queue_vector(&f->drv, 0, VB_VIRTIO_NO_VECTOR),
			 VB_VIRTIO_NO_VECTOR);
	/* Up again without mapping: requests complete, nothing is sent. */
	start(f, false);
	assert_true(request(f));
	assert_int_equal(vt_msi_fired(&f->env, QUEUE_DATA), 0);
	assert_false(vt_drv_line(&f->drv));
	/* Mapped again: delivered. */
	assert_int_equal(vt_drv_queue_vector(&f->drv, 0, QUEUE_VECTOR), QUEUE_VECTOR);
	assert_true(request(f));
	assert_int_equal(vt_msi_fired(&f->env, QUEUE_DATA), 1);
}

static void test_config_message(void **state)
{
	struct fixture *f = *state;
	start(f, true);
	/* A doorbell for a queue rng does not have: NEEDS_RESET, whose
	 * configuration interrupt goes to the configuration vector. */
	vt_drv_notify(&f->drv, 3);
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	assert_int_equal(vt_msi_fired(&f->env, CONFIG_DATA), 1);
	assert_int_equal(vt_msi_fired(&f->env, QUEUE_DATA), 0);
	assert_false(vt_drv_line(&f->drv));
	/* 4.1.4.5.1: the configuration bit is set all the same. */
	assert_int_equal(vt_drv_isr(&f->drv), VB_VIRTIO_ISR_CONFIG);
	/* And the reset brings the device back, on messages. */
	start(f, true);
	assert_true(request(f));
	assert_int_equal(vt_msi_fired(&f->env, QUEUE_DATA), 1);
}

/* The device's core, as the device itself holds it. */
static struct vb_virtio *core(struct fixture *f)
{
	struct vb_virtio_dev *dev = f->env.devices.items[f->env.devices.count - 1].state;
	return &dev->vio;
}

/* A change the device makes itself (a balloon's new target): on the
 * configuration vector with MSI-X, on the line without. */
static void device_changes_config(struct fixture *f)
{
	struct vb_virtio *v = core(f);
	pthread_mutex_lock(&v->lock);
	vb_virtio_config_changed_locked(v);
	pthread_mutex_unlock(&v->lock);
}

static void test_device_config_change(void **state)
{
	struct fixture *f = *state;
	start(f, true);
	uint32_t gen = vb_virtio_regs(core(f)).config_generation;
	device_changes_config(f);
	assert_int_equal(vt_msi_fired(&f->env, CONFIG_DATA), 1);
	assert_false(vt_drv_line(&f->drv));
	assert_int_equal(vb_virtio_regs(core(f)).config_generation, gen + 1);
	vt_drv_msix_control(&f->drv, false, false);
	device_changes_config(f);
	assert_int_equal(vt_msi_fired(&f->env, CONFIG_DATA), 0);
	assert_true(vt_drv_line(&f->drv));
	assert_int_equal(vt_drv_isr(&f->drv), VB_VIRTIO_ISR_CONFIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_offered, setup, teardown),
		cmocka_unit_test(test_without_routes),
		cmocka_unit_test_setup_teardown(test_queue_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vector_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vector_nowhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mask_vector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mask_function, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_unmaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_config_change, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
