/* virtio-console (virtio 1.x, 5.3): one port, port 0, as the guest's
 * console (hvc0). No feature bits: no MULTIPORT, no SIZE, no EMERG_WRITE,
 * so the device has exactly receiveq (0) and transmitq (1) (5.3.2).
 *
 * Output: every buffer the driver puts on transmitq is written to the
 * env's console (struct vb_console, dev.h) as it arrives; no console
 * means the bytes are dropped (the buffers are still returned).
 * Input: vb_virtio_console_feed() copies host bytes into buffers the
 * driver posted on receiveq and takes only as many bytes as those buffers
 * hold: the rest stays with the caller (the terminal reader retries, see
 * dev/term.h), which is the flow control. A device-writable buffer on
 * transmitq or a device-readable one on receiveq is a driver violation
 * (NEEDS_RESET, virtio.h).
 *
 * The machine-file device type "console" (vb_virtio_console_type: at most
 * one, and only with console = "virtio"), placed like any virtio device;
 * with `console = "virtio"` and no console device the builder attaches
 * vb_virtio_console_ops itself on PCI, first free slot.
 * Config: a const struct vb_virtio_placement * (NULL: PCI defaults).
 * Output goes to env->console as it was at attach time. */
#ifndef VB_VIRTIO_CONSOLE_H
#define VB_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "dev/dev.h"
#include "parse/devtype.h"

extern const struct vb_device_ops vb_virtio_console_ops;
extern const struct vb_device_type vb_virtio_console_type;

struct vb_virtio_console;

/* Deliver up to n input bytes to the guest; returns how many it took
 * (0 while the driver is not up or has posted no buffers). Any thread. */
size_t vb_virtio_console_feed(struct vb_virtio_console *c, const uint8_t *buf, size_t n);

#endif
