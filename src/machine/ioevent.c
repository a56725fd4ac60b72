#include "machine/ioevent.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "util/log.h"

/* epoll data of the stop eventfd; doorbells carry their slot index. */
#define STOP_TAG UINT32_MAX
#define EVENTS_PER_WAIT 16

struct slot {
	bool used;
	bool bound; /* a doorbell (assigned); else an event */
	bool taken; /* no longer watched: vb_ioevent_take */
	int fd;
	struct vb_doorbell db;
	void (*fn)(void *opaque, unsigned queue);
	void *opaque;
	unsigned queue;
};

struct vb_ioevent {
	pthread_mutex_t lock; /* slots, stopped; held while a callback runs */
	int epfd;
	int stopfd;
	vb_ioevent_assign_fn assign;
	void *assign_ctx;
	pthread_t thread;
	const struct vb_sandbox_policy *confine; /* the thread's first step */
	bool running;
	bool stopped;
	unsigned count;
	uint64_t calls; /* callbacks run, ever */
	struct slot slots[VB_IOEVENT_MAX];
};

/* Doorbell ids come from the devices: anything out of range is none. */
static bool valid_id(int id)
{
	return id >= 0 && (unsigned)id < VB_IOEVENT_MAX;
}

int vb_ioevent_create(struct vb_ioevent **out, vb_ioevent_assign_fn assign, void *assign_ctx,
		      struct vb_err *err)
{
	*out = NULL;
	struct vb_ioevent *s = calloc(1, sizeof(*s));
	if (!s)
		return vb_err_errno(err, ENOMEM, "I/O event service");
	s->assign = assign;
	s->assign_ctx = assign_ctx;
	s->stopfd = -1;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		int e = errno;
		free(s);
		return vb_err_errno(err, e, "I/O event service: epoll_create1");
	}
	int rc = 0;
	s->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stopfd < 0) {
		rc = vb_err_errno(err, errno, "I/O event service: eventfd");
	} else {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = STOP_TAG };
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->stopfd, &ev) < 0)
			rc = vb_err_errno(err, errno, "I/O event service: epoll_ctl");
	}
	if (!rc) {
		int e = pthread_mutex_init(&s->lock, NULL);
		if (e)
			rc = vb_err_errno(err, e, "I/O event service: mutex");
	}
	if (rc) {
		if (s->stopfd >= 0)
			close(s->stopfd);
		close(s->epfd);
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* Under s->lock. Unbind first, so the kernel stops signalling an fd that
 * is about to close. */
static void release_slot(struct vb_ioevent *s, struct slot *sl)
{
	if (s->assign && sl->bound) {
		struct vb_err ignored;
		(void)s->assign(s->assign_ctx, sl->fd, &sl->db, false, &ignored);
	}
	if (!sl->taken)
		(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, sl->fd, NULL);
	close(sl->fd);
	memset(sl, 0, sizeof(*sl));
	sl->fd = -1;
	s->count--;
}

static bool len_ok(uint32_t len)
{
	return len == 1 || len == 2 || len == 4 || len == 8;
}

int vb_ioevent_add(struct vb_ioevent *s, const struct vb_doorbell *db,
		   void (*fn)(void *opaque, unsigned queue), void *opaque, unsigned queue, int *id,
		   struct vb_err *err)
{
	/* What the messages call it: the doorbell's address, or an event. */
	char what[40];
	if (db)
		snprintf(what, sizeof(what), "doorbell at 0x%llx", (unsigned long long)db->gpa);
	else
		snprintf(what, sizeof(what), "event for queue %u", queue);
	if (!fn || (db && !len_ok(db->len)))
		return vb_err_set(err, EINVAL, "%s: bad width %u or no callback", what,
				  db ? db->len : 0);
	pthread_mutex_lock(&s->lock);
	int rc = 0;
	unsigned i = 0;
	while (i < VB_IOEVENT_MAX && s->slots[i].used)
		i++;
	if (s->stopped)
		rc = vb_err_set(err, ESHUTDOWN, "%s: I/O event service stopped", what);
	else if (i == VB_IOEVENT_MAX)
		rc = vb_err_set(err, ENOSPC, "%s: all %u in use", what, VB_IOEVENT_MAX);
	int fd = -1;
	if (!rc) {
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0)
			rc = vb_err_errno(err, errno, "%s: eventfd", what);
	}
	/* Watch before binding: a write right after the bind is not missed. */
	if (!rc) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			rc = vb_err_errno(err, errno, "%s: epoll_ctl", what);
		else if (db && s->assign && (rc = s->assign(s->assign_ctx, fd, db, true, err)) < 0)
			(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
	}
	if (rc) {
		if (fd >= 0)
			close(fd);
		pthread_mutex_unlock(&s->lock);
		return rc;
	}
	s->slots[i] = (struct slot){
		.used = true, .bound = db != NULL, .fd = fd, .db = db ? *db : (struct vb_doorbell){ 0 },
		.fn = fn, .opaque = opaque, .queue = queue,
	};
	s->count++;
	*id = (int)i;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void vb_ioevent_remove(struct vb_ioevent *s, int id)
{
	if (!s || id < 0 || (unsigned)id >= VB_IOEVENT_MAX)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->slots[id].used)
		release_slot(s, &s->slots[id]);
	pthread_mutex_unlock(&s->lock);
}

/* One epoll_wait and the callbacks it makes due. *stop is set when the
 * stop eventfd fired. */
