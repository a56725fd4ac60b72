#include "kvmtest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "arch/x86/boot.h"
#include "../guests/guests.h"

/* 16550 registers at COM1 + n (16550 datasheet): THR on write at +0, LSR
 * at +5 with THRE (bit 5) and TEMT (bit 6) meaning "send another byte". */
#define COM1_LSR (VB_TEST_COM1_PORT + 5)
#define LSR_READY 0x60

/* Hang guard: a broken guest must not hang make check. Not a timing
 * assertion: the limit is far above any run and only turns a hang into a
 * failure. */
#define HANG_GUARD_SECONDS 300

void kvmtest_require_kvm(void)
{
	int fd = open(VB_KVM_DEFAULT_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("SKIP: /dev/kvm not available (%s)\n", strerror(errno));
		exit(77);
	}
	close(fd);
}

static int pio(void *ctx, uint16_t port, bool is_write, uint8_t *data, uint8_t size,
	       struct vb_err *err)
{
	(void)err;
	struct kvmtest_vm *vm = ctx;
	if (port == VB_TEST_COM1_PORT && is_write) {
		if (vm->out_bytes < KVMTEST_OUT_BYTES)
			vm->out[vm->out_bytes++] = (char)data[0];
		return 0;
	}
	if (port == COM1_LSR && !is_write) {
		memset(data, 0, size);
		data[0] = LSR_READY;
		return 0;
	}
	if (port == VB_TEST_RESET_PORT && is_write && data[0] == VB_TEST_RESET_CMD) {
		vm->resets++;
		return VB_EXIT_STOP;
	}
	if (port == 0x80 && is_write && vm->sigint_on_port80) {
		/* Once: handlers run under the run loop's lock. */
		vm->sigint_on_port80 = false;
		kill(getpid(), SIGINT);
		return 0;
	}
	if (!is_write)
		memset(data, 0xff, size);
	return 0;
}

static void guest_path(const char *guest, char *buf, size_t size)
{
	const char *dir = getenv("VB_GUEST_DIR");
	const char *build = getenv("VB_BUILDDIR");
	if (dir)
		snprintf(buf, size, "%s/%s", dir, guest);
	else if (build)
		snprintf(buf, size, "%s/tests/guests/%s", build, guest);
	else
		snprintf(buf, size, "%s", guest); /* the nested harness: cwd */
	if (access(buf, R_OK) != 0 && !dir && build)
		snprintf(buf, size, "%s", guest);
}

static void load_guest(struct kvmtest_vm *vm, const char *guest)
{
	char path[PATH_MAX];
	guest_path(guest, path, sizeof(path));
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	/* Up to the EBDA is free for a flat binary (arch/x86/layout.h). */
	uint64_t room = 0x9fc00 - VB_TEST_GUEST_LOAD_GPA;
	uint8_t *dst = vb_gmem_ptr(&vm->mem, VB_TEST_GUEST_LOAD_GPA, room);
	assert_non_null(dst);
	size_t n = fread(dst, 1, room, f);
	fclose(f);
	if (n == 0)
		fail_msg("%s: empty", path);
}

static void real_mode_regs(struct vb_x86_boot_regs *r)
{
	/* What a flat boot gets (arch/x86/boot.h): CS = DS = ES = FS = GS =
	 * 0x1000, SS:SP = 0:0xFFF0, CR0.ET set, TR as at reset. */
	memset(r, 0, sizeof(*r));
	r->mode = VB_X86_MODE_REAL;
	r->rip = 0;
	r->rsp = 0xfff0;
	r->rflags = 0x2;
	r->cr0 = 0x10;
	struct vb_x86_segment data = {
		.base = (uint64_t)VB_TEST_GUEST_SEGMENT << 4, .limit = 0xffff,
		.selector = VB_TEST_GUEST_SEGMENT, .type = 0x3, .present = 1, .s = 1,
	};
	r->cs = data;
	r->cs.type = 0xb;
	r->ds = r->es = r->fs = r->gs = data;
	r->ss = data;
	r->ss.base = 0;
	r->ss.selector = 0;
	r->tr = (struct vb_x86_segment){ .limit = 0xffff, .type = 0xb, .present = 1 };
	r->gdt.limit = 0xffff;
}

/* The supported CPUID with this vCPU's APIC id in leaf 1 EBX[31:24] and
 * leaf 0xB EDX (SDM Vol. 2A CPUID), which smp.bin reads. */
static void set_cpuid(struct kvmtest_vm *vm, const struct kvm_cpuid2 *sup, unsigned i)
{
	size_t bytes = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
	struct kvm_cpuid2 *c = malloc(bytes);
	assert_non_null(c);
	memcpy(c, sup, bytes);
	for (uint32_t k = 0; k < c->nent; k++) {
		struct kvm_cpuid_entry2 *e = &c->entries[k];
		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffffu) | (i << 24);
		if (e->function == 0xb)
			e->edx = i;
	}
	struct vb_err err;
	if (vb_kvm_vcpu_set_cpuid(&vm->vcpus[i], c, &err) < 0)
		fail_msg("%s", err.msg);
	free(c);
}

