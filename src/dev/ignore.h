/* Ports Linux touches at boot that need no device behind them.
 *
 * 0x80 is the POST-code port, written as an I/O delay (outb_p) throughout
 * early boot; 0xed is the alternative delay port (io_delay=0xed); 0x87 is a
 * DMA page register poked during ISA DMA setup. Writes are dropped, reads
 * return 0xff like an unclaimed port. The ranges are VB_BUS_QUIET so
 * --debug-ioport is not flooded by delay writes. The PIC (0x20, 0xa0) and
 * PIT (0x40-0x43) are emulated by KVM's in-kernel irqchip and never exit. */
#ifndef VB_DEV_IGNORE_H
#define VB_DEV_IGNORE_H

#include "dev/dev.h"

extern const struct vb_device_ops vb_ignore_ops;

int vb_ignore_access(void *opaque, uint64_t offset, uint8_t *data,
		     uint32_t size, bool is_write);

#endif
