#include "dev/i8042.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/port.h"

/* Offsets from 0x60. */
#define OFF_DATA 0
#define OFF_PORTB 1
#define OFF_CMD 4

/* Status register (port 0x64 read). */
#define ST_OBF 0x01
#define ST_SYS 0x04
#define ST_CMD 0x08
#define ST_UNLOCKED 0x10 /* keyboard not inhibited by the key lock */

/* Command byte. */
#define CTR_KBD_INT 0x01
#define CTR_SYS 0x04
#define CTR_KBD_OFF 0x10
#define CTR_AUX_OFF 0x20
#define CTR_XLATE 0x40

#define OUT_QUEUE 16

struct vb_i8042 {
	struct vb_port_dev port; /* first: the lock, and what attach claimed */
	struct vb_i8042_params p;
	uint8_t ctr;
	uint8_t outport;
	uint8_t portb;
	bool last_was_cmd;
	uint8_t pending; /* command waiting for its data byte, 0 if none */
	uint8_t out[OUT_QUEUE];
	unsigned out_head, out_count;
	uint8_t last_out;
	bool popped;     /* the guest read a byte since the last IRQ update */
	int irq_level;
};
_Static_assert(offsetof(struct vb_i8042, port) == 0, "vb_port_dev_new allocates it");

static void push(struct vb_i8042 *k, uint8_t byte)
{
	if (k->out_count < OUT_QUEUE) {
		k->out[(k->out_head + k->out_count) % OUT_QUEUE] = byte;
		k->out_count++;
	}
}

static uint8_t pop(struct vb_i8042 *k)
{
	if (k->out_count) {
		k->popped = true;
		k->last_out = k->out[k->out_head];
		k->out_head = (k->out_head + 1) % OUT_QUEUE;
		k->out_count--;
	}
	return k->last_out;
}

static void request_reset(struct vb_i8042 *k)
{
	if (k->p.request)
		k->p.request(k->p.request_ctx, VB_DEV_REQ_RESET);
}

static void command(struct vb_i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case 0x20: push(k, k->ctr); break;            /* read command byte */
	case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4:
		k->pending = cmd;                     /* data byte follows */
		break;
	case 0xa7: k->ctr |= CTR_AUX_OFF; break;
	case 0xa8: k->ctr &= (uint8_t)~CTR_AUX_OFF; break;
	case 0xa9: push(k, 0x01); break;              /* aux test: no mouse */
	case 0xaa: k->ctr |= CTR_SYS; push(k, 0x55); break; /* self test ok */
	case 0xab: push(k, 0x00); break;              /* kbd test ok */
	case 0xad: k->ctr |= CTR_KBD_OFF; break;
	case 0xae: k->ctr &= (uint8_t)~CTR_KBD_OFF; break;
	case 0xc0: push(k, 0x00); break;              /* input port */
	case 0xd0: push(k, k->outport); break;        /* output port */
	default:
		/* 0xF0-0xFF pulse output lines whose command bit is 0 low for
		 * 6 us; line 0 is the CPU reset (IBM PC/AT Technical Ref.). */
		if (cmd >= 0xf0 && !(cmd & 0x01))
			request_reset(k);
		break;
	}
}

static void keyboard_command(struct vb_i8042 *k, uint8_t val)
{
	push(k, 0xfa); /* ACK */
	if (val == 0xff) {
		push(k, 0xaa); /* reset: self test passed */
	} else if (val == 0xf2) {
		push(k, 0xab); /* identify: MF2 keyboard */
		push(k, 0x83);
	}
}

static void data_write(struct vb_i8042 *k, uint8_t val)
{
	uint8_t cmd = k->pending;
	k->pending = 0;
	switch (cmd) {
	case 0x60: k->ctr = val; break;
	case 0xd1:
		k->outport = val;
		if (!(val & 0x01)) /* bit 0 low holds the CPU in reset */
			request_reset(k);
		break;
	case 0xd2: case 0xd3: push(k, val); break;    /* echo as input */
	case 0xd4: break;                             /* no mouse to talk to */
	default: keyboard_command(k, val); break;
	}
}

static uint8_t status(const struct vb_i8042 *k)
{
	return (k->out_count ? ST_OBF : 0) | (k->ctr & CTR_SYS ? ST_SYS : 0) |
	       (k->last_was_cmd ? ST_CMD : 0) | ST_UNLOCKED;
}

static void write_port(struct vb_i8042 *k, uint64_t off, uint8_t val)
{
	switch (off) {
	case OFF_DATA:
		k->last_was_cmd = false;
		data_write(k, val);
		break;
	case OFF_PORTB:
		k->portb = val & 0x0f;
		break;
	case OFF_CMD:
		k->last_was_cmd = true;
		command(k, val);
		break;
	}
}

