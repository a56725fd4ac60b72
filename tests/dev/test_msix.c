/* MSI-X (dev/msix.h) on a PCI function plugged into a host bridge, with
 * fake MSI routes over real eventfds (fakes.h): the capability as a
 * driver sees it in config space, the table and PBA, masking and
 * pending bits, the batching of route updates, and a hostile driver's
 * accesses and messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dev/msix.h"
#include "dev/pci.h"
#include "fakes.h"
#include "util/le.h"

#define SLOT 1u
#define VECTORS 3u
#define TABLE_OFF 0x4000u
#define PBA_OFF 0x5000u
#define LAPIC 0xfee00000u

struct fixture {
	struct vb_pci_host *host;
	struct vb_pci_function fn;
	struct vb_dev_env env;
	struct fake_msi msi;
	struct vb_msix msix;
	unsigned enable_changes;
	unsigned log_lines;
};

static void count_log(void *ctx, const char *msg)
{
	(void)msg;
	((struct fixture *)ctx)->log_lines++;
}

static void control_written(void *opaque, uint32_t reg, uint32_t size)
{
	struct fixture *f = opaque;
	if (vb_msix_control_written(&f->msix, &f->fn, reg, size))
		f->enable_changes++;
}

static const struct vb_msix_layout layout = {
	.n_vectors = VECTORS, .bar = 0, .table_off = TABLE_OFF, .pba_off = PBA_OFF,
};

/* A function with one 32 KiB memory BAR, not yet offering MSI-X. */
static struct fixture *new_function(void)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	struct vb_err err;
	assert_int_equal(vb_pci_host_create(&f->host, &err), 0);
	vb_pci_function_init(&f->fn, "fn", 0x1af4, 0x1041, 0xff0000, 1);
	assert_int_equal(vb_pci_function_set_bar(&f->fn, 0, VB_PCI_BAR_MEM32, 0x8000, 0xe0000000,
						 &err), 0);
	f->fn.config_written = control_written;
	f->fn.opaque = f;
	f->env.log = count_log;
	f->env.log_ctx = f;
	assert_int_equal(vb_pci_host_add(f->host, &f->fn, SLOT, &err), 0);
	return f;
}

