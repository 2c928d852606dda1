/*
 * Timers on the virtual clock. The clock is machine.icount, and one guest
 * instruction is one nanosecond of virtual time: the guest's TSC (icount
 * plus an offset) runs at 1 GHz, and every device converts between its own
 * rate and the clock with exact integer arithmetic, so a guest that
 * calibrates the TSC against the PIT gets the same answer on every run
 * and every engine. A halted CPU jumps straight to the next deadline.
 *
 * The queue is a short array of the devices' timers (a PC has a handful),
 * with the earliest deadline cached in `next` so an engine checks it with
 * one compare per instruction or per block.
 */
#ifndef DOPPEL_TIMER_H
#define DOPPEL_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

#define VCLOCK_HZ 1000000000ull      /* clock ticks (instructions) per second */
#define TIMER_NEVER UINT64_MAX

/* Called once its deadline is reached, with the clock at or past it. */
typedef void timer_fn(void *opaque, uint64_t now);

struct timer {
	uint64_t deadline;   /* TIMER_NEVER when not armed */
	timer_fn *fire;
	void *opaque;
	const char *name;
};

#define TIMERS_MAX 8

struct timer_queue {
	uint64_t next;       /* the earliest armed deadline, or TIMER_NEVER */
	struct timer *t[TIMERS_MAX];
	int n;
};

/* Add a timer (disarmed) to the machine's queue; -1 with a message if full. */
int timer_init(struct machine *m, struct timer *t, const char *name,
	       timer_fn *fire, void *opaque);
/* Arm t for `deadline` (clock ticks), replacing any earlier arming. */
void timer_arm(struct machine *m, struct timer *t, uint64_t deadline);
void timer_cancel(struct machine *m, struct timer *t);
/* Fire every timer whose deadline is <= the clock, earliest first. */
void timer_run_due(struct machine *m);
/* Recompute queue.next (after loading timers' deadlines from a snapshot). */
void timer_update_next(struct machine *m);

/* floor(ticks * num / den) without overflow: rate conversions. */
static inline uint64_t timer_scale(uint64_t ticks, uint64_t num, uint64_t den)
{
	return (uint64_t)((unsigned __int128)ticks * num / den);
}

/* The first clock tick at which ticks_of(clock) reaches `ticks`: the
 * inverse of timer_scale, rounded up. */
static inline uint64_t timer_scale_up(uint64_t ticks, uint64_t num, uint64_t den)
{
	unsigned __int128 r = ((unsigned __int128)ticks * den + num - 1) / num;
	return r > TIMER_NEVER ? TIMER_NEVER : (uint64_t)r;
}

#endif
