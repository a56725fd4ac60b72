/* A VM on its control socket (vmctl.h). */
#include "control/vmctl.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <unistd.h>

#include "control/sockdir.h"
#include "machine/vcpu.h"
#include "virtio/balloon.h"

/* ---- answered whatever the state ---- */

static int vmctl_info(void *ctx, struct vb_ctl_reply *r, struct vb_err *err)
{
	struct vb_vmctl *c = ctx;
	struct vb_vm_info info;
	(void)err;
	vb_vm_get_info(c->vm, &info);
	vb_ctl_reply_add(r, "name", "%s", info.name);
	vb_ctl_reply_add(r, "pid", "%ld", (long)getpid());
	vb_ctl_reply_add(r, "state", "%s", vb_vm_state_name(info.state));
	vb_ctl_reply_add(r, "cpus", "%u", info.cpus);
	vb_ctl_reply_add(r, "memory_bytes", "%llu", (unsigned long long)info.ram_bytes);
	vb_ctl_reply_add(r, "uptime_s", "%lld", info.uptime_s);
	if (info.console)
		vb_ctl_reply_add(r, "console", "%s", info.console);
	return 0;
}

/* Starting: the build ends; running: the guest is asked to power off (or
 * torn down with force); stopping: nothing left to do. */
static int vmctl_stop(void *ctx, bool force, struct vb_err *err)
{
	struct vb_vmctl *c = ctx;
	return vb_vm_stop(c->vm, force, err);
}

/* ---- while starting or stopping: the rest waits for the VM's parts ---- */

static int refuse(struct vb_vmctl *c, struct vb_err *err)
{
	struct vb_vm_info info;
	vb_vm_get_info(c->vm, &info);
	return vb_err_set(err, EAGAIN, "%s is %s", info.name,
			  info.state == VB_VM_STOPPING ? "stopping" : "starting");
}

static int refuse_plain(void *ctx, struct vb_err *err)
{
	return refuse(ctx, err);
}

static int refuse_reply(void *ctx, struct vb_ctl_reply *r, struct vb_err *err)
{
	(void)r;
	return refuse(ctx, err);
}

static int refuse_balloon(void *ctx, bool deflate, uint64_t bytes, struct vb_ctl_reply *r,
			  struct vb_err *err)
{
	(void)deflate;
	(void)bytes;
	(void)r;
	return refuse(ctx, err);
}

/* ---- once running ---- */

static int vmctl_pause(void *ctx, struct vb_err *err)
{
	struct vb_vmctl *c = ctx;
	return vb_vm_pause(c->vm, err);
}

static int vmctl_resume(void *ctx, struct vb_err *err)
{
	struct vb_vmctl *c = ctx;
	(void)err;
	vb_vm_resume(c->vm);
	return 0;
}

static void add_segment(struct vb_ctl_reply *r, unsigned i, const char *name,
			const struct kvm_segment *s)
{
	char key[32];
	snprintf(key, sizeof(key), "vcpu%u.%s", i, name);
	vb_ctl_reply_add(r, key, "selector 0x%04x base 0x%llx limit 0x%x type %u dpl %u db %u l %u",
			 s->selector, (unsigned long long)s->base, s->limit, s->type, s->dpl, s->db,
			 s->l);
}

/* One vCPU's registers into the reply (ctx): "vcpuN.rip 0x...". */
static void add_regs(void *ctx, unsigned i, const struct kvm_regs *g, const struct kvm_sregs *s)
{
	struct vb_ctl_reply *r = ctx;
	const struct { const char *name; unsigned long long v; } v[] = {
		{ "rip", g->rip }, { "rflags", g->rflags }, { "rax", g->rax }, { "rbx", g->rbx },
		{ "rcx", g->rcx }, { "rdx", g->rdx }, { "rsi", g->rsi }, { "rdi", g->rdi },
		{ "rsp", g->rsp }, { "rbp", g->rbp }, { "r8", g->r8 }, { "r9", g->r9 },
		{ "r10", g->r10 }, { "r11", g->r11 }, { "r12", g->r12 }, { "r13", g->r13 },
		{ "r14", g->r14 }, { "r15", g->r15 }, { "cr0", s->cr0 }, { "cr2", s->cr2 },
		{ "cr3", s->cr3 }, { "cr4", s->cr4 }, { "efer", s->efer }, { "apic_base", s->apic_base },
	};
	char key[32];
	for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		snprintf(key, sizeof(key), "vcpu%u.%s", i, v[k].name);
		vb_ctl_reply_add(r, key, "0x%016llx", v[k].v);
	}
	add_segment(r, i, "cs", &s->cs);
	add_segment(r, i, "ss", &s->ss);
	add_segment(r, i, "ds", &s->ds);
}

