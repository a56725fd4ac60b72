/* The seccomp allowlists, one per thread kind (sandbox.h), and their
 * compilation by libseccomp, which builds the BPF and the architecture
 * checks: no filter is assembled by hand. Each list is made of named
 * groups, each one there for a reason given beside it; a kind is the
 * groups it needs. Compiled when vmboot is built (gen_filters.c), not at
 * each start: vmboot itself only loads the programs. */
#include "sandbox/allowlist.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <linux/vhost.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/* The ioctl request is an unsigned int in the kernel; compare its low 32
 * bits so a request passed sign-extended still matches. */
#define IOCTL_REQUEST_MASK 0xffffffffULL

struct group {
	const char *why; /* for the reader only */
	/* enum vb_sandbox_needs: a program has the group only for a machine
	 * whose devices need all of these (0: every machine). */
	unsigned needs;
	const int *calls;
	size_t n_calls;
	const unsigned long *ioctls;
	size_t n_ioctls;
};

#define CALLS(...) .calls = (const int[]){ __VA_ARGS__ }, \
	.n_calls = sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int)
#define IOCTLS(...) .ioctls = (const unsigned long[]){ __VA_ARGS__ }, \
	.n_ioctls = sizeof((const unsigned long[]){ __VA_ARGS__ }) / sizeof(unsigned long)

/* ---- the groups ---- */

/* What any thread of vmboot does without naming it: libc's malloc, locks,
 * clocks and stdio, and ending the thread or the process. */
static const struct group libc_base = {
	"malloc (brk, mmap, munmap, mremap, mprotect, madvise), pthread locks (futex), "
	"stderr logging (write, fstat), clocks and sleeps, signal masks, thread exit",
	CALLS(SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	      SCMP_SYS(mprotect), SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(rseq),
	      SCMP_SYS(getrandom), SCMP_SYS(sched_yield), SCMP_SYS(clock_gettime),
	      SCMP_SYS(gettimeofday), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	      SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
	      SCMP_SYS(gettid), SCMP_SYS(getpid), SCMP_SYS(read), SCMP_SYS(write),
	      SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(close), SCMP_SYS(fstat),
	      SCMP_SYS(newfstatat), SCMP_SYS(exit), SCMP_SYS(exit_group)),
};

/* A guest's interrupt lines and doorbells, from whichever thread a device
 * runs on: KVM_IRQ_LINE for each interrupt (dev/irq.h), the MSI routes a
 * guest's MSI-X table and capability writes change on a vCPU thread
 * (dev/msix.c, machine/msi.c: KVM_SET_GSI_ROUTING; sending is an eventfd
 * write), and the doorbells the guest enables or resets at any time
 * (machine/ioevent.c: an eventfd, epoll_ctl, KVM_IOEVENTFD). */
static const struct group device_control = {
	"interrupts, MSI routes, doorbells",
	CALLS(SCMP_SYS(eventfd2), SCMP_SYS(epoll_ctl)),
	IOCTLS(KVM_IRQ_LINE, KVM_SET_GSI_ROUTING, KVM_IOEVENTFD),
};

/* A console's output waits for its terminal or pipe to take more
 * (dev/uart.c, dev/term.c), as a NIC's for its backend. */
static const struct group device_wait = {
	"waiting for a console or a backend (poll)",
	CALLS(SCMP_SYS(poll), SCMP_SYS(ppoll)),
};

/* The kernel's datapaths behind a device: vhost's rings set up when the
 * driver is ready (virtio/vhost.c), a tap's offloads as the driver
 * negotiates them, and vhost-net given the tap at DRIVER_OK and taking it
 * back at reset (VHOST_NET_SET_BACKEND, virtio/vhost_net.c; at detach
 * VHOST_RESET_OWNER does that, which main_backends has). */
static const struct group backend_control = {
	"vhost rings, tap offloads",
	VB_SANDBOX_NEEDS_BACKENDS,
	IOCTLS(VHOST_SET_MEM_TABLE, VHOST_SET_VRING_NUM, VHOST_SET_VRING_BASE,
	       VHOST_SET_VRING_ADDR, VHOST_SET_VRING_KICK, VHOST_SET_VRING_CALL,
	       VHOST_SET_FEATURES, VHOST_RESET_OWNER, VHOST_VSOCK_SET_RUNNING,
	       VHOST_NET_SET_BACKEND, TUNSETOFFLOAD),
};

