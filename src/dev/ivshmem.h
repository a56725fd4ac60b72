/* An ivshmem-compatible shared memory PCI device (the guest interface of
 * QEMU's ivshmem-plain, docs/specs/ivshmem-spec.rst): host and guest
 * processes share size bytes of memory.
 *
 * PCI identity: 1af4:1110, revision 1, class 0x0500 (memory controller,
 * RAM), no interrupt pin (no peers, so nothing ever rings).
 *   BAR0  256 bytes of registers: IntrMask (0x0), IntrStatus (0x4, read
 *         clears), IVPosition (0x8, read-only 0: this VM's peer number,
 *         and there are no peers), Doorbell (0xC, writes ignored).
 *   BAR2  the shared memory: the desc's size, at its address when given
 *         (aligned to the size; validate checks), otherwise allocated in
 *         the 32-bit PCI window aligned to the size.
 *
 * Backing: desc->path starting with '/' and holding no other '/' names a
 * POSIX shared memory object (shm_open(3), /dev/shm/NAME on Linux);
 * anything else is a host file. Either is created (mode 0600) when
 * missing and grown to size when shorter, then mapped MAP_SHARED: what
 * the guest writes is in the file or object, and stays after exit.
 *
 * Speed: BAR2 becomes a KVM memory slot through env->map_memory, so guest
 * loads and stores never exit. The range is also registered on the MMIO
 * bus (so an overlap with another device is refused at attach, naming
 * both), served from the mapping when an access does trap: always in
 * tests, where env->map_memory is NULL.
 *
 * BARs stay where vmboot placed them: a guest that reprograms BAR2 to
 * another address keeps seeing the memory at the old one (the slot is not
 * moved); this is logged once.
 *
 * Registry glue: vb_ivshmem_type, the device type "shmem" (--shmem),
 * which also places its BARs for resolve (reserve, place), and its
 * vb_ivshmem_ops ("shmem"). config is the placement the
 * builder hands every graph device (struct vb_virtio_placement,
 * dev/placement.h: the builder makes no difference between device
 * kinds): name, pci_slot (0: any free one) and desc, whose path,
 * size_bytes and address (has_address) are used; transport and gsi are
 * ignored. Attach returns 0 or -errno with err naming the device; detach
 * unmaps the slot, then the memory. */
#ifndef VB_DEV_IVSHMEM_H
#define VB_DEV_IVSHMEM_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/dev.h"
#include "parse/devtype.h"

#define VB_IVSHMEM_VENDOR 0x1af4u
#define VB_IVSHMEM_DEVICE 0x1110u
#define VB_IVSHMEM_REVISION 1u
#define VB_IVSHMEM_CLASS 0x050000u
#define VB_IVSHMEM_REG_BYTES 256u
#define VB_IVSHMEM_REG_BAR 0u
#define VB_IVSHMEM_MEM_BAR 2u

/* Registers in BAR0. */
#define VB_IVSHMEM_INTR_MASK 0x0u
#define VB_IVSHMEM_INTR_STATUS 0x4u
#define VB_IVSHMEM_IV_POSITION 0x8u
#define VB_IVSHMEM_DOORBELL 0xcu

/* A POSIX shared memory object name rather than a file path? */
bool vb_ivshmem_is_shm_name(const char *path);

extern const struct vb_device_ops vb_ivshmem_ops;
extern const struct vb_device_type vb_ivshmem_type;

#endif