static int vmctl_debug(void *ctx, struct vb_ctl_reply *r, struct vb_err *err)
{
	struct vb_vmctl *c = ctx;
	return vb_vm_read_registers(c->vm, add_regs, r, err);
}

static void add_balloon_stats(struct vb_vmctl *c, struct vb_ctl_reply *r)
{
	struct vb_balloon_stats st;
	if (vb_vm_balloon_stats(c->vm, &st)) {
		vb_ctl_reply_add(r, "balloon", "none");
		return;
	}
	const uint64_t page = VB_VIRTIO_BALLOON_PAGE_BYTES;
	vb_ctl_reply_add(r, "balloon", "%s", st.driver_ok ? "active" : "waiting for the guest driver");
	vb_ctl_reply_add(r, "balloon_target_bytes", "%llu", (unsigned long long)(st.target_pages * page));
	vb_ctl_reply_add(r, "balloon_actual_bytes", "%llu", (unsigned long long)(st.actual_pages * page));
	vb_ctl_reply_add(r, "balloon_inflated_bytes", "%llu", (unsigned long long)(st.inflated_pages * page));
	vb_ctl_reply_add(r, "balloon_deflated_bytes", "%llu", (unsigned long long)(st.deflated_pages * page));
	vb_ctl_reply_add(r, "balloon_bad_pfns", "%llu", (unsigned long long)st.bad_pfns);
	vb_ctl_reply_add(r, "balloon_stats_updates", "%llu", (unsigned long long)st.stats_updates);
	for (unsigned t = 0; t < VB_BALLOON_S_COUNT; t++) {
		char key[64];
		if (!(st.valid & (1u << t)))
			continue;
		snprintf(key, sizeof(key), "guest.%s", vb_virtio_balloon_stat_name(t));
		vb_ctl_reply_add(r, key, "%llu", (unsigned long long)st.value[t]);
	}
}

static int vmctl_stat(void *ctx, struct vb_ctl_reply *r, struct vb_err *err)
{
	struct vb_vmctl *c = ctx;
	struct vb_vm_info info;
	(void)err;
	vb_vm_get_info(c->vm, &info);
	vb_ctl_reply_add(r, "memory_bytes", "%llu", (unsigned long long)info.ram_bytes);
	/* /proc/self/statm: size resident shared ... in pages (proc(5)). */
	char text[128];
	ssize_t got = c->statm_fd >= 0 ? pread(c->statm_fd, text, sizeof(text) - 1, 0) : -1;
	unsigned long long size = 0, resident = 0;
	if (got > 0) {
		text[got] = '\0';
		if (sscanf(text, "%llu %llu", &size, &resident) == 2) {
			unsigned long long page = (unsigned long long)sysconf(_SC_PAGESIZE);
			vb_ctl_reply_add(r, "host_rss_bytes", "%llu", resident * page);
		}
	}
	add_balloon_stats(c, r);
	return 0;
}

static int vmctl_balloon(void *ctx, bool deflate, uint64_t bytes, struct vb_ctl_reply *r,
			 struct vb_err *err)
{
	struct vb_vmctl *c = ctx;
	uint64_t target_bytes;
	bool driver_ok;
	int rc = vb_vm_balloon_change(c->vm, deflate, bytes, &target_bytes, &driver_ok, err);
	if (rc)
		return rc;
	vb_ctl_reply_add(r, "balloon_target_bytes", "%llu", (unsigned long long)target_bytes);
	if (!driver_ok)
		vb_ctl_reply_add(r, "balloon_note", "the guest driver is not up yet");
	return 0;
}

