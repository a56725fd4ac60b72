#include "kcheck/sink.h"

#include <errno.h>
#include <stdlib.h>

/* The buffer becomes cap bytes long; -ENOMEM leaves it as it was. */
static int resize(struct vb_kcheck_sink *s, size_t cap)
{
	uint8_t *p = realloc(s->buf, cap);
	if (!p)
		return -ENOMEM;
	s->buf = p;
	s->cap = cap;
	return 0;
}

int vb_kcheck_sink_grow(struct vb_kcheck_sink *s)
{
	if (s->len < s->cap)
		return 0;
	if (s->cap >= s->max)
		return -EFBIG;
	size_t cap = s->cap ? s->cap * 2 : 1 << 16;
	if (cap > s->max)
		cap = (size_t)s->max;
	return resize(s, cap);
}

int vb_kcheck_sink_reserve(struct vb_kcheck_sink *s, size_t n)
{
	if (s->cap - s->len >= n)
		return 0;
	if (n > SIZE_MAX / 2 - s->len)
		return -ENOMEM;
	size_t want = s->len + n;
	/* Doubling keeps many small reservations cheap; past max + n only
	 * what is asked for, so a capped output stays near its cap. */
	size_t cap = s->cap * 2 > want ? s->cap * 2 : want;
	if (cap > s->max + n)
		cap = want;
	return resize(s, cap);
}
