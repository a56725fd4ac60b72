/* virtio-9p (virtio 1.x, 5.11 "9P Transport"): a host directory served
 * to the guest by the 9P2000.L server of src/ninep.
 *
 * One request queue. Each chain carries one T-message in its
 * device-readable part and room for the R-message in its device-writable
 * part (the Linux driver, net/9p/trans_virtio.c, posts exactly that). The
 * device gathers the readable segments into a buffer of at most
 * VB_VIRTIO_9P_MAX_MSIZE bytes, lets vb_9p_server_handle() answer, and
 * scatters the reply into the writable segments; requests are answered
 * in order, one at a time, with the device mutex held (the server is not
 * thread-safe, virtio.h serialises notifications).
 *
 * Hostile chains: a chain with no readable or no writable part, or with a
 * writable part too small for even an Rlerror (11 bytes), is a driver
 * violation (NEEDS_RESET, see virtio.h). A readable part longer than the
 * buffer is cut at the buffer size; the server then answers the
 * malformed message with an Rlerror (EPROTO / EMSGSIZE, server.h).
 *
 * Configuration space (5.11.4): tag_len le16, then the mount tag bytes
 * (no NUL), offered with feature VIRTIO_9P_MOUNT_TAG. The guest mounts
 * the share with `mount -t 9p -o trans=virtio TAG DIR`.
 *
 * Registry glue: vb_virtio_9p_type, the device type "9p" (--9p), and its
 * vb_virtio_9p_ops, config a const struct vb_virtio_placement * whose
 * desc gives path, readonly and tag. A desc of another type (a disk whose
 * path is a directory: the disk type's dir_root, machine/resolve.c) is
 * served with the tag VB_VIRTIO_9P_ROOT_TAG: with root=/dev/root
 * rootfstype=9p, Linux's root mount passes the string "/dev/root" to 9p
 * as the mount source, which 9p takes as the tag. A NULL config or desc
 * is refused: a share needs a directory. */
#ifndef VB_VIRTIO_9P_H
#define VB_VIRTIO_9P_H

#include "dev/dev.h"
#include "ninep/server.h"
#include "parse/devtype.h"

#define VB_VIRTIO_ID_9P 9u
/* A mount tag's bytes at most: the guest's mount source (5.11.4). */
#define VB_9P_TAG_MAX 31
/* 5.11.3: the device has a mount tag in its configuration space. */
#define VB_VIRTIO_9P_F_MOUNT_TAG 0
#define VB_VIRTIO_9P_ROOT_TAG "/dev/root"
/* Largest message in either direction. Linux caps its msize for virtio
 * at about 128 pages of payload (VIRTQUEUE_NUM in trans_virtio.c), below
 * the server's default of 512 KiB. */
#define VB_VIRTIO_9P_MAX_MSIZE VB_9P_DEFAULT_MSIZE

extern const struct vb_device_ops vb_virtio_9p_ops;
extern const struct vb_device_type vb_virtio_9p_type;

#endif
