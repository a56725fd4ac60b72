#include "dev/rtc.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/port.h"

/* Status register bits (MC146818A datasheet). */
#define B_24H 0x02
#define B_BINARY 0x04
#define D_VRT 0x80
#define A_UIP 0x80

struct vb_rtc {
	struct vb_port_dev port; /* first: the lock, and what attach claimed */
	struct vb_rtc_params p;
	uint8_t index;
	bool nmi_masked;
	uint8_t cmos[VB_RTC_CMOS_BYTES];
};
_Static_assert(offsetof(struct vb_rtc, port) == 0, "vb_port_dev_new allocates it");

static uint8_t encode(const struct vb_rtc *r, unsigned v)
{
	if (r->cmos[VB_RTC_REG_B] & B_BINARY)
		return (uint8_t)v;
	return (uint8_t)(((v / 10) % 10) << 4 | (v % 10));
}

static uint8_t encode_hour(const struct vb_rtc *r, unsigned hour)
{
	if (r->cmos[VB_RTC_REG_B] & B_24H)
		return encode(r, hour);
	/* 12-hour form: 12, 1 .. 11, with bit 7 set for PM. */
	unsigned h12 = hour % 12 ? hour % 12 : 12;
	return (uint8_t)(encode(r, h12) | (hour >= 12 ? 0x80 : 0));
}

struct utc_time {
	int64_t year;
	unsigned month, mday, wday, hour, min, sec; /* month 1-12, wday 0 = Sunday */
};

/* t in the proleptic Gregorian calendar, in 400-year eras that start on
 * 1 March (so the leap day ends a year), computed here rather than by
 * gmtime_r: glibc reads the time zone file the first time gmtime_r runs,
 * and a vCPU thread, which reads this clock, opens no file (its seccomp
 * filter kills it). */
static void utc_time(time_t t, struct utc_time *u)
{
	int64_t days = (int64_t)t / 86400, secs = (int64_t)t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	u->hour = (unsigned)(secs / 3600);
	u->min = (unsigned)(secs / 60 % 60);
	u->sec = (unsigned)(secs % 60);
	u->wday = (unsigned)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday */
	days += 719468;                             /* days since 0000-03-01 */
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t day_of_era = days - era * 146097;
	int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 -
			       day_of_era / 146096) / 365;
	int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	int64_t month_from_march = (5 * day_of_year + 2) / 153;
	u->mday = (unsigned)(day_of_year - (153 * month_from_march + 2) / 5 + 1);
	u->month = (unsigned)(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
	u->year = year_of_era + era * 400 + (u->month <= 2);
}

/* Returns true and sets *v when reg is a clock register. */
static bool read_time(const struct vb_rtc *r, unsigned reg, uint8_t *v)
{
	if (reg > 9 && reg != VB_RTC_REG_CENTURY)
		return false;
	if (reg == 1 || reg == 3 || reg == 5) /* alarms: storage */
		return false;
	struct utc_time u;
	utc_time(r->p.now ? r->p.now(r->p.now_ctx) : time(NULL), &u);
	/* The registers hold 4 decimal digits of year. */
	unsigned year = u.year < 0 ? 0 : u.year > 9999 ? 9999 : (unsigned)u.year;
	switch (reg) {
	case 0: *v = encode(r, u.sec); break;
	case 2: *v = encode(r, u.min); break;
	case 4: *v = encode_hour(r, u.hour); break;
	case 6: *v = encode(r, u.wday + 1); break; /* 1 = Sunday */
	case 7: *v = encode(r, u.mday); break;
	case 8: *v = encode(r, u.month); break;
	case 9: *v = encode(r, year % 100); break;
	default: *v = encode(r, year / 100); break;
	}
	return true;
}

static uint8_t read_data(struct vb_rtc *r)
{
	unsigned reg = r->index;
	uint8_t v;
	if (read_time(r, reg, &v))
		return v;
	switch (reg) {
	case VB_RTC_REG_A:
		return r->cmos[reg] & (uint8_t)~A_UIP;
	case VB_RTC_REG_C:
		v = r->cmos[reg];
		r->cmos[reg] = 0;
		return v;
	case VB_RTC_REG_D:
		return D_VRT;
	default:
		return r->cmos[reg];
	}
}

static void write_data(struct vb_rtc *r, uint8_t v)
{
	unsigned reg = r->index;
	uint8_t ignored;
	if (read_time(r, reg, &ignored))
		return; /* the guest may not set the host clock */
	switch (reg) {
	case VB_RTC_REG_A:
		r->cmos[reg] = v & (uint8_t)~A_UIP;
		break;
	case VB_RTC_REG_C:
	case VB_RTC_REG_D:
		break; /* read-only */
	default:
		r->cmos[reg] = v;
		break;
	}
}

int vb_rtc_access(void *opaque, uint64_t offset, uint8_t *data,
		  uint32_t size, bool is_write)
{
	struct vb_rtc *r = opaque;
	pthread_mutex_lock(&r->port.lock);
	for (uint32_t i = 0; i < size; i++) {
		uint64_t off = offset + i;
		if (off < offset || off >= VB_RTC_PORTS) {
			if (!is_write)
				data[i] = 0xff;
		} else if (off == 0) {
			if (is_write) {
				r->index = data[i] & 0x7f;
				r->nmi_masked = data[i] & 0x80;
			} else {
				data[i] = 0xff; /* the index port is write-only */
			}
		} else if (is_write) {
			write_data(r, data[i]);
		} else {
			data[i] = read_data(r);
		}
	}
	pthread_mutex_unlock(&r->port.lock);
	return 0;
}

int vb_rtc_create(const struct vb_rtc_params *params, struct vb_rtc **out,
		  struct vb_err *err)
{
	struct vb_port_dev *d;
	int e = vb_port_dev_new(sizeof(struct vb_rtc), "rtc", &d, err);
	if (e < 0)
		return e;
	struct vb_rtc *r = (struct vb_rtc *)d;
	if (params)
		r->p = *params;
	/* 32.768 kHz time base, 1024 Hz rate; 24-hour BCD as PC firmware
	 * leaves it. */
	r->cmos[VB_RTC_REG_A] = 0x26;
	r->cmos[VB_RTC_REG_B] = B_24H;
	*out = r;
	return 0;
}

void vb_rtc_destroy(struct vb_rtc *r)
{
	vb_port_dev_free(r ? &r->port : NULL);
}

static int rtc_attach(const struct vb_device_ops *self, struct vb_dev_env *env,
		      const void *config, void **state, struct vb_err *err)
{
	(void)self;
	struct vb_rtc *r;
	int e = vb_rtc_create(config, &r, err);
	if (e < 0)
		return e;
	struct vb_bus_range range = {
		.base = VB_RTC_BASE, .len = VB_RTC_PORTS, .name = "rtc", .access = vb_rtc_access,
	};
	return vb_port_dev_attach(&r->port, env, range, -1, state, err);
}

const struct vb_device_ops vb_rtc_ops = {
	.name = "rtc",
	.attach = rtc_attach,
	.detach = vb_port_dev_detach,
};