static uint8_t read_port(struct vb_i8042 *k, uint64_t off)
{
	switch (off) {
	case OFF_DATA:
		return pop(k);
	case OFF_PORTB:
		k->portb ^= 0x10;
		return k->portb;
	case OFF_CMD:
		return status(k);
	default:
		return 0xff;
	}
}

static void update_irq(struct vb_i8042 *k)
{
	int level = k->out_count > 0 && (k->ctr & CTR_KBD_INT);
	/* A real 8042 raises IRQ 1 once per byte and the IOAPIC entry is
	 * edge-triggered: when a read leaves more bytes queued, drop the line
	 * and raise it again so the guest hears about the next one. */
	if (k->popped && level && k->irq_level) {
		(void)vb_irq_set(&k->p.irq, 0);
		k->irq_level = 0;
	}
	k->popped = false;
	if (level != k->irq_level) {
		k->irq_level = level;
		(void)vb_irq_set(&k->p.irq, level);
	}
}

int vb_i8042_access(void *opaque, uint64_t offset, uint8_t *data,
		    uint32_t size, bool is_write)
{
	struct vb_i8042 *k = opaque;
	pthread_mutex_lock(&k->port.lock);
	for (uint32_t i = 0; i < size; i++) {
		uint64_t off = offset + i;
		if (off < offset)
			off = UINT64_MAX; /* wrapped around: no port */
		if (is_write)
			write_port(k, off, data[i]);
		else
			data[i] = read_port(k, off);
	}
	update_irq(k);
	pthread_mutex_unlock(&k->port.lock);
	return 0;
}

int vb_i8042_send_ctrl_alt_del(struct vb_i8042 *k)
{
	/* Set 1 make codes: Ctrl 1D, Alt 38, Delete E0 53; break codes are
	 * the make codes with bit 7 set (E0 D3, B8, 9D). */
	static const uint8_t chord[] = { 0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d };
	pthread_mutex_lock(&k->port.lock);
	int rc = 0;
	if (k->out_count + sizeof(chord) > OUT_QUEUE) {
		rc = -ENOBUFS;
	} else {
		for (size_t i = 0; i < sizeof(chord); i++)
			push(k, chord[i]);
		update_irq(k);
	}
	pthread_mutex_unlock(&k->port.lock);
	return rc;
}

int vb_i8042_create(const struct vb_i8042_params *params,
		    struct vb_i8042 **out, struct vb_err *err)
{
	struct vb_port_dev *d;
	int r = vb_port_dev_new(sizeof(struct vb_i8042), "i8042", &d, err);
	if (r < 0)
		return r;
	struct vb_i8042 *k = (struct vb_i8042 *)d;
	if (params)
		k->p = *params;
	/* As firmware leaves it: keyboard interrupt on, POST passed,
	 * scancode translation, mouse clock off. */
	k->ctr = CTR_KBD_INT | CTR_SYS | CTR_XLATE | CTR_AUX_OFF;
	/* Output port: reset line inactive (1), A20 enabled. */
	k->outport = 0x03;
	*out = k;
	return 0;
}

void vb_i8042_destroy(struct vb_i8042 *k)
{
	vb_port_dev_free(k ? &k->port : NULL);
}

static int i8042_attach(const struct vb_device_ops *self, struct vb_dev_env *env,
			const void *config, void **state, struct vb_err *err)
{
	(void)self;
	(void)config;
	struct vb_i8042_params p = {
		.irq = vb_dev_env_irq(env, VB_I8042_GSI),
		.request = env->request, .request_ctx = env->request_ctx,
	};
	struct vb_i8042 *k;
	int r = vb_i8042_create(&p, &k, err);
	if (r < 0)
		return r;
	struct vb_bus_range range = {
		.base = VB_I8042_BASE, .len = VB_I8042_PORTS, .name = "i8042",
		.access = vb_i8042_access,
	};
	return vb_port_dev_attach(&k->port, env, range, VB_I8042_GSI, state, err);
}

static size_t i8042_cmdline(const void *state, char *buf, size_t size)
{
	(void)state;
	int n = snprintf(buf, size, "reboot=k i8042.noaux i8042.nomux i8042.nopnp");
	return n < 0 ? 0 : (size_t)n;
}

const struct vb_device_ops vb_i8042_ops = {
	.name = "i8042",
	.attach = i8042_attach,
	.detach = vb_port_dev_detach,
	.cmdline = i8042_cmdline,
};
