#include "util/size.h"

#include <ctype.h>
#include <errno.h>
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
	if (!isdigit((unsigned char)*p)) {
		*why = "expected a number with an optional suffix K, M, G or T";
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