/* Serving a virtqueue: a disk's reads, writes, flushes and discards
 * (virtio/blk_disk.c), frames to a tap or the vmboot-net helper
 * (net/fdio.c, net/backend.c), the console's output. io_uring_enter
 * submits and reaps a disk's requests in flight on its ring
 * (virtio/blk_uring.c), which was made and locked down to the image
 * before any filter went in: never io_uring_setup nor io_uring_register,
 * so no thread can make or widen a ring. */
static const struct group device_io = {
	"disks (pread/pwrite[v], fdatasync, fallocate, io_uring_enter), frames (send/recv)",
	VB_SANDBOX_NEEDS_BACKENDS,
	CALLS(SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(preadv), SCMP_SYS(pwritev),
	      SCMP_SYS(preadv2), SCMP_SYS(pwritev2), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	      SCMP_SYS(fallocate), SCMP_SYS(lseek), SCMP_SYS(io_uring_enter), SCMP_SYS(sendto),
	      SCMP_SYS(recvfrom), SCMP_SYS(sendmsg), SCMP_SYS(recvmsg)),
};

/* The 9P server (ninep/server.c) works on the host's files on the guest's
 * behalf: walks (openat2 with RESOLVE_BENEATH, fstatfs for the mount fence),
 * directory reads, and the changes the security model lets through. */
static const struct group ninep_files = {
	"the 9P server's file operations below its shares",
	VB_SANDBOX_NEEDS_HOST_FILES,
	CALLS(SCMP_SYS(openat), SCMP_SYS(openat2), SCMP_SYS(statx), SCMP_SYS(fstatfs),
	      SCMP_SYS(getdents64), SCMP_SYS(mkdirat), SCMP_SYS(mknodat), SCMP_SYS(unlinkat),
	      SCMP_SYS(renameat), SCMP_SYS(renameat2), SCMP_SYS(linkat), SCMP_SYS(symlinkat),
	      SCMP_SYS(readlinkat), SCMP_SYS(fchmod), SCMP_SYS(fchmodat), SCMP_SYS(utimensat),
	      SCMP_SYS(ftruncate), SCMP_SYS(fcntl), SCMP_SYS(getxattr), SCMP_SYS(lgetxattr),
	      SCMP_SYS(fgetxattr)),
};

/* KVM_RUN itself, and nothing else of the vCPU's fd. */
static const struct group vcpu_run = {
	"the guest runs",
	IOCTLS(KVM_RUN),
};

/* The doorbell thread's wait (machine/ioevent.c). */
static const struct group io_wait = {
	"waiting for doorbells",
	CALLS(SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait)),
};

/* The control socket, which the main thread answers while the guest runs
 * (control/server.h): a client's connection and credentials, its request
 * and the reply, pausing the vCPUs (a kick signal to each, main_teardown's
 * tgkill) and reading their registers while they are held (vmboot debug,
 * main_teardown's KVM_GET_REGS and KVM_GET_SREGS), and rereading the
 * already open /proc/self/statm (vmboot stat). */
static const struct group control_socket = {
	"answering the control socket",
	CALLS(SCMP_SYS(accept4), SCMP_SYS(getsockopt), SCMP_SYS(recvfrom), SCMP_SYS(pread64)),
};

/* A user switch still to come (privs.h): libc runs setresuid and its kin
 * on every thread of the process, this one included. Without
 * CAP_SETUID/CAP_SETGID, which only a thread that confined itself before
 * the switch keeps, they can change nothing. */
static const struct group user_switch = {
	"libc's user switch, broadcast to every thread",
	CALLS(SCMP_SYS(setresuid), SCMP_SYS(setresgid), SCMP_SYS(setgroups), SCMP_SYS(setuid),
	      SCMP_SYS(setgid)),
};

/* The main thread after the build: waits (poll on the signalfd, the
 * wake eventfd and the control socket), kicks vCPU threads, then takes
 * the VM apart in reverse build order: joins threads, deassigns
 * doorbells and memory slots, restores the terminal, unlinks the control
 * socket, drops disk locks, ends the vmboot-net helper and tells a
 * service manager. */
