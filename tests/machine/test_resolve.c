/* RAM sizing, the memory map and the plan, with host facts injected. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "machine/machine.h"
#include "machine/registry.h"
#include "parse/schema.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static void test_ram_default(void **state)
{
	(void)state;
	uint64_t ram;
	/* 64 MiB x (cpus + 3) */
	assert_int_equal(vb_ram_default(1, 16 * GiB, &ram), VB_RAM_DEFAULT);
	assert_true(ram == 256 * MiB);
	assert_int_equal(vb_ram_default(4, 16 * GiB, &ram), VB_RAM_DEFAULT);
	assert_true(ram == 448 * MiB);
	/* capped at 80% of host RAM, in whole MiB: 8 x 64 = 512 > 0.8 x 600 = 480 */
	assert_int_equal(vb_ram_default(5, 600 * MiB, &ram), VB_RAM_CAPPED);
	assert_true(ram == 480 * MiB);
	/* host RAM that is not a whole number of MiB is rounded down first */
	assert_int_equal(vb_ram_default(5, 600 * MiB + 4095, &ram), VB_RAM_CAPPED);
	assert_true(ram == 480 * MiB);
	/* exactly at the cap is not capped */
	assert_int_equal(vb_ram_default(2, 400 * MiB, &ram), VB_RAM_DEFAULT);
	assert_true(ram == 320 * MiB);
}

static void check_map(uint64_t ram_mib, unsigned slots, bool gap, uint64_t mmap_mib,
		      uint64_t slot0_mib, uint64_t slot1_mib)
{
	struct vb_memmap m;
	vb_memmap_compute(ram_mib * MiB, &m);
	assert_int_equal(m.n_slots, slots);
	assert_int_equal(m.has_gap, gap);
	assert_true(m.mmap_bytes == mmap_mib * MiB);
	assert_true(m.slots[0].guest_phys_addr == 0);
	assert_true(m.slots[0].host_offset == 0);
	assert_true(m.slots[0].size_bytes == slot0_mib * MiB);
	if (slots == 2) {
		assert_true(m.slots[1].guest_phys_addr == 4 * GiB);
		assert_true(m.slots[1].host_offset == 4 * GiB);
		assert_true(m.slots[1].size_bytes == slot1_mib * MiB);
		assert_true(m.gap_start == 3328 * MiB);
		assert_true(m.gap_size == 768 * MiB);
	} else {
		assert_true(m.gap_size == 0);
	}
}

static void test_memmap(void **state)
{
	(void)state;
	check_map(64, 1, false, 64, 64, 0);
	check_map(3327, 1, false, 3327, 3327, 0);
	/* exactly 3328 MiB: one mapping, one slot (no zero-size second slot) */
	check_map(3328, 1, false, 3328, 3328, 0);
	check_map(3329, 2, true, 3329 + 768, 3328, 1);
	check_map(4096, 2, true, 4096 + 768, 3328, 768);
	check_map(16384, 2, true, 16384 + 768, 3328, 16384 - 3328);
}

static void test_memmap_contains(void **state)
{
	(void)state;
	struct vb_memmap m;
	vb_memmap_compute(4096 * MiB, &m);
	assert_true(vb_memmap_contains(&m, 0, 4096));
	assert_true(vb_memmap_contains(&m, 3328 * MiB - 8, 8));
	assert_false(vb_memmap_contains(&m, 3328 * MiB - 8, 9));  /* into the gap */
	assert_false(vb_memmap_contains(&m, 3328 * MiB, 1));      /* in the gap */
	assert_true(vb_memmap_contains(&m, 4 * GiB, 768 * MiB));
	assert_false(vb_memmap_contains(&m, 4 * GiB, 768 * MiB + 1)); /* past the end */
	assert_false(vb_memmap_contains(&m, UINT64_MAX - 2, 8));  /* wraps */
	assert_false(vb_memmap_contains(&m, 16, UINT64_MAX));
}

struct resolved {
	struct vb_node *root;
	struct vb_machine_desc desc;
	struct vb_machine_graph graph;
	struct vb_diags diags;
	int rc;
};

