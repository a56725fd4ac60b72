#include "machine/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/x86/boot.h"

static int open_error(const char *path, int e, struct vb_err *err)
{
	switch (e) {
	case ENOENT:
	case ENXIO:
	case ENODEV:
		return vb_err_set(err, e, "%s: %s: is the kvm module loaded (kvm_intel or kvm_amd), and does the CPU or host allow virtualization?",
				  path, strerror(e));
	case EACCES:
	case EPERM:
		return vb_err_set(err, e, "%s: %s: add your user to the kvm group (usermod -aG kvm USER, then log in again)",
				  path, strerror(e));
	default:
		return vb_err_errno(err, e, "%s", path);
	}
}

bool vb_kvm_detect_pvm(const char *sysfs_root)
{
	char path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof(path), "%s/module/kvm_pvm", sysfs_root ? sysfs_root : "/sys");
	return stat(path, &st) == 0;
}

static int check_ext(int fd, long cap)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);
	return r < 0 ? 0 : r;
}

/* Capabilities vmboot cannot run without. */
static const struct {
	long cap;
	const char *name;
	const char *why;
} required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", "guest RAM is host memory registered as slots" },
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP", "interrupts go through the in-kernel PIC/IOAPIC/LAPIC" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2", "the i8254 timer is emulated in the kernel" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", "CPUID is built from KVM_GET_SUPPORTED_CPUID" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR", "x86 VMs need the real-mode TSS pages placed" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", "stopping vCPUs without a race relies on it" },
};

static int probe(struct vb_kvm *kvm, struct vb_err *err)
{
	int version = ioctl(kvm->dev_fd, KVM_GET_API_VERSION, 0);
	if (version < 0)
		return vb_err_errno(err, errno, "%s: KVM_GET_API_VERSION", kvm->dev_path);
	if (version != VB_KVM_API_VERSION)
		return vb_err_set(err, ENOTSUP, "%s: KVM API version %d, vmboot needs %d",
				  kvm->dev_path, version, VB_KVM_API_VERSION);
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (!check_ext(kvm->dev_fd, required_caps[i].cap))
			return vb_err_set(err, ENOTSUP, "%s: kernel lacks %s: %s",
					  kvm->dev_path, required_caps[i].name,
					  required_caps[i].why);
	}
	/* api.rst: without KVM_CAP_NR_VCPUS assume 4; without
	 * KVM_CAP_MAX_VCPUS the maximum is the recommended number. */
	int nr = check_ext(kvm->dev_fd, KVM_CAP_NR_VCPUS);
	int max = check_ext(kvm->dev_fd, KVM_CAP_MAX_VCPUS);
	kvm->recommended_vcpus = nr > 0 ? (unsigned)nr : 4;
	kvm->max_vcpus = max > 0 ? (unsigned)max : kvm->recommended_vcpus;
	kvm->has_ioeventfd = check_ext(kvm->dev_fd, KVM_CAP_IOEVENTFD) > 0;
	kvm->has_irqfd = check_ext(kvm->dev_fd, KVM_CAP_IRQFD) > 0;
	kvm->has_irq_routing = check_ext(kvm->dev_fd, KVM_CAP_IRQ_ROUTING) > 0;
	kvm->has_tsc_deadline = check_ext(kvm->dev_fd, KVM_CAP_TSC_DEADLINE_TIMER) > 0;

	int mmap_size = ioctl(kvm->dev_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < 0)
		return vb_err_errno(err, errno, "%s: KVM_GET_VCPU_MMAP_SIZE", kvm->dev_path);
	if ((size_t)mmap_size < sizeof(struct kvm_run))
		return vb_err_set(err, EPROTO, "%s: vCPU mmap size %d is smaller than struct kvm_run",
				  kvm->dev_path, mmap_size);
	kvm->vcpu_mmap_bytes = (size_t)mmap_size;
	return 0;
}

