#include "dev/uart.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/port.h"

/* Register offsets and bits: PC16550D datasheet, table II. */
enum {
	REG_DATA = 0, /* RBR / THR, DLL with DLAB */
	REG_IER = 1,  /* DLM with DLAB */
	REG_IIR = 2,  /* FCR on write */
	REG_LCR = 3,
	REG_MCR = 4,
	REG_LSR = 5,
	REG_MSR = 6,
	REG_SCR = 7,
};

#define IER_RDA 0x01
#define IER_THRE 0x02
#define IER_RLS 0x04
#define IER_MS 0x08

#define IIR_NONE 0x01
#define IIR_MS 0x00
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_RLS 0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO_ON 0xc0

#define FCR_ENABLE 0x01
#define FCR_RX_RESET 0x02

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

struct vb_uart {
	struct vb_port_dev port; /* first: the lock, and what attach claimed */
	struct vb_irq irq;
	const struct vb_console *console;
	uint8_t ier, lcr, mcr, msr, scr, dll, dlm;
	bool fifo_on;
	unsigned trigger;
	bool overrun;      /* LSR.OE, cleared by reading LSR */
	bool thre_pending; /* THR-empty interrupt, cleared by IIR read / THR write */
	int irq_level;
	uint8_t rx[VB_UART_FIFO_BYTES];
	unsigned rx_head, rx_count;
	struct vb_uart_config cfg; /* as attached */
};
_Static_assert(offsetof(struct vb_uart, port) == 0, "vb_port_dev_new allocates it");

static unsigned rx_capacity(const struct vb_uart *u)
{
	return u->fifo_on ? VB_UART_FIFO_BYTES : 1;
}

static uint8_t pending_iid(const struct vb_uart *u)
{
	if ((u->ier & IER_RLS) && u->overrun)
		return IIR_RLS;
	if ((u->ier & IER_RDA) && u->rx_count > 0) {
		if (u->fifo_on && u->rx_count < u->trigger)
			return IIR_TIMEOUT;
		return IIR_RDA;
	}
	if ((u->ier & IER_THRE) && u->thre_pending)
		return IIR_THRE;
	if ((u->ier & IER_MS) && (u->msr & 0x0f))
		return IIR_MS;
	return IIR_NONE;
}

static void update_irq(struct vb_uart *u)
{
	/* On PCs OUT2 enables the tri-state buffer driving the IRQ line. */
	int level = pending_iid(u) != IIR_NONE && (u->mcr & MCR_OUT2);
	if (level != u->irq_level) {
		u->irq_level = level;
		(void)vb_irq_set(&u->irq, level);
	}
}

static void rx_push(struct vb_uart *u, uint8_t byte)
{
	if (u->rx_count < rx_capacity(u)) {
		u->rx[(u->rx_head + u->rx_count) % VB_UART_FIFO_BYTES] = byte;
		u->rx_count++;
		return;
	}
	u->overrun = true;
	/* Without FIFOs the new character overwrites the unread one; with
	 * FIFOs it is lost in the shift register (datasheet, LSR bit 1). */
	if (!u->fifo_on)
		u->rx[u->rx_head] = byte;
}

static uint8_t rx_pop(struct vb_uart *u)
{
	if (u->rx_count == 0)
		return 0;
	uint8_t b = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % VB_UART_FIFO_BYTES;
	u->rx_count--;
	return b;
}

static void rx_clear(struct vb_uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

/* Modem status inputs: in loopback, MCR outputs are wired back (DTR->DSR,
 * RTS->CTS, OUT1->RI, OUT2->DCD); otherwise a cable with the other end
 * ready (CTS, DSR, DCD). */
static void update_msr(struct vb_uart *u)
{
	uint8_t now;
	if (u->mcr & MCR_LOOP) {
		now = (u->mcr & MCR_DTR ? MSR_DSR : 0) |
		      (u->mcr & MCR_RTS ? MSR_CTS : 0) |
		      (u->mcr & MCR_OUT1 ? MSR_RI : 0) |
		      (u->mcr & MCR_OUT2 ? MSR_DCD : 0);
	} else {
		now = MSR_CTS | MSR_DSR | MSR_DCD;
	}
	uint8_t old = u->msr & 0xf0;
	uint8_t changed = old ^ now;
	uint8_t delta = u->msr & 0x0f;
	if (changed & MSR_CTS)
		delta |= MSR_DCTS;
	if (changed & MSR_DSR)
		delta |= MSR_DDSR;
	if ((old & MSR_RI) && !(now & MSR_RI))
		delta |= MSR_TERI;
	if (changed & MSR_DCD)
		delta |= MSR_DDCD;
	u->msr = now | delta;
}

static void transmit(struct vb_uart *u, uint8_t byte)
{
	if (u->mcr & MCR_LOOP)
		rx_push(u, byte);
	else if (u->console && u->console->write)
		(void)u->console->write(u->console->ctx, &byte, 1);
	u->thre_pending = true;
}

static void write_fcr(struct vb_uart *u, uint8_t val)
{
	static const unsigned triggers[4] = {1, 4, 8, 14};
	if (!(val & FCR_ENABLE)) {
		/* Clearing FCR0 empties both FIFOs; other bits need FCR0. */
		if (u->fifo_on)
			rx_clear(u);
		u->fifo_on = false;
		return;
	}
	if (!u->fifo_on || (val & FCR_RX_RESET))
		rx_clear(u);
	u->fifo_on = true;
	u->trigger = triggers[val >> 6];
}

static void write_reg(struct vb_uart *u, unsigned reg, uint8_t val)
{
	bool dlab = u->lcr & LCR_DLAB;
	switch (reg) {
	case REG_DATA:
		if (dlab)
			u->dll = val;
		else
			transmit(u, val);
		break;
	case REG_IER:
		if (dlab) {
			u->dlm = val;
		} else {
			/* Enabling ETBI with THR empty raises THRE at once. */
			if ((val & IER_THRE) && !(u->ier & IER_THRE))
				u->thre_pending = true;
			u->ier = val & 0x0f;
		}
		break;
	case REG_IIR:
		write_fcr(u, val);
		break;
	case REG_LCR:
		u->lcr = val;
		break;
	case REG_MCR:
		u->mcr = val & 0x1f;
		update_msr(u);
		break;
	case REG_SCR:
		u->scr = val;
		break;
	default: /* LSR, MSR: factory test writes, ignored */
		break;
	}
}

static uint8_t read_reg(struct vb_uart *u, unsigned reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t v;
	switch (reg) {
	case REG_DATA:
		return dlab ? u->dll : rx_pop(u);
	case REG_IER:
		return dlab ? u->dlm : u->ier;
	case REG_IIR:
		v = pending_iid(u);
		if (v == IIR_THRE)
			u->thre_pending = false;
		return v | (u->fifo_on ? IIR_FIFO_ON : 0);
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		v = LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0) |
		    (u->overrun ? LSR_OE : 0);
		u->overrun = false;
		return v;
	case REG_MSR:
		v = u->msr;
		u->msr &= 0xf0;
		return v;
	case REG_SCR:
		return u->scr;
	default:
		return 0xff;
	}
}

