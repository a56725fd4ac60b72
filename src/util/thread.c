#include "util/thread.h"

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
