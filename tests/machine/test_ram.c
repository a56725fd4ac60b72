/* Guest RAM host mapping: sizes, the PROT_NONE gap, hugepage alignment and
 * teardown, checked through /proc/self/maps without touching the gap. */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "machine/ram.h"
#include "util/size.h"

/* The permissions ("rw-p", "---p") of the /proc/self/maps line that covers
 * all of [start, end), or "" when no single line covers it. */
static void perms_of(uintptr_t start, uintptr_t end, char perms[5])
{
	perms[0] = '\0';
	FILE *f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char p[5];
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) != 3)
			continue;
		if (lo <= start && end <= hi) {
			memcpy(perms, p, 5);
			break;
		}
	}
	fclose(f);
}

/* True if any /proc/self/maps line overlaps [start, end). */
static bool any_overlap(uintptr_t start, uintptr_t end)
{
	FILE *f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	char line[512];
	bool found = false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		if (lo < end && start < hi)
			found = true;
	}
	fclose(f);
	return found;
}

static void map_ok(struct vb_ram *ram, struct vb_memmap *map, uint64_t ram_bytes,
		   enum vb_ram_pages pages)
{
	struct vb_err err = { { 0 } };
	vb_memmap_compute(ram_bytes, map);
	int r = vb_ram_map(ram, map, pages, &err);
	if (r != 0)
		fail_msg("vb_ram_map: %s", err.msg);
	assert_non_null(ram->host_base);
	assert_int_equal(ram->mmap_bytes, map->mmap_bytes);
}

static void test_64mib(void **state)
{
	(void)state;
	struct vb_memmap map;
	struct vb_ram ram;
	map_ok(&ram, &map, 64 * VB_MiB, VB_RAM_SMALL_PAGES);
	assert_int_equal(ram.mmap_bytes, 64 * VB_MiB);
	uintptr_t b = (uintptr_t)ram.host_base;
	char p[5];
	perms_of(b, b + 64 * VB_MiB, p);
	assert_string_equal(p, "rw-p");
	/* Writable at both ends, zero-filled. */
	assert_int_equal(ram.host_base[0], 0);
	ram.host_base[0] = 1;
	ram.host_base[64 * VB_MiB - 1] = 2;
	struct vb_guest_mem view = vb_ram_view(&ram, &map);
	uint8_t *last = vb_gmem_ptr(&view, 64 * VB_MiB - 1, 1);
	assert_non_null(last);
	assert_int_equal(*last, 2);
	assert_null(vb_gmem_ptr(&view, 64 * VB_MiB - 1, 2));
	vb_ram_unmap(&ram);
	assert_null(ram.host_base);
	assert_false(any_overlap(b, b + 64 * VB_MiB));
}

static void test_3328mib_no_gap(void **state)
{
	(void)state;
	struct vb_memmap map;
	struct vb_ram ram;
	map_ok(&ram, &map, 3328 * VB_MiB, VB_RAM_SMALL_PAGES);
	assert_false(map.has_gap);
	assert_int_equal(ram.mmap_bytes, 3328 * VB_MiB);
	uintptr_t b = (uintptr_t)ram.host_base;
	char p[5];
	perms_of(b, b + 3328 * VB_MiB, p);
	assert_string_equal(p, "rw-p");
	vb_ram_unmap(&ram);
	assert_false(any_overlap(b, b + 3328 * VB_MiB));
}

static void test_3329mib_gap(void **state)
{
	(void)state;
	struct vb_memmap map;
	struct vb_ram ram;
	map_ok(&ram, &map, 3329 * VB_MiB, VB_RAM_SMALL_PAGES);
	assert_true(map.has_gap);
	assert_int_equal(ram.mmap_bytes, 3329 * VB_MiB + VB_GAP_SIZE_BYTES);
	uintptr_t b = (uintptr_t)ram.host_base;
	char p[5];
	perms_of(b, b + VB_GAP_START_BYTES, p);
	assert_string_equal(p, "rw-p");
	perms_of(b + VB_GAP_START_BYTES, b + VB_GAP_END_BYTES, p);
	assert_string_equal(p, "---p");
	/* The page just below and just above the gap stay usable RAM. */
	perms_of(b + VB_GAP_START_BYTES - 4096, b + VB_GAP_START_BYTES, p);
	assert_string_equal(p, "rw-p");
	perms_of(b + VB_GAP_END_BYTES, b + ram.mmap_bytes, p);
	assert_string_equal(p, "rw-p");
	ram.host_base[VB_GAP_END_BYTES] = 7;
	struct vb_guest_mem view = vb_ram_view(&ram, &map);
	assert_null(vb_gmem_ptr(&view, VB_GAP_START_BYTES, 1));
	uint8_t *hi = vb_gmem_ptr(&view, VB_GAP_END_BYTES, 1);
	assert_non_null(hi);
	assert_int_equal(*hi, 7);
	vb_ram_unmap(&ram);
	assert_false(any_overlap(b, b + 3329 * VB_MiB + VB_GAP_SIZE_BYTES));
}

