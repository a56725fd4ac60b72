/* Starting a service thread. */
#ifndef VB_UTIL_THREAD_H
#define VB_UTIL_THREAD_H

#include <pthread.h>

#include "util/err.h"

/* pthread_create with every signal blocked in the new thread: signals
 * belong to the vCPU threads (the kick) and the main thread (the run
 * loop's signalfd), never to a service thread. The caller's mask is left
 * as it was. 0, or -errno with err saying "WHAT: thread: why". */
int vb_thread_start_blocked(pthread_t *thread, void *(*fn)(void *), void *arg, const char *what,
			    struct vb_err *err);

/* The same, but the new thread first runs first(first_arg, err) and the
 * caller waits for it (first_arg may live on the caller's stack): a
 * thread that cannot get ready (a seccomp filter that would not load) is
 * joined and its error returned here, so a service never runs half
 * started. fn(arg) runs only when first returned 0. */
int vb_thread_start_checked(pthread_t *thread, int (*first)(void *first_arg, struct vb_err *err),
			    void *first_arg, void *(*fn)(void *), void *arg, const char *what,
			    struct vb_err *err);

#endif