static const struct group main_teardown = {
	"the run loop and the teardown",
	CALLS(SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(tgkill), SCMP_SYS(rt_sigaction),
	      SCMP_SYS(epoll_ctl), SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(flock),
	      SCMP_SYS(fcntl), SCMP_SYS(kill), SCMP_SYS(wait4), SCMP_SYS(socket),
	      SCMP_SYS(connect), SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(shutdown),
	      SCMP_SYS(lseek)),
	IOCTLS(KVM_SET_USER_MEMORY_REGION, KVM_IOEVENTFD, KVM_IRQ_LINE, KVM_GET_REGS,
	       KVM_GET_SREGS, KVM_TRANSLATE, TCGETS, TCSETS, TCSETSW, TCSETSF),
};

/* The teardown of the kernel's datapaths: vhost devices' owners reset,
 * vhost-vsock stopped. */
static const struct group main_backends = {
	"the teardown of vhost devices",
	VB_SANDBOX_NEEDS_BACKENDS,
	IOCTLS(VHOST_RESET_OWNER, VHOST_VSOCK_SET_RUNNING),
};

/* vmboot-net serving frames (netd/main.c, netd/slirp.c): libslirp makes a
 * host socket for each guest connection or UDP flow, and rereads
 * /etc/resolv.conf when it changes (its DNS forwarding). */
static const struct group netd_slirp = {
	"libslirp's host sockets and its resolv.conf",
	CALLS(SCMP_SYS(socket), SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(listen),
	      SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(setsockopt), SCMP_SYS(getsockopt),
	      SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(shutdown),
	      SCMP_SYS(sendto), SCMP_SYS(recvfrom), SCMP_SYS(sendmsg), SCMP_SYS(recvmsg),
	      SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(fcntl), SCMP_SYS(openat),
	      SCMP_SYS(lseek), SCMP_SYS(eventfd2)),
	IOCTLS(FIONREAD, FIONBIO),
};

/* ---- the kinds ---- */

#define MAX_GROUPS 8

struct kind {
	const char *name;
	const struct group *groups[MAX_GROUPS];
	/* SIGTERM to vmboot itself: the console reader's Ctrl-A x, which
	 * the run loop's signalfd takes (machine/console.c). */
	bool may_end_vmboot;
	/* No kernel cache of the calls allowed whatever their arguments
	 * (skip_syscall_cache says why). */
	bool skip_syscall_cache;
};

/* A vCPU thread runs the device handlers of its exits (machine/vcpu.c):
 * without KVM_CAP_IOEVENTFD every queue is served there, so it needs what
 * the machine's devices' I/O needs (the groups with needs), but never a
 * new socket, exec or clone. */
static const struct kind kinds[] = {
	[VB_SANDBOX_MAIN] = { .name = "main",
			      .groups = { &libc_base, &main_teardown, &main_backends,
					  &control_socket },
			      .skip_syscall_cache = true },
	[VB_SANDBOX_VCPU] = { .name = "vcpu",
			      .groups = { &libc_base, &vcpu_run, &device_control, &device_wait,
					  &backend_control, &device_io, &ninep_files },
			      .skip_syscall_cache = true },
	[VB_SANDBOX_IO] = { .name = "io",
			    .groups = { &libc_base, &io_wait, &device_control, &device_wait,
					&backend_control, &device_io, &ninep_files },
			    .may_end_vmboot = true },
	[VB_SANDBOX_NETD] = { .name = "netd", .groups = { &libc_base, &netd_slirp } },
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))
_Static_assert(N_KINDS == VB_SANDBOX_KINDS, "sandbox.h counts the kinds");

const char *vb_allowlist_kind_name(enum vb_sandbox_kind kind)
{
	return (unsigned)kind < N_KINDS ? kinds[kind].name : NULL;
}

/* ---- compiling ---- */

static int add_group(scmp_filter_ctx ctx, const struct group *g)
{
	for (size_t i = 0; i < g->n_calls; i++) {
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, g->calls[i], 0);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < g->n_ioctls; i++) {
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
					 SCMP_A1(SCMP_CMP_MASKED_EQ, IOCTL_REQUEST_MASK,
						 g->ioctls[i] & IOCTL_REQUEST_MASK));
		if (r < 0)
			return r;
	}
	return 0;
}

/* The sanitizers' runtime itself: AddressSanitizer unpoisons the signal
 * stack (sigaltstack) before every call that does not return, such as
 * exit. Only in a sanitizer build. */
static const struct group sanitizer_runtime = {
	"AddressSanitizer's own calls",
	CALLS(SCMP_SYS(sigaltstack)),
};

