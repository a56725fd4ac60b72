/* A minimal VM for the tiny guests (tests/guests/guests.h), built straight
 * from the machine/kvm.h, ram.h and vcpu.h API: 64 MiB RAM, in-kernel
 * irqchip, N vCPUs in real mode at 0x1000:0000, a capture-only COM1 and
 * the i8042 reset port. Test helpers: failures end the test via cmocka. */
#ifndef VB_TESTS_KVM_KVMTEST_H
#define VB_TESTS_KVM_KVMTEST_H

#include <stddef.h>
#include <stdint.h>

#include "machine/kvm.h"
#include "machine/ram.h"
#include "machine/vcpu.h"

#define KVMTEST_MAX_VCPUS 8
#define KVMTEST_OUT_BYTES 4096

struct kvmtest_vm {
	struct vb_kvm kvm;
	struct vb_memmap map;
	struct vb_ram ram;
	struct vb_guest_mem mem;
	unsigned n_vcpus;
	struct vb_kvm_vcpu vcpus[KVMTEST_MAX_VCPUS];
	char out[KVMTEST_OUT_BYTES + 1]; /* COM1 output, NUL-terminated */
	size_t out_bytes;
	unsigned resets;
	/* When set, a guest write to port 0x80 sends SIGINT to this process
	 * (from inside the run, when vb_vcpu_run_all already catches it). */
	bool sigint_on_port80;
};

/* Exits 77 with "SKIP: /dev/kvm not available" when there is no usable
 * /dev/kvm. Call first in main(). */
void kvmtest_require_kvm(void);

/* Builds the VM and loads tests/guests/<guest> at 0x10000 (guest NULL:
 * load nothing, the test writes code there itself). With
 * all_runnable every vCPU starts at the entry; otherwise only vCPU 0. */
void kvmtest_vm_create(struct kvmtest_vm *vm, unsigned n_vcpus, bool all_runnable,
		       const char *guest);

/* Runs until the guest resets; fails the test on any other outcome. */
void kvmtest_vm_run(struct kvmtest_vm *vm);

/* The hang guard around vb_vcpu_run_all, for tests that check the
 * result themselves. */
int kvmtest_vm_run_raw(struct kvmtest_vm *vm, struct vb_run_result *res,
		       struct vb_err *err);

void kvmtest_vm_destroy(struct kvmtest_vm *vm);

#endif
