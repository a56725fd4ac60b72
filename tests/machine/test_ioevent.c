/* The I/O event service (machine/ioevent.h) with plain eventfds, no KVM:
 * the kernel's binding is a recording fake, and the tests signal the
 * eventfds the way KVM would on a matching guest write. Then both virtio
 * transports on top of it: which doorbells they register, a request
 * served through a doorbell, a stale doorbell after a reset, and the exit
 * path still working beside it. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../virtio/driver.h"
#include "machine/ioevent.h"
#include "virtio/virtq.h"

#define QUEUE_GPA 0x10000ULL
#define BUF_GPA 0x40000ULL
#define MMIO_BASE VB_GAP_START_BYTES
#define MMIO_GSI 16u
/* virtio-mmio QueueNotify (virtio 1.x 4.2.2). */
#define MMIO_QUEUE_NOTIFY 0x50u
/* A guard against a hang if a callback never comes; not a timing check:
 * a working service calls back within microseconds. */
#define HANG_GUARD_S 60

#define MAX_CALLS 256

struct call {
	int fd;
	struct vb_doorbell db;
	bool assign;
};

/* The fake kernel side, and what the callbacks saw. */
struct rec {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct call calls[MAX_CALLS];
	unsigned n_calls;
	int fail_with; /* assign returns this when non-zero */
	unsigned fired[8];
	void *last_opaque;
};

static int fake_assign(void *ctx, int fd, const struct vb_doorbell *db, bool assign,
		       struct vb_err *err)
{
	struct rec *r = ctx;
	if (assign && r->fail_with)
		return vb_err_set(err, r->fail_with, "fake KVM_IOEVENTFD refused");
	if (r->n_calls < MAX_CALLS)
		r->calls[r->n_calls++] = (struct call){ fd, *db, assign };
	return 0;
}

static void on_doorbell(void *opaque, unsigned queue)
{
	struct rec *r = opaque;
	pthread_mutex_lock(&r->lock);
	if (queue < 8)
		r->fired[queue]++;
	r->last_opaque = opaque;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
}

static void rec_fini(struct rec *r)
{
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
}

static void ring(int fd)
{
	uint64_t one = 1;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, &one, sizeof(one)), (ssize_t)sizeof(one));
}

/* Waits until queue q has fired at least n times. */
static unsigned wait_fired(struct rec *r, unsigned q, unsigned n)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += HANG_GUARD_S;
	pthread_mutex_lock(&r->lock);
	int e = 0;
	while (r->fired[q] < n && e == 0)
		e = pthread_cond_timedwait(&r->cond, &r->lock, &deadline);
	unsigned got = r->fired[q];
	pthread_mutex_unlock(&r->lock);
	return got;
}

static const struct call *find_call(const struct rec *r, int fd, bool assign)
{
	for (unsigned i = 0; i < r->n_calls; i++)
		if (r->calls[i].fd == fd && r->calls[i].assign == assign)
			return &r->calls[i];
	return NULL;
}

/* A fresh service whose kernel side r records. */
static struct vb_ioevent *new_service(struct rec *r)
{
	rec_init(r);
	struct vb_ioevent *s;
	struct vb_err err;
	assert_int_equal(vb_ioevent_create(&s, fake_assign, r, &err), 0);
	return s;
}

