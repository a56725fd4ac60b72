/* Sizes with binary suffixes, parsed in exactly one place.
 *
 * Accepts "<digits>[suffix]" where suffix is one of K M G T or KiB MiB GiB
 * TiB (case-insensitive, also "B" for bytes). All suffixes are binary
 * (1K = 1024). A number without a suffix is in default_unit bytes (memory
 * sizes use MiB, like kvmtool's -m). "0x<hex digits>" is a byte count
 * whatever default_unit is, and takes no suffix (0x1B would be ambiguous):
 * hex is how addresses are written, e.g. kvmtool's shmem "0xc8000000".
 * Overflow is an error. */
#ifndef VB_UTIL_SIZE_H
#define VB_UTIL_SIZE_H

#include <stdint.h>

#define VB_KiB (1ULL << 10)
#define VB_MiB (1ULL << 20)
#define VB_GiB (1ULL << 30)
#define VB_TiB (1ULL << 40)

/* Returns 0 and sets *bytes, or -EINVAL / -ERANGE and points *why at a
 * static explanation. */
int vb_size_parse(const char *text, uint64_t default_unit, uint64_t *bytes,
		  const char **why);

/* A regular expression matching exactly the strings vb_size_parse accepts
 * (overflow aside), built from the same suffix table: JSON Schema's
 * "pattern" for a size (parse/schema_json.h), in the syntax common to
 * ECMAScript and POSIX extended regexps (tests/util/test_size.c checks it
 * with regcomp). Returns 0, or -ENOSPC when buf is too small. */
int vb_size_pattern(char *buf, unsigned long size);

/* "1536 MiB", "4 GiB", "3 KiB", "17 bytes": the largest unit dividing exactly. */
void vb_size_format(uint64_t bytes, char *buf, unsigned long size);

#endif
