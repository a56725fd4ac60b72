/* The VM's MSI routes (machine/msi.h) on a fake KVM: the table handed to
 * KVM_SET_GSI_ROUTING always starts with KVM's own default irqchip routes
 * (or every KVM_IRQ_LINE after the first MSI-X setup would go nowhere),
 * then the routes pointed at messages; one table per change; an irqfd
 * per route on its own GSI. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "machine/msi.h"

#define MAX_ENTRIES (VB_MSI_IRQCHIP_ROUTES + 8)

struct fake_kvm {
	unsigned tables;
	unsigned nr;
	struct kvm_irq_routing_entry last[MAX_ENTRIES];
	int fail_routing; /* errno for the next set_routing, 0: none */
	int fail_irqfd;
	unsigned irqfds;
	int irqfd_fd[8];
	uint32_t irqfd_gsi[8];
};

static int fake_routing(void *ctx, const struct kvm_irq_routing *r, struct vb_err *err)
{
	struct fake_kvm *k = ctx;
	if (k->fail_routing) {
		int e = k->fail_routing;
		k->fail_routing = 0;
		return vb_err_set(err, e, "KVM_SET_GSI_ROUTING: refused");
	}
	assert_int_equal(r->flags, 0);
	assert_true(r->nr <= MAX_ENTRIES);
	k->tables++;
	k->nr = r->nr;
	memcpy(k->last, r->entries, r->nr * sizeof(r->entries[0]));
	return 0;
}

static int fake_irqfd(void *ctx, int fd, uint32_t gsi, struct vb_err *err)
{
	struct fake_kvm *k = ctx;
	if (k->fail_irqfd)
		return vb_err_set(err, k->fail_irqfd, "KVM_IRQFD: refused");
	if (k->irqfds < 8) {
		k->irqfd_fd[k->irqfds] = fd;
		k->irqfd_gsi[k->irqfds] = gsi;
	}
	k->irqfds++;
	return 0;
}

