/* Growing heap buffers: the doubling that the text and byte appenders
 * (the JSON writer, control replies, the cpio writer) share. */
#ifndef VB_UTIL_GROW_H
#define VB_UTIL_GROW_H

#include <stddef.h>

/* Heap block p of *cap bytes, grown (realloc) to hold at least need
 * bytes: *cap doubles from first, or becomes need where doubling would
 * overflow. Returns the block, p itself when it was large enough, or NULL
 * when out of memory (p and *cap unchanged). */
void *vb_grow(void *p, size_t *cap, size_t need, size_t first);

/* Appends n bytes and a terminating NUL to the heap text *text, *len
 * bytes long in *cap, growing it from 256 bytes. 0, or -ENOMEM leaving it
 * as it was. */
int vb_text_append(char **text, size_t *len, size_t *cap, const char *bytes, size_t n);

#endif
