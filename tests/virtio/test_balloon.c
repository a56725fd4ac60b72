/* virtio-balloon in process over virtio-pci: inflated pages really go back
 * (MADV_DONTNEED on the anonymous test RAM reads back as zeros), PFNs past
 * RAM or in the 32-bit gap are ignored without harm, statistics are parsed
 * and handed back on request, and a new target raises a config interrupt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver.h"
#include "virtio/balloon.h"

#define INFQ_GPA 0x10000ULL
#define DEFQ_GPA 0x18000ULL
#define STATQ_GPA 0x20000ULL
#define BUF_GPA 0x40000ULL
#define PAGES_GPA 0x80000ULL
#define N_PAGES 4u
#define SLOT 3u
#define PAGE VB_VIRTIO_BALLOON_PAGE_BYTES

struct fixture {
	struct vt_env env;
	struct vt_drv inf, def, stq;
	struct vb_virtio_balloon *b;
};

static int setup(void **state)
{
	struct fixture *f = VT_FIXTURE_NEW(struct fixture);
	if (!f)
		return -1;
	struct vb_virtio_placement p = { .name = "balloon0", .transport = VB_VIRTIO_PCI,
					 .pci_slot = SLOT };
	assert_int_equal(vt_env_attach(&f->env, "balloon", &p), 0);
	f->b = f->env.devices.items[f->env.devices.count - 1].state;
	assert_int_equal(vt_drv_open_pci(&f->inf, &f->env, SLOT), 0);
	/* VIRTIO_BALLOON_F_STATS_VQ is bit 1 (5.5.3). */
	assert_true(vt_drv_device_features(&f->inf) & 2u);
	uint8_t s = vt_drv_negotiate(&f->inf, (1ULL << VB_VIRTIO_F_VERSION_1) | 2u);
	assert_true(s & VB_VIRTIO_S_FEATURES_OK);
	f->def = f->inf;
	f->stq = f->inf;
	vt_drv_queue(&f->inf, 0, 8, INFQ_GPA);
	vt_drv_queue(&f->def, 1, 8, DEFQ_GPA);
	vt_drv_queue(&f->stq, 2, 8, STATQ_GPA);
	vt_drv_set_status(&f->inf, s | VB_VIRTIO_S_DRIVER_OK);
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

static void put_pfns(struct fixture *f, const uint32_t *pfn, unsigned n)
{
	uint8_t *p = vt_gpa(&f->env, BUF_GPA);
	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; k < 4; k++)
			p[4 * i + k] = (uint8_t)(pfn[i] >> (8 * k));
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void test_inflate_releases_pages(void **state)
{
	struct fixture *f = *state;
	uint8_t *pages = vt_gpa(&f->env, PAGES_GPA);
	memset(pages, 0x5a, (N_PAGES + 1) * PAGE);
	uint32_t pfn[N_PAGES + 2];
	for (unsigned i = 0; i < N_PAGES; i++)
		pfn[i] = (uint32_t)(PAGES_GPA / PAGE) + i;
	pfn[N_PAGES] = (uint32_t)(VT_HIGH_RAM_END / PAGE) + 5;     /* past RAM */
	pfn[N_PAGES + 1] = (uint32_t)(VB_GAP_START_BYTES / PAGE) + 1; /* in the gap */
	put_pfns(f, pfn, N_PAGES + 2);
	vt_desc(&f->inf, 0, BUF_GPA, 4 * (N_PAGES + 2), 0, 0);
	vt_avail_push(&f->inf, 0);
	vt_drv_notify(&f->inf, 0);
	uint32_t id, len;
	assert_true(vt_used_next(&f->inf, &id, &len));
	assert_true(all_zero(pages, N_PAGES * PAGE));
	/* The page after the run is untouched. */
	assert_int_equal(pages[N_PAGES * PAGE], 0x5a);
	struct vb_balloon_stats st;
	vb_virtio_balloon_get_stats(f->b, &st);
	assert_int_equal(st.inflated_pages, N_PAGES);
	assert_int_equal(st.bad_pfns, 2);
	assert_true(st.driver_ok);
	assert_false(vt_drv_status(&f->inf) & VB_VIRTIO_S_NEEDS_RESET);

	/* Deflate just counts. */
	put_pfns(f, pfn, 1);
	vt_desc(&f->def, 0, BUF_GPA, 4, 0, 0);
	vt_avail_push(&f->def, 0);
	vt_drv_notify(&f->def, 1);
	vb_virtio_balloon_get_stats(f->b, &st);
	assert_int_equal(st.deflated_pages, 1);
}

