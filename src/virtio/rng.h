/* virtio-rng (virtio 1.x, 5.4): one request queue; every buffer the
 * driver posts must be device-writable and is filled from getrandom().
 *
 * Registry glue: vb_virtio_rng_type, the device type "rng" (at most one;
 * --rng), and its vb_virtio_rng_ops, config a const struct
 * vb_virtio_placement * (virtio.h) saying which transport and where; NULL
 * means PCI in the first free slot. */
#ifndef VB_VIRTIO_RNG_H
#define VB_VIRTIO_RNG_H

#include "dev/dev.h"
#include "parse/devtype.h"

/* Bytes served per request at most: the driver asks again for more
 * (5.4.6: the device may write fewer bytes than the buffer holds). */
#define VB_VIRTIO_RNG_MAX_REQUEST_BYTES (64u * 1024u)

extern const struct vb_device_ops vb_virtio_rng_ops;
extern const struct vb_device_type vb_virtio_rng_type;

#endif