static void resolve_on(struct resolved *r, const char *text, const struct vb_host_facts *host)
{
	vb_diags_init(&r->diags);
	vb_desc_init(&r->desc);
	r->root = vb_parse_conf_buffer("m.conf", text, strlen(text), &r->diags);
	assert_non_null(r->root);
	size_t n_types;
	const struct vb_device_type *const *types = vb_device_types(&n_types);
	int rc = vb_desc_from_tree(r->root, types, n_types, &r->desc, &r->diags);
	vb_desc_validate(&r->desc, &r->diags);
	if (rc || r->diags.errors) {
		vb_diags_print(&r->diags, stderr);
		fail_msg("the machine does not convert");
	}
	r->rc = vb_resolve(&r->desc, host, &r->graph, &r->diags);
}

static void resolve_text(struct resolved *r, const char *text, uint64_t host_ram, unsigned host_cpus)
{
	struct vb_host_facts host = { .ram_bytes = host_ram, .cpus = host_cpus };
	resolve_on(r, text, &host);
}

static void release(struct resolved *r)
{
	if (!r->rc)
		vb_graph_free(&r->graph);
	vb_desc_free(&r->desc);
	vb_diags_free(&r->diags);
	vb_node_free(r->root);
}

static void test_resolve_sources(void **state)
{
	(void)state;
	struct resolved r;
	resolve_text(&r, "kernel = \"k\";\n", 16 * GiB, 4);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.graph.cpus, 4); /* from the host */
	assert_int_equal(r.graph.ram_source, VB_RAM_DEFAULT);
	assert_true(r.graph.ram_bytes == 448 * MiB);
	release(&r);

	resolve_text(&r, "kernel = \"k\";\ncpus = 8;\n", 512 * MiB, 2);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.graph.ram_source, VB_RAM_CAPPED);
	assert_true(r.graph.ram_bytes == 409 * MiB);
	release(&r);

	resolve_text(&r, "kernel = \"k\";\nmemory = \"8G\";\n", 4 * GiB, 2);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.graph.ram_source, VB_RAM_FILE);
	assert_int_equal(r.diags.warnings, 1);
	assert_true(vb_diags_contains(&r.diags, "more than the host's 4 GiB"));
	release(&r);

	/* 80% of a tiny host is below the minimum */
	resolve_text(&r, "kernel = \"k\";\n", 64 * MiB, 1);
	assert_int_not_equal(r.rc, 0);
	assert_true(vb_diags_contains(&r.diags, "below the minimum of 64 MiB"));
	release(&r);
}

static void test_cmdline(void **state)
{
	(void)state;
	struct resolved r;
	resolve_text(&r, "kernel = \"k\";\nparams = \"root=/dev/vda1 quiet\";\nacpi = false;\n"
		     "devices = ( { type = \"rng\"; transport = \"mmio\"; } );\n", 16 * GiB, 1);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.graph.cmdline, "console=ttyS0"));
	assert_non_null(strstr(r.graph.cmdline, "reboot=k"));
	assert_non_null(strstr(r.graph.cmdline, "virtio_mmio.device=4096@0xd0000000:5"));
	/* the user's params come last, so they override the defaults */
	const char *params = strstr(r.graph.cmdline, "root=/dev/vda1 quiet");
	assert_non_null(params);
	assert_string_equal(params, "root=/dev/vda1 quiet");
	release(&r);

	/* ACPI (the default): the DSDT names the mmio device, the MADT the
	 * CPUs; the power button takes the next free line. */
	resolve_text(&r, "kernel = \"k\";\n"
		     "devices = ( { type = \"rng\"; transport = \"mmio\"; } );\n", 16 * GiB, 1);
	assert_int_equal(r.rc, 0);
	assert_true(r.graph.acpi.enabled);
	assert_int_equal(r.graph.acpi.ged_gsi, 16);
	assert_null(strstr(r.graph.cmdline, "virtio_mmio.device="));
	assert_null(strstr(r.graph.cmdline, "acpi=off"));
	release(&r);

	resolve_text(&r, "kernel = \"k\";\nconsole = \"virtio\";\n", 16 * GiB, 1);
	assert_non_null(strstr(r.graph.cmdline, "console=hvc0"));
	assert_null(strstr(r.graph.cmdline, "ttyS0"));
	release(&r);

	char text[4096];
	snprintf(text, sizeof(text), "kernel = \"k\";\nparams = \"%02000d\";\n", 0);
	resolve_text(&r, text, 16 * GiB, 1);
	assert_int_not_equal(r.rc, 0);
	assert_true(vb_diags_contains(&r.diags, "longer than the 2047 bytes the kernel accepts"));
	assert_int_equal(r.diags.items[0].loc.line, 2);
	release(&r);
}

