/*
 * The MC146818A real-time clock and CMOS RAM (0x70 index with the NMI
 * mask in bit 7, 0x71 data; IRQ 8). Time is never read from the host: the
 * clock is machine.rtc_base (the machine's start time, Unix seconds) plus
 * the virtual time since power-on, counted in cycles of the 32.768 kHz
 * divider chain so the once-a-second update, the periodic rates and
 * update-in-progress all fall at exact positions of the virtual clock.
 * Time registers are computed when read while the clock runs; SET or a
 * held divider freezes them for the guest to write. Register semantics
 * follow the MC146818A datasheet: BCD or binary, 12 or 24 hours, UIP for
 * the 244 us before an update, periodic, alarm (with don't-care values)
 * and update-ended interrupts flagged in register C, cleared by reading
 * it. CMOS bytes as QEMU's PC fills them: base, extended and above-16M
 * memory sizes, the century at 0x32.
 */
#include "devices/devices.h"

#include <stddef.h>
#include <string.h>

#define RTC_PORT 0x70
#define RTC_IRQ 8
#define DIV_HZ 32768u
#define UIP_CYCLES 8            /* 244 us at 32.768 kHz */
#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d
#define A_UIP 0x80
#define A_DV_RUN 0x20           /* DV2-0 = 010: 32.768 kHz time base, running */
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_DM_BINARY 0x04
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10
#define CMOS_CENTURY 0x32
#define SECS_PER_DAY 86400

struct rtc_tm {
	int year, mon, mday, hour, min, sec, wday;  /* mon 1-12, wday 0 = Sunday */
};

/* Days since 1970-01-01 of a proleptic Gregorian date (eras of 400 years). */
static int64_t rtc_days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void rtc_civil_from_days(int64_t z, struct rtc_tm *t)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	t->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	t->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	t->year = (int)(yoe + era * 400 + (t->mon <= 2));
}

static void rtc_split_time(int64_t secs, struct rtc_tm *t)
{
	int64_t days = secs >= 0 ? secs / SECS_PER_DAY : (secs - SECS_PER_DAY + 1) / SECS_PER_DAY;
	int64_t rem = secs - days * SECS_PER_DAY;

	rtc_civil_from_days(days, t);
	t->hour = (int)(rem / 3600);
	t->min = (int)(rem / 60 % 60);
	t->sec = (int)(rem % 60);
	t->wday = (int)(((days % 7) + 11) % 7);   /* 1970-01-01 was a Thursday */
}

static bool rtc_binary(const struct rtc *r) { return r->r.cmos[REG_B] & B_DM_BINARY; }

static uint8_t rtc_encode(const struct rtc *r, int v)
{
	return (uint8_t)(rtc_binary(r) ? v : (v / 10) << 4 | v % 10);
}

static int rtc_decode(const struct rtc *r, uint8_t v)
{
	return rtc_binary(r) ? v : (v >> 4) * 10 + (v & 15);
}

static uint8_t rtc_encode_hour(const struct rtc *r, int h)
{
	if (r->r.cmos[REG_B] & B_24H)
		return rtc_encode(r, h);
	return (uint8_t)(rtc_encode(r, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0));
}

static int rtc_decode_hour(const struct rtc *r, uint8_t v)
{
	if (r->r.cmos[REG_B] & B_24H)
		return rtc_decode(r, v);
	return rtc_decode(r, v & 0x7f) % 12 + ((v & 0x80) ? 12 : 0);
}

/* ---- the divider chain on the virtual clock ---- */

static uint64_t rtc_cycles(const struct rtc *r, uint64_t now)
{
	return timer_scale((uint64_t)((int64_t)now - r->r.div_base), DIV_HZ, VCLOCK_HZ);
}

static uint64_t rtc_clock_of_cycle(const struct rtc *r, uint64_t cycle)
{
	return (uint64_t)(r->r.div_base + (int64_t)timer_scale_up(cycle, DIV_HZ, VCLOCK_HZ));
}

