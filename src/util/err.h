/* Runtime errors returned with context.
 *
 * Library functions return 0 or a negative errno and, on failure, fill a
 * caller-provided struct vb_err with a "what: why" message. Each layer that
 * passes the error up may prefix its own context ("disk 'root': open x: ...").
 * Only main() prints and exits. */
#ifndef VB_UTIL_ERR_H
#define VB_UTIL_ERR_H

#include <stddef.h>

#include "util/refusal.h"

#define VB_ERR_MSG_BYTES 1024

struct vb_err {
	char msg[VB_ERR_MSG_BYTES];
};

/* Set the message (replacing any previous one). Returns -errnum (errnum > 0)
 * so callers can write `return vb_err_set(err, EINVAL, "...")`. err may be NULL. */
int vb_err_set(struct vb_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like vb_err_set, appending ": strerror(errnum)". */
int vb_err_errno(struct vb_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* vb_err_set for a refusal of the machine itself, naming the rule it
 * enforces (VB_REFUSAL_<ID>, util/refusal.h) where a reader and
 * tests/cli/test_refusals.sh can see it; the ID must exist. */
#define vb_refuse(err, refusal, errnum, ...) \
	((void)(refusal), vb_err_set((err), (errnum), __VA_ARGS__))

/* Prefix the existing message with "context: ". */
void vb_err_prefix(struct vb_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