static int setup(void **state)
{
	struct fixture *f = new_function();
	fake_msi_plug(&f->msi, &f->env);
	struct vb_err err;
	assert_int_equal(vb_msix_init(&f->msix, &f->env, &f->fn, &layout, "fn", &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	vb_msix_destroy(&f->msix);
	assert_int_equal(fake_msi_in_use(&f->msi), 0);
	vb_pci_host_destroy(f->host);
	test_free(f);
	return 0;
}

static uint32_t cfg_read(struct fixture *f, uint32_t reg, uint32_t size)
{
	return vb_pci_config_read(f->host, 0, SLOT, 0, reg, size);
}

static void cfg_write(struct fixture *f, uint32_t reg, uint32_t size, uint32_t v)
{
	vb_pci_config_write(f->host, 0, SLOT, 0, reg, size, v);
}

/* The MSI-X capability's offset, walking the list as a driver does. */
static uint32_t find_cap(struct fixture *f)
{
	uint32_t cap = cfg_read(f, VB_PCI_CAP_PTR, 1);
	for (int guard = 0; cap && guard < 48; guard++) {
		if (cfg_read(f, cap, 1) == VB_MSIX_CAP_ID)
			return cap;
		cap = cfg_read(f, cap + 1, 1);
	}
	return 0;
}

static void set_control(struct fixture *f, bool enable, bool mask_all)
{
	uint32_t cap = find_cap(f);
	uint32_t v = (enable ? VB_MSIX_CONTROL_ENABLE : 0u) | (mask_all ? VB_MSIX_CONTROL_MASKALL : 0u);
	cfg_write(f, cap + VB_MSIX_CONTROL, 2, v);
}

/* The low dword of a read (all a test compares). */
static uint32_t table_read(struct fixture *f, uint64_t off, uint32_t size)
{
	uint8_t b[8];
	memset(b, 0xaa, sizeof(b));
	vb_msix_table_access(&f->msix, off, b, size, false);
	return (uint32_t)vb_le_get(b, size < 4 ? size : 4);
}

static void table_write(struct fixture *f, uint64_t off, uint64_t v, uint32_t size)
{
	uint8_t b[8];
	vb_le_put(b, v, size);
	vb_msix_table_access(&f->msix, off, b, size, true);
}

static uint64_t entry(unsigned i, unsigned field)
{
	return (uint64_t)i * VB_MSIX_ENTRY_BYTES + field;
}

/* Linux's order: masked, address, data, then unmask. */
static void program(struct fixture *f, unsigned i, uint32_t addr_lo, uint32_t addr_hi,
		    uint32_t data, bool unmask)
{
	table_write(f, entry(i, VB_MSIX_ENTRY_CTRL), VB_MSIX_CTRL_MASKED, 4);
	table_write(f, entry(i, VB_MSIX_ENTRY_ADDR_LO), addr_lo, 4);
	table_write(f, entry(i, VB_MSIX_ENTRY_ADDR_HI), addr_hi, 4);
	table_write(f, entry(i, VB_MSIX_ENTRY_DATA), data, 4);
	if (unmask)
		table_write(f, entry(i, VB_MSIX_ENTRY_CTRL), 0, 4);
}

static void mask(struct fixture *f, unsigned i, bool masked)
{
	table_write(f, entry(i, VB_MSIX_ENTRY_CTRL), masked ? VB_MSIX_CTRL_MASKED : 0u, 4);
}

static uint64_t pba(struct fixture *f)
{
	uint8_t b[8] = { 0 };
	vb_msix_pba_access(&f->msix, 0, b, 8, false);
	return vb_le_get(b, 8);
}

static void test_capability(void **state)
{
	struct fixture *f = *state;
	uint32_t cap = find_cap(f);
	assert_true(cap >= 0x40 && cap % 4 == 0);
	assert_int_equal(cfg_read(f, VB_PCI_STATUS, 2) & VB_PCI_STATUS_CAP_LIST,
			 VB_PCI_STATUS_CAP_LIST);
	/* Table size N-1, disabled, not masked; table and PBA in BAR 0. */
	assert_int_equal(cfg_read(f, cap + VB_MSIX_CONTROL, 2), VECTORS - 1);
	assert_int_equal(cfg_read(f, cap + VB_MSIX_TABLE, 4), TABLE_OFF | 0u);
	assert_int_equal(cfg_read(f, cap + VB_MSIX_PBA, 4), PBA_OFF | 0u);
	/* Only enable and function mask are writable. */
	cfg_write(f, cap + VB_MSIX_CONTROL, 2, 0xffff);
	assert_int_equal(cfg_read(f, cap + VB_MSIX_CONTROL, 2),
			 VB_MSIX_CONTROL_ENABLE | VB_MSIX_CONTROL_MASKALL | (VECTORS - 1));
	assert_int_equal(f->enable_changes, 1);
	assert_true(vb_msix_enabled(&f->msix));
	cfg_write(f, cap + VB_MSIX_TABLE, 4, 0);
	cfg_write(f, cap + VB_MSIX_PBA, 4, 0xffffffff);
	assert_int_equal(cfg_read(f, cap + VB_MSIX_TABLE, 4), TABLE_OFF);
	assert_int_equal(cfg_read(f, cap + VB_MSIX_PBA, 4), PBA_OFF);
	/* A byte write of the low half does not touch enable. */
	cfg_write(f, cap + VB_MSIX_CONTROL, 1, 0);
	assert_true(vb_msix_enabled(&f->msix));
	cfg_write(f, cap + VB_MSIX_CONTROL + 1, 1, 0);
	assert_false(vb_msix_enabled(&f->msix));
	assert_int_equal(f->enable_changes, 2);
	/* One route per vector, none pointed anywhere yet. */
	assert_int_equal(fake_msi_in_use(&f->msi), VECTORS);
	assert_int_equal(f->msi.commits, 0);
}

static void test_table_after_reset(void **state)
{
	struct fixture *f = *state;
	for (unsigned i = 0; i < VECTORS; i++) {
		assert_int_equal(table_read(f, entry(i, VB_MSIX_ENTRY_CTRL), 4), VB_MSIX_CTRL_MASKED);
		assert_int_equal(table_read(f, entry(i, VB_MSIX_ENTRY_DATA), 4), 0);
	}
	assert_int_equal(pba(f), 0);
	/* Registers read back what was written, minus read-only bits. */
	table_write(f, entry(2, VB_MSIX_ENTRY_ADDR_LO), 0xfee0100fu, 4);
	table_write(f, entry(2, VB_MSIX_ENTRY_CTRL), 0xfffffffeu, 4);
	assert_int_equal(table_read(f, entry(2, VB_MSIX_ENTRY_ADDR_LO), 4), 0xfee0100cu);
	assert_int_equal(table_read(f, entry(2, VB_MSIX_ENTRY_CTRL), 4), 0);
	/* A qword is two dwords, low first. */
	table_write(f, entry(1, VB_MSIX_ENTRY_ADDR_LO), 0x00000001fee00000ULL, 8);
	assert_int_equal(table_read(f, entry(1, VB_MSIX_ENTRY_ADDR_HI), 4), 1);
	assert_int_equal(table_read(f, entry(1, VB_MSIX_ENTRY_ADDR_LO), 8), 0xfee00000u);
}

static void test_send(void **state)
{
	struct fixture *f = *state;
	program(f, 1, LAPIC, 0, 0x41, true);
	set_control(f, true, false);
	assert_int_equal(f->msi.commits, 1);
	int route = fake_msi_route_with(&f->msi, 0x41);
	assert_true(route >= 0);
	assert_int_equal(f->msi.r[route].committed_addr, LAPIC);
	vb_msix_send(&f->msix, 1);
	vb_msix_send(&f->msix, 1);
	assert_int_equal(fake_msi_fired(&f->msi, route), 2);
	/* Vector 0 was never unmasked: held, not sent anywhere. */
	vb_msix_send(&f->msix, 0);
	assert_int_equal(pba(f), 1);
	struct vb_msix_stats st = vb_msix_stats(&f->msix);
	assert_int_equal(st.sent, 2);
	assert_int_equal(st.held, 1);
}

static void test_masked_vector_pending_once(void **state)
{
	struct fixture *f = *state;
	program(f, 2, LAPIC, 0, 0x52, false);
	set_control(f, true, false);
	for (int i = 0; i < 3; i++)
		vb_msix_send(&f->msix, 2);
	assert_int_equal(f->msi.commits, 0);
	assert_int_equal(pba(f), 1u << 2);
	/* The PBA by dwords too. */
	uint8_t b[4] = { 0 };
	vb_msix_pba_access(&f->msix, 0, b, 4, false);
	assert_int_equal(b[0], 1u << 2);
	mask(f, 2, false);
	assert_int_equal(f->msi.commits, 1);
	assert_int_equal(fake_msi_fired_data(&f->msi, 0x52), 1);
	assert_int_equal(pba(f), 0);
	mask(f, 2, true);
	mask(f, 2, false);
	assert_int_equal(fake_msi_fired_data(&f->msi, 0x52), 0);
	assert_int_equal(f->msi.commits, 1);
}

static void test_function_mask(void **state)
{
	struct fixture *f = *state;
	/* Linux's enable: enable and mask all at once, then the vectors. */
	set_control(f, true, true);
	for (unsigned i = 0; i < VECTORS; i++)
		program(f, i, LAPIC, 0, 0x60 + i, true);
	assert_int_equal(f->msi.commits, 0);
	vb_msix_send(&f->msix, 0);
	vb_msix_send(&f->msix, 2);
	mask(f, 2, true);
	assert_int_equal(pba(f), (1u << 0) | (1u << 2));
	/* One routing table for every vector the unmask makes live. */
	set_control(f, true, false);
	assert_int_equal(f->msi.commits, 1);
	assert_int_equal(fake_msi_fired_data(&f->msi, 0x60), 1);
	assert_int_equal(fake_msi_fired_data(&f->msi, 0x61), 0);
	assert_int_equal(pba(f), 1u << 2);
	mask(f, 2, false);
	assert_int_equal(fake_msi_fired_data(&f->msi, 0x62), 1);
	assert_int_equal(pba(f), 0);
}

static void test_disabled_holds(void **state)
{
	struct fixture *f = *state;
	program(f, 0, LAPIC, 0, 0x70, true);
	vb_msix_send(&f->msix, 0);
	assert_int_equal(f->msi.commits, 0);
	assert_int_equal(pba(f), 1);
	set_control(f, true, false);
	assert_int_equal(fake_msi_fired_data(&f->msi, 0x70), 1);
	/* Disabled again: held again, sent once at the next enable. */
	set_control(f, false, false);
	vb_msix_send(&f->msix, 0);
	vb_msix_send(&f->msix, 0);
	assert_int_equal(fake_msi_fired_data(&f->msi, 0x70), 0);
	set_control(f, true, false);
	assert_int_equal(fake_msi_fired_data(&f->msi, 0x70), 1);
	assert_int_equal(f->enable_changes, 3);
}

static void test_message_rewrite(void **state)
{
	struct fixture *f = *state;
	set_control(f, true, false);
	program(f, 1, LAPIC, 0, 0x11, true);
	assert_int_equal(f->msi.commits, 1);
	/* Unmasking a vector whose route is current costs nothing. */
	mask(f, 1, true);
	mask(f, 1, false);
	assert_int_equal(f->msi.commits, 1);
	/* Rewritten while masked: one table at the unmask. */
	program(f, 1, LAPIC | 0x1000u, 0, 0x12, true);
	assert_int_equal(f->msi.commits, 2);
	assert_int_equal(fake_msi_route_with(&f->msi, 0x11), -1);
	/* Rewritten while live (undefined by the spec): followed at once. */
	table_write(f, entry(1, VB_MSIX_ENTRY_DATA), 0x13, 4);
	assert_int_equal(f->msi.commits, 3);
	vb_msix_send(&f->msix, 1);
	assert_int_equal(fake_msi_fired_data(&f->msi, 0x13), 1);
}

static void test_bad_accesses(void **state)
{
	struct fixture *f = *state;
	program(f, 0, LAPIC, 0, 0x21, false);
	uint64_t bytes = VECTORS * VB_MSIX_ENTRY_BYTES;
	/* Bytes, words, unaligned, past the table, a qword over its end. */
	table_write(f, entry(0, VB_MSIX_ENTRY_DATA), 0xff, 1);
	table_write(f, entry(0, VB_MSIX_ENTRY_DATA), 0xffff, 2);
	table_write(f, entry(0, VB_MSIX_ENTRY_DATA) + 2, 0xffffffff, 4);
	table_write(f, entry(0, VB_MSIX_ENTRY_CTRL), 0, 8);
	table_write(f, bytes, 0, 4);
	table_write(f, 0xffc, 0, 4);
	table_write(f, bytes - 4, 0, 8);
	table_write(f, UINT64_MAX - 3, 0, 4);
	assert_int_equal(table_read(f, entry(0, VB_MSIX_ENTRY_DATA), 4), 0x21);
	assert_int_equal(table_read(f, entry(0, VB_MSIX_ENTRY_CTRL), 4), VB_MSIX_CTRL_MASKED);
	assert_int_equal(table_read(f, bytes, 4), 0);
	assert_int_equal(table_read(f, entry(0, VB_MSIX_ENTRY_DATA), 2), 0);
	/* The PBA is read-only and one qword. */
	vb_msix_send(&f->msix, 0);
	uint8_t b[8] = { 0 };
	vb_msix_pba_access(&f->msix, 0, b, 8, true);
	vb_msix_pba_access(&f->msix, 8, b, 4, false);
	assert_int_equal(b[0], 0);
	vb_msix_pba_access(&f->msix, 1, b, 1, false);
	assert_int_equal(pba(f), 1);
	struct vb_msix_stats st = vb_msix_stats(&f->msix);
	assert_int_equal(st.bad_access, 13);
	assert_int_equal(f->log_lines, 1);
	assert_int_equal(f->msi.commits, 0);
}

static void test_bad_messages(void **state)
{
	struct fixture *f = *state;
	set_control(f, true, false);
	program(f, 0, 0x12345678u, 0, 0x31, true); /* not the APIC window */
	program(f, 1, LAPIC, 1, 0x32, true);       /* above 4 GiB */
	program(f, 2, 0xfef00000u, 0, 0x33, true); /* next to it */
	for (unsigned i = 0; i < VECTORS; i++)
		vb_msix_send(&f->msix, i);
	/* Never routed: KVM would have been handed nothing for them. */
	for (uint32_t d = 0x31; d <= 0x33; d++)
		assert_int_equal(fake_msi_route_with(&f->msi, d), -1);
	vb_msix_send(&f->msix, VECTORS);
	vb_msix_send(&f->msix, 0xffff);
	struct vb_msix_stats st = vb_msix_stats(&f->msix);
	assert_int_equal(st.bad_message, 3);
	assert_int_equal(st.no_vector, 2);
	assert_int_equal(st.sent, 0);
	assert_int_equal(f->log_lines, 2);
	/* The driver fixes one: it works. */
	program(f, 1, LAPIC, 0, 0x32, true);
	vb_msix_send(&f->msix, 1);
	assert_int_equal(fake_msi_fired_data(&f->msi, 0x32), 1);
}

static void test_commit_refused(void **state)
{
	struct fixture *f = *state;
	set_control(f, true, false);
	f->msi.fail_commits = 1;
	program(f, 0, LAPIC, 0, 0x44, true);
	vb_msix_send(&f->msix, 0);
	assert_int_equal(fake_msi_fired_data(&f->msi, 0x44), 0);
	assert_int_equal(vb_msix_stats(&f->msix).route_failed, 2);
	/* The next change of the table tries again. */
	mask(f, 0, true);
	mask(f, 0, false);
	vb_msix_send(&f->msix, 0);
	assert_int_equal(fake_msi_fired_data(&f->msi, 0x44), 1);
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* A driver playing every game at random: stray table and PBA accesses,
 * masks, enables, messages good and bad, sends. Nothing may crash, and
 * whatever it leaves pending arrives exactly once when it finally sets
 * the table right and unmasks everything. */
static void test_random_games(void **state)
{
	struct fixture *f = *state;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (int round = 0; round < 20000; round++) {
		uint64_t r = xorshift(&x);
		unsigned v = (unsigned)(r >> 8) % VECTORS;
		uint32_t size = 1u << ((r >> 12) % 4);
		uint8_t b[8] = { 0 };
		switch ((r >> 4) % 6) {
		case 0: table_write(f, (r >> 16) % 0x1000, r >> 20, size); break;
		case 1: mask(f, v, r & 1); break;
		case 2: set_control(f, r & 1, r & 2); break;
		case 3: vb_msix_send(&f->msix, (unsigned)(r >> 8) % (VECTORS + 1)); break;
		case 4: program(f, v, r & 8 ? LAPIC : (uint32_t)(r >> 32), 0, 0x80 + v, r & 16); break;
		default: vb_msix_pba_access(&f->msix, (r >> 16) % 16, b, size, r & 1); break;
		}
	}
	uint64_t pending = pba(f);
	set_control(f, true, true);
	for (unsigned i = 0; i < VECTORS; i++)
		program(f, i, LAPIC, 0, 0x100 + i, true);
	for (int id = 0; id < FAKE_MSI_ROUTES; id++)
		(void)fake_msi_fired(&f->msi, id);
	set_control(f, true, false);
	for (unsigned i = 0; i < VECTORS; i++)
		assert_int_equal(fake_msi_fired_data(&f->msi, 0x100 + i), (pending >> i) & 1);
	assert_int_equal(pba(f), 0);
	struct vb_msix_stats st = vb_msix_stats(&f->msix);
	assert_true(st.sent > 0 && st.held > 0 && st.bad_access > 0 && st.bad_message > 0);
}

static void test_without_routes(void **state)
{
	(void)state;
	struct fixture *f = new_function();
	struct vb_err err;
	assert_int_equal(vb_msix_init(&f->msix, &f->env, &f->fn, &layout, "fn", &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "MSI-X"));
	assert_int_equal(find_cap(f), 0);
	/* A route refused half way: nothing left behind. */
	fake_msi_plug(&f->msi, &f->env);
	f->msi.fail_add_at = 2;
	assert_int_equal(vb_msix_init(&f->msix, &f->env, &f->fn, &layout, "fn", &err), -ENOSPC);
	assert_int_equal(fake_msi_in_use(&f->msi), 0);
	assert_int_equal(find_cap(f), 0);
	/* A layout that does not fit the BAR. */
	f->msi.fail_add_at = 0;
	struct vb_msix_layout bad = layout;
	bad.table_off = 0x7ff8;
	assert_int_equal(vb_msix_init(&f->msix, &f->env, &f->fn, &bad, "fn", &err), -EINVAL);
	bad = layout;
	bad.pba_off = TABLE_OFF + 8;
	assert_int_equal(vb_msix_init(&f->msix, &f->env, &f->fn, &bad, "fn", &err), -EINVAL);
	bad = layout;
	bad.n_vectors = VB_MSIX_MAX_VECTORS + 1;
	assert_int_equal(vb_msix_init(&f->msix, &f->env, &f->fn, &bad, "fn", &err), -EINVAL);
	assert_int_equal(fake_msi_in_use(&f->msi), 0);
	vb_msix_destroy(&f->msix); /* zeroed: nothing */
	vb_pci_host_destroy(f->host);
	test_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_capability, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_after_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_masked_vector_pending_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_function_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_holds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_rewrite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_accesses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_games, setup, teardown),
		cmocka_unit_test(test_without_routes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