static void test_thread_dispatch_remove_stop(void **state)
{
	(void)state;
	struct rec r;
	struct vb_err err;
	struct vb_ioevent *s = new_service(&r);
	struct vb_doorbell a = { .gpa = 0xd0000050, .len = 4, .match = true, .datamatch = 1 };
	struct vb_doorbell b = { .gpa = 0xd0003000, .len = 2 };
	int ida, idb;
	assert_int_equal(vb_ioevent_add(s, &a, on_doorbell, &r, 1, &ida, &err), 0);
	assert_int_equal(vb_ioevent_add(s, &b, on_doorbell, &r, 2, &idb, &err), 0);
	assert_int_equal(vb_ioevent_count(s), 2);
	int fda = vb_ioevent_fd(s, ida), fdb = vb_ioevent_fd(s, idb);
	assert_true(fda >= 0 && fdb >= 0 && fda != fdb);
	/* Bound with exactly what was asked. */
	const struct call *c = find_call(&r, fda, true);
	assert_non_null(c);
	assert_int_equal(c->db.gpa, 0xd0000050);
	assert_int_equal(c->db.len, 4);
	assert_true(c->db.match);
	assert_int_equal(c->db.datamatch, 1);

	assert_int_equal(vb_ioevent_start(s, NULL, &err), 0);
	ring(fda);
	assert_int_equal(wait_fired(&r, 1, 1), 1);
	assert_ptr_equal(r.last_opaque, &r);
	ring(fdb);
	assert_true(wait_fired(&r, 2, 1) >= 1);

	/* Remove: unbound with the same doorbell, fd gone, count down; and
	 * its callback is never called again. */
	vb_ioevent_remove(s, ida);
	c = find_call(&r, fda, false);
	assert_non_null(c);
	assert_int_equal(c->db.gpa, 0xd0000050);
	assert_int_equal(c->db.datamatch, 1);
	assert_int_equal(vb_ioevent_fd(s, ida), -1);
	assert_int_equal(vb_ioevent_count(s), 1);
	vb_ioevent_remove(s, ida); /* twice: ignored */
	assert_int_equal(vb_ioevent_count(s), 1);

	/* Added while the thread runs: watched at once. */
	int idc;
	struct vb_doorbell cdb = { .gpa = 0xd0003004, .len = 2 };
	assert_int_equal(vb_ioevent_add(s, &cdb, on_doorbell, &r, 3, &idc, &err), 0);
	ring(vb_ioevent_fd(s, idc));
	assert_true(wait_fired(&r, 3, 1) >= 1);

	/* Stop joins the thread and unbinds what is left. */
	vb_ioevent_stop(s);
	assert_int_equal(vb_ioevent_count(s), 0);
	assert_non_null(find_call(&r, fdb, false));
	assert_int_equal(vb_ioevent_fd(s, idb), -1);
	vb_ioevent_remove(s, idb); /* after stop: a no-op */
	int idd;
	assert_int_equal(vb_ioevent_add(s, &a, on_doorbell, &r, 1, &idd, &err), -ESHUTDOWN);
	assert_int_equal(r.fired[1], 1);
	vb_ioevent_destroy(s);
	/* Stop closed the eventfds (nothing opened since could reuse them). */
	assert_int_equal(fcntl(fda, F_GETFD), -1);
	assert_int_equal(fcntl(fdb, F_GETFD), -1);
	rec_fini(&r);
}

static void test_poll_coalesces(void **state)
{
	(void)state;
	struct rec r;
	rec_init(&r);
	struct vb_ioevent *s;
	struct vb_err err;
	assert_int_equal(vb_ioevent_create(&s, NULL, NULL, &err), 0);
	struct vb_doorbell db = { .gpa = 0x1000, .len = 2 };
	int id;
	assert_int_equal(vb_ioevent_add(s, &db, on_doorbell, &r, 0, &id, &err), 0);
	assert_int_equal(vb_ioevent_poll(s, 0), 0);
	int fd = vb_ioevent_fd(s, id);
	ring(fd);
	ring(fd);
	ring(fd);
	/* Three writes before the dispatch are one call. */
	assert_int_equal(vb_ioevent_poll(s, 0), 1);
	assert_int_equal(r.fired[0], 1);
	assert_int_equal(vb_ioevent_poll(s, 0), 0);
	assert_int_equal(r.fired[0], 1);
	assert_int_equal(vb_ioevent_calls(s), 1);
	/* A signal pending at remove is dropped with the doorbell. */
	ring(fd);
	vb_ioevent_remove(s, id);
	assert_int_equal(vb_ioevent_poll(s, 0), 0);
	assert_int_equal(r.fired[0], 1);
	vb_ioevent_destroy(s);
	rec_fini(&r);
}

