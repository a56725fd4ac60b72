/* The KVM ioctl layer: the only file that talks to /dev/kvm.
 *
 * Builder stages that use it, in order (each create has its destroy; undo
 * runs in reverse):
 *   vb_kvm_open            open the device, check API 12 and capabilities
 *   vb_kvm_create_vm       KVM_CREATE_VM, TSS and identity-map pages
 *   vb_kvm_set_memory      one KVM slot per struct vb_memmap slot
 *   vb_kvm_create_irqchip  in-kernel PIC/IOAPIC/LAPIC, then the PIT
 *   vb_kvm_vcpu_create     per vCPU: fd and the mmap'ed struct kvm_run
 *   vb_kvm_vcpu_set_cpuid / _set_regs / _set_runnable
 * Teardown: vb_kvm_vcpu_destroy for each vCPU, then vb_kvm_close (closes
 * the VM and the device; the kernel drops slots, irqchip and PIT with the
 * VM fd). Guest RAM must stay mapped until the VM fd is closed.
 *
 * Thread use: one thread per vCPU may call vb_kvm_vcpu_run on its own
 * vCPU; vb_kvm_irq_set_level may be called from any thread.
 *
 * Returns 0 or -errno with err filled ("what: why"). */
#ifndef VB_MACHINE_KVM_H
#define VB_MACHINE_KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "mem/memmap.h"
#include "util/err.h"

#define VB_KVM_DEFAULT_DEV "/dev/kvm"

/* The stable KVM API has been version 12 since Linux 2.6.22
 * (Documentation/virt/kvm/api.rst, KVM_GET_API_VERSION). */
#define VB_KVM_API_VERSION 12

/* Three pages for the VT-x real-mode TSS, just below the BIOS area at the
 * top of the 32-bit gap, and the identity-map page right after them; see
 * vb_kvm_create_vm. Both lie inside [VB_GAP_START_BYTES, 4 GiB). */
#define VB_KVM_TSS_ADDR 0xfffbd000ULL
#define VB_KVM_IDENTITY_MAP_ADDR 0xfffbc000ULL

struct vb_kvm {
	int dev_fd;           /* /dev/kvm; -1 when closed */
	int vm_fd;            /* -1 until vb_kvm_create_vm */
	const char *dev_path; /* borrowed */
	/* KVM-PVM (a paravirtualized KVM that emulates guest CPL0 code):
	 * its emulator gives up on instructions hardware KVM runs natively,
	 * so emulation failures deserve an explanation. */
	bool is_pvm;
	bool has_irqchip;     /* set after vb_kvm_create_irqchip */
	unsigned recommended_vcpus; /* KVM_CAP_NR_VCPUS */
	unsigned max_vcpus;         /* KVM_CAP_MAX_VCPUS */
	bool has_ioeventfd;
	bool has_irqfd;
	bool has_irq_routing; /* KVM_CAP_IRQ_ROUTING: MSI routes (machine/msi.h) */
	/* KVM_CAP_TSC_DEADLINE_TIMER: the in-kernel local APIC has the
	 * TSC-deadline mode (arch/x86/cpuid.h). */
	bool has_tsc_deadline;
	/* Extra memory slots in use (bit i: slot VB_KVM_FIRST_EXTRA_SLOT + i). */
	uint32_t extra_slots;
	size_t vcpu_mmap_bytes;     /* KVM_GET_VCPU_MMAP_SIZE */
};

struct vb_kvm_vcpu {
	int fd;               /* -1 when destroyed */
	uint32_t index;       /* also the APIC id */
	struct kvm_run *run;  /* shared with the kernel */
	size_t run_bytes;
};

/* dev_path NULL means VB_KVM_DEFAULT_DEV. sysfs_root NULL means "/sys"
 * (tests point it elsewhere to fake KVM-PVM detection). */
int vb_kvm_open(struct vb_kvm *kvm, const char *dev_path, const char *sysfs_root,
		struct vb_err *err);
void vb_kvm_close(struct vb_kvm *kvm);

/* True when <sysfs_root>/module/kvm_pvm exists. Pure file check. */
bool vb_kvm_detect_pvm(const char *sysfs_root);

/* Refuses vcpus == 0 or more than KVM_CAP_MAX_VCPUS. No ioctl. */
int vb_kvm_check_vcpus(const struct vb_kvm *kvm, unsigned vcpus, struct vb_err *err);

int vb_kvm_create_vm(struct vb_kvm *kvm, struct vb_err *err);

/* Registers every slot of map; host_base is guest physical 0 (ram.h). */
int vb_kvm_set_memory(struct vb_kvm *kvm, const struct vb_memmap *map,
		      void *host_base, struct vb_err *err);

/* In-kernel irqchip and PIT (i8254). */
int vb_kvm_create_irqchip(struct vb_kvm *kvm, struct vb_err *err);

/* Interrupt line callback in the vb_irq style: ctx is the struct vb_kvm.
 * Returns 0 or -errno. Needs the in-kernel irqchip. */
int vb_kvm_irq_set_level(void *ctx, uint32_t gsi, int level);

