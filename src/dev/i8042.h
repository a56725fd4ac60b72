/* Enough of the 8042 keyboard controller for Linux to reboot through it.
 *
 * Ports 0x60 (data) and 0x64 (status / command), plus 0x61 (system control
 * port B) in the same range. Linux's reboot=k writes command 0xFE (pulse
 * output line 0, the CPU reset line, low); that and any other pulse or
 * output-port write with bit 0 clear asks the VMM for a reset through the
 * request callback. Commands the Linux i8042 driver issues while probing
 * (read/write command byte, self tests, enable/disable ports) answer as a
 * controller with a keyboard and no mouse would; keyboard commands are
 * ACKed (0xFA). The keyboard IRQ (GSI 1) follows the output buffer when
 * the command byte enables it.
 *
 * Port 0x61 bit 4 toggles on each read: it is the DRAM refresh indicator,
 * polled by old delay-calibration loops. Under KVM with the in-kernel PIT
 * port 0x61 is handled by the kernel and never reaches us.
 *
 * Threads: the controller's own mutex guards its state; the request
 * callback is called with it held and must only record the request. */
#ifndef VB_DEV_I8042_H
#define VB_DEV_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/dev.h"
#include "dev/irq.h"
#include "util/err.h"

#define VB_I8042_BASE 0x60
#define VB_I8042_PORTS 5 /* 0x60-0x64 */
#define VB_I8042_GSI 1

struct vb_i8042;

struct vb_i8042_params {
	struct vb_irq irq;
	void (*request)(void *ctx, enum vb_dev_request req);
	void *request_ctx;
};

int vb_i8042_create(const struct vb_i8042_params *params,
		    struct vb_i8042 **out, struct vb_err *err);
void vb_i8042_destroy(struct vb_i8042 *kbc);

/* Bus handler for [0x60, 0x64]; opaque is the struct vb_i8042. */
int vb_i8042_access(void *opaque, uint64_t offset, uint8_t *data,
		    uint32_t size, bool is_write);

/* Queues the scancodes of Ctrl-Alt-Del being pressed and released
 * (scancode set 1, which the guest sees with the default translation) and
 * raises the keyboard interrupt: Linux's keyboard driver turns the chord
 * into a reboot request to init (kernel/reboot.c: ctrl_alt_del), the one
 * orderly shutdown a machine without ACPI can ask for. Any thread. Returns
 * 0, or -ENOBUFS when the guest has not drained earlier input. */
int vb_i8042_send_ctrl_alt_del(struct vb_i8042 *kbc);

/* Registry glue: config unused (NULL). Contributes "reboot=k" and turns
 * off the mouse/mux/PnP probing that would wait on absent hardware. */
extern const struct vb_device_ops vb_i8042_ops;

#endif