int vb_uart_access(void *opaque, uint64_t offset, uint8_t *data,
		   uint32_t size, bool is_write)
{
	struct vb_uart *u = opaque;
	pthread_mutex_lock(&u->port.lock);
	for (uint32_t i = 0; i < size; i++) {
		uint64_t reg = offset + i;
		if (reg < offset || reg >= VB_UART_REG_COUNT) {
			if (!is_write)
				data[i] = 0xff;
		} else if (is_write) {
			write_reg(u, (unsigned)reg, data[i]);
		} else {
			data[i] = read_reg(u, (unsigned)reg);
		}
	}
	update_irq(u);
	pthread_mutex_unlock(&u->port.lock);
	return 0;
}

size_t vb_uart_receive(struct vb_uart *u, const uint8_t *bytes, size_t n)
{
	size_t stored = 0;
	pthread_mutex_lock(&u->port.lock);
	if (!(u->mcr & MCR_LOOP)) {
		for (size_t i = 0; i < n; i++) {
			bool full = u->rx_count >= rx_capacity(u);
			rx_push(u, bytes[i]);
			stored += !full;
		}
		update_irq(u);
	}
	pthread_mutex_unlock(&u->port.lock);
	return stored;
}

size_t vb_uart_feed(struct vb_uart *u, const uint8_t *bytes, size_t n)
{
	size_t stored = 0;
	pthread_mutex_lock(&u->port.lock);
	if (!(u->mcr & MCR_LOOP)) {
		while (stored < n && u->rx_count < rx_capacity(u))
			rx_push(u, bytes[stored++]);
		update_irq(u);
	}
	pthread_mutex_unlock(&u->port.lock);
	return stored;
}

int vb_uart_create(const struct vb_irq *irq, const struct vb_console *console,
		   struct vb_uart **out, struct vb_err *err)
{
	struct vb_port_dev *d;
	int r = vb_port_dev_new(sizeof(struct vb_uart), "uart", &d, err);
	if (r < 0)
		return r;
	struct vb_uart *u = (struct vb_uart *)d;
	if (irq)
		u->irq = *irq;
	u->console = console;
	u->trigger = 1;
	/* Reset values: LCR 0, MCR 0, IER 0; divisor as firmware leaves it
	 * for 115200 baud (1.8432 MHz / 16 / 1). */
	u->dll = 1;
	update_msr(u);
	u->msr &= 0xf0;
	*out = u;
	return 0;
}

void vb_uart_destroy(struct vb_uart *u)
{
	vb_port_dev_free(u ? &u->port : NULL);
}

static int uart_attach(const struct vb_device_ops *self, struct vb_dev_env *env,
		       const void *config, void **state, struct vb_err *err)
{
	(void)self;
	static const struct vb_uart_config com1 = {
		.base = VB_UART_COM1_BASE, .gsi = VB_UART_COM1_GSI,
		.is_console = true, .index = 0,
	};
	const struct vb_uart_config *cfg = config ? config : &com1;
	struct vb_irq irq = vb_dev_env_irq(env, cfg->gsi);
	struct vb_uart *u;
	int r = vb_uart_create(&irq, env->console, &u, err);
	if (r < 0)
		return r;
	u->cfg = *cfg;
	struct vb_bus_range range = {
		.base = cfg->base, .len = VB_UART_REG_COUNT, .name = "uart",
		.access = vb_uart_access,
	};
	return vb_port_dev_attach(&u->port, env, range, cfg->gsi, state, err);
}

static size_t uart_cmdline(const void *state, char *buf, size_t size)
{
	const struct vb_uart *u = state;
	if (!u->cfg.is_console) {
		if (size)
			buf[0] = '\0';
		return 0;
	}
	int n = snprintf(buf, size, "console=ttyS%u", u->cfg.index);
	return n < 0 ? 0 : (size_t)n;
}

const struct vb_device_ops vb_uart_ops = {
	.name = "uart",
	.attach = uart_attach,
	.detach = vb_port_dev_detach,
	.cmdline = uart_cmdline,
};
