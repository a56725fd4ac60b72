/* virtio-vsock on the host's vhost-vsock (vsock.c says how).
 *
 * Registry glue: vb_virtio_vsock_type, the device type "vsock" (at most
 * one; its cid; --vsock CID). */
#ifndef VB_VIRTIO_VSOCK_H
#define VB_VIRTIO_VSOCK_H

#include "parse/devtype.h"

extern const struct vb_device_type vb_virtio_vsock_type;

#endif