int vb_kvm_open(struct vb_kvm *kvm, const char *dev_path, const char *sysfs_root,
		struct vb_err *err)
{
	memset(kvm, 0, sizeof(*kvm));
	kvm->vm_fd = -1;
	kvm->dev_path = dev_path ? dev_path : VB_KVM_DEFAULT_DEV;
	kvm->dev_fd = open(kvm->dev_path, O_RDWR | O_CLOEXEC);
	if (kvm->dev_fd < 0)
		return open_error(kvm->dev_path, errno, err);
	kvm->is_pvm = vb_kvm_detect_pvm(sysfs_root);
	int r = probe(kvm, err);
	if (r < 0)
		vb_kvm_close(kvm);
	return r;
}

void vb_kvm_close(struct vb_kvm *kvm)
{
	if (kvm->vm_fd >= 0)
		close(kvm->vm_fd);
	if (kvm->dev_fd >= 0)
		close(kvm->dev_fd);
	kvm->vm_fd = -1;
	kvm->dev_fd = -1;
	kvm->has_irqchip = false;
}

int vb_kvm_check_vcpus(const struct vb_kvm *kvm, unsigned vcpus, struct vb_err *err)
{
	if (vcpus == 0)
		return vb_err_set(err, EINVAL, "cpus: must be at least 1");
	if (vcpus > kvm->max_vcpus)
		return vb_err_set(err, EINVAL, "cpus: %u exceeds this host's KVM limit of %u vCPUs",
				  vcpus, kvm->max_vcpus);
	return 0;
}

static int vm_fail(struct vb_kvm *kvm, int r)
{
	close(kvm->vm_fd);
	kvm->vm_fd = -1;
	return r;
}

