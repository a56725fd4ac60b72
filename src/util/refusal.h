/* Why the builder may refuse a machine: one stable ID per rule.
 *
 * `vmboot --check` is the whole truth: every reason `vmboot run` can refuse
 * a machine that is knowable without /dev/kvm is a located --check error.
 * Each such rule has an ID here, and the builder's refusal site names it
 * (vb_refuse, util/err.h). The --check twin is the same pure function
 * called earlier (validate, resolve) or the same code run on scratch
 * memory (machine/load.h), so each rule is written once.
 *
 * tests/cli/test_refusals.sh keeps this honest: it greps src/ for the IDs,
 * runs `vmboot --check` on a fixture for every one of them and expects the
 * located error, and fails on a builder error site that is neither a
 * refusal with an ID nor listed (with the reason) as a failure --check
 * cannot foresee: host state, /dev/kvm, out of memory, internal invariants.
 *
 * X(ID, what the rule says). Append new rules; IDs never change meaning. */
#ifndef VB_UTIL_REFUSAL_H
#define VB_UTIL_REFUSAL_H

#define VB_REFUSALS(X)                                                                     \
	X(RAM_PAGES, "memory is a whole number of 4 KiB pages")                            \
	X(RAM_LIMIT, "guest-physical memory fits the host's physical and user address space") \
	X(CPUS, "1 to 254 vCPUs")                                                          \
	X(SHMEM_SIZE, "a shmem size is a power of two from 4 KiB to 2 GiB")                \
	X(SHMEM_ALIGN, "a shmem address is aligned to its size")                           \
	X(MMIO_WINDOW, "a device address lies in the 32-bit PCI window")                   \
	X(MMIO_OVERLAP, "device address ranges do not overlap")                            \
	X(MMIO_SPACE, "every PCI BAR fits in the 32-bit PCI window")                       \
	X(PCI_SLOTS, "31 PCI slots on bus 0")                                              \
	X(IRQ_LINES, "an interrupt line for every virtio device")                          \
	X(NINEP_TAG, "a 9p tag is 1 to 31 bytes")                                          \
	X(FILE_SIZE, "the kernel and the initrd are each smaller than guest RAM")         \
	X(KERNEL_FORMAT, "the kernel is a valid bzImage, PVH ELF or flat binary")          \
	X(KERNEL_FIT, "the kernel fits in guest RAM below the 32-bit gap")                 \
	X(INITRD_FIT, "the initrd fits between the kernel's end and the initrd limit")     \
	X(FLAT_INITRD, "a flat binary kernel takes no initrd")                             \
	X(CMDLINE, "the kernel command line fits what the kernel accepts")

enum vb_refusal {
	VB_REFUSAL_NONE = 0,
#define VB_REFUSAL_ENUM(id, what) VB_REFUSAL_##id,
	VB_REFUSALS(VB_REFUSAL_ENUM)
#undef VB_REFUSAL_ENUM
	VB_REFUSAL_COUNT
};

#endif