static bool rtc_divider_runs(const struct rtc *r)
{
	return (r->r.cmos[REG_A] & 0x70) == A_DV_RUN;
}

static bool rtc_running(const struct rtc *r)
{
	return rtc_divider_runs(r) && !(r->r.cmos[REG_B] & B_SET);
}

static int64_t rtc_seconds_at(const struct rtc *r, uint64_t cycles)
{
	return r->r.base_time + (int64_t)(cycles / DIV_HZ);
}

/* The time registers 0-9 as the running clock shows them at `secs`. */
static void rtc_store_time(struct rtc *r, int64_t secs)
{
	struct rtc_tm t;
	uint8_t *c = r->r.cmos;

	rtc_split_time(secs, &t);
	c[0] = rtc_encode(r, t.sec);
	c[2] = rtc_encode(r, t.min);
	c[4] = rtc_encode_hour(r, t.hour);
	c[6] = rtc_encode(r, t.wday + 1);
	c[7] = rtc_encode(r, t.mday);
	c[8] = rtc_encode(r, t.mon);
	c[9] = rtc_encode(r, t.year % 100);
	c[CMOS_CENTURY] = rtc_encode(r, t.year / 100);
}

static int64_t rtc_parse_time(const struct rtc *r)
{
	const uint8_t *c = r->r.cmos;
	int year = rtc_decode(r, c[CMOS_CENTURY]) * 100 + rtc_decode(r, c[9]);
	int64_t days = rtc_days_from_civil(year, rtc_decode(r, c[8]), rtc_decode(r, c[7]));

	return days * SECS_PER_DAY + rtc_decode_hour(r, c[4]) * 3600 +
	       rtc_decode(r, c[2]) * 60 + rtc_decode(r, c[0]);
}

/* ---- interrupts: flags for every event between last_check and now ---- */

static unsigned rtc_period_cycles(const struct rtc *r)
{
	unsigned rs = r->r.cmos[REG_A] & 15;

	if (!rs)
		return 0;
	return rs <= 2 ? 1u << (rs + 6) : 1u << (rs - 1);
}

static bool rtc_alarm_field(uint8_t alarm, uint8_t now)
{
	return alarm >= 0xc0 || alarm == now;
}

static bool rtc_alarm_matches(struct rtc *r, int64_t secs)
{
	struct rtc_tm t;
	const uint8_t *c = r->r.cmos;

	rtc_split_time(secs, &t);
	return rtc_alarm_field(c[1], rtc_encode(r, t.sec)) &&
	       rtc_alarm_field(c[3], rtc_encode(r, t.min)) &&
	       rtc_alarm_field(c[5], rtc_encode_hour(r, t.hour));
}

/* Updates that completed in (c0, c1]: UF, and AF if one matched the alarm
 * (after a day every alarm has matched). */
static void rtc_advance_updates(struct rtc *r, uint64_t c0, uint64_t c1)
{
	uint64_t s0 = c0 / DIV_HZ, s1 = c1 / DIV_HZ;

	if (s1 == s0)
		return;
	r->r.cmos[REG_C] |= C_UF;
	for (uint64_t s = s1; s > s0 && s1 - s < SECS_PER_DAY; s--)
		if (rtc_alarm_matches(r, r->r.base_time + (int64_t)s)) {
			r->r.cmos[REG_C] |= C_AF;
			break;
		}
}

static void rtc_advance(struct rtc *r, uint64_t now)
{
	uint64_t c0 = rtc_cycles(r, r->r.last_check), c1 = rtc_cycles(r, now);
	unsigned period = rtc_period_cycles(r);

	if (now <= r->r.last_check)
		return;
	if (rtc_divider_runs(r) && period && c1 / period > c0 / period)
		r->r.cmos[REG_C] |= C_PF;
	if (rtc_running(r))
		rtc_advance_updates(r, c0, c1);
	r->r.last_check = now;
}

