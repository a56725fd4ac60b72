/* The VM's MSI routes (msi.h). */
#include "machine/msi.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* The in-kernel irqchip's lines (KVM's default table, msi.h). */
#define IOAPIC_PINS 24u
#define PIC_LINES 16u
#define PIC_PINS 8u

struct route {
	bool used;
	bool valid; /* in the table: pointed at a message */
	int fd;
	uint64_t addr;
	uint32_t data;
};

struct vb_msi {
	pthread_mutex_t lock; /* routes, dirty, table */
	struct vb_msi_kernel k;
	bool dirty;           /* the copy differs from KVM's */
	unsigned count;
	unsigned long commits;
	struct route routes[VB_MSI_MAX_ROUTES];
	struct kvm_irq_routing *table; /* room for every route */
};

static struct kvm_irq_routing_entry irqchip_route(uint32_t gsi, uint32_t chip, uint32_t pin)
{
	return (struct kvm_irq_routing_entry){
		.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = chip, .pin = pin },
	};
}

unsigned vb_msi_irqchip_routes(struct kvm_irq_routing_entry *out)
{
	unsigned n = 0;
	for (uint32_t gsi = 0; gsi < IOAPIC_PINS; gsi++) {
		out[n++] = irqchip_route(gsi, KVM_IRQCHIP_IOAPIC, gsi);
		if (gsi < PIC_LINES)
			out[n++] = irqchip_route(gsi,
						 gsi < PIC_PINS ? KVM_IRQCHIP_PIC_MASTER
								: KVM_IRQCHIP_PIC_SLAVE,
						 gsi % PIC_PINS);
	}
	return n;
}

int vb_msi_create(struct vb_msi **out, const struct vb_msi_kernel *k, struct vb_err *err)
{
	*out = NULL;
	struct vb_msi *s = calloc(1, sizeof(*s));
	size_t entries = VB_MSI_IRQCHIP_ROUTES + VB_MSI_MAX_ROUTES;
	if (s)
		s->table = calloc(1, sizeof(*s->table) + entries * sizeof(s->table->entries[0]));
	int e = s && s->table ? pthread_mutex_init(&s->lock, NULL) : ENOMEM;
	if (e) {
		if (s)
			free(s->table);
		free(s);
		return vb_err_errno(err, e, "MSI routes");
	}
	s->k = *k;
	*out = s;
	return 0;
}

void vb_msi_destroy(struct vb_msi *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < VB_MSI_MAX_ROUTES; i++) {
		if (s->routes[i].used)
			close(s->routes[i].fd);
	}
	pthread_mutex_destroy(&s->lock);
	free(s->table);
	free(s);
}

void vb_msi_plug(struct vb_msi *s, struct vb_dev_env *env)
{
	env->msi_add = vb_msi_add;
	env->msi_set = vb_msi_set;
	env->msi_commit = vb_msi_commit;
	env->msi_remove = vb_msi_remove;
	env->msi_ctx = s;
}

static uint32_t gsi_of(unsigned i)
{
	return VB_MSI_FIRST_GSI + i;
}

int vb_msi_add(void *ctx, int *id, int *fd, struct vb_err *err)
{
	struct vb_msi *s = ctx;
	pthread_mutex_lock(&s->lock);
	unsigned i = 0;
	while (i < VB_MSI_MAX_ROUTES && s->routes[i].used)
		i++;
	int r = 0;
	int efd = -1;
	if (i == VB_MSI_MAX_ROUTES)
		r = vb_err_set(err, ENOSPC, "MSI route: all %u in use", VB_MSI_MAX_ROUTES);
	else if ((efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		r = vb_err_errno(err, errno, "MSI route: eventfd");
	else
		r = s->k.irqfd(s->k.ctx, efd, gsi_of(i), err);
	if (!r) {
		s->routes[i] = (struct route){ .used = true, .fd = efd };
		s->count++;
		*id = (int)i;
		*fd = efd;
	} else if (efd >= 0) {
		close(efd);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* Route ids come from the devices: anything out of range or free is
 * none. Under s->lock. */
static struct route *route_of(struct vb_msi *s, int id)
{
	if (id < 0 || (unsigned)id >= VB_MSI_MAX_ROUTES || !s->routes[id].used)
		return NULL;
	return &s->routes[id];
}

void vb_msi_set(void *ctx, int id, uint64_t addr, uint32_t data, bool valid)
{
	struct vb_msi *s = ctx;
	pthread_mutex_lock(&s->lock);
	struct route *rt = route_of(s, id);
	if (rt && (rt->valid != valid || (valid && (rt->addr != addr || rt->data != data)))) {
		rt->valid = valid;
		rt->addr = addr;
		rt->data = data;
		s->dirty = true;
	}
	pthread_mutex_unlock(&s->lock);
}

/* The whole table: KVM's defaults, then every route with a message. */
static void fill_table(struct vb_msi *s)
{
	struct kvm_irq_routing *t = s->table;
	unsigned n = vb_msi_irqchip_routes(t->entries);
	for (unsigned i = 0; i < VB_MSI_MAX_ROUTES; i++) {
		const struct route *rt = &s->routes[i];
		if (!rt->used || !rt->valid)
			continue;
		t->entries[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi_of(i), .type = KVM_IRQ_ROUTING_MSI,
			.u.msi = { .address_lo = (uint32_t)rt->addr,
				   .address_hi = (uint32_t)(rt->addr >> 32), .data = rt->data },
		};
	}
	t->nr = n;
	t->flags = 0;
}

int vb_msi_commit(void *ctx, struct vb_err *err)
{
	struct vb_msi *s = ctx;
	pthread_mutex_lock(&s->lock);
	int r = 0;
	if (s->dirty) {
		fill_table(s);
		r = s->k.set_routing(s->k.ctx, s->table, err);
		if (!r) {
			s->dirty = false;
			s->commits++;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

void vb_msi_remove(void *ctx, int id)
{
	struct vb_msi *s = ctx;
	pthread_mutex_lock(&s->lock);
	struct route *rt = route_of(s, id);
	if (rt) {
		/* KVM drops the irqfd with its eventfd; the table entry goes
		 * with the next commit, if there is one. */
		close(rt->fd);
		s->dirty |= rt->valid;
		*rt = (struct route){ .fd = -1 };
		s->count--;
	}
	pthread_mutex_unlock(&s->lock);
}

unsigned vb_msi_count(struct vb_msi *s)
{
	pthread_mutex_lock(&s->lock);
	unsigned n = s->count;
	pthread_mutex_unlock(&s->lock);
	return n;
}

unsigned long vb_msi_commits(struct vb_msi *s)
{
	pthread_mutex_lock(&s->lock);
	unsigned long n = s->commits;
	pthread_mutex_unlock(&s->lock);
	return n;
}