static int dispatch(struct vb_ioevent *s, int timeout_ms, bool *stop)
{
	struct epoll_event ev[EVENTS_PER_WAIT];
	int n = epoll_wait(s->epfd, ev, EVENTS_PER_WAIT, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	int ran = 0;
	pthread_mutex_lock(&s->lock);
	for (int k = 0; k < n; k++) {
		uint32_t tag = ev[k].data.u32;
		if (tag == STOP_TAG) {
			*stop = true;
			continue;
		}
		if (tag >= VB_IOEVENT_MAX || !s->slots[tag].used || s->slots[tag].taken)
			continue;
		struct slot *sl = &s->slots[tag];
		/* Reading resets the counter: any number of guest writes since
		 * the last read is one call. A slot removed and reused since
		 * epoll_wait has a fresh fd that reads EAGAIN unless it was
		 * signalled too, which is then a genuine doorbell. */
		uint64_t count;
		if (read(sl->fd, &count, sizeof(count)) != (ssize_t)sizeof(count))
			continue;
		sl->fn(sl->opaque, sl->queue);
		s->calls++;
		ran++;
	}
	pthread_mutex_unlock(&s->lock);
	return ran;
}

int vb_ioevent_poll(struct vb_ioevent *s, int timeout_ms)
{
	bool stop = false;
	return dispatch(s, timeout_ms, &stop);
}

static void *thread_main(void *arg)
{
	struct vb_ioevent *s = arg;
	bool stop = false;
	while (!stop) {
		/* epoll_wait on our own epoll fd fails only with EINTR (handled
		 * in dispatch) or on a broken fd; then there is nothing left to
		 * wait for. */
		if (dispatch(s, -1, &stop) < 0)
			break;
	}
	return NULL;
}

int vb_ioevent_start(struct vb_ioevent *s, const struct vb_sandbox_policy *confine,
		     struct vb_err *err)
{
	if (s->running)
		return 0;
	/* Nothing to wait for: a machine without virtio devices would keep an
	 * idle thread, and load its seccomp filter, for nothing. Later adds
	 * are refused as after a stop, so none can go unwatched. */
	pthread_mutex_lock(&s->lock);
	bool empty = s->count == 0;
	if (empty)
		s->stopped = true;
	pthread_mutex_unlock(&s->lock);
	if (empty)
		return 0;
	s->confine = confine;
	int rc = vb_sandbox_thread_start(&s->thread, VB_SANDBOX_IO, s->confine, thread_main, s,
					 "I/O event service", err);
	s->running = rc == 0;
	return rc;
}

void vb_ioevent_stop(struct vb_ioevent *s)
{
	if (!s)
		return;
	if (s->running) {
		uint64_t one = 1;
		/* An eventfd write of 1 cannot block or fail short of overflow. */
		if (write(s->stopfd, &one, sizeof(one)) == (ssize_t)sizeof(one))
			pthread_join(s->thread, NULL);
		s->running = false;
	}
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < VB_IOEVENT_MAX; i++)
		if (s->slots[i].used)
			release_slot(s, &s->slots[i]);
	s->stopped = true;
	pthread_mutex_unlock(&s->lock);
}

void vb_ioevent_destroy(struct vb_ioevent *s)
{
	if (!s)
		return;
	vb_ioevent_stop(s);
	pthread_mutex_destroy(&s->lock);
	close(s->stopfd);
	close(s->epfd);
	free(s);
}

unsigned vb_ioevent_count(struct vb_ioevent *s)
{
	pthread_mutex_lock(&s->lock);
	unsigned n = s->count;
	pthread_mutex_unlock(&s->lock);
	return n;
}

uint64_t vb_ioevent_calls(struct vb_ioevent *s)
{
	pthread_mutex_lock(&s->lock);
	uint64_t n = s->calls;
	pthread_mutex_unlock(&s->lock);
	return n;
}

int vb_ioevent_fd(struct vb_ioevent *s, int id)
{
	int fd = -1;
	if (valid_id(id)) {
		pthread_mutex_lock(&s->lock);
		fd = s->slots[id].used ? s->slots[id].fd : -1;
		pthread_mutex_unlock(&s->lock);
	}
	return fd;
}

int vb_ioevent_take(struct vb_ioevent *s, int id)
{
	if (!valid_id(id))
		return -1;
	pthread_mutex_lock(&s->lock);
	struct slot *sl = &s->slots[id];
	int fd = -1;
	if (sl->used) {
		if (!sl->taken)
			(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, sl->fd, NULL);
		sl->taken = true;
		fd = sl->fd;
	}
	pthread_mutex_unlock(&s->lock);
	return fd;
}

static int env_add(void *ctx, const struct vb_doorbell *db, void (*fn)(void *opaque, unsigned queue),
		   void *opaque, unsigned queue, int *id, struct vb_err *err)
{
	return vb_ioevent_add(ctx, db, fn, opaque, queue, id, err);
}

static void env_remove(void *ctx, int id)
{
	vb_ioevent_remove(ctx, id);
}

static int env_fd(void *ctx, int id, bool take)
{
	return take ? vb_ioevent_take(ctx, id) : vb_ioevent_fd(ctx, id);
}

void vb_ioevent_plug(struct vb_ioevent *s, struct vb_dev_env *env)
{
	env->doorbell_add = env_add;
	env->doorbell_remove = env_remove;
	env->doorbell_fd = env_fd;
	env->doorbell_ctx = s;
}