static int vmctl_console(void *ctx, struct vb_ctl_reply *r, struct vb_err *err)
{
	struct vb_vmctl *c = ctx;
	const char *path;
	uint64_t overflows;
	if (!vb_vm_console_pty(c->vm, &path, &overflows)) {
		struct vb_vm_info info;
		vb_vm_get_info(c->vm, &info);
		return vb_err_set(err, ENODEV, "the console of %s is %s, not a pty (start it with --tty)",
				  info.name, info.console ? info.console : "none");
	}
	vb_ctl_reply_add(r, "path", "%s", path);
	vb_ctl_reply_add(r, "overflows", "%llu", (unsigned long long)overflows);
	return 0;
}

/* What the socket answers: info and stop always, the rest once the VM
 * runs (while it starts or stops they would use parts not there). */
static struct vb_ctl_ops ops_for(struct vb_vmctl *c, bool running)
{
	return (struct vb_ctl_ops){
		.ctx = c,
		.info = vmctl_info,
		.stop = vmctl_stop,
		.pause = running ? vmctl_pause : refuse_plain,
		.resume = running ? vmctl_resume : refuse_plain,
		.debug = running ? vmctl_debug : refuse_reply,
		.stat = running ? vmctl_stat : refuse_reply,
		.balloon = running ? vmctl_balloon : refuse_balloon,
		.console = running ? vmctl_console : refuse_reply,
	};
}

/* ---- the publisher's hooks ---- */

static int publish_claim(void *ctx, struct vb_vm *vm, const char *name, struct vb_err *err)
{
	struct vb_vmctl *c = ctx;
	char dir[VB_CTL_PATH_MAX];
	c->vm = vm;
	c->statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	int rc = vb_ctl_dir(dir, sizeof(dir), err);
	if (!rc)
		rc = vb_ctl_server_open(dir, name, &c->server, err);
	const struct vb_ctl_ops ops = ops_for(c, false);
	if (!rc)
		rc = vb_ctl_server_start(c->server, &ops, c->stop_timeout_s, err);
	return rc;
}

static int serve_timeout_ms(void *ctx)
{
	struct vb_vmctl *c = ctx;
	return vb_ctl_server_timeout_ms(c->server);
}

static void serve(void *ctx, bool readable, int cancel_a, int cancel_b)
{
	struct vb_vmctl *c = ctx;
	vb_ctl_server_serve(c->server, readable, cancel_a, cancel_b);
}

/* The server's thread loaded no filter: the thread waiting for the run
 * answers instead, under its own. */
static void publish_running(void *ctx, struct vb_run_service *service)
{
	struct vb_vmctl *c = ctx;
	const struct vb_ctl_ops ops = ops_for(c, true);
	vb_ctl_server_set_ops(c->server, &ops);
	vb_ctl_server_stop(c->server);
	*service = (struct vb_run_service){
		.ctx = c,
		.fd = vb_ctl_server_fd(c->server),
		.timeout_ms = serve_timeout_ms,
		.serve = serve,
	};
}

static void publish_stopping(void *ctx)
{
	struct vb_vmctl *c = ctx;
	const struct vb_ctl_ops ops = ops_for(c, false);
	vb_ctl_server_set_ops(c->server, &ops);
}

static void publish_release(void *ctx)
{
	struct vb_vmctl *c = ctx;
	vb_ctl_server_close(c->server);
	c->server = NULL;
	c->vm = NULL;
	if (c->statm_fd >= 0)
		close(c->statm_fd);
	c->statm_fd = -1;
}

struct vb_vm_publisher vb_vmctl_publisher(struct vb_vmctl *vmctl)
{
	return (struct vb_vm_publisher){
		.ctx = vmctl,
		.claim = publish_claim,
		.running = publish_running,
		.stopping = publish_stopping,
		.release = publish_release,
	};
}