void kvmtest_vm_create(struct kvmtest_vm *vm, unsigned n_vcpus, bool all_runnable,
		       const char *guest)
{
	memset(vm, 0, sizeof(*vm));
	assert_true(n_vcpus >= 1 && n_vcpus <= KVMTEST_MAX_VCPUS);
	vm->n_vcpus = n_vcpus;
	for (unsigned i = 0; i < KVMTEST_MAX_VCPUS; i++)
		vm->vcpus[i].fd = -1;
	struct vb_err err;
	if (vb_kvm_open(&vm->kvm, NULL, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	if (vb_kvm_check_vcpus(&vm->kvm, n_vcpus, &err) < 0)
		fail_msg("%s", err.msg);
	if (vb_kvm_create_vm(&vm->kvm, &err) < 0)
		fail_msg("%s", err.msg);
	vb_memmap_compute(64ULL << 20, &vm->map);
	if (vb_ram_map(&vm->ram, &vm->map, VB_RAM_SMALL_PAGES, &err) < 0)
		fail_msg("%s", err.msg);
	vm->mem = vb_ram_view(&vm->ram, &vm->map);
	if (vb_kvm_set_memory(&vm->kvm, &vm->map, vm->ram.host_base, &err) < 0)
		fail_msg("%s", err.msg);
	if (vb_kvm_create_irqchip(&vm->kvm, &err) < 0)
		fail_msg("%s", err.msg);
	if (guest)
		load_guest(vm, guest);

	struct kvm_cpuid2 *sup = NULL;
	if (vb_kvm_get_supported_cpuid(&vm->kvm, &sup, &err) < 0)
		fail_msg("%s", err.msg);
	struct vb_x86_boot_regs regs;
	real_mode_regs(&regs);
	for (unsigned i = 0; i < n_vcpus; i++) {
		if (vb_kvm_vcpu_create(&vm->kvm, i, &vm->vcpus[i], &err) < 0)
			fail_msg("%s", err.msg);
		set_cpuid(vm, sup, i);
		if (vb_kvm_vcpu_set_regs(&vm->vcpus[i], &regs, &err) < 0)
			fail_msg("%s", err.msg);
		if (vb_kvm_vcpu_set_runnable(&vm->vcpus[i], i == 0 || all_runnable, &err) < 0)
			fail_msg("%s", err.msg);
	}
	free(sup);
}

static void *hang_guard(void *arg)
{
	struct pollfd p = { .fd = *(int *)arg, .events = POLLIN };
	if (poll(&p, 1, HANG_GUARD_SECONDS * 1000) != 0)
		return NULL; /* the run ended (or poll failed: no guard) */
	fprintf(stderr, "hang guard: no reset after %d s, sending SIGTERM\n",
		HANG_GUARD_SECONDS);
	kill(getpid(), SIGTERM);
	return NULL;
}

int kvmtest_vm_run_raw(struct kvmtest_vm *vm, struct vb_run_result *res,
		       struct vb_err *err)
{
	struct vb_exit_handlers h = {
		.ctx = vm, .pio = pio, .host_is_pvm = vm->kvm.is_pvm,
	};
	pthread_t guard;
	/* The guard starts before run_all blocks SIGINT/SIGTERM, so it must
	 * block every signal itself, or a process-directed SIGINT/SIGTERM
	 * would land on it and kill the process (vcpu.h). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int done[2];
	assert_int_equal(pipe2(done, O_CLOEXEC), 0);
	assert_int_equal(pthread_create(&guard, NULL, hang_guard, &done[0]), 0);
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	int r = vb_vcpu_run_all(vm->vcpus, vm->n_vcpus, &h, res, err);
	close(done[1]); /* wakes the guard with POLLHUP */
	pthread_join(guard, NULL);
	close(done[0]);
	return r;
}

void kvmtest_vm_run(struct kvmtest_vm *vm)
{
	struct vb_run_result res;
	struct vb_err err = { { 0 } };
	int r = kvmtest_vm_run_raw(vm, &res, &err);
	printf("guest output:\n%s\n-- end (%s)\n", vm->out, r < 0 ? err.msg : res.why.msg);
	if (r < 0)
		fail_msg("run: %s", err.msg);
	assert_int_equal(res.action, VB_VCPU_STOP);
	assert_int_equal(res.signal, 0);
	assert_int_equal(vm->resets, 1);
}

void kvmtest_vm_destroy(struct kvmtest_vm *vm)
{
	for (unsigned i = 0; i < vm->n_vcpus; i++)
		vb_kvm_vcpu_destroy(&vm->vcpus[i]);
	vb_kvm_close(&vm->kvm);
	vb_ram_unmap(&vm->ram);
}
