#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dev/alloc.h"
#include "mem/memmap.h"

static void test_gsi(void **state)
{
	(void)state;
	struct vb_alloc a;
	struct vb_err err = {{0}};
	vb_alloc_init(&a);
	assert_int_equal(vb_alloc_gsi_claim(&a, 4, "uart", &err), 0);
	assert_int_equal(vb_alloc_gsi_claim(&a, 4, "uart2", &err), -EBUSY);
	assert_string_equal(err.msg, "uart2: GSI 4 already used by uart");
	assert_int_equal(vb_alloc_gsi_claim(&a, 8, "x", &err), -EBUSY);
	assert_int_equal(vb_alloc_gsi_claim(&a, 24, "x", &err), -EINVAL);
	bool seen[VB_ALLOC_GSI_COUNT] = {false};
	uint32_t gsi;
	unsigned got = 0;
	while (vb_alloc_gsi(&a, "virtio", &gsi, &err) == 0) {
		assert_true(gsi >= VB_ALLOC_FIRST_DYNAMIC_GSI);
		assert_true(gsi < VB_ALLOC_GSI_COUNT);
		assert_false(seen[gsi]);
		assert_true(gsi != 8 && gsi != 13);
		seen[gsi] = true;
		got++;
	}
	/* 5..23 minus 8 and 13 */
	assert_int_equal(got, 17);
	assert_non_null(strstr(err.msg, "no free interrupt line"));
	vb_alloc_gsi_release(&a, 9);
	assert_int_equal(vb_alloc_gsi(&a, "late", &gsi, &err), 0);
	assert_int_equal(gsi, 9);
}

static void test_mmio(void **state)
{
	(void)state;
	struct vb_alloc a;
	struct vb_err err = {{0}};
	vb_alloc_init(&a);
	uint64_t x, y, z;
	assert_int_equal(vb_alloc_mmio(&a, 0x200, 0, "v0", &x, &err), 0);
	assert_int_equal(x, VB_GAP_START_BYTES);
	assert_int_equal(vb_alloc_mmio(&a, 0x4000, 0, "v1", &y, &err), 0);
	assert_int_equal(y % 0x4000, 0);
	assert_true(y >= x + 0x200);
	assert_int_equal(vb_alloc_mmio(&a, 0x10, 0x1000, "v2", &z, &err), 0);
	assert_int_equal(z % 0x1000, 0);
	assert_true(z >= y + 0x4000);
	assert_int_equal(vb_alloc_mmio(&a, 0x10, 3, "bad", &z, &err), -EINVAL);
	assert_int_equal(vb_alloc_mmio(&a, 0, 0, "bad", &z, &err), -EINVAL);
	/* exhaustion: the gap is 3328 MiB..0xFEC00000 */
	assert_int_equal(vb_alloc_mmio(&a, 1ULL << 30, 0, "huge", &z, &err), -ENOSPC);
	assert_non_null(strstr(err.msg, "huge: no room for 0x40000000 bytes in the PCI window"));
	assert_int_equal(vb_alloc_mmio(&a, UINT64_MAX, 0, "max", &z, &err), -ENOSPC);
	/* fill exactly to the end */
	uint64_t rest = VB_ALLOC_MMIO_END_BYTES - a.mmio_next;
	assert_int_equal(vb_alloc_mmio(&a, rest, 1, "rest", &z, &err), 0);
	assert_int_equal(z + rest, VB_ALLOC_MMIO_END_BYTES);
	assert_int_equal(vb_alloc_mmio(&a, 1, 1, "one", &z, &err), -ENOSPC);
}

