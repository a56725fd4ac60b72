#include "util/size.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <strings.h>

struct unit {
	const char *name;
	uint64_t bytes;
};

static const struct unit units[] = {
	{ "B", 1 },	     { "K", VB_KiB }, { "KiB", VB_KiB }, { "KB", VB_KiB },
	{ "M", VB_MiB },     { "MiB", VB_MiB }, { "MB", VB_MiB }, { "G", VB_GiB },
	{ "GiB", VB_GiB },   { "GB", VB_GiB }, { "T", VB_TiB },  { "TiB", VB_TiB },
	{ "TB", VB_TiB },
};

static int lookup_unit(const char *suffix, uint64_t *bytes)
{
	for (unsigned i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcasecmp(suffix, units[i].name)) {
			*bytes = units[i].bytes;
			return 0;
		}
	}
	return -EINVAL;
}

/* "0x..." (x or X): a byte count, whatever default_unit says, and no
 * suffix: hex is how addresses and byte counts are written (kvmtool's own
 * shmem address is "0xc8000000"), and a suffix would be ambiguous ("0x1B"
 * is 27 bytes, not one byte). */
static int parse_hex(const char *p, uint64_t *bytes, const char **why)
{
	uint64_t value = 0;
	const char *digits = p;
	for (; isxdigit((unsigned char)*p); p++) {
		unsigned digit = isdigit((unsigned char)*p) ? (unsigned)(*p - '0')
							    : (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
		if (value > (UINT64_MAX - digit) / 16) {
			*why = "number too large";
			return -ERANGE;
		}
		value = value * 16 + digit;
	}
	while (*p == ' ')
		p++;
	if (p == digits || *p) {
		*why = "a hexadecimal number (0x...) is a byte count: hex digits only, no suffix";
		return -EINVAL;
	}
	*bytes = value;
	return 0;
}

int vb_size_parse(const char *text, uint64_t default_unit, uint64_t *bytes,
		  const char **why)
{
	const char *p = text;
	uint64_t value = 0;
	const char *unused;

	if (!why)
		why = &unused;
	while (*p == ' ')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		return parse_hex(p + 2, bytes, why);
	if (!isdigit((unsigned char)*p)) {
		*why = "expected a number with an optional suffix K, M, G or T, or a hexadecimal byte count 0x...";
		return -EINVAL;
	}
	for (; isdigit((unsigned char)*p); p++) {
		unsigned digit = (unsigned)(*p - '0');
		if (value > (UINT64_MAX - digit) / 10) {
			*why = "number too large";
			return -ERANGE;
		}
		value = value * 10 + digit;
	}
	while (*p == ' ')
		p++;
	uint64_t unit = default_unit;
	if (*p && lookup_unit(p, &unit)) {
		*why = "unknown size suffix (use K, M, G or T, or KiB, MiB, GiB, TiB)";
		return -EINVAL;
	}
	if (unit && value > UINT64_MAX / unit) {
		*why = "size too large";
		return -ERANGE;
	}
	*bytes = value * unit;
	return 0;
}

/* Appends text to buf at *used; false when it does not fit. */
static bool append(char *buf, unsigned long size, unsigned long *used, const char *text)
{
	int n = snprintf(buf + *used, size - *used, "%s", text);
	if (n < 0 || (unsigned long)n >= size - *used)
		return false;
	*used += (unsigned long)n;
	return true;
}

/* Mirrors vb_size_parse: leading spaces; "0x" and hex digits, then spaces;
 * or digits, spaces and an optional suffix in any case ("[Kk][Ii][Bb]":
 * neither regexp dialect has a portable case-insensitive flag). */
int vb_size_pattern(char *buf, unsigned long size)
{
	unsigned long used = 0;
	bool ok = size > 0 && append(buf, size, &used, "^ *(0[xX][0-9A-Fa-f]+ *|[0-9]+ *(");
	for (unsigned i = 0; ok && i < sizeof(units) / sizeof(units[0]); i++) {
		ok = !i || append(buf, size, &used, "|");
		for (const char *c = units[i].name; ok && *c; c++) {
			char both[5] = { '[', (char)toupper((unsigned char)*c),
					 (char)tolower((unsigned char)*c), ']', 0 };
			ok = append(buf, size, &used, both);
		}
	}
	ok = ok && append(buf, size, &used, ")?)$");
	return ok ? 0 : -ENOSPC;
}

void vb_size_format(uint64_t bytes, char *buf, unsigned long size)
{
	static const struct unit shown[] = {
		{ "TiB", VB_TiB }, { "GiB", VB_GiB }, { "MiB", VB_MiB }, { "KiB", VB_KiB },
	};
	for (unsigned i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		if (bytes && bytes % shown[i].bytes == 0) {
			snprintf(buf, size, "%llu %s",
				 (unsigned long long)(bytes / shown[i].bytes), shown[i].name);
			return;
		}
	}
	snprintf(buf, size, "%llu bytes", (unsigned long long)bytes);
}