static int add_self_sigterm(scmp_filter_ctx ctx, pid_t self)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 2,
				SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self, 0),
				SCMP_A1(SCMP_CMP_EQ, SIGTERM, 0));
}

int vb_allowlist_build(enum vb_sandbox_kind kind, const struct vb_allowlist_variant *v,
		       scmp_filter_ctx *out)
{
	*out = NULL;
	if ((unsigned)kind >= N_KINDS)
		return -EINVAL;
	const struct kind *k = &kinds[kind];
	scmp_filter_ctx ctx = seccomp_init(v->debug ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	/* A binary tree of the system call numbers instead of a list: a
	 * pread on the I/O path then costs a few comparisons, not ~80.
	 * libseccomp before 2.5 lacks it and keeps the list. */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	int r = 0;
	for (size_t i = 0; i < MAX_GROUPS && k->groups[i] && !r; i++)
		if ((k->groups[i]->needs & ~v->needs) == 0)
			r = add_group(ctx, k->groups[i]);
	if (!r && v->user_switch_ahead)
		r = add_group(ctx, &user_switch);
	if (!r && v->sanitizer)
		r = add_group(ctx, &sanitizer_runtime);
	if (!r && k->may_end_vmboot)
		r = add_self_sigterm(ctx, v->self_pid);
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	*out = ctx;
	return 0;
}

bool vb_allowlist_ends_vmboot(enum vb_sandbox_kind kind)
{
	return (unsigned)kind < N_KINDS && kinds[kind].may_end_vmboot;
}

bool vb_allowlist_skips_syscall_cache(enum vb_sandbox_kind kind)
{
	return (unsigned)kind < N_KINDS && kinds[kind].skip_syscall_cache;
}

/* As it loads a program, the kernel runs it for every system call number
 * of both x86 ABIs to learn which calls it allows whatever their
 * arguments, and then lets those through without running it again. That
 * walk was a third of a load on a KVM-PVM host (main's 89 us against 62
 * us without it, the vCPU's 80 against 51), and it buys nothing for the
 * vCPU threads, whose one frequent call (ioctl KVM_RUN) is checked by its
 * request number on every call anyway, or for the main thread, which
 * makes few calls after the build. Their programs begin with a load of
 * the instruction pointer: the walk gives up at any load other than the
 * number or the architecture, so the kernel finds at once that it may
 * cache nothing, and the next instruction (libseccomp's load of the
 * architecture) overwrites the accumulator, so the program decides as
 * libseccomp compiled it. The I/O threads and vmboot-net keep the cache:
 * their reads and writes are frequent and allowed whatever their
 * arguments. */
static int skip_syscall_cache(struct sock_filter **insns, size_t *len, size_t max_len)
{
	if (*len + 1 > max_len)
		return -EFBIG;
	struct sock_filter *p = realloc(*insns, (*len + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	memmove(p + 1, p, *len * sizeof(*p));
	p[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					    offsetof(struct seccomp_data, instruction_pointer));
	*insns = p;
	(*len)++;
	return 0;
}

/* libseccomp's export writes to a descriptor: a temporary file. */
int vb_allowlist_compile(enum vb_sandbox_kind kind, const struct vb_allowlist_variant *variant,
			 size_t max_len, struct sock_filter **insns, size_t *len)
{
	*insns = NULL;
	scmp_filter_ctx ctx;
	int r = vb_allowlist_build(kind, variant, &ctx);
	if (r)
		return r;
	FILE *f = tmpfile();
	if (!f) {
		seccomp_release(ctx);
		return -errno;
	}
	r = seccomp_export_bpf(ctx, fileno(f));
	seccomp_release(ctx);
	long size = r ? -1 : lseek(fileno(f), 0, SEEK_END);
	if (!r && (size <= 0 || size % (long)sizeof(struct sock_filter) ||
		   (size_t)size / sizeof(struct sock_filter) > max_len))
		r = -EFBIG;
	if (!r) {
		*len = (size_t)size / sizeof(struct sock_filter);
		*insns = malloc((size_t)size);
		if (!*insns)
			r = -ENOMEM;
		else if (pread(fileno(f), *insns, (size_t)size, 0) != size)
			r = -EIO;
	}
	fclose(f);
	if (!r && vb_allowlist_skips_syscall_cache(kind))
		r = skip_syscall_cache(insns, len, max_len);
	if (r) {
		free(*insns);
		*insns = NULL;
	}
	return r;
}