static void test_writable_page_list_is_violation(void **state)
{
	struct fixture *f = *state;
	vt_desc(&f->inf, 0, BUF_GPA, 8, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_avail_push(&f->inf, 0);
	vt_drv_notify(&f->inf, 0);
	assert_true(vt_drv_status(&f->inf) & VB_VIRTIO_S_NEEDS_RESET);
	assert_int_equal(f->env.log_lines, 1);
}

static void put_stat(uint8_t *p, uint16_t tag, uint64_t val)
{
	p[0] = (uint8_t)tag;
	p[1] = (uint8_t)(tag >> 8);
	for (unsigned k = 0; k < 8; k++)
		p[2 + k] = (uint8_t)(val >> (8 * k));
}

static void test_stats(void **state)
{
	struct fixture *f = *state;
	uint8_t *p = vt_gpa(&f->env, BUF_GPA);
	put_stat(p, VB_BALLOON_S_MEMFREE, 12345678);
	put_stat(p + 10, VB_BALLOON_S_MEMTOT, 99999999);
	put_stat(p + 20, 77, 1); /* unknown tag: ignored */
	assert_false(vb_virtio_balloon_stats_request(f->b)); /* nothing held yet */
	vt_desc(&f->stq, 0, BUF_GPA, 30, 0, 0);
	vt_avail_push(&f->stq, 0);
	vt_drv_notify(&f->stq, 2);
	struct vb_balloon_stats st;
	vb_virtio_balloon_get_stats(f->b, &st);
	assert_int_equal(st.stats_updates, 1);
	assert_int_equal(st.value[VB_BALLOON_S_MEMFREE], 12345678);
	assert_int_equal(st.value[VB_BALLOON_S_MEMTOT], 99999999);
	assert_int_equal(st.valid, (1u << VB_BALLOON_S_MEMFREE) | (1u << VB_BALLOON_S_MEMTOT));
	/* The buffer is held until the host wants new numbers. */
	uint32_t id, len;
	assert_false(vt_used_next(&f->stq, &id, &len));
	vt_drv_isr(&f->stq);
	assert_true(vb_virtio_balloon_stats_request(f->b));
	assert_true(vt_used_next(&f->stq, &id, &len));
	assert_int_equal(id, 0);
	assert_true(vt_drv_isr(&f->stq) & VB_VIRTIO_ISR_QUEUE);
}

static void test_stats_posted_before_driver_ok(void **state)
{
	struct fixture *f = *state;
	put_stat(vt_gpa(&f->env, BUF_GPA), VB_BALLOON_S_MEMFREE, 42);
	vt_desc(&f->stq, 0, BUF_GPA, 10, 0, 0);
	vt_avail_push(&f->stq, 0); /* no doorbell: it came before DRIVER_OK */
	assert_true(vb_virtio_balloon_stats_request(f->b));
	struct vb_balloon_stats st;
	vb_virtio_balloon_get_stats(f->b, &st);
	assert_int_equal(st.stats_updates, 1);
	assert_int_equal(st.value[VB_BALLOON_S_MEMFREE], 42);
	uint32_t id, len;
	assert_true(vt_used_next(&f->stq, &id, &len));
}

static void test_target_config_interrupt(void **state)
{
	struct fixture *f = *state;
	vt_drv_isr(&f->inf);
	vb_virtio_balloon_set_target(f->b, 32768);
	assert_true(vt_drv_line(&f->inf));
	assert_true(vt_drv_isr(&f->inf) & VB_VIRTIO_ISR_CONFIG);
	/* num_pages at offset 0 of the device config (5.5.4). */
	uint8_t b[4] = { 0 };
	vb_bus_dispatch(&f->env.mmio, f->inf.device, b, 4, false);
	assert_int_equal(b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24, 32768);
	/* The driver writes actual at offset 4; num_pages stays the host's. */
	uint8_t a[8] = { 1, 1, 1, 1, 0x00, 0x10, 0, 0 };
	vb_bus_dispatch(&f->env.mmio, f->inf.device, a, 8, true);
	struct vb_balloon_stats st;
	vb_virtio_balloon_get_stats(f->b, &st);
	assert_int_equal(st.target_pages, 32768);
	assert_int_equal(st.actual_pages, 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_inflate_releases_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writable_page_list_is_violation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_posted_before_driver_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_config_interrupt, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
