/* Test doubles shared by the device tests: a recording irqchip, a buffer
 * console, a request recorder and MSI routes (also tests/virtio/driver.c).
 * Header-only, static. */
#ifndef VB_TESTS_DEV_FAKES_H
#define VB_TESTS_DEV_FAKES_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dev/dev.h"

struct fake_irqchip {
	int level[32];
	unsigned raises[32]; /* 0 -> 1 transitions */
	unsigned calls;
};

static inline int fake_irq_set(void *ctx, uint32_t gsi, int level)
{
	struct fake_irqchip *c = ctx;
	c->calls++;
	if (gsi >= 32)
		return -22;
	if (level && !c->level[gsi])
		c->raises[gsi]++;
	c->level[gsi] = level;
	return 0;
}

struct fake_console {
	uint8_t buf[4096];
	size_t len;
};

static inline long fake_console_write(void *ctx, const uint8_t *b, size_t n)
{
	struct fake_console *c = ctx;
	for (size_t i = 0; i < n && c->len < sizeof(c->buf); i++)
		c->buf[c->len++] = b[i];
	return (long)n;
}

struct fake_requests {
	unsigned resets;
	unsigned poweroffs;
};

static inline void fake_request(void *ctx, enum vb_dev_request req)
{
	struct fake_requests *r = ctx;
	if (req == VB_DEV_REQ_RESET)
		r->resets++;
	else
		r->poweroffs++;
}

/* The env's msi hooks (dev/dev.h) over real eventfds: what a device
 * sends is what its route's eventfd counted. commit copies the table the
 * way KVM would take it; fail_commits and fail_add_at make them fail. */
#define FAKE_MSI_ROUTES 64

struct fake_msi_route {
	bool used;
	bool valid, committed_valid;
	int fd;
	uint64_t addr, committed_addr;
	uint32_t data, committed_data;
};

struct fake_msi {
	struct fake_msi_route r[FAKE_MSI_ROUTES];
	unsigned adds, removes, commits;
	unsigned fail_commits;  /* this many commits fail next */
	unsigned fail_add_at;   /* the add that fails, counting from 1 (0: none) */
	bool dirty;
};

static inline int fake_msi_add(void *ctx, int *id, int *fd, struct vb_err *err)
{
	struct fake_msi *m = ctx;
	int i = 0;
	while (i < FAKE_MSI_ROUTES && m->r[i].used)
		i++;
	if (i == FAKE_MSI_ROUTES || m->adds + 1 == m->fail_add_at)
		return vb_err_set(err, ENOSPC, "fake MSI route: refused");
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0)
		return vb_err_set(err, errno, "eventfd");
	m->adds++;
	m->r[i] = (struct fake_msi_route){ .used = true, .fd = efd };
	*id = i;
	*fd = efd;
	return 0;
}

static inline struct fake_msi_route *fake_msi_route(struct fake_msi *m, int id)
{
	return id >= 0 && id < FAKE_MSI_ROUTES && m->r[id].used ? &m->r[id] : NULL;
}

static inline void fake_msi_set(void *ctx, int id, uint64_t addr, uint32_t data, bool valid)
{
	struct fake_msi *m = ctx;
	struct fake_msi_route *r = fake_msi_route(m, id);
	if (!r)
		return;
	r->valid = valid;
	r->addr = addr;
	r->data = data;
	m->dirty = true;
}

static inline int fake_msi_commit(void *ctx, struct vb_err *err)
{
	struct fake_msi *m = ctx;
	if (!m->dirty)
		return 0;
	if (m->fail_commits) {
		m->fail_commits--;
		return vb_err_set(err, EINVAL, "KVM_SET_GSI_ROUTING: Invalid argument");
	}
	for (int i = 0; i < FAKE_MSI_ROUTES; i++) {
		m->r[i].committed_valid = m->r[i].valid;
		m->r[i].committed_addr = m->r[i].addr;
		m->r[i].committed_data = m->r[i].data;
	}
	m->dirty = false;
	m->commits++;
	return 0;
}

static inline void fake_msi_remove(void *ctx, int id)
{
	struct fake_msi *m = ctx;
	struct fake_msi_route *r = fake_msi_route(m, id);
	if (!r)
		return;
	close(r->fd);
	*r = (struct fake_msi_route){ .fd = -1 };
	m->removes++;
}

static inline void fake_msi_plug(struct fake_msi *m, struct vb_dev_env *env)
{
	env->msi_add = fake_msi_add;
	env->msi_set = fake_msi_set;
	env->msi_commit = fake_msi_commit;
	env->msi_remove = fake_msi_remove;
	env->msi_ctx = m;
}

/* Messages sent on route id since the last look (its eventfd's count). */
static inline uint64_t fake_msi_fired(struct fake_msi *m, int id)
{
	struct fake_msi_route *r = fake_msi_route(m, id);
	uint64_t n = 0;
	if (r && read(r->fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		n = 0;
	return n;
}

/* The route KVM would deliver as message data, or -1. */
static inline int fake_msi_route_with(struct fake_msi *m, uint32_t data)
{
	for (int i = 0; i < FAKE_MSI_ROUTES; i++) {
		if (m->r[i].used && m->r[i].committed_valid && m->r[i].committed_data == data)
			return i;
	}
	return -1;
}

/* Messages KVM would have delivered as data since the last look. */
static inline uint64_t fake_msi_fired_data(struct fake_msi *m, uint32_t data)
{
	int id = fake_msi_route_with(m, data);
	return id < 0 ? 0 : fake_msi_fired(m, id);
}

static inline unsigned fake_msi_in_use(const struct fake_msi *m)
{
	return m->adds - m->removes;
}

static inline uint8_t io_in8(vb_bus_access_fn fn, void *dev, uint64_t off)
{
	uint8_t v = 0;
	fn(dev, off, &v, 1, false);
	return v;
}

static inline void io_out8(vb_bus_access_fn fn, void *dev, uint64_t off,
			   uint8_t v)
{
	fn(dev, off, &v, 1, true);
}

#endif
