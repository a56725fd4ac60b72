#include "util/thread.h"

#include <errno.h>
#include <semaphore.h>
#include <signal.h>

int vb_thread_start_blocked(pthread_t *thread, void *(*fn)(void *), void *arg, const char *what,
			    struct vb_err *err)
{
	/* The new thread inherits the mask in force when it is created. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int e = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return e ? vb_err_errno(err, e, "%s: thread", what) : 0;
}

/* Lives on the starting thread's stack until ready is posted. */
struct checked_start {
	int (*first)(void *first_arg, struct vb_err *err);
	void *first_arg;
	void *(*fn)(void *);
	void *arg;
	sem_t ready;
	int rc;
	struct vb_err err;
};

static void *checked_main(void *p)
{
	struct checked_start *st = p;
	void *(*fn)(void *) = st->fn;
	void *arg = st->arg;
	int rc = st->first(st->first_arg, &st->err);
	st->rc = rc;
	sem_post(&st->ready);
	return rc ? NULL : fn(arg);
}

int vb_thread_start_checked(pthread_t *thread, int (*first)(void *first_arg, struct vb_err *err),
			    void *first_arg, void *(*fn)(void *), void *arg, const char *what,
			    struct vb_err *err)
{
	struct checked_start st = { .first = first, .first_arg = first_arg, .fn = fn, .arg = arg };
	if (sem_init(&st.ready, 0, 0) < 0)
		return vb_err_errno(err, errno, "%s: thread", what);
	int rc = vb_thread_start_blocked(thread, checked_main, &st, what, err);
	if (rc == 0) {
		while (sem_wait(&st.ready) < 0 && errno == EINTR)
			;
		if (st.rc) {
			pthread_join(*thread, NULL);
			*err = st.err;
			vb_err_prefix(err, "%s", what);
			rc = st.rc;
		}
	}
	sem_destroy(&st.ready);
	return rc;
}
