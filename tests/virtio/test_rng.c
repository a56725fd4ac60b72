/* virtio-rng end to end through both transports' registers, and the
 * malicious-guest cases: each must leave vmboot running, put the device
 * into NEEDS_RESET with a config interrupt and a log line, and a reset
 * must bring the device back. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver.h"
#include "virtio/virtq.h"

#define QUEUE_GPA 0x10000ULL
#define TABLE_GPA 0x30000ULL
#define BUF_GPA 0x40000ULL
#define MMIO_BASE VB_GAP_START_BYTES
#define MMIO_GSI 16u
#define FILL 0xAAu

static const uint64_t base_features = 1ULL << VB_VIRTIO_F_VERSION_1;

struct fixture {
	struct vt_env env;
	struct vt_drv drv;
	bool pci;
};

static int setup(void **state, bool pci)
{
	struct fixture *f = VT_FIXTURE_NEW(struct fixture);
	if (!f)
		return -1;
	f->pci = pci;
	struct vb_virtio_placement p = {
		.name = "rng0", .transport = pci ? VB_VIRTIO_PCI : VB_VIRTIO_MMIO,
		.pci_slot = 1, .mmio_base = MMIO_BASE, .mmio_bytes = 0x1000, .gsi = MMIO_GSI,
	};
	assert_int_equal(vt_env_attach(&f->env, "rng", &p), 0);
	assert_int_equal(vt_drv_open_either(&f->drv, &f->env, pci, 1, MMIO_BASE, MMIO_GSI), 0);
	*state = f;
	return 0;
}

static int setup_mmio(void **state) { return setup(state, false); }
static int setup_pci(void **state) { return setup(state, true); }

static int teardown(void **state)
{
	struct fixture *f = *state;
	vt_env_fini(&f->env);
	free(f);
	return 0;
}

/* Negotiate, set up queue 0 with size entries and go. */
static void start(struct fixture *f, uint64_t features, uint16_t size)
{
	uint8_t s = vt_drv_negotiate(&f->drv, features);
	assert_true(s & VB_VIRTIO_S_FEATURES_OK);
	vt_drv_queue(&f->drv, 0, size, QUEUE_GPA);
	assert_true(vt_drv_queue_ready(&f->drv, 0));
	vt_drv_set_status(&f->drv, s | VB_VIRTIO_S_DRIVER_OK);
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_DRIVER_OK);
}

static unsigned count_fill(struct fixture *f, uint64_t gpa, size_t n)
{
	const uint8_t *p = vt_gpa(&f->env, gpa);
	unsigned c = 0;
	for (size_t i = 0; i < n; i++)
		c += p[i] == FILL;
	return c;
}

/* The device is broken by the guest: NEEDS_RESET, config interrupt, a
 * log line; then a reset and a good request work again. */