static void test_refusals(void **state)
{
	(void)state;
	struct rec r;
	struct vb_err err;
	struct vb_ioevent *s = new_service(&r);
	int id = -1;
	struct vb_doorbell bad = { .gpa = 0x1000, .len = 3 };
	assert_int_equal(vb_ioevent_add(s, &bad, on_doorbell, &r, 0, &id, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "0x1000"));
	struct vb_doorbell db = { .gpa = 0x2000, .len = 2 };
	assert_int_equal(vb_ioevent_add(s, &db, NULL, &r, 0, &id, &err), -EINVAL);

	/* The kernel refuses: nothing stays registered. */
	r.fail_with = EEXIST;
	assert_int_equal(vb_ioevent_add(s, &db, on_doorbell, &r, 0, &id, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "refused"));
	assert_int_equal(vb_ioevent_count(s), 0);
	assert_int_equal(id, -1);
	r.fail_with = 0;

	/* Capacity. */
	int ids[VB_IOEVENT_MAX];
	for (unsigned i = 0; i < VB_IOEVENT_MAX; i++) {
		db.gpa = 0x3000 + 4 * i;
		assert_int_equal(vb_ioevent_add(s, &db, on_doorbell, &r, 0, &ids[i], &err), 0);
	}
	assert_int_equal(vb_ioevent_add(s, &db, on_doorbell, &r, 0, &id, &err), -ENOSPC);
	assert_int_equal(vb_ioevent_count(s), VB_IOEVENT_MAX);
	/* A freed slot is reused. */
	vb_ioevent_remove(s, ids[5]);
	assert_int_equal(vb_ioevent_add(s, &db, on_doorbell, &r, 0, &id, &err), 0);
	/* Bad ids are ignored. */
	vb_ioevent_remove(s, -1);
	vb_ioevent_remove(s, (int)VB_IOEVENT_MAX);
	assert_int_equal(vb_ioevent_count(s), VB_IOEVENT_MAX);
	/* Destroy without start: stop has no thread to join and unbinds all. */
	vb_ioevent_destroy(s);
	unsigned unbound = 0;
	for (unsigned i = 0; i < r.n_calls; i++)
		unbound += !r.calls[i].assign;
	assert_int_equal(unbound, VB_IOEVENT_MAX + 1);
	rec_fini(&r);
}

static unsigned thread_count(void)
{
	char buf[4096];
	int fd = open("/proc/self/stat", O_RDONLY);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	/* Field 20, num_threads; the name (field 2) ends at the last ')'. */
	char *p = strrchr(buf, ')');
	assert_non_null(p);
	unsigned field = 2;
	while (field < 20 && (p = strchr(p + 1, ' ')))
		field++;
	assert_non_null(p);
	return (unsigned)strtoul(p + 1, NULL, 10);
}

/* A machine without doorbells gets no thread: nothing would wake it. */
static void test_start_with_nothing_registered(void **state)
{
	(void)state;
	struct rec r;
	struct vb_err err;
	struct vb_ioevent *s = new_service(&r);
	unsigned before = thread_count();
	assert_int_equal(vb_ioevent_start(s, NULL, &err), 0);
	assert_int_equal(thread_count(), before);
	/* Nobody would watch it: refused, nothing bound. */
	struct vb_doorbell db = { .gpa = 0x2000, .len = 2 };
	int id = -1;
	assert_int_equal(vb_ioevent_add(s, &db, on_doorbell, &r, 0, &id, &err), -ESHUTDOWN);
	assert_int_equal(id, -1);
	assert_int_equal(vb_ioevent_count(s), 0);
	assert_int_equal(r.n_calls, 0);
	vb_ioevent_destroy(s);
	rec_fini(&r);
}

/* An event (no doorbell) is watched but never bound; a taken doorbell
 * stays bound but is no longer watched: what the vhost backend uses for
 * its call and kick eventfds (virtio/vhost.h). */
static void test_events_and_take(void **state)
{
	(void)state;
	struct rec r;
	struct vb_err err;
	struct vb_ioevent *s = new_service(&r);
	int ev;
	assert_int_equal(vb_ioevent_add(s, NULL, on_doorbell, &r, 3, &ev, &err), 0);
	assert_int_equal(r.n_calls, 0); /* nothing bound */
	int evfd = vb_ioevent_fd(s, ev);
	ring(evfd);
	assert_int_equal(vb_ioevent_poll(s, 0), 1);
	assert_int_equal(r.fired[3], 1);
	/* An event needs a callback like any doorbell, and names its queue. */
	int bad = -1;
	assert_int_equal(vb_ioevent_add(s, NULL, NULL, &r, 4, &bad, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "event for queue 4"));

	struct vb_doorbell db = { .gpa = 0xd0000050, .len = 4, .match = true, .datamatch = 1 };
	int id;
	assert_int_equal(vb_ioevent_add(s, &db, on_doorbell, &r, 1, &id, &err), 0);
	int fd = vb_ioevent_fd(s, id);
	assert_int_equal(vb_ioevent_take(s, id), fd);
	assert_int_equal(vb_ioevent_take(s, id), fd); /* twice: the same */
	assert_int_equal(vb_ioevent_take(s, -1), -1);
	ring(fd);
	assert_int_equal(vb_ioevent_poll(s, 0), 0);
	assert_int_equal(r.fired[1], 0);
	/* The signal is still there for whoever took it. */
	uint64_t count = 0;
	assert_int_equal(read(fd, &count, sizeof(count)), (ssize_t)sizeof(count));
	assert_int_equal(count, 1);
	/* The env's hook is the same pair. */
	struct vb_dev_env env = { 0 };
	vb_ioevent_plug(s, &env);
	assert_int_equal(env.doorbell_fd(env.doorbell_ctx, ev, false), evfd);
	assert_int_equal(env.doorbell_fd(env.doorbell_ctx, id, true), fd);

	/* Removing the taken doorbell unbinds and closes it; the event has
	 * nothing to unbind. */
	vb_ioevent_remove(s, id);
	assert_non_null(find_call(&r, fd, false));
	vb_ioevent_remove(s, ev);
	assert_null(find_call(&r, evfd, false));
	assert_int_equal(vb_ioevent_count(s), 0);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(fcntl(evfd, F_GETFD), -1);
	vb_ioevent_destroy(s);
	rec_fini(&r);
}