static void test_pio_and_slots(void **state)
{
	(void)state;
	struct vb_alloc a;
	struct vb_err err = {{0}};
	vb_alloc_init(&a);
	uint64_t p, q;
	assert_int_equal(vb_alloc_pio(&a, 0x100, 0, "a", &p, &err), 0);
	assert_int_equal(p, VB_ALLOC_PIO_START);
	assert_int_equal(vb_alloc_pio(&a, 0x40, 0, "b", &q, &err), 0);
	assert_true(q >= p + 0x100);
	assert_int_equal(vb_alloc_pio(&a, 0x10000, 0, "c", &q, &err), -ENOSPC);

	uint32_t slot;
	assert_int_equal(vb_alloc_pci_slot_claim(&a, 0, "host", &err), 0);
	assert_int_equal(vb_alloc_pci_slot_claim(&a, 0, "x", &err), -EBUSY);
	assert_string_equal(err.msg, "x: PCI slot 0 already used by host");
	for (uint32_t i = 1; i < VB_ALLOC_PCI_SLOTS; i++) {
		assert_int_equal(vb_alloc_pci_slot(&a, "v", &slot, &err), 0);
		assert_int_equal(slot, i);
	}
	assert_int_equal(vb_alloc_pci_slot(&a, "v", &slot, &err), -ENOSPC);
	assert_int_equal(vb_alloc_pci_slot_claim(&a, 32, "x", &err), -EINVAL);
}

/* Fixed ranges (resolve's layout, a shmem address from the file): kept
 * inside the window, never overlapping, and skipped by allocation. */
static void test_mmio_reserve(void **state)
{
	(void)state;
	struct vb_alloc a;
	struct vb_err err = {{0}};
	vb_alloc_init(&a);
	uint64_t x;
	assert_int_equal(vb_alloc_mmio_reserve(&a, VB_GAP_START_BYTES, 0x2000, "mmio0", &err), 0);
	/* Natural alignment puts the 16 KiB BAR past the reserved pages. */
	assert_int_equal(vb_alloc_mmio(&a, 0x4000, 0, "pci0", &x, &err), 0);
	assert_true(x == VB_GAP_START_BYTES + 0x4000);
	/* A 256 MiB region at 0xe0000000, then a 256 MiB allocation: the
	 * next aligned place, 0xd0000000, is taken, 0xe0000000 too, and
	 * 0xf0000000 + 256 MiB runs past the IOAPIC: no room. */
	assert_int_equal(vb_alloc_mmio_reserve(&a, 0xe0000000ULL, 256ULL << 20, "shm0", &err), 0);
	assert_int_equal(vb_alloc_mmio(&a, 256ULL << 20, 0, "shm1", &x, &err), -ENOSPC);
	assert_non_null(strstr(err.msg, "shm1: no room for 0x10000000 bytes in the PCI window [0xd0000000, 0xfec00000)"));
	/* A small allocation still fits below the reserved region. */
	assert_int_equal(vb_alloc_mmio(&a, 0x100, 0, "reg", &x, &err), 0);
	assert_true(x == VB_GAP_START_BYTES + 0x8000);
	/* Overlaps, named both ways round. */
	assert_int_equal(vb_alloc_mmio_reserve(&a, 0xe8000000ULL, 0x1000, "shm2", &err), -EBUSY);
	assert_string_equal(err.msg,
			    "shm2: [0xe8000000, 0xe8001000) overlaps shm0 [0xe0000000, 0xf0000000)");
	assert_int_equal(vb_alloc_mmio_reserve(&a, VB_GAP_START_BYTES + 0x1000, 0x4000, "shm3", &err),
			 -EBUSY);
	assert_non_null(strstr(err.msg, "overlaps mmio0"));
	/* Outside the window: RAM below it, the IOAPIC above, wrapping. */
	assert_int_equal(vb_alloc_mmio_reserve(&a, 0xc8000000ULL, 0x1000, "low", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "low: [0xc8000000, +0x1000) is outside the PCI window"));
	assert_int_equal(vb_alloc_mmio_reserve(&a, VB_ALLOC_MMIO_END_BYTES, 0x1000, "io", &err),
			 -EINVAL);
	assert_int_equal(vb_alloc_mmio_reserve(&a, 0xfeb00000ULL, 0x200000, "end", &err), -EINVAL);
	assert_int_equal(vb_alloc_mmio_reserve(&a, UINT64_MAX - 0xfff, 0x1000, "wrap", &err),
			 -EINVAL);
	assert_int_equal(vb_alloc_mmio_reserve(&a, 0xf0000000ULL, 0, "empty", &err), -EINVAL);
	/* Exactly up to the end of the window is fine. */
	assert_int_equal(vb_alloc_mmio_reserve(&a, 0xfeb00000ULL, 0x100000, "top", &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gsi),
		cmocka_unit_test(test_mmio),
		cmocka_unit_test(test_mmio_reserve),
		cmocka_unit_test(test_pio_and_slots),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