static void rtc_arm(struct rtc *r, uint64_t now)
{
	uint64_t c = rtc_cycles(r, now), next = UINT64_MAX;
	unsigned period = rtc_period_cycles(r);
	uint8_t b = r->r.cmos[REG_B];

	if (rtc_divider_runs(r) && period && (b & B_PIE))
		next = (c / period + 1) * period;
	if (rtc_running(r) && (b & (B_UIE | B_AIE)) && (c / DIV_HZ + 1) * DIV_HZ < next)
		next = (c / DIV_HZ + 1) * DIV_HZ;
	if (next == UINT64_MAX)
		timer_cancel(r->m, &r->timer);
	else
		timer_arm(r->m, &r->timer, rtc_clock_of_cycle(r, next));
}

/* IRQF and the IRQ 8 line follow the flags and their enables. */
static void rtc_update(struct rtc *r)
{
	uint8_t *c = r->r.cmos, en = c[REG_B] & (B_PIE | B_AIE | B_UIE);
	bool irqf = (c[REG_C] & en & (C_PF | C_AF | C_UF)) != 0;

	c[REG_C] = (uint8_t)((c[REG_C] & 0x70) | (irqf ? C_IRQF : 0));
	irq_set(r->irq, irqf);
	rtc_arm(r, r->m->icount);
}

static void rtc_fire(void *opaque, uint64_t now)
{
	struct rtc *r = opaque;

	rtc_advance(r, now);
	rtc_update(r);
}

/* ---- registers ---- */

static bool rtc_is_time_reg(uint8_t i)
{
	return i <= 9 && i != 1 && i != 3 && i != 5;
}

static uint8_t rtc_read_reg(struct rtc *r, uint8_t i)
{
	uint64_t now = r->m->icount;
	uint8_t v;

	if ((rtc_is_time_reg(i) || i == CMOS_CENTURY) && rtc_running(r))
		rtc_store_time(r, rtc_seconds_at(r, rtc_cycles(r, now)));
	if (i == REG_A)
		return (uint8_t)((r->r.cmos[REG_A] & 0x7f) |
				 (rtc_running(r) && rtc_cycles(r, now) % DIV_HZ >= DIV_HZ - UIP_CYCLES
				  ? A_UIP : 0));
	if (i == REG_D)
		return 0x80;   /* VRT: the battery is good */
	if (i != REG_C)
		return r->r.cmos[i];
	rtc_advance(r, now);
	v = r->r.cmos[REG_C];
	r->r.cmos[REG_C] = 0;
	rtc_update(r);
	return v;
}

/*
 * A write that may stop, start or re-set the clock: the running time is
 * stored into the registers first, and whenever the clock runs after the
 * write that set the time or started the clock, base_time is what the
 * registers say minus the whole seconds the divider has counted. Leaving divider reset starts the chain half a
 * second before its first update, as the datasheet says.
 */
static void rtc_write_clocked(struct rtc *r, uint8_t i, uint8_t v)
{
	uint64_t now = r->m->icount;
	bool was_running = rtc_running(r), divider_ran = rtc_divider_runs(r);

	rtc_advance(r, now);
	if (was_running)
		rtc_store_time(r, rtc_seconds_at(r, rtc_cycles(r, now)));
	if (i == REG_B && (v & B_SET))
		v &= (uint8_t)~B_UIE;
	r->r.cmos[i] = i == REG_A ? (uint8_t)(v & 0x7f) : v;
	if (!divider_ran && rtc_divider_runs(r))
		r->r.div_base = (int64_t)now - (int64_t)(VCLOCK_HZ / 2);
	if (rtc_running(r) && (!was_running || rtc_is_time_reg(i) || i == CMOS_CENTURY))
		r->r.base_time = rtc_parse_time(r) - (int64_t)(rtc_cycles(r, now) / DIV_HZ);
	r->r.last_check = now;
	rtc_update(r);
}