/* ---- the virtio transports on the service ---- */

struct dev_fixture {
	struct vt_env env;
	struct vt_drv drv;
	struct rec rec;
	struct vb_ioevent *svc;
	bool pci;
};

static int dev_setup(void **state, bool pci)
{
	struct dev_fixture *f = VT_FIXTURE_NEW(struct dev_fixture);
	if (!f)
		return -1;
	f->pci = pci;
	rec_init(&f->rec);
	struct vb_err err;
	if (vb_ioevent_create(&f->svc, fake_assign, &f->rec, &err) < 0) {
		print_message("ioevent: %s\n", err.msg);
		return -1;
	}
	vb_ioevent_plug(f->svc, &f->env.env);
	struct vb_virtio_placement p = {
		.name = "rng0", .transport = pci ? VB_VIRTIO_PCI : VB_VIRTIO_MMIO,
		.pci_slot = 1, .mmio_base = MMIO_BASE, .mmio_bytes = 0x1000, .gsi = MMIO_GSI,
	};
	assert_int_equal(vt_env_attach(&f->env, "rng", &p), 0);
	assert_int_equal(vt_drv_open_either(&f->drv, &f->env, pci, 1, MMIO_BASE, MMIO_GSI), 0);
	*state = f;
	return 0;
}

static int dev_setup_mmio(void **state) { return dev_setup(state, false); }
static int dev_setup_pci(void **state) { return dev_setup(state, true); }

static int dev_teardown(void **state)
{
	struct dev_fixture *f = *state;
	/* The builder's order: stop the service, detach, destroy. */
	vb_ioevent_stop(f->svc);
	vt_env_fini(&f->env);
	vb_ioevent_destroy(f->svc);
	rec_fini(&f->rec);
	free(f);
	return 0;
}

static void start_queue(struct dev_fixture *f)
{
	uint8_t s = vt_drv_negotiate(&f->drv, 1ULL << VB_VIRTIO_F_VERSION_1);
	assert_true(s & VB_VIRTIO_S_FEATURES_OK);
	vt_drv_queue(&f->drv, 0, 8, QUEUE_GPA);
	vt_drv_set_status(&f->drv, s | VB_VIRTIO_S_DRIVER_OK);
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_DRIVER_OK);
}