static void expect_needs_reset(struct fixture *f, const char *log_word)
{
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	assert_true(vt_drv_line(&f->drv));
	assert_true(vt_drv_isr(&f->drv) & VB_VIRTIO_ISR_CONFIG);
	assert_false(vt_drv_line(&f->drv));
	assert_true(f->env.log_lines >= 1);
	assert_non_null(strstr(f->env.last_log, "rng0"));
	if (log_word)
		assert_non_null(strstr(f->env.last_log, log_word));

	/* Recovery: reset and serve one request. */
	start(f, base_features, 8);
	assert_false(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	memset(vt_gpa(&f->env, BUF_GPA), FILL, 64);
	vt_desc(&f->drv, 0, BUF_GPA, 64, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_avail_push(&f->drv, 0);
	vt_drv_notify(&f->drv, 0);
	uint32_t id, len;
	assert_true(vt_used_next(&f->drv, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, 64);
}

static void test_rng_bytes(void **state)
{
	struct fixture *f = *state;
	start(f, base_features, 16);
	memset(vt_gpa(&f->env, BUF_GPA), FILL, 256);
	/* One 64-byte buffer, then a chain of 16 + 48 bytes. */
	vt_desc(&f->drv, 0, BUF_GPA, 64, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_desc(&f->drv, 1, BUF_GPA + 64, 16, VB_VIRTQ_DESC_F_WRITE | VB_VIRTQ_DESC_F_NEXT, 2);
	vt_desc(&f->drv, 2, BUF_GPA + 80, 48, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_avail_push(&f->drv, 0);
	vt_avail_push(&f->drv, 1);
	assert_false(vt_drv_line(&f->drv));
	vt_drv_notify(&f->drv, 0);

	uint32_t id, len;
	assert_true(vt_used_next(&f->drv, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, 64);
	assert_true(vt_used_next(&f->drv, &id, &len));
	assert_int_equal(id, 1);
	assert_int_equal(len, 64);
	assert_false(vt_used_next(&f->drv, &id, &len));
	/* Random bytes: a handful may equal the fill by chance, not most. */
	assert_true(count_fill(f, BUF_GPA, 128) < 16);
	/* Nothing written past the buffers. */
	assert_int_equal(count_fill(f, BUF_GPA + 128, 128), 128);

	assert_true(vt_drv_line(&f->drv));
	assert_int_equal(vt_drv_isr(&f->drv), VB_VIRTIO_ISR_QUEUE);
	assert_false(vt_drv_line(&f->drv));
	assert_false(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	assert_int_equal(f->env.log_lines, 0);
}

static void test_rng_indirect(void **state)
{
	struct fixture *f = *state;
	start(f, base_features | 1ULL << VB_VIRTIO_F_INDIRECT_DESC, 8);
	memset(vt_gpa(&f->env, BUF_GPA), FILL, 128);
	vt_desc_at(&f->drv, TABLE_GPA, 0, BUF_GPA, 32, VB_VIRTQ_DESC_F_WRITE | VB_VIRTQ_DESC_F_NEXT, 1);
	vt_desc_at(&f->drv, TABLE_GPA, 1, BUF_GPA + 32, 32, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_desc(&f->drv, 3, TABLE_GPA, 32, VB_VIRTQ_DESC_F_INDIRECT, 0);
	vt_avail_push(&f->drv, 3);
	vt_drv_notify(&f->drv, 0);
	uint32_t id, len;
	assert_true(vt_used_next(&f->drv, &id, &len));
	assert_int_equal(id, 3);
	assert_int_equal(len, 64);
	assert_true(count_fill(f, BUF_GPA, 64) < 16);
	assert_int_equal(count_fill(f, BUF_GPA + 64, 64), 64);
}

static void test_event_idx(void **state)
{
	struct fixture *f = *state;
	start(f, base_features | 1ULL << VB_VIRTIO_F_EVENT_IDX, 8);
	vt_desc(&f->drv, 0, BUF_GPA, 8, VB_VIRTQ_DESC_F_WRITE, 0);
	/* used_event 5: no interrupt for the first used entry (index 0). */
	vt_used_event(&f->drv, 5);
	vt_avail_push(&f->drv, 0);
	vt_drv_notify(&f->drv, 0);
	assert_int_equal(vt_used_idx(&f->drv), 1);
	assert_false(vt_drv_line(&f->drv));
	/* The device asks to be notified for the next avail entry. */
	assert_int_equal(vt_avail_event(&f->drv), 1);
	/* used_event 1: interrupt once entry 1 is used. */
	vt_used_event(&f->drv, 1);
	vt_avail_push(&f->drv, 0);
	vt_drv_notify(&f->drv, 0);
	assert_int_equal(vt_used_idx(&f->drv), 2);
	assert_true(vt_drv_line(&f->drv));
	assert_int_equal(vt_drv_isr(&f->drv), VB_VIRTIO_ISR_QUEUE);
}

static void test_no_interrupt_flag(void **state)
{
	struct fixture *f = *state;
	start(f, base_features, 8);
	vt_desc(&f->drv, 0, BUF_GPA, 8, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_avail_set_flags(&f->drv, VB_VIRTQ_AVAIL_F_NO_INTERRUPT);
	vt_avail_push(&f->drv, 0);
	vt_drv_notify(&f->drv, 0);
	assert_int_equal(vt_used_idx(&f->drv), 1);
	assert_false(vt_drv_line(&f->drv));
}

static void test_features_need_version_1(void **state)
{
	struct fixture *f = *state;
	uint64_t offered = vt_drv_device_features(&f->drv);
	assert_true(offered & 1ULL << VB_VIRTIO_F_VERSION_1);
	assert_true(offered & 1ULL << VB_VIRTIO_F_EVENT_IDX);
	assert_true(offered & 1ULL << VB_VIRTIO_F_INDIRECT_DESC);
	assert_false(vt_drv_negotiate(&f->drv, 0) & VB_VIRTIO_S_FEATURES_OK);
	/* A feature the device did not offer. */
	assert_false(vt_drv_negotiate(&f->drv, base_features | 1ULL << 40) &
		     VB_VIRTIO_S_FEATURES_OK);
	assert_true(vt_drv_negotiate(&f->drv, base_features) & VB_VIRTIO_S_FEATURES_OK);
}

/* ---- malicious guests ---- */

static void post_and_notify(struct fixture *f, uint16_t head)
{
	vt_avail_push(&f->drv, head);
	vt_drv_notify(&f->drv, 0);
}

static void test_bad_descriptor_loop(void **state)
{
	struct fixture *f = *state;
	start(f, base_features, 8);
	vt_desc(&f->drv, 0, BUF_GPA, 8, VB_VIRTQ_DESC_F_WRITE | VB_VIRTQ_DESC_F_NEXT, 1);
	vt_desc(&f->drv, 1, BUF_GPA + 8, 8, VB_VIRTQ_DESC_F_WRITE | VB_VIRTQ_DESC_F_NEXT, 0);
	post_and_notify(f, 0);
	assert_int_equal(vt_used_idx(&f->drv), 0);
	expect_needs_reset(f, "loop");
}

static void test_bad_address_past_ram(void **state)
{
	struct fixture *f = *state;
	start(f, base_features, 8);
	vt_desc(&f->drv, 0, VT_HIGH_RAM_END - 16, 64, VB_VIRTQ_DESC_F_WRITE, 0);
	post_and_notify(f, 0);
	expect_needs_reset(f, "not guest RAM");
}

static void test_bad_address_in_gap(void **state)
{
	struct fixture *f = *state;
	start(f, base_features, 8);
	vt_desc(&f->drv, 0, VB_GAP_START_BYTES + 0x100000, 64, VB_VIRTQ_DESC_F_WRITE, 0);
	post_and_notify(f, 0);
	expect_needs_reset(f, "not guest RAM");
}

static void test_bad_address_wraps(void **state)
{
	struct fixture *f = *state;
	start(f, base_features, 8);
	vt_desc(&f->drv, 0, UINT64_MAX - 0xf, 0x100, VB_VIRTQ_DESC_F_WRITE, 0);
	post_and_notify(f, 0);
	expect_needs_reset(f, "not guest RAM");
}

static void test_bad_indirect_in_indirect(void **state)
{
	struct fixture *f = *state;
	start(f, base_features | 1ULL << VB_VIRTIO_F_INDIRECT_DESC, 8);
	vt_desc_at(&f->drv, TABLE_GPA, 0, TABLE_GPA + 0x100, 16, VB_VIRTQ_DESC_F_INDIRECT, 0);
	vt_desc_at(&f->drv, TABLE_GPA + 0x100, 0, BUF_GPA, 8, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_desc(&f->drv, 0, TABLE_GPA, 16, VB_VIRTQ_DESC_F_INDIRECT, 0);
	post_and_notify(f, 0);
	expect_needs_reset(f, "inside an indirect");
}

static void test_bad_indirect_not_negotiated(void **state)
{
	struct fixture *f = *state;
	start(f, base_features, 8);
	vt_desc_at(&f->drv, TABLE_GPA, 0, BUF_GPA, 8, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_desc(&f->drv, 0, TABLE_GPA, 16, VB_VIRTQ_DESC_F_INDIRECT, 0);
	post_and_notify(f, 0);
	expect_needs_reset(f, "INDIRECT");
}

static void test_bad_indirect_loop(void **state)
{
	struct fixture *f = *state;
	start(f, base_features | 1ULL << VB_VIRTIO_F_INDIRECT_DESC, 8);
	vt_desc_at(&f->drv, TABLE_GPA, 0, BUF_GPA, 8, VB_VIRTQ_DESC_F_WRITE | VB_VIRTQ_DESC_F_NEXT, 1);
	vt_desc_at(&f->drv, TABLE_GPA, 1, BUF_GPA, 8, VB_VIRTQ_DESC_F_WRITE | VB_VIRTQ_DESC_F_NEXT, 0);
	vt_desc(&f->drv, 0, TABLE_GPA, 32, VB_VIRTQ_DESC_F_INDIRECT, 0);
	post_and_notify(f, 0);
	expect_needs_reset(f, "loop");
}

static void test_bad_zero_length_chain(void **state)
{
	struct fixture *f = *state;
	start(f, base_features, 8);
	vt_desc(&f->drv, 0, BUF_GPA, 0, VB_VIRTQ_DESC_F_WRITE, 0);
	post_and_notify(f, 0);
	expect_needs_reset(f, "no bytes");
}

static void bad_queue_size(struct fixture *f, uint16_t size)
{
	uint8_t s = vt_drv_negotiate(&f->drv, base_features);
	assert_true(s & VB_VIRTIO_S_FEATURES_OK);
	vt_drv_queue(&f->drv, 0, size, QUEUE_GPA);
	assert_false(vt_drv_queue_ready(&f->drv, 0));
	/* Violations before DRIVER_OK raise no interrupt yet. */
	vt_drv_set_status(&f->drv, s | VB_VIRTIO_S_DRIVER_OK);
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	assert_non_null(strstr(f->env.last_log, "power of two"));
	assert_true(f->env.log_lines >= 1);
	start(f, base_features, 8); /* reset recovers */
	assert_false(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
}

static void test_bad_queue_size_0(void **state)
{
	bad_queue_size(*state, 0);
}

static void test_bad_queue_size_3(void **state)
{
	bad_queue_size(*state, 3);
}

static void test_bad_queue_size_too_big(void **state)
{
	bad_queue_size(*state, 512); /* the rng offers 256 */
}

static void test_bad_avail_index_jump(void **state)
{
	struct fixture *f = *state;
	start(f, base_features, 8);
	vt_desc(&f->drv, 0, BUF_GPA, 8, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_avail_set_idx(&f->drv, 9);
	vt_drv_notify(&f->drv, 0);
	expect_needs_reset(f, "jumped");
}

static void test_bad_used_index_jump(void **state)
{
	struct fixture *f = *state;
	start(f, base_features, 8);
	vt_desc(&f->drv, 0, BUF_GPA, 8, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_used_set_idx(&f->drv, 100);
	post_and_notify(f, 0);
	expect_needs_reset(f, "used index");
}

static void test_bad_readonly_buffer(void **state)
{
	struct fixture *f = *state;
	start(f, base_features, 8);
	memset(vt_gpa(&f->env, BUF_GPA), FILL, 64);
	vt_desc(&f->drv, 0, BUF_GPA, 64, 0, 0);
	post_and_notify(f, 0);
	/* Not a byte written into a buffer the device may only read. */
	assert_int_equal(count_fill(f, BUF_GPA, 64), 64);
	expect_needs_reset(f, "readable");
}

static void test_bad_readable_after_writable(void **state)
{
	struct fixture *f = *state;
	start(f, base_features, 8);
	vt_desc(&f->drv, 0, BUF_GPA, 8, VB_VIRTQ_DESC_F_WRITE | VB_VIRTQ_DESC_F_NEXT, 1);
	vt_desc(&f->drv, 1, BUF_GPA + 8, 8, 0, 0);
	post_and_notify(f, 0);
	expect_needs_reset(f, "after a writable");
}

static void test_bad_head_and_next_out_of_range(void **state)
{
	struct fixture *f = *state;
	start(f, base_features, 8);
	post_and_notify(f, 8);
	expect_needs_reset(f, "head index");
	vt_desc(&f->drv, 0, BUF_GPA, 8, VB_VIRTQ_DESC_F_WRITE | VB_VIRTQ_DESC_F_NEXT, 1000);
	post_and_notify(f, 0);
	expect_needs_reset(f, "next index");
}

static void test_bad_notify_unset_queue(void **state)
{
	struct fixture *f = *state;
	start(f, base_features, 8);
	vt_drv_notify(&f->drv, 5);
	expect_needs_reset(f, "not set up");
}

static void test_bad_ring_outside_ram(void **state)
{
	struct fixture *f = *state;
	uint8_t s = vt_drv_negotiate(&f->drv, base_features);
	vt_drv_queue(&f->drv, 0, 8, VT_HIGH_RAM_END - 64);
	assert_false(vt_drv_queue_ready(&f->drv, 0));
	vt_drv_set_status(&f->drv, s | VB_VIRTIO_S_DRIVER_OK);
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	assert_non_null(strstr(f->env.last_log, "not guest RAM"));
}

static void test_log_rate_limited(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < 50; i++) {
		start(f, base_features, 8);
		vt_drv_notify(&f->drv, 7);
		assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	}
	assert_true(f->env.log_lines >= 1);
	assert_true(f->env.log_lines < 50);
}

/* One device broken, its neighbour keeps working. */
static void test_other_device_unaffected(void **state)
{
	struct fixture *f = *state;
	struct vb_virtio_placement p = {
		.name = "rng1", .transport = f->pci ? VB_VIRTIO_PCI : VB_VIRTIO_MMIO,
		.pci_slot = 2, .mmio_base = MMIO_BASE + 0x1000, .mmio_bytes = 0x1000,
		.gsi = MMIO_GSI + 1,
	};
	assert_int_equal(vt_env_attach(&f->env, "rng", &p), 0);
	struct vt_drv other;
	assert_int_equal(vt_drv_open_either(&other, &f->env, f->pci, 2, p.mmio_base, p.gsi), 0);
	assert_int_not_equal(other.gsi, f->drv.gsi);

	start(f, base_features, 8);
	vt_drv_notify(&f->drv, 3); /* breaks rng0 */
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);

	uint8_t s = vt_drv_negotiate(&other, base_features);
	vt_drv_queue(&other, 0, 8, QUEUE_GPA + 0x8000);
	vt_drv_set_status(&other, s | VB_VIRTIO_S_DRIVER_OK);
	vt_desc(&other, 0, BUF_GPA, 32, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_avail_push(&other, 0);
	vt_drv_notify(&other, 0);
	uint32_t id, len;
	assert_true(vt_used_next(&other, &id, &len));
	assert_int_equal(len, 32);
	assert_false(vt_drv_status(&other) & VB_VIRTIO_S_NEEDS_RESET);
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
}

/* One request of 32 bytes in descriptor i, completed at once. */
static void one_request(struct vt_drv *d, uint16_t i)
{
	vt_desc(d, i, BUF_GPA + 32u * i, 32, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_avail_push(d, i);
	vt_drv_notify(d, 0);
	uint32_t id, len;
	assert_true(vt_used_next(d, &id, &len));
	assert_int_equal(id, i);
}

/* virtio-mmio's line is an edge (dev/irq.h): one per status bit set that
 * was clear. A completion while the driver has not read the status adds
 * no edge (its handler will see it); one after the status was acked
 * does; a configuration change beside a pending queue bit does too. */
static void test_mmio_edges(void **state)
{
	struct fixture *f = *state;
	start(f, base_features, 8);
	unsigned before = vt_drv_edges(&f->drv);
	one_request(&f->drv, 0);
	one_request(&f->drv, 1);
	assert_int_equal(vt_drv_edges(&f->drv), before + 1);
	assert_int_equal(f->env.level[MMIO_GSI], 0); /* never held */
	assert_int_equal(vt_drv_isr(&f->drv), VB_VIRTIO_ISR_QUEUE);
	one_request(&f->drv, 2);
	assert_int_equal(vt_drv_edges(&f->drv), before + 2);
	vt_drv_notify(&f->drv, 5); /* breaks it: the configuration bit */
	assert_int_equal(vt_drv_edges(&f->drv), before + 3);
	assert_int_equal(vt_drv_isr(&f->drv), VB_VIRTIO_ISR_QUEUE | VB_VIRTIO_ISR_CONFIG);
	assert_false(vt_drv_line(&f->drv));
}

/* A fixture whose env hands out irqfds: eventfds this test reads. */
struct irqfd_fixture {
	struct vt_env env; /* first: the env's irq_ctx is this struct */
	uint32_t gsi;
	int fd;
	unsigned opened;
};

static int fake_irqfd_open(void *ctx, uint32_t gsi, int *fd, struct vb_err *err)
{
	struct irqfd_fixture *q = ctx;
	(void)err;
	*fd = q->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->gsi = gsi;
	q->opened++;
	return *fd < 0 ? -errno : 0;
}

/* Edges written since the last look. */
static uint64_t irqfd_edges(const struct irqfd_fixture *q)
{
	uint64_t n = 0;
	return read(q->fd, &n, sizeof(n)) == (ssize_t)sizeof(n) ? n : 0;
}

/* Where the env has irqfds, an edge is one eventfd write, no line set. */
static void test_mmio_edges_through_irqfd(void **state)
{
	(void)state;
	struct irqfd_fixture *q = VT_FIXTURE_NEW(struct irqfd_fixture);
	if (!q)
		skip();
	q->env.env.irqfd_open = fake_irqfd_open;
	struct vb_virtio_placement p = {
		.name = "rng0", .transport = VB_VIRTIO_MMIO, .mmio_base = MMIO_BASE,
		.mmio_bytes = 0x1000, .gsi = MMIO_GSI,
	};
	assert_int_equal(vt_env_attach(&q->env, "rng", &p), 0);
	assert_int_equal(q->opened, 1);
	assert_int_equal(q->gsi, MMIO_GSI);
	struct vt_drv d;
	assert_int_equal(vt_drv_open_mmio(&d, &q->env, MMIO_BASE, MMIO_GSI), 0);
	uint8_t s = vt_drv_negotiate(&d, base_features);
	vt_drv_queue(&d, 0, 8, QUEUE_GPA);
	vt_drv_set_status(&d, s | VB_VIRTIO_S_DRIVER_OK);
	one_request(&d, 0);
	one_request(&d, 1);
	assert_int_equal(irqfd_edges(q), 1);
	assert_int_equal(q->env.raises[MMIO_GSI], 0);
	assert_int_equal(vt_drv_isr(&d), VB_VIRTIO_ISR_QUEUE);
	one_request(&d, 2);
	assert_int_equal(irqfd_edges(q), 1);
	vt_env_fini(&q->env); /* detach closes the eventfd */
	assert_int_equal(fcntl(q->fd, F_GETFD), -1);
	free(q);
}

#define BOTH(t) cmocka_unit_test_setup_teardown(t, setup_mmio, teardown), \
		cmocka_unit_test_setup_teardown(t, setup_pci, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_rng_bytes),
		BOTH(test_rng_indirect),
		BOTH(test_event_idx),
		BOTH(test_no_interrupt_flag),
		BOTH(test_features_need_version_1),
		BOTH(test_bad_descriptor_loop),
		BOTH(test_bad_address_past_ram),
		BOTH(test_bad_address_in_gap),
		BOTH(test_bad_address_wraps),
		BOTH(test_bad_indirect_in_indirect),
		BOTH(test_bad_indirect_not_negotiated),
		BOTH(test_bad_indirect_loop),
		BOTH(test_bad_zero_length_chain),
		BOTH(test_bad_queue_size_0),
		BOTH(test_bad_queue_size_3),
		BOTH(test_bad_queue_size_too_big),
		BOTH(test_bad_avail_index_jump),
		BOTH(test_bad_used_index_jump),
		BOTH(test_bad_readonly_buffer),
		BOTH(test_bad_readable_after_writable),
		BOTH(test_bad_head_and_next_out_of_range),
		BOTH(test_bad_notify_unset_queue),
		BOTH(test_bad_ring_outside_ram),
		BOTH(test_log_rate_limited),
		BOTH(test_other_device_unaffected),
		cmocka_unit_test_setup_teardown(test_mmio_edges, setup_mmio, teardown),
		cmocka_unit_test(test_mmio_edges_through_irqfd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