static void test_devices_named_and_placed(void **state)
{
	(void)state;
	struct resolved r;
	resolve_text(&r, "kernel = \"k\";\ndevices = (\n"
		     " { type = \"disk\"; path = \"a\"; },\n"
		     " { type = \"disk\"; path = \"b\"; id = \"data\"; },\n"
		     " { type = \"rng\"; transport = \"mmio\"; },\n"
		     " { type = \"balloon\"; transport = \"mmio\"; }\n);\n", 16 * GiB, 1);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.graph.devices[0].id, "disk0");
	assert_string_equal(r.graph.devices[1].id, "data");
	assert_int_equal(r.graph.devices[0].pci_slot, 1);
	assert_int_equal(r.graph.devices[1].pci_slot, 2);
	assert_true(r.graph.devices[2].mmio_base == 0xd0000000ULL);
	assert_true(r.graph.devices[3].mmio_base == 0xd0001000ULL);
	/* PCI devices take IOAPIC pins 16+, MMIO devices ISA lines below 16 */
	assert_int_equal(r.graph.devices[0].gsi, 16);
	assert_int_equal(r.graph.devices[1].gsi, 17);
	assert_int_equal(r.graph.devices[2].gsi, 5);
	assert_int_equal(r.graph.devices[3].gsi, 6);
	release(&r);
}

/* True if some error is at line:col and contains needle. */
static bool error_at(const struct resolved *r, int line, int col, const char *needle)
{
	for (size_t i = 0; i < r->diags.count; i++) {
		const struct vb_diag *d = &r->diags.items[i];
		if (d->severity == VB_SEV_ERROR && d->loc.line == line && d->loc.col == col &&
		    strstr(d->message, needle))
			return true;
	}
	vb_diags_print(&r->diags, stderr);
	return false;
}

/* RAM the builder could not map or register is a located error. */
static void test_ram_limits(void **state)
{
	(void)state;
	struct resolved r;
	struct vb_host_facts host = { .ram_bytes = 16 * GiB, .cpus = 4, .phys_bits = 39 };
	resolve_on(&r, "kernel = \"k\";\nmemory = \"65537K\";\n", &host);
	assert_int_equal(r.rc, -EINVAL);
	assert_true(error_at(&r, 2, 10, "memory: 65537 KiB is not a whole number of 4 KiB pages"));
	release(&r);
	/* 2^39 bytes reach 512 GiB; RAM above 3328 MiB also carries the gap. */
	resolve_on(&r, "kernel = \"k\";\nmemory = \"511G\";\n", &host);
	assert_int_equal(r.rc, 0);
	assert_true(r.graph.host_phys_bits == 39);
	release(&r);
	resolve_on(&r, "kernel = \"k\";\nmemory = \"512G\";\n", &host);
	assert_int_equal(r.rc, -EINVAL);
	assert_true(error_at(&r, 2, 10,
			     "memory: 512 GiB (plus the 768 MiB gap) is more guest-physical memory than this host's 39-bit physical addresses reach (512 GiB)"));
	release(&r);
	/* Unknown width: x86-64's 52 bits; then the 47-bit user space. */
	host.phys_bits = 0;
	resolve_on(&r, "kernel = \"k\";\nmemory = \"16000000T\";\n", &host);
	assert_true(error_at(&r, 2, 10, "than x86-64's 52-bit physical addresses reach (4096 TiB)"));
	release(&r);
	resolve_on(&r, "kernel = \"k\";\nmemory = \"128T\";\n", &host);
	assert_true(error_at(&r, 2, 10, "does not fit in the host's 128 TiB (47-bit) user address space"));
	release(&r);
	/* No overflow: the largest size that parses. */
	resolve_on(&r, "kernel = \"k\";\nmemory = \"0xfffffffffffff000\";\n", &host);
	assert_int_equal(r.rc, -EINVAL);
	release(&r);
	struct vb_err err;
	assert_int_equal(vb_memmap_check_ram(0, 0, &err), -EINVAL);
	assert_int_equal(vb_memmap_check_ram(UINT64_MAX & ~0xfffULL, 52, &err), -EINVAL);
	assert_int_equal(vb_memmap_check_ram(64 * MiB, 36, &err), 0);
	assert_true(vb_memmap_top(UINT64_MAX - 4095) == 0);
}

