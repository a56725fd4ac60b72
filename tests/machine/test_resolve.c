/* RAM sizing, the memory map and the plan, with host facts injected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "machine/machine.h"
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

static void resolve_text(struct resolved *r, const char *text, uint64_t host_ram, unsigned host_cpus)
{
	struct vb_host_facts host = { host_ram, host_cpus };
	vb_diags_init(&r->diags);
	vb_desc_init(&r->desc);
	r->root = vb_parse_conf_buffer("m.conf", text, strlen(text), &r->diags);
	assert_non_null(r->root);
	assert_int_equal(vb_desc_from_tree(r->root, &r->desc, &r->diags), 0);
	r->rc = vb_resolve(&r->desc, &host, &r->graph, &r->diags);
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
	resolve_text(&r, "kernel = \"k\";\nparams = \"root=/dev/vda1 quiet\";\n"
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

static char *read_golden(const char *name)
{
	const char *srcdir = getenv("VB_SRCDIR");
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/machine/golden/%s", srcdir ? srcdir : ".", name);
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
	assert_string_equal(text, read_golden("plan.txt"));
	free(text);
	char *json = capture(vb_plan_print_json, &r.graph);
	assert_string_equal(json, read_golden("plan.json"));
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