/* Memory outside RAM that the guest reaches without exits (ivshmem's
 * shared BAR), in the struct vb_dev_env map_memory style: ctx is the
 * struct vb_kvm. Registers host [host, host + bytes) at gpa as a KVM
 * memory slot numbered from VB_KVM_FIRST_EXTRA_SLOT (the memory map's RAM
 * slots are 0 and 1), and gives its number in *slot. gpa, host and bytes
 * must be page aligned; KVM refuses (EEXIST) a range overlapping another
 * slot. Unmap before the host memory goes away. */
#define VB_KVM_FIRST_EXTRA_SLOT 8u
#define VB_KVM_EXTRA_SLOTS 32u
int vb_kvm_map_memory(void *ctx, uint64_t gpa, void *host, uint64_t bytes, uint32_t *slot,
		      struct vb_err *err);
/* Deletes the slot (size 0, api.rst KVM_SET_USER_MEMORY_REGION). */
void vb_kvm_unmap_memory(void *ctx, uint32_t slot);

/* KVM_IOEVENTFD on the MMIO bus (api.rst): while assigned, a guest write
 * of len bytes (1, 2, 4 or 8) to gpa, of value datamatch if match, signals
 * eventfd fd and does not exit. assign false removes the binding made
 * with the same fd, gpa, len and match. Needs has_ioeventfd; any thread. */
int vb_kvm_ioeventfd(struct vb_kvm *kvm, int fd, uint64_t gpa, uint32_t len, bool match,
		     uint64_t datamatch, bool assign, struct vb_err *err);

/* Message-signalled interrupts (machine/msi.h), ctx being the struct
 * vb_kvm. KVM_SET_GSI_ROUTING (api.rst): routing replaces the VM's whole
 * table, the irqchip pins' routes included; needs has_irq_routing and the
 * irqchip; any thread. KVM_IRQFD: eventfd fd, when signalled, injects GSI
 * gsi through that table with no exit; closing fd undoes it (KVM drops an
 * irqfd whose eventfd goes away), so there is no deassign. Needs
 * has_irqfd. */
int vb_kvm_set_gsi_routing(void *ctx, const struct kvm_irq_routing *routing,
			   struct vb_err *err);
int vb_kvm_irqfd(void *ctx, int fd, uint32_t gsi, struct vb_err *err);
/* A new eventfd (non-blocking) bound to gsi by KVM_IRQFD: each write
 * injects one edge on the line (dev/dev.h irqfd_open). Closing it
 * unbinds it. */
int vb_kvm_irqfd_open(void *ctx, uint32_t gsi, int *fd, struct vb_err *err);

/* KVM_GET_SUPPORTED_CPUID into a malloc'd struct kvm_cpuid2 the caller
 * frees; the buffer grows until the kernel stops answering E2BIG. */
int vb_kvm_get_supported_cpuid(struct vb_kvm *kvm, struct kvm_cpuid2 **out,
			       struct vb_err *err);

int vb_kvm_vcpu_create(struct vb_kvm *kvm, uint32_t index, struct vb_kvm_vcpu *vcpu,
		       struct vb_err *err);
void vb_kvm_vcpu_destroy(struct vb_kvm_vcpu *vcpu);

int vb_kvm_vcpu_set_cpuid(struct vb_kvm_vcpu *vcpu, const struct kvm_cpuid2 *cpuid,
			  struct vb_err *err);

/* Loads the initial register state that boot code described
 * (arch/x86/boot.h) into kvm_regs and kvm_sregs. Whatever the description
 * leaves out (IDT, LDT, APIC base, other general registers) keeps the
 * vCPU's architectural reset value; tr does too when not present. */
struct vb_x86_boot_regs;
int vb_kvm_vcpu_set_regs(struct vb_kvm_vcpu *vcpu, const struct vb_x86_boot_regs *br,
			 struct vb_err *err);

/* KVM_MP_STATE_RUNNABLE, or KVM_MP_STATE_UNINITIALIZED (an AP that waits
 * for INIT/SIPI from the boot CPU, as Linux expects). */
int vb_kvm_vcpu_set_runnable(struct vb_kvm_vcpu *vcpu, bool runnable,
			     struct vb_err *err);

int vb_kvm_vcpu_set_single_step(struct vb_kvm_vcpu *vcpu, bool on, struct vb_err *err);

/* KVM_GET_REGS / KVM_GET_SREGS (either may be NULL): for failure reports
 * and `vmboot debug`. */
int vb_kvm_vcpu_get_state(struct vb_kvm_vcpu *vcpu, struct kvm_regs *regs,
			  struct kvm_sregs *sregs, struct vb_err *err);

/* KVM_TRANSLATE: guest linear address -> guest physical, through the
 * vCPU's current page tables. -EFAULT when not mapped. */
int vb_kvm_vcpu_translate(struct vb_kvm_vcpu *vcpu, uint64_t linear, uint64_t *gpa,
			  struct vb_err *err);

/* One KVM_RUN. Returns 0, or -errno (-EINTR: a signal or immediate_exit
 * interrupted it; not an error). */
int vb_kvm_vcpu_run(struct vb_kvm_vcpu *vcpu);

#endif