/* The MMIO map is laid out here, with the builder's allocator: what the
 * builder would refuse is a located error, and the builder is handed
 * every BAR. */
static void test_mmio_layout(void **state)
{
	(void)state;
	struct resolved r;
	resolve_text(&r, "kernel = \"k\";\nconsole = \"virtio\";\ndevices = (\n"
		     " { type = \"rng\"; transport = \"mmio\"; },\n"
		     " { type = \"disk\"; path = \"a\"; },\n"
		     " { type = \"shmem\"; path = \"/a\"; size = \"256M\"; },\n"
		     " { type = \"shmem\"; path = \"/b\"; size = \"1M\"; address = 0xf0000000; }\n);\n",
		     16 * GiB, 1);
	assert_int_equal(r.rc, 0);
	const struct vb_device_node *d = r.graph.devices;
	assert_true(d[0].mmio_base == 0xd0000000ULL && d[0].bar_bytes == 0);
	assert_true(d[1].bar_base == 0xd0008000ULL && d[1].bar_bytes == 0x8000);
	/* 256 MiB aligned: 0xd0000000 is taken, so 0xe0000000. */
	assert_true(d[2].bar_base == 0xe0000000ULL && d[2].bar_bytes == 256 * MiB);
	/* Bump allocation: the registers follow, skipping the fixed region. */
	assert_true(d[2].reg_base == 0xf0100000ULL);
	assert_true(d[3].bar_base == 0xf0000000ULL && d[3].reg_base == 0xf0100100ULL);
	/* The implied virtio console: the next slot and line, its own BAR. */
	assert_true(r.graph.console.present);
	assert_int_equal(r.graph.console.pci_slot, 4);
	assert_int_equal(r.graph.console.gsi, 17);
	assert_true(r.graph.console.bar_base == 0xf0108000ULL);
	release(&r);

	/* kvmtool's own shmem address is guest RAM here. */
	resolve_text(&r, "kernel = \"k\";\ndevices = (\n"
		     " { type = \"shmem\"; path = \"/a\"; size = \"16M\"; address = \"3200M\"; }\n);\n",
		     16 * GiB, 1);
	assert_int_equal(r.rc, -EINVAL);
	assert_true(error_at(&r, 3, 57,
			     "devices[0].address: 0xc8000000 (16 MiB) is not inside the 32-bit PCI window [0xd0000000, 0xfec00000)"));
	release(&r);
	/* Two regions on top of each other, and one on a virtio-mmio window. */
	resolve_text(&r, "kernel = \"k\";\ndevices = (\n"
		     " { type = \"rng\"; transport = \"mmio\"; },\n"
		     " { type = \"shmem\"; path = \"/a\"; size = \"16M\"; address = 0xe0000000; },\n"
		     " { type = \"shmem\"; path = \"/b\"; size = \"4K\"; address = 0xe0fff000; },\n"
		     " { type = \"shmem\"; path = \"/c\"; size = \"4K\"; address = 0xd0000000; }\n);\n",
		     16 * GiB, 1);
	assert_int_equal(r.rc, -EINVAL);
	assert_true(error_at(&r, 5, 56,
			     "devices[2].address: shmem1: [0xe0fff000, 0xe1000000) overlaps shmem0 [0xe0000000, 0xe1000000)"));
	assert_true(error_at(&r, 6, 56, "devices[3].address: shmem2: [0xd0000000, 0xd0001000) overlaps rng0"));
	release(&r);
	/* 512 MiB aligned to its size runs into the IOAPIC. */
	resolve_text(&r, "kernel = \"k\";\ndevices = (\n"
		     " { type = \"shmem\"; path = \"/a\"; size = \"512M\"; }\n);\n", 16 * GiB, 1);
	assert_int_equal(r.rc, -EINVAL);
	assert_true(error_at(&r, 3, 40, "devices[0].size: no room for 512 MiB aligned to its size"));
	release(&r);
}

