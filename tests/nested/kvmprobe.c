/* kvmprobe: proves /dev/kvm inside the nested harness runs guest code.
 *
 * Opens /dev/kvm, checks KVM_GET_API_VERSION, creates a VM with 64 KiB of
 * RAM and one vCPU, and runs a few real-mode instructions that compute a
 * value and write it to two I/O ports, then halt. Each exit is checked:
 * a wrong port, size, direction or value fails the probe. Built by
 * test_harness.sh with the host cc (not by automake) and run with run-cmd.
 * Exit status 0 if every check passed, 1 otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define PROBE_RAM_BYTES 0x10000ULL
/* Real mode starts where we point it; 0x1000 keeps clear of the real-mode
 * IVT at 0 without mattering to the guest code, which uses no memory. */
#define PROBE_CODE_GPA 0x1000ULL
/* KVM_GET_API_VERSION has returned 12 since Linux 2.6.22 and is documented
 * as fixed (Documentation/virt/kvm/api.rst, 4.1). */
#define PROBE_KVM_API 12

/* mov dx,0x10; mov al,0x2a; add al,0x18; out dx,al; mov al,7; out 0x11,al;
 * hlt. The add makes the CPU compute 0x42 rather than copy an immediate. */
static const uint8_t probe_code[] = {
	0xba, 0x10, 0x00, /* mov dx, 0x0010 */
	0xb0, 0x2a,       /* mov al, 0x2a */
	0x04, 0x18,       /* add al, 0x18 */
	0xee,             /* out dx, al */
	0xb0, 0x07,       /* mov al, 0x07 */
	0xe6, 0x11,       /* out 0x11, al */
	0xf4,             /* hlt */
};

struct probe {
	int kvm_fd;
	int vm_fd;
	int vcpu_fd;
	uint8_t *ram;
	struct kvm_run *run;
	size_t run_bytes;
};

static int probe_fail(const char *what)
{
	fprintf(stderr, "kvmprobe: %s: %s\n", what, strerror(errno));
	return -1;
}

static int probe_open(struct probe *p)
{
	int api;

	p->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (p->kvm_fd < 0)
		return probe_fail("open /dev/kvm");
	api = ioctl(p->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api < 0)
		return probe_fail("KVM_GET_API_VERSION");
	printf("kvmprobe: api=%d\n", api);
	if (api != PROBE_KVM_API) {
		fprintf(stderr, "kvmprobe: API version %d, expected %d\n", api, PROBE_KVM_API);
		return -1;
	}
	return 0;
}

static int probe_create(struct probe *p)
{
	struct kvm_userspace_memory_region region;
	int run_bytes;

	p->vm_fd = ioctl(p->kvm_fd, KVM_CREATE_VM, 0);
	if (p->vm_fd < 0)
		return probe_fail("KVM_CREATE_VM");
	p->ram = mmap(NULL, PROBE_RAM_BYTES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p->ram == MAP_FAILED) {
		p->ram = NULL;
		return probe_fail("mmap guest RAM");
	}
	memcpy(p->ram + PROBE_CODE_GPA, probe_code, sizeof(probe_code));
	memset(&region, 0, sizeof(region));
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = PROBE_RAM_BYTES;
	region.userspace_addr = (uint64_t)(uintptr_t)p->ram;
	if (ioctl(p->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return probe_fail("KVM_SET_USER_MEMORY_REGION");
	p->vcpu_fd = ioctl(p->vm_fd, KVM_CREATE_VCPU, 0);
	if (p->vcpu_fd < 0)
		return probe_fail("KVM_CREATE_VCPU");
	run_bytes = ioctl(p->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_bytes < (int)sizeof(struct kvm_run))
		return probe_fail("KVM_GET_VCPU_MMAP_SIZE");
	p->run = mmap(NULL, (size_t)run_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		      p->vcpu_fd, 0);
	if (p->run == MAP_FAILED) {
		p->run = NULL;
		return probe_fail("mmap kvm_run");
	}
	p->run_bytes = (size_t)run_bytes;
	return 0;
}

/* Real mode with CS base 0: the reset state has CS base 0xffff0000, which
 * would put our code out of RAM. */
static int probe_set_regs(struct probe *p)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(p->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return probe_fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(p->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return probe_fail("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = PROBE_CODE_GPA;
	regs.rflags = 0x2; /* bit 1 is reserved and must be 1 (SDM vol. 1, 3.4.3) */
	if (ioctl(p->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return probe_fail("KVM_SET_REGS");
	return 0;
}

/* Runs the vCPU to its next exit and checks it is a one-byte OUT of value
 * to port. The data offset comes from KVM, so it is bounds-checked. */
static int probe_expect_out(struct probe *p, uint16_t port, uint8_t value)
{
	const struct kvm_run *run = p->run;
	uint8_t data;

	if (ioctl(p->vcpu_fd, KVM_RUN, 0) < 0)
		return probe_fail("KVM_RUN");
	if (run->exit_reason != KVM_EXIT_IO) {
		fprintf(stderr, "kvmprobe: exit reason %u, expected KVM_EXIT_IO\n",
			run->exit_reason);
		return -1;
	}
	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 1 ||
	    run->io.count != 1 || run->io.port != port ||
	    run->io.data_offset >= p->run_bytes) {
		fprintf(stderr, "kvmprobe: unexpected I/O exit: dir %u size %u count %u port 0x%x\n",
			run->io.direction, run->io.size, run->io.count, run->io.port);
		return -1;
	}
	data = ((const uint8_t *)run)[run->io.data_offset];
	printf("kvmprobe: out port=0x%x value=0x%02x\n", port, data);
	if (data != value) {
		fprintf(stderr, "kvmprobe: port 0x%x got 0x%02x, expected 0x%02x\n", port,
			data, value);
		return -1;
	}
	return 0;
}

static int probe_expect_hlt(struct probe *p)
{
	if (ioctl(p->vcpu_fd, KVM_RUN, 0) < 0)
		return probe_fail("KVM_RUN");
	if (p->run->exit_reason != KVM_EXIT_HLT) {
		fprintf(stderr, "kvmprobe: exit reason %u, expected KVM_EXIT_HLT\n",
			p->run->exit_reason);
		return -1;
	}
	printf("kvmprobe: hlt\n");
	return 0;
}

static void probe_close(struct probe *p)
{
	if (p->run)
		munmap(p->run, p->run_bytes);
	if (p->ram)
		munmap(p->ram, PROBE_RAM_BYTES);
	if (p->vcpu_fd >= 0)
		close(p->vcpu_fd);
	if (p->vm_fd >= 0)
		close(p->vm_fd);
	if (p->kvm_fd >= 0)
		close(p->kvm_fd);
}

int main(void)
{
	struct probe p = { .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1 };
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	err = probe_open(&p);
	if (!err)
		err = probe_create(&p);
	if (!err)
		err = probe_set_regs(&p);
	if (!err)
		err = probe_expect_out(&p, 0x10, 0x42);
	if (!err)
		err = probe_expect_out(&p, 0x11, 0x07);
	if (!err)
		err = probe_expect_hlt(&p);
	probe_close(&p);
	printf("kvmprobe: %s\n", err ? "FAIL" : "ok");
	return err ? 1 : 0;
}