static void rtc_write_reg(struct rtc *r, uint8_t i, uint8_t v)
{
	if (i == REG_C || i == REG_D)
		return;        /* read-only */
	if (rtc_is_time_reg(i) || i == REG_A || i == REG_B || i == CMOS_CENTURY)
		rtc_write_clocked(r, i, v);
	else
		r->r.cmos[i] = v;
	if (i <= 5)
		rtc_update(r);
}

static uint32_t rtc_read(void *dev, uint16_t port, int size)
{
	struct rtc *r = dev;
	uint32_t v = 0;

	for (int k = 0; k < size; k++)
		v |= (uint32_t)((port + k) & 1 ? rtc_read_reg(r, r->r.index) : 0xff) << (8 * k);
	return v;
}

static void rtc_write(void *dev, uint16_t port, int size, uint32_t val)
{
	struct rtc *r = dev;

	for (int k = 0; k < size; k++, val >>= 8) {
		if ((port + k) & 1) {
			rtc_write_reg(r, r->r.index, (uint8_t)val);
		} else {
			r->r.index = val & 0x7f;
			r->r.nmi_disabled = (val >> 7) & 1;
		}
	}
}

static void rtc_set_word(uint8_t *cmos, int at, uint32_t v)
{
	v = v > 0xffff ? 0xffff : v;
	cmos[at] = (uint8_t)v;
	cmos[at + 1] = (uint8_t)(v >> 8);
}

/* The memory sizes a BIOS would have written: 640 KiB base, KiB above
 * 1 MiB (0x17 and 0x30), 64 KiB units above 16 MiB (0x34). */
static void rtc_fill_memory_sizes(struct rtc *r)
{
	uint32_t ram = r->m->ram_size;

	rtc_set_word(r->r.cmos, 0x15, 640);
	rtc_set_word(r->r.cmos, 0x17, (ram - (1u << 20)) >> 10);
	rtc_set_word(r->r.cmos, 0x30, (ram - (1u << 20)) >> 10);
	rtc_set_word(r->r.cmos, 0x34, ram > (16u << 20) ? (ram - (16u << 20)) >> 16 : 0);
}

static int rtc_create(struct machine *m, void *st)
{
	struct rtc *r = st;

	r->m = m;
	r->irq = &m->isa_irq[RTC_IRQ];
	if (timer_init(m, &r->timer, "rtc", rtc_fire, r) < 0)
		return -1;
	return machine_io_register(m, RTC_PORT, 2, rtc_read, rtc_write, r);
}

/* Power-on at clock 0: the divider running at 1024 Hz periodic rate, BCD,
 * 24 hours, the time the machine was told to start at. */
static void rtc_reset(void *st)
{
	struct rtc *r = st;

	memset(&r->r, 0, sizeof(r->r));
	r->r.cmos[REG_A] = 0x26;
	r->r.cmos[REG_B] = B_24H;
	r->r.base_time = r->m->rtc_base;
	rtc_store_time(r, r->r.base_time);
	rtc_fill_memory_sizes(r);
	timer_cancel(r->m, &r->timer);
	irq_lower(r->irq);
}

struct rtc_blob {
	struct rtc_regs r;
	uint64_t deadline;
};

static void rtc_save(const void *st, uint8_t *blob)
{
	const struct rtc *r = st;
	struct rtc_blob b;

	memset(&b, 0, sizeof(b));
	b.r = r->r;
	b.deadline = r->timer.deadline;
	memcpy(blob, &b, sizeof(b));
}

static void rtc_load(void *st, const uint8_t *blob)
{
	struct rtc *r = st;
	struct rtc_blob b;

	memcpy(&b, blob, sizeof(b));
	r->r = b.r;
	timer_arm(r->m, &r->timer, b.deadline);
	irq_set(r->irq, (r->r.cmos[REG_C] & C_IRQF) != 0);
}

const struct device_ops rtc_ops = {
	.name = "mc146818",
	.state_size = sizeof(struct rtc),
	.blob_size = sizeof(struct rtc_blob),
	.create = rtc_create,
	.reset = rtc_reset,
	.save = rtc_save,
	.load = rtc_load,
};
