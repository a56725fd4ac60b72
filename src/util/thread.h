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

#endif
