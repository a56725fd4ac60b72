#include "util/grow.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *vb_grow(void *p, size_t *cap, size_t need, size_t first)
{
	if (need <= *cap)
		return p;
	size_t c = *cap ? *cap : first;
	while (c < need)
		c = c > SIZE_MAX / 2 ? need : c * 2;
	void *q = realloc(p, c);
	if (q)
		*cap = c;
	return q;
}

int vb_text_append(char **text, size_t *len, size_t *cap, const char *bytes, size_t n)
{
	if (n > SIZE_MAX - 1 - *len)
		return -ENOMEM;
	char *t = vb_grow(*text, cap, *len + n + 1, 256);
	if (!t)
		return -ENOMEM;
	*text = t;
	memcpy(t + *len, bytes, n);
	*len += n;
	t[*len] = 0;
	return 0;
}
