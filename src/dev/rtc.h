/* The MC146818 CMOS real-time clock at ports 0x70 (index) / 0x71 (data).
 *
 * Index bit 7 is the NMI mask (kept, has no effect here); the other 7 bits
 * select one of 128 CMOS bytes, so every index is in range. Registers 0-9
 * read the host clock (UTC) in BCD or binary and 24- or 12-hour form as
 * status register B says (DM bit 2, 24/12 bit 1); register 0x32 is the
 * century. Guest writes to the time do not change the host clock and are
 * ignored; alarms and the rest of CMOS RAM are plain storage. Status A
 * never shows UIP (each read computes the time atomically), C reads and
 * clears (no interrupts are generated), D always reports valid RAM (VRT).
 *
 * The clock is injected so tests can fix the time. */
#ifndef VB_DEV_RTC_H
#define VB_DEV_RTC_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "dev/dev.h"
#include "util/err.h"

#define VB_RTC_BASE 0x70
#define VB_RTC_PORTS 2
#define VB_RTC_CMOS_BYTES 128

#define VB_RTC_REG_A 0x0a
#define VB_RTC_REG_B 0x0b
#define VB_RTC_REG_C 0x0c
#define VB_RTC_REG_D 0x0d
#define VB_RTC_REG_CENTURY 0x32

struct vb_rtc;

/* now == NULL uses time(NULL). */
struct vb_rtc_params {
	time_t (*now)(void *ctx);
	void *now_ctx;
};

int vb_rtc_create(const struct vb_rtc_params *params, struct vb_rtc **out,
		  struct vb_err *err);
void vb_rtc_destroy(struct vb_rtc *rtc);

int vb_rtc_access(void *opaque, uint64_t offset, uint8_t *data,
		  uint32_t size, bool is_write);

/* Registry glue: config is a const struct vb_rtc_params * or NULL. */
extern const struct vb_device_ops vb_rtc_ops;

#endif
