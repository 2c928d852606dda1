/*
 * The deadline queue of the virtual clock (see timer.h): a few timers,
 * scanned linearly, the earliest deadline cached for the engines.
 */
#include "vmm/timer.h"

#include <stdio.h>

#include "vmm/machine.h"

int timer_init(struct machine *m, struct timer *t, const char *name,
	       timer_fn *fire, void *opaque)
{
	struct timer_queue *q = &m->timers;

	*t = (struct timer){ TIMER_NEVER, fire, opaque, name };
	for (int k = 0; k < q->n; k++)
		if (q->t[k] == t)
			return 0;
	if (q->n == TIMERS_MAX) {
		fprintf(stderr, "doppel: no room for timer %s (TIMERS_MAX %d)\n", name, TIMERS_MAX);
		return -1;
	}
	q->t[q->n++] = t;
	timer_update_next(m);
	return 0;
}

void timer_update_next(struct machine *m)
{
	struct timer_queue *q = &m->timers;
	uint64_t next = TIMER_NEVER;

	for (int k = 0; k < q->n; k++)
		if (q->t[k]->deadline < next)
			next = q->t[k]->deadline;
	q->next = next;
}

void timer_arm(struct machine *m, struct timer *t, uint64_t deadline)
{
	t->deadline = deadline;
	timer_update_next(m);
}

void timer_cancel(struct machine *m, struct timer *t)
{
	t->deadline = TIMER_NEVER;
	timer_update_next(m);
}

static struct timer *timer_earliest_due(struct machine *m)
{
	struct timer_queue *q = &m->timers;
	struct timer *best = NULL;

	for (int k = 0; k < q->n; k++)
		if (q->t[k]->deadline <= m->icount && (!best || q->t[k]->deadline < best->deadline))
			best = q->t[k];
	return best;
}

/* A callback may re-arm its own timer (periodic ones do) at a deadline
 * still in the past after a long halt; it runs again until caught up. */
void timer_run_due(struct machine *m)
{
	struct timer *t;

	while ((t = timer_earliest_due(m))) {
		t->deadline = TIMER_NEVER;
		t->fire(t->opaque, m->icount);
	}
	timer_update_next(m);
}
