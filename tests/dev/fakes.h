/* Test doubles shared by the device tests: a recording irqchip, a buffer
 * console and a request recorder. Header-only, static. */
#ifndef VB_TESTS_DEV_FAKES_H
#define VB_TESTS_DEV_FAKES_H

#include <stdint.h>
#include <string.h>

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