/* Eight PCI devices take IOAPIC pins 16-23: the implied console gets an
 * ISA line, where the builder used to refuse it. */
static void test_implied_console_lines(void **state)
{
	(void)state;
	struct resolved r;
	resolve_text(&r, "kernel = \"k\";\nconsole = \"virtio\";\ndevices = (\n"
		     " { type = \"disk\"; path = \"a\"; }, { type = \"disk\"; path = \"b\"; },\n"
		     " { type = \"disk\"; path = \"c\"; }, { type = \"disk\"; path = \"d\"; },\n"
		     " { type = \"disk\"; path = \"e\"; }, { type = \"disk\"; path = \"f\"; },\n"
		     " { type = \"disk\"; path = \"g\"; }, { type = \"disk\"; path = \"h\"; }\n);\n",
		     16 * GiB, 1);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.graph.devices[7].gsi, 23);
	assert_int_equal(r.graph.console.pci_slot, 9);
	assert_int_equal(r.graph.console.gsi, 5);
	release(&r);
	/* A console device in the file: nothing implied. */
	resolve_text(&r, "kernel = \"k\";\nconsole = \"virtio\";\ndevices = ( { type = \"console\"; } );\n",
		     16 * GiB, 1);
	assert_int_equal(r.rc, 0);
	assert_false(r.graph.console.present);
	release(&r);
}

static char *capture(void (*print)(const struct vb_machine_graph *, FILE *),
		     const struct vb_machine_graph *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	print(g, out);
	fclose(out);
	return buf;
}

/* The golden file's text; with VB_GOLDEN_UPDATE=1 in the environment it
 * is first rewritten with got (review the diff before committing it). */
static char *read_golden(const char *name, const char *got)
{
	const char *srcdir = getenv("VB_SRCDIR");
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/machine/golden/%s", srcdir ? srcdir : ".", name);
	const char *update = getenv("VB_GOLDEN_UPDATE");
	if (update && !strcmp(update, "1")) {
		FILE *w = fopen(path, "w");
		if (!w || fputs(got, w) < 0 || fclose(w))
			fail_msg("cannot write %s", path);
	}
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	static char text[16384];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = 0;
	fclose(f);
	return text;
}

static void test_plan_golden(void **state)
{
	(void)state;
	struct resolved r;
	resolve_text(&r, "name = \"golden\";\ncpus = 2;\nmemory = \"4G\";\nkernel = \"/k/bzImage\";\n"
		     "initrd = \"/k/initrd\";\nparams = \"quiet\";\ndevices = (\n"
		     " { type = \"disk\"; id = \"root\"; path = \"/img/root.img\"; readonly = true; },\n"
		     " { type = \"9p\"; path = \"/srv\"; tag = \"srv\"; transport = \"mmio\"; }\n);\n",
		     16 * GiB, 4);
	assert_int_equal(r.rc, 0);
	char *text = capture(vb_plan_print_text, &r.graph);
	assert_string_equal(text, read_golden("plan.txt", text));
	free(text);
	char *json = capture(vb_plan_print_json, &r.graph);
	assert_string_equal(json, read_golden("plan.json", json));
	free(json);
	release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ram_default),
		cmocka_unit_test(test_memmap),
		cmocka_unit_test(test_memmap_contains),
		cmocka_unit_test(test_resolve_sources),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_devices_named_and_placed),
		cmocka_unit_test(test_plan_golden),
		cmocka_unit_test(test_ram_limits),
		cmocka_unit_test(test_mmio_layout),
		cmocka_unit_test(test_implied_console_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
