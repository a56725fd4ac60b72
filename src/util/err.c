#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Both write nothing when err is NULL. */
__attribute__((format(printf, 2, 0)))
static void vformat(struct vb_err *err, const char *fmt, va_list ap)
{
	if (err)
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

/* Appends ": strerror(errnum)". */
static void append_reason(struct vb_err *err, int errnum)
{
	if (!err)
		return;
	size_t used = strlen(err->msg);
	snprintf(err->msg + used, sizeof(err->msg) - used, ": %s", strerror(errnum));
}

int vb_err_set(struct vb_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vformat(err, fmt, ap);
	va_end(ap);
	return -errnum;
}

int vb_err_errno(struct vb_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vformat(err, fmt, ap);
	va_end(ap);
	append_reason(err, errnum);
	return -errnum;
}

void vb_err_prefix(struct vb_err *err, const char *fmt, ...)
{
	if (!err)
		return;
	char old[VB_ERR_MSG_BYTES];
	memcpy(old, err->msg, sizeof(old));
	va_list ap;
	va_start(ap, fmt);
	int used = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (used < 0 || (size_t)used >= sizeof(err->msg))
		return;
	size_t room = sizeof(err->msg) - (size_t)used;
	/* Truncation is acceptable here: a long context beats no context. */
	strncpy(err->msg + used, ": ", room);
	if (room > 2)
		strncpy(err->msg + used + 2, old, room - 2);
	err->msg[sizeof(err->msg) - 1] = '\0';
}
