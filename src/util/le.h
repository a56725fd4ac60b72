/* Little-endian fields in byte buffers. Virtio (1.x, 1.4), PCI
 * configuration space and 9P are little-endian whatever the host, and the
 * buffers are the guest's or the wire's, so fields are read and written
 * byte by byte, never through a cast pointer (alignment, aliasing). */
#ifndef VB_UTIL_LE_H
#define VB_UTIL_LE_H

#include <stdint.h>

/* The bytes-wide (1 to 8) little-endian value at p. */
static inline uint64_t vb_le_get(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Stores the low bytes (1 to 8) of v at p, least significant first. */
static inline void vb_le_put(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#endif