static void post_buffer(struct dev_fixture *f, uint16_t head)
{
	vt_desc(&f->drv, head, BUF_GPA + 64u * head, 64, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_avail_push(&f->drv, head);
}

static void test_transport_doorbells(void **state)
{
	struct dev_fixture *f = *state;
	/* rng has one queue: one doorbell, where the driver writes. */
	assert_int_equal(vb_ioevent_count(f->svc), 1);
	assert_int_equal(f->rec.n_calls, 1);
	const struct call *c = &f->rec.calls[0];
	assert_true(c->assign);
	if (f->pci) {
		/* Queue 0's notify address as the driver found it from the
		 * capability, any 16-bit value. */
		assert_int_equal(c->db.gpa, f->drv.notify);
		assert_int_equal(c->db.len, 2);
		assert_false(c->db.match);
	} else {
		assert_int_equal(c->db.gpa, MMIO_BASE + MMIO_QUEUE_NOTIFY);
		assert_int_equal(c->db.len, 4);
		assert_true(c->db.match);
		assert_int_equal(c->db.datamatch, 0);
	}
	int fd = c->fd;

	/* A request through the doorbell: served on dispatch, not before. */
	start_queue(f);
	post_buffer(f, 0);
	uint32_t id, len;
	ring(fd);
	assert_false(vt_used_next(&f->drv, &id, &len));
	assert_int_equal(vb_ioevent_poll(f->svc, 0), 1);
	assert_true(vt_used_next(&f->drv, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, 64);
	assert_true(vt_drv_line(&f->drv));
	assert_int_equal(vt_drv_isr(&f->drv), VB_VIRTIO_ISR_QUEUE);

	/* The exit path still works beside it. */
	post_buffer(f, 1);
	vt_drv_notify(&f->drv, 0);
	assert_true(vt_used_next(&f->drv, &id, &len));
	assert_int_equal(id, 1);

	/* A doorbell written before a reset and delivered after it is
	 * stale: dropped, no NEEDS_RESET, no log line. */
	ring(fd);
	vt_drv_set_status(&f->drv, 0);
	assert_int_equal(vb_ioevent_poll(f->svc, 0), 1);
	assert_int_equal(vt_drv_status(&f->drv), 0);
	assert_int_equal(f->env.log_lines, 0);
	/* While an exit for the same thing is still a violation. */
	vt_drv_notify(&f->drv, 0);
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	assert_int_equal(f->env.log_lines, 1);
}

static void test_transport_detach_unbinds(void **state)
{
	struct dev_fixture *f = *state;
	int fd = f->rec.calls[0].fd;
	/* Detach with the service still running (the transport's own
	 * remove), as a failed attach later in the stage would. */
	assert_int_equal(vb_ioevent_start(f->svc, NULL, &(struct vb_err){ { 0 } }), 0);
	vb_dev_set_detach_all(&f->env.devices);
	assert_int_equal(vb_ioevent_count(f->svc), 0);
	const struct call *c = find_call(&f->rec, fd, false);
	assert_non_null(c);
	assert_int_equal(c->db.gpa, f->rec.calls[0].db.gpa);
}

/* The transport falls back to exits when the env refuses a doorbell. */
static void test_transport_refused_falls_back(void **state)
{
	(void)state;
	struct vt_env env;
	if (vt_env_init(&env) < 0) {
		skip();
		return;
	}
	struct rec r;
	rec_init(&r);
	struct vb_ioevent *svc;
	struct vb_err err;
	assert_int_equal(vb_ioevent_create(&svc, fake_assign, &r, &err), 0);
	vb_ioevent_plug(svc, &env.env);
	r.fail_with = EEXIST;
	struct vb_virtio_placement p = {
		.name = "rng0", .transport = VB_VIRTIO_MMIO, .mmio_base = MMIO_BASE,
		.mmio_bytes = 0x1000, .gsi = MMIO_GSI,
	};
	assert_int_equal(vt_env_attach(&env, "rng", &p), 0);
	assert_int_equal(vb_ioevent_count(svc), 0);
	assert_int_equal(env.log_lines, 1);
	assert_non_null(strstr(env.last_log, "exit instead"));
	struct vt_drv drv;
	assert_int_equal(vt_drv_open_mmio(&drv, &env, MMIO_BASE, MMIO_GSI), 0);
	uint8_t s = vt_drv_negotiate(&drv, 1ULL << VB_VIRTIO_F_VERSION_1);
	vt_drv_queue(&drv, 0, 8, QUEUE_GPA);
	vt_drv_set_status(&drv, s | VB_VIRTIO_S_DRIVER_OK);
	vt_desc(&drv, 0, BUF_GPA, 64, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_avail_push(&drv, 0);
	vt_drv_notify(&drv, 0);
	uint32_t id, len;
	assert_true(vt_used_next(&drv, &id, &len));
	vb_ioevent_stop(svc);
	vt_env_fini(&env);
	vb_ioevent_destroy(svc);
	rec_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thread_dispatch_remove_stop),
		cmocka_unit_test(test_poll_coalesces),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_start_with_nothing_registered),
		cmocka_unit_test(test_events_and_take),
		cmocka_unit_test_setup_teardown(test_transport_doorbells, dev_setup_mmio, dev_teardown),
		cmocka_unit_test_setup_teardown(test_transport_doorbells, dev_setup_pci, dev_teardown),
		cmocka_unit_test_setup_teardown(test_transport_detach_unbinds, dev_setup_mmio,
						dev_teardown),
		cmocka_unit_test_setup_teardown(test_transport_detach_unbinds, dev_setup_pci,
						dev_teardown),
		cmocka_unit_test(test_transport_refused_falls_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