struct fixture {
	struct fake_kvm k;
	struct vb_msi *s;
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	const struct vb_msi_kernel k = { fake_routing, fake_irqfd, &f->k };
	struct vb_err err;
	assert_int_equal(vb_msi_create(&f->s, &k, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	vb_msi_destroy(f->s);
	test_free(f);
	return 0;
}

static void assert_irqchip(const struct kvm_irq_routing_entry *e, uint32_t gsi, uint32_t chip,
			   uint32_t pin)
{
	assert_int_equal(e->gsi, gsi);
	assert_int_equal(e->type, KVM_IRQ_ROUTING_IRQCHIP);
	assert_int_equal(e->u.irqchip.irqchip, chip);
	assert_int_equal(e->u.irqchip.pin, pin);
}

/* KVM's default_routing (arch/x86/kvm): GSI n on IOAPIC pin n, and for
 * n < 16 on pin n % 8 of the master or slave PIC as well. */
static void assert_default_routes(const struct kvm_irq_routing_entry *e)
{
	unsigned i = 0;
	for (uint32_t gsi = 0; gsi < 24; gsi++) {
		assert_irqchip(&e[i++], gsi, KVM_IRQCHIP_IOAPIC, gsi);
		if (gsi < 16)
			assert_irqchip(&e[i++], gsi,
				       gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE, gsi % 8);
	}
	assert_int_equal(i, VB_MSI_IRQCHIP_ROUTES);
}

static void test_irqchip_routes(void **state)
{
	(void)state;
	struct kvm_irq_routing_entry e[VB_MSI_IRQCHIP_ROUTES];
	assert_int_equal(vb_msi_irqchip_routes(e), VB_MSI_IRQCHIP_ROUTES);
	assert_default_routes(e);
}

static void add_two(struct fixture *f, int id[2], int fd[2])
{
	struct vb_err err;
	for (int i = 0; i < 2; i++)
		assert_int_equal(vb_msi_add(f->s, &id[i], &fd[i], &err), 0);
}

static void test_routes(void **state)
{
	struct fixture *f = *state;
	struct vb_err err;
	int id[2], fd[2];
	add_two(f, id, fd);
	assert_int_equal(vb_msi_count(f->s), 2);
	/* Each an eventfd bound on a GSI of its own, past the IOAPIC. */
	assert_int_equal(f->k.irqfds, 2);
	assert_int_equal(f->k.irqfd_fd[0], fd[0]);
	assert_int_equal(f->k.irqfd_gsi[0], VB_MSI_FIRST_GSI);
	assert_int_equal(f->k.irqfd_gsi[1], VB_MSI_FIRST_GSI + 1);
	uint64_t one = 1;
	assert_int_equal(write(fd[1], &one, sizeof(one)), sizeof(one));
	/* Nothing pointed anywhere: no table yet. */
	assert_int_equal(vb_msi_commit(f->s, &err), 0);
	assert_int_equal(f->k.tables, 0);

	vb_msi_set(f->s, id[1], 0xfee01000u, 0x4041, true);
	assert_int_equal(vb_msi_commit(f->s, &err), 0);
	assert_int_equal(f->k.tables, 1);
	assert_int_equal(f->k.nr, VB_MSI_IRQCHIP_ROUTES + 1);
	assert_default_routes(f->k.last);
	const struct kvm_irq_routing_entry *msi = &f->k.last[VB_MSI_IRQCHIP_ROUTES];
	assert_int_equal(msi->gsi, VB_MSI_FIRST_GSI + 1);
	assert_int_equal(msi->type, KVM_IRQ_ROUTING_MSI);
	assert_int_equal(msi->u.msi.address_lo, 0xfee01000u);
	assert_int_equal(msi->u.msi.address_hi, 0);
	assert_int_equal(msi->u.msi.data, 0x4041);
	/* The same message again, or a route left nowhere: no new table. */
	vb_msi_set(f->s, id[1], 0xfee01000u, 0x4041, true);
	vb_msi_set(f->s, id[0], 0x1234, 7, false);
	assert_int_equal(vb_msi_commit(f->s, &err), 0);
	assert_int_equal(f->k.tables, 1);
	/* Two changes, one table. */
	vb_msi_set(f->s, id[0], 0xfee00000u, 0x30, true);
	vb_msi_set(f->s, id[1], 0xfee00000u, 0x31, true);
	assert_int_equal(vb_msi_commit(f->s, &err), 0);
	assert_int_equal(f->k.tables, 2);
	assert_int_equal(f->k.nr, VB_MSI_IRQCHIP_ROUTES + 2);
	/* Pointed nowhere: out of the table. */
	vb_msi_set(f->s, id[0], 0, 0, false);
	assert_int_equal(vb_msi_commit(f->s, &err), 0);
	assert_int_equal(f->k.nr, VB_MSI_IRQCHIP_ROUTES + 1);
	assert_int_equal(f->k.last[VB_MSI_IRQCHIP_ROUTES].u.msi.data, 0x31);
	assert_int_equal(vb_msi_commits(f->s), 3);
}

static void test_refused(void **state)
{
	struct fixture *f = *state;
	struct vb_err err;
	int id, fd;
	f->k.fail_irqfd = EINVAL;
	assert_int_equal(vb_msi_add(f->s, &id, &fd, &err), -EINVAL);
	assert_int_equal(vb_msi_count(f->s), 0);
	f->k.fail_irqfd = 0;
	assert_int_equal(vb_msi_add(f->s, &id, &fd, &err), 0);
	/* The first route after the refusal takes the first GSI. */
	assert_int_equal(f->k.irqfd_gsi[0], VB_MSI_FIRST_GSI);
	vb_msi_set(f->s, id, 0xfee00000u, 1, true);
	f->k.fail_routing = ENOSPC;
	assert_int_equal(vb_msi_commit(f->s, &err), -ENOSPC);
	assert_non_null(strstr(err.msg, "KVM_SET_GSI_ROUTING"));
	assert_int_equal(f->k.tables, 0);
	/* Kept, and tried again with the next commit. */
	assert_int_equal(vb_msi_commit(f->s, &err), 0);
	assert_int_equal(f->k.tables, 1);
	assert_int_equal(f->k.nr, VB_MSI_IRQCHIP_ROUTES + 1);
}

static void test_remove(void **state)
{
	struct fixture *f = *state;
	struct vb_err err;
	int id[2], fd[2];
	add_two(f, id, fd);
	vb_msi_set(f->s, id[0], 0xfee00000u, 0x50, true);
	assert_int_equal(vb_msi_commit(f->s, &err), 0);
	/* No ioctl at removal (the teardown's seccomp has none); the next
	 * commit leaves the route out. */
	vb_msi_remove(f->s, id[0]);
	assert_int_equal(f->k.tables, 1);
	assert_int_equal(vb_msi_count(f->s), 1);
	assert_int_equal(vb_msi_commit(f->s, &err), 0);
	assert_int_equal(f->k.tables, 2);
	assert_int_equal(f->k.nr, VB_MSI_IRQCHIP_ROUTES);
	/* Ids from a device: out of range or gone are nothing. */
	vb_msi_remove(f->s, id[0]);
	vb_msi_remove(f->s, -1);
	vb_msi_remove(f->s, VB_MSI_MAX_ROUTES);
	vb_msi_set(f->s, id[0], 0xfee00000u, 1, true);
	vb_msi_set(f->s, 1 << 30, 0xfee00000u, 1, true);
	assert_int_equal(vb_msi_commit(f->s, &err), 0);
	assert_int_equal(f->k.tables, 2);
	assert_int_equal(vb_msi_count(f->s), 1);
	/* The free slot is taken again, on its GSI. */
	int again, again_fd;
	assert_int_equal(vb_msi_add(f->s, &again, &again_fd, &err), 0);
	assert_int_equal(again, id[0]);
	assert_int_equal(f->k.irqfd_gsi[2], VB_MSI_FIRST_GSI + (uint32_t)id[0]);
}

static void test_plug(void **state)
{
	struct fixture *f = *state;
	struct vb_dev_env env = { 0 };
	vb_msi_plug(f->s, &env);
	assert_ptr_equal(env.msi_ctx, f->s);
	struct vb_err err;
	int id, fd;
	assert_int_equal(env.msi_add(env.msi_ctx, &id, &fd, &err), 0);
	env.msi_set(env.msi_ctx, id, 0xfee00000u, 9, true);
	assert_int_equal(env.msi_commit(env.msi_ctx, &err), 0);
	assert_int_equal(f->k.tables, 1);
	env.msi_remove(env.msi_ctx, id);
	assert_int_equal(vb_msi_count(f->s), 0);
	vb_msi_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_irqchip_routes),
		cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plug, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
