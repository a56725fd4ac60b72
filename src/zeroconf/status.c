#include "zeroconf/zeroconf.h"

#include <string.h>

#include "guestinit/ginit.h"

enum match { MATCH_NO, MATCH_PARTIAL, MATCH_FULL };

/* Whether s[0..n) is (the start of) "VMBOOT-STATUS: exit=N" or "signal=N"
 * with 1 to 3 digits, ended by "\n" or "\r\n" (the guest tty turns the
 * init's "\n" into "\r\n", ONLCR). */
static enum match classify(const uint8_t *s, size_t n)
{
	static const char prefix[] = VB_GINIT_STATUS_PREFIX;
	static const char *const keys[] = { "exit=", "signal=" };
	const size_t plen = sizeof(prefix) - 1;
	size_t m = n < plen ? n : plen;
	if (memcmp(s, prefix, m))
		return MATCH_NO;
	if (n <= plen)
		return MATCH_PARTIAL;
	s += plen;
	n -= plen;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		size_t klen = strlen(keys[k]);
		m = n < klen ? n : klen;
		if (memcmp(s, keys[k], m))
			continue;
		if (n <= klen)
			return MATCH_PARTIAL;
		size_t i = klen, digits = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9' && digits <= 3) {
			i++;
			digits++;
		}
		if (digits > 3)
			return MATCH_NO;
		if (i == n)
			return MATCH_PARTIAL;
		if (!digits)
			return MATCH_NO;
		if (s[i] == '\r' && ++i == n)
			return MATCH_PARTIAL;
		return s[i] == '\n' && i + 1 == n ? MATCH_FULL : MATCH_NO;
	}
	return MATCH_NO;
}

static void record(struct vb_zeroconf_status *f)
{
	const char *v = (const char *)f->held + strlen(VB_GINIT_STATUS_PREFIX);
	f->signalled = v[0] == 's';
	v = strchr(v, '=') + 1;
	int value = 0;
	for (; *v >= '0' && *v <= '9'; v++)
		value = value * 10 + (*v - '0');
	f->value = value;
	f->seen = true;
}

/* Output gathered per write call, so the terminal gets few large writes. */
struct outbuf {
	struct vb_zeroconf_status *f;
	uint8_t data[512];
	size_t len;
	long rc;
};

static void out_flush(struct outbuf *o)
{
	if (o->len && o->rc >= 0 && o->f->out && o->f->out->write) {
		long w = o->f->out->write(o->f->out->ctx, o->data, o->len);
		if (w < 0)
			o->rc = w;
	}
	o->len = 0;
}

static void out_byte(struct outbuf *o, uint8_t c)
{
	if (o->len == sizeof(o->data))
		out_flush(o);
	o->data[o->len++] = c;
	o->f->at_line_start = c == '\n';
}

static void feed(struct outbuf *o, uint8_t c)
{
	struct vb_zeroconf_status *f = o->f;
	if (f->n_held) {
		f->held[f->n_held++] = c;
		enum match m = classify(f->held, f->n_held);
		if (m == MATCH_PARTIAL)
			return;
		if (m == MATCH_FULL) {
			f->held[f->n_held] = 0; /* room: classify caps the length below HOLD */
			record(f);
			f->n_held = 0;
			f->at_line_start = true;
			return;
		}
		/* Not a status line: what was held is output. The prefix has its
		 * only 'V' first, so no later byte of the held run can start a
		 * match: only c itself is looked at again. */
		size_t keep = f->n_held - 1;
		f->n_held = 0;
		for (size_t i = 0; i < keep; i++)
			out_byte(o, f->held[i]);
	}
	if (c == VB_GINIT_STATUS_PREFIX[0] && (f->anywhere || f->at_line_start)) {
		f->held[0] = c;
		f->n_held = 1;
		return;
	}
	out_byte(o, c);
}

void vb_zeroconf_status_init(struct vb_zeroconf_status *f, const struct vb_console *out,
			     bool anywhere)
{
	memset(f, 0, sizeof(*f));
	f->out = out;
	f->anywhere = anywhere;
	f->at_line_start = true;
}

long vb_zeroconf_status_write(void *ctx, const uint8_t *buf, size_t n)
{
	struct outbuf o = { .f = ctx, .len = 0, .rc = 0 };
	for (size_t i = 0; i < n; i++)
		feed(&o, buf[i]);
	out_flush(&o);
	return o.rc < 0 ? o.rc : (long)n;
}

long vb_zeroconf_status_flush(struct vb_zeroconf_status *f)
{
	struct outbuf o = { .f = f, .len = 0, .rc = 0 };
	size_t held = f->n_held;
	f->n_held = 0;
	for (size_t i = 0; i < held; i++)
		out_byte(&o, f->held[i]);
	out_flush(&o);
	return o.rc;
}

int vb_zeroconf_status_exit(const struct vb_zeroconf_status *f)
{
	if (!f->seen)
		return -1;
	return f->signalled ? 128 + f->value : f->value;
}
