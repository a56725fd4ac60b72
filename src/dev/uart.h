/* A 16550A UART (COM1 at 0x3f8, IRQ 4 by default).
 *
 * Register model after the National Semiconductor PC16550D datasheet:
 * RBR/THR, IER, IIR (FIFO bits, priority: line status > received data /
 * character timeout > THR empty > modem status), FCR (16-byte receive
 * FIFO, trigger level), LCR (DLAB), MCR (loopback wiring MCR to MSR), LSR,
 * MSR (delta bits), SCR and the divisor latch. Transmission is instant, so
 * THRE and TEMT read 1 and the THR-empty interrupt follows every write.
 *
 * The interrupt line is level triggered and, as on every PC since the XT,
 * only reaches the PIC/IOAPIC when MCR.OUT2 is set.
 *
 * Character timeout: without a clock, data below the FIFO trigger level is
 * reported at once as a character timeout (IIR 0xC), i.e. the end of each
 * burst the host delivers counts as "no more characters for 4 char times".
 *
 * Threads: every entry point takes the UART's own mutex. Output goes to the
 * console backend while the mutex is held, so bytes keep their order. */
#ifndef VB_DEV_UART_H
#define VB_DEV_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/dev.h"
#include "dev/irq.h"
#include "util/err.h"

#define VB_UART_COM1_BASE 0x3f8
#define VB_UART_COM1_GSI 4
#define VB_UART_REG_COUNT 8
#define VB_UART_FIFO_BYTES 16

struct vb_uart;

/* console may be NULL (output dropped); both are borrowed. */
int vb_uart_create(const struct vb_irq *irq, const struct vb_console *console,
		   struct vb_uart **out, struct vb_err *err);
void vb_uart_destroy(struct vb_uart *uart);

/* Bus handler (opaque is the struct vb_uart). Wider accesses are split in
 * byte cycles as the ISA bus does; offsets past the 8 registers read 0xff. */
int vb_uart_access(void *opaque, uint64_t offset, uint8_t *data,
		   uint32_t size, bool is_write);

/* Bytes arriving on the serial line, as hardware sees them: when the FIFO
 * (1 byte with FIFOs off) is full the byte is lost and LSR.OE set. Ignored
 * in loopback mode, where the serial input is disconnected. Returns the
 * number of bytes stored. */
size_t vb_uart_receive(struct vb_uart *uart, const uint8_t *bytes, size_t n);

/* Flow-controlled input for the host terminal: stores only what fits and
 * returns that count; the caller retries the rest later. */
size_t vb_uart_feed(struct vb_uart *uart, const uint8_t *bytes, size_t n);

/* Device registry glue. config: const struct vb_uart_config * or NULL for
 * COM1 as the console. The attach state is the struct vb_uart. */
struct vb_uart_config {
	uint16_t base;
	uint32_t gsi;
	bool is_console;   /* contributes console=ttyS<index> */
	unsigned index;
};

extern const struct vb_device_ops vb_uart_ops;

#endif