/* Whether the mapping at addr carries flag in /proc/self/smaps's VmFlags
 * ("hg": advised MADV_HUGEPAGE). */
static bool vm_flag(uintptr_t addr, const char *flag)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	assert_non_null(f);
	char line[512];
	bool inside = false, found = false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		/* Only a mapping's first line starts with two hex numbers
		 * and a dash (the field names start with a letter). */
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			inside = lo <= addr && addr < hi;
		else if (inside && strncmp(line, "VmFlags:", 8) == 0)
			found = strstr(line + 8, flag) != NULL;
	}
	fclose(f);
	return found;
}

static bool host_has_thp(void)
{
	FILE *thp = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (thp)
		fclose(thp);
	return thp != NULL;
}

static void test_hugepage_alignment(void **state)
{
	(void)state;
	if (!host_has_thp()) {
		/* Without THP the map must fail with a message, not succeed. */
		struct vb_memmap map;
		struct vb_ram ram;
		struct vb_err err = { { 0 } };
		vb_memmap_compute(64 * VB_MiB, &map);
		assert_int_equal(vb_ram_map(&ram, &map, VB_RAM_HUGE_REQUIRED, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "hugepages"));
		return;
	}
	for (int i = 0; i < 4; i++) {
		/* Several sizes, including ones that are not 2 MiB multiples. */
		static const uint64_t mib[] = { 64, 3, 33, 3329 };
		struct vb_memmap map;
		struct vb_ram ram;
		map_ok(&ram, &map, mib[i] * VB_MiB, VB_RAM_HUGE_REQUIRED);
		uintptr_t b = (uintptr_t)ram.host_base;
		assert_int_equal(b % VB_RAM_HUGEPAGE_BYTES, 0);
		assert_true(ram.hugepages);
		assert_true(vm_flag(b, " hg"));
		char p[5];
		perms_of(b, b + (map.has_gap ? VB_GAP_START_BYTES : ram.mmap_bytes), p);
		assert_string_equal(p, "rw-p");
		vb_ram_unmap(&ram);
		assert_false(any_overlap(b, b + map.mmap_bytes));
	}
}

/* The default: huge pages where the kernel has them (as QEMU advises its
 * RAM), the mapping as it is where it has not; small pages on request. */
static void test_hugepages_if_available(void **state)
{
	(void)state;
	struct vb_memmap map;
	struct vb_ram ram;
	map_ok(&ram, &map, 64 * VB_MiB, VB_RAM_HUGE_IF_AVAILABLE);
	uintptr_t b = (uintptr_t)ram.host_base;
	assert_int_equal(ram.hugepages, host_has_thp());
	assert_int_equal(vm_flag(b, " hg"), host_has_thp());
	assert_int_equal(b % VB_RAM_HUGEPAGE_BYTES, 0);
	vb_ram_unmap(&ram);
	assert_false(ram.hugepages);

	map_ok(&ram, &map, 64 * VB_MiB, VB_RAM_SMALL_PAGES);
	assert_false(ram.hugepages);
	assert_false(vm_flag((uintptr_t)ram.host_base, " hg"));
	vb_ram_unmap(&ram);
}

static void test_unmap_twice_is_safe(void **state)
{
	(void)state;
	struct vb_ram ram;
	memset(&ram, 0, sizeof(ram));
	vb_ram_unmap(&ram);
	struct vb_memmap map;
	map_ok(&ram, &map, 2 * VB_MiB, VB_RAM_SMALL_PAGES);
	vb_ram_unmap(&ram);
	vb_ram_unmap(&ram);
	assert_null(ram.host_base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_64mib),
		cmocka_unit_test(test_3328mib_no_gap),
		cmocka_unit_test(test_3329mib_gap),
		cmocka_unit_test(test_hugepage_alignment),
		cmocka_unit_test(test_hugepages_if_available),
		cmocka_unit_test(test_unmap_twice_is_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