int vb_kvm_create_vm(struct vb_kvm *kvm, struct vb_err *err)
{
	int fd = ioctl(kvm->dev_fd, KVM_CREATE_VM, 0);
	if (fd < 0)
		return vb_err_errno(err, errno, "%s: KVM_CREATE_VM", kvm->dev_path);
	kvm->vm_fd = fd;
	/* Intel VT-x without "unrestricted guest" runs guest real mode as
	 * vm86 inside a TSS (three pages), and unpaged protected mode on an
	 * identity page table (one page); KVM keeps both in guest physical
	 * pages the VMM chooses (api.rst: KVM_SET_TSS_ADDR,
	 * KVM_SET_IDENTITY_MAP_ADDR). They must lie below 4 GiB and never be
	 * RAM or MMIO, so they sit in the 32-bit gap region (memmap.h) just
	 * under the BIOS area, clear of the IOAPIC (0xfec00000) and the LAPIC
	 * (0xfee00000). AMD SVM ignores them. */
	if (ioctl(fd, KVM_SET_TSS_ADDR, (unsigned long)VB_KVM_TSS_ADDR) < 0)
		return vm_fail(kvm, vb_err_errno(err, errno, "KVM_SET_TSS_ADDR"));
	__u64 ident = VB_KVM_IDENTITY_MAP_ADDR;
	if (check_ext(kvm->dev_fd, KVM_CAP_SET_IDENTITY_MAP_ADDR) &&
	    ioctl(fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0)
		return vm_fail(kvm, vb_err_errno(err, errno, "KVM_SET_IDENTITY_MAP_ADDR"));
	return 0;
}

int vb_kvm_set_memory(struct vb_kvm *kvm, const struct vb_memmap *map,
		      void *host_base, struct vb_err *err)
{
	for (unsigned i = 0; i < map->n_slots && i < 2; i++) {
		const struct vb_slot *s = &map->slots[i];
		struct kvm_userspace_memory_region region = {
			.slot = s->slot,
			.flags = 0,
			.guest_phys_addr = s->guest_phys_addr,
			.memory_size = s->size_bytes,
			.userspace_addr = (uintptr_t)host_base + s->host_offset,
		};
		if (ioctl(kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
			return vb_err_errno(err, errno,
					    "KVM_SET_USER_MEMORY_REGION slot %u (guest 0x%llx, %llu bytes)",
					    s->slot, (unsigned long long)s->guest_phys_addr,
					    (unsigned long long)s->size_bytes);
	}
	return 0;
}

int vb_kvm_map_memory(void *ctx, uint64_t gpa, void *host, uint64_t bytes, uint32_t *slot,
		      struct vb_err *err)
{
	struct vb_kvm *kvm = ctx;
	if (!kvm || kvm->vm_fd < 0)
		return vb_err_set(err, ENODEV, "memory slot: no VM");
	if (!bytes || ((gpa | bytes | (uintptr_t)host) & 0xfff))
		return vb_err_set(err, EINVAL, "memory slot at 0x%llx: not page aligned",
				  (unsigned long long)gpa);
	unsigned i = 0;
	while (i < VB_KVM_EXTRA_SLOTS && (kvm->extra_slots & (1u << i)))
		i++;
	if (i == VB_KVM_EXTRA_SLOTS)
		return vb_err_set(err, ENOSPC, "memory slot at 0x%llx: all %u extra slots in use",
				  (unsigned long long)gpa, VB_KVM_EXTRA_SLOTS);
	struct kvm_userspace_memory_region region = {
		.slot = VB_KVM_FIRST_EXTRA_SLOT + i,
		.guest_phys_addr = gpa,
		.memory_size = bytes,
		.userspace_addr = (uintptr_t)host,
	};
	if (ioctl(kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return vb_err_errno(err, errno,
				    "KVM_SET_USER_MEMORY_REGION slot %u (guest 0x%llx, %llu bytes)",
				    region.slot, (unsigned long long)gpa, (unsigned long long)bytes);
	kvm->extra_slots |= 1u << i;
	*slot = region.slot;
	return 0;
}

void vb_kvm_unmap_memory(void *ctx, uint32_t slot)
{
	struct vb_kvm *kvm = ctx;
	if (!kvm || slot < VB_KVM_FIRST_EXTRA_SLOT ||
	    slot >= VB_KVM_FIRST_EXTRA_SLOT + VB_KVM_EXTRA_SLOTS)
		return;
	uint32_t bit = 1u << (slot - VB_KVM_FIRST_EXTRA_SLOT);
	if (!(kvm->extra_slots & bit))
		return;
	kvm->extra_slots &= ~bit;
	if (kvm->vm_fd < 0)
		return;
	struct kvm_userspace_memory_region region = { .slot = slot };
	(void)ioctl(kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
}

int vb_kvm_create_irqchip(struct vb_kvm *kvm, struct vb_err *err)
{
	if (ioctl(kvm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return vb_err_errno(err, errno, "KVM_CREATE_IRQCHIP");
	/* The PC speaker shares i8254 channel 2; the dummy flag keeps port
	 * 0x61 answering without a speaker model (api.rst: KVM_CREATE_PIT2). */
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	if (ioctl(kvm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return vb_err_errno(err, errno, "KVM_CREATE_PIT2");
	kvm->has_irqchip = true;
	return 0;
}

int vb_kvm_irq_set_level(void *ctx, uint32_t gsi, int level)
{
	struct vb_kvm *kvm = ctx;
	if (!kvm || kvm->vm_fd < 0 || !kvm->has_irqchip)
		return -ENODEV;
	struct kvm_irq_level irq = { .irq = gsi, .level = level ? 1 : 0 };
	if (ioctl(kvm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		return -errno;
	return 0;
}

int vb_kvm_ioeventfd(struct vb_kvm *kvm, int fd, uint64_t gpa, uint32_t len, bool match,
		     uint64_t datamatch, bool assign, struct vb_err *err)
{
	if (!kvm || kvm->vm_fd < 0 || !kvm->has_ioeventfd)
		return vb_err_set(err, ENODEV, "KVM_IOEVENTFD at 0x%llx: not available",
				  (unsigned long long)gpa);
	struct kvm_ioeventfd io = {
		.datamatch = match ? datamatch : 0,
		.addr = gpa,
		.len = len,
		.fd = fd,
		.flags = (match ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0u) |
			 (assign ? 0u : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};
	if (ioctl(kvm->vm_fd, KVM_IOEVENTFD, &io) < 0)
		return vb_err_errno(err, errno, "KVM_IOEVENTFD %s at 0x%llx (%u bytes)",
				    assign ? "assign" : "deassign", (unsigned long long)gpa, len);
	return 0;
}

int vb_kvm_set_gsi_routing(void *ctx, const struct kvm_irq_routing *routing,
			   struct vb_err *err)
{
	struct vb_kvm *kvm = ctx;
	if (!kvm || kvm->vm_fd < 0 || !kvm->has_irq_routing || !kvm->has_irqchip)
		return vb_err_set(err, ENODEV, "KVM_SET_GSI_ROUTING: not available");
	if (ioctl(kvm->vm_fd, KVM_SET_GSI_ROUTING, routing) < 0)
		return vb_err_errno(err, errno, "KVM_SET_GSI_ROUTING (%u routes)", routing->nr);
	return 0;
}

int vb_kvm_irqfd(void *ctx, int fd, uint32_t gsi, struct vb_err *err)
{
	struct vb_kvm *kvm = ctx;
	if (!kvm || kvm->vm_fd < 0 || !kvm->has_irqfd || !kvm->has_irqchip)
		return vb_err_set(err, ENODEV, "KVM_IRQFD for GSI %u: not available", gsi);
	struct kvm_irqfd irqfd = { .fd = (uint32_t)fd, .gsi = gsi };
	if (ioctl(kvm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		return vb_err_errno(err, errno, "KVM_IRQFD for GSI %u", gsi);
	return 0;
}

int vb_kvm_irqfd_open(void *ctx, uint32_t gsi, int *fd, struct vb_err *err)
{
	*fd = -1;
	/* Non-blocking: a full counter must not hold up the device's thread. */
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return vb_err_errno(err, errno, "eventfd for GSI %u", gsi);
	int r = vb_kvm_irqfd(ctx, efd, gsi, err);
	if (r < 0) {
		close(efd);
		return r;
	}
	*fd = efd;
	return 0;
}

int vb_kvm_get_supported_cpuid(struct vb_kvm *kvm, struct kvm_cpuid2 **out,
			       struct vb_err *err)
{
	*out = NULL;
	/* Start near today's typical count and double; the cap only guards
	 * against a kernel that keeps answering E2BIG. */
	for (uint32_t n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return vb_err_errno(err, ENOMEM, "KVM_GET_SUPPORTED_CPUID");
		c->nent = n;
		if (ioctl(kvm->dev_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			*out = c;
			return 0;
		}
		int e = errno;
		free(c);
		if (e != E2BIG)
			return vb_err_errno(err, e, "KVM_GET_SUPPORTED_CPUID");
	}
	return vb_err_set(err, E2BIG, "KVM_GET_SUPPORTED_CPUID: more than 4096 entries");
}

int vb_kvm_vcpu_create(struct vb_kvm *kvm, uint32_t index, struct vb_kvm_vcpu *vcpu,
		       struct vb_err *err)
{
	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->fd = -1;
	vcpu->index = index;
	int fd = ioctl(kvm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (fd < 0)
		return vb_err_errno(err, errno, "vCPU %u: KVM_CREATE_VCPU", index);
	void *run = mmap(NULL, kvm->vcpu_mmap_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, 0);
	if (run == MAP_FAILED) {
		int r = vb_err_errno(err, errno, "vCPU %u: mmap kvm_run", index);
		close(fd);
		return r;
	}
	vcpu->fd = fd;
	vcpu->run = run;
	vcpu->run_bytes = kvm->vcpu_mmap_bytes;
	return 0;
}

void vb_kvm_vcpu_destroy(struct vb_kvm_vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_bytes);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->run_bytes = 0;
	vcpu->fd = -1;
}

int vb_kvm_vcpu_set_cpuid(struct vb_kvm_vcpu *vcpu, const struct kvm_cpuid2 *cpuid,
			  struct vb_err *err)
{
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) < 0)
		return vb_err_errno(err, errno, "vCPU %u: KVM_SET_CPUID2 (%u entries)",
				    vcpu->index, cpuid->nent);
	return 0;
}

static void to_kvm_seg(const struct vb_x86_segment *in, struct kvm_segment *out)
{
	*out = (struct kvm_segment){
		.base = in->base, .limit = in->limit, .selector = in->selector,
		.type = in->type, .present = in->present, .dpl = in->dpl,
		.db = in->db, .s = in->s, .l = in->l, .g = in->g,
		/* KVM's own marker for a null/unusable segment (VMX access
		 * rights bit 16): a not-present descriptor is exactly that. */
		.unusable = !in->present,
	};
}

static void to_kvm_regs(const struct vb_x86_boot_regs *br, struct kvm_regs *r)
{
	/* RFLAGS bit 1 is reserved and must be 1 (SDM Vol. 1 3.4.3). */
	*r = (struct kvm_regs){
		.rip = br->rip, .rsp = br->rsp, .rsi = br->rsi, .rbx = br->rbx,
		.rflags = br->rflags | 0x2,
	};
}

static void to_kvm_sregs(const struct vb_x86_boot_regs *br, struct kvm_sregs *s)
{
	to_kvm_seg(&br->cs, &s->cs);
	to_kvm_seg(&br->ds, &s->ds);
	to_kvm_seg(&br->es, &s->es);
	to_kvm_seg(&br->fs, &s->fs);
	to_kvm_seg(&br->gs, &s->gs);
	to_kvm_seg(&br->ss, &s->ss);
	if (br->tr.present)
		to_kvm_seg(&br->tr, &s->tr);
	s->gdt.base = br->gdt.base;
	s->gdt.limit = br->gdt.limit;
	s->cr0 = br->cr0;
	s->cr3 = br->cr3;
	s->cr4 = br->cr4;
	s->efer = br->efer;
}

int vb_kvm_vcpu_set_regs(struct vb_kvm_vcpu *vcpu, const struct vb_x86_boot_regs *br,
			 struct vb_err *err)
{
	/* Start from the vCPU's reset sregs so what the description does not
	 * cover (IDT, LDT, APIC base, pending interrupts) keeps KVM's
	 * architectural reset values. */
	struct kvm_sregs sregs;
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return vb_err_errno(err, errno, "vCPU %u: KVM_GET_SREGS", vcpu->index);
	to_kvm_sregs(br, &sregs);
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0)
		return vb_err_errno(err, errno, "vCPU %u: KVM_SET_SREGS", vcpu->index);
	struct kvm_regs regs;
	to_kvm_regs(br, &regs);
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		return vb_err_errno(err, errno, "vCPU %u: KVM_SET_REGS", vcpu->index);
	return 0;
}

int vb_kvm_vcpu_set_runnable(struct vb_kvm_vcpu *vcpu, bool runnable,
			     struct vb_err *err)
{
	struct kvm_mp_state mp = {
		.mp_state = runnable ? KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_UNINITIALIZED,
	};
	if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) < 0)
		return vb_err_errno(err, errno, "vCPU %u: KVM_SET_MP_STATE", vcpu->index);
	return 0;
}

int vb_kvm_vcpu_set_single_step(struct vb_kvm_vcpu *vcpu, bool on, struct vb_err *err)
{
	struct kvm_guest_debug dbg = {
		.control = on ? (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP) : 0,
	};
	if (ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg) < 0)
		return vb_err_errno(err, errno, "vCPU %u: KVM_SET_GUEST_DEBUG", vcpu->index);
	return 0;
}

int vb_kvm_vcpu_get_state(struct vb_kvm_vcpu *vcpu, struct kvm_regs *regs,
			  struct kvm_sregs *sregs, struct vb_err *err)
{
	if (regs && ioctl(vcpu->fd, KVM_GET_REGS, regs) < 0)
		return vb_err_errno(err, errno, "vCPU %u: KVM_GET_REGS", vcpu->index);
	if (sregs && ioctl(vcpu->fd, KVM_GET_SREGS, sregs) < 0)
		return vb_err_errno(err, errno, "vCPU %u: KVM_GET_SREGS", vcpu->index);
	return 0;
}

int vb_kvm_vcpu_translate(struct vb_kvm_vcpu *vcpu, uint64_t linear, uint64_t *gpa,
			  struct vb_err *err)
{
	struct kvm_translation tr = { .linear_address = linear };
	if (ioctl(vcpu->fd, KVM_TRANSLATE, &tr) < 0)
		return vb_err_errno(err, errno, "vCPU %u: KVM_TRANSLATE", vcpu->index);
	if (!tr.valid)
		return vb_err_set(err, EFAULT, "vCPU %u: 0x%llx is not mapped", vcpu->index,
				  (unsigned long long)linear);
	*gpa = tr.physical_address;
	return 0;
}

int vb_kvm_vcpu_run(struct vb_kvm_vcpu *vcpu)
{
	if (ioctl(vcpu->fd, KVM_RUN, 0) < 0)
		return -errno;
	return 0;
}
