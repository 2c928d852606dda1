/*
 * The 8254 programmable interval timer (0x40-0x43) and port 0x61, which
 * gates channel 2 and shows its OUT (bit 5) and the refresh toggle (bit 4).
 * Counters are not ticked: each channel remembers the PIT tick its count
 * started at, and its value and OUT level are computed from the virtual
 * clock when read (1.193182 MHz, converted exactly from machine.icount).
 * Channel 0 drives IRQ 0: a timer fires at each of its OUT transitions.
 * Semantics of the Intel 8254 datasheet: modes 0-5 with their gate rules,
 * LSB/MSB/word access, counter latch, read-back (count and status), BCD.
 * A count is loaded into the counting element one PIT clock after it is
 * written (the datasheet's "N+1" in mode 0); a new count written while
 * mode 2 or 3 runs restarts the period at once, as QEMU does.
 */
#include "devices/devices.h"

#include <stddef.h>
#include <string.h>

#define PIT_PORT 0x40
#define PORT61 0x61
#define PIT_HZ 1193182u
#define REFRESH_NS 15085u   /* the DRAM refresh request period, bit 4 of 0x61 */

enum { PIT_IDLE, PIT_WAIT_TRIGGER, PIT_RUN, PIT_PAUSED };

_Static_assert(sizeof(struct pit_channel) == 40, "struct pit_channel has hidden padding");

static uint64_t pit_now(const struct pit *p)
{
	return timer_scale(p->m->icount, PIT_HZ, VCLOCK_HZ);
}

/* Ticks counted so far; false if the count is not in the counting element yet. */
static bool pit_elapsed(const struct pit_channel *ch, uint64_t now, uint64_t *d)
{
	if (ch->state == PIT_PAUSED) {
		*d = ch->frozen_d;
		return true;
	}
	if (ch->state != PIT_RUN || now < ch->load_time)
		return false;
	*d = now - ch->load_time;
	return true;
}

static uint32_t pit_modulus(const struct pit_channel *ch)
{
	return ch->bcd ? 10000u : 0x10000u;
}

/* The counting element after d ticks, as the counter would show it (binary). */
static uint32_t pit_counter_at(const struct pit_channel *ch, uint64_t d)
{
	uint32_t mod = pit_modulus(ch);

	switch (ch->mode) {
	case 2:
		return (uint32_t)(ch->count - d % ch->count) % mod;
	case 3:
		return (uint32_t)(ch->count - (2 * d) % ch->count) % mod;
	default:
		return (uint32_t)((ch->count + mod - d % mod) % mod);
	}
}

static bool pit_out_at(const struct pit_channel *ch, uint64_t d)
{
	switch (ch->mode) {
	case 0: case 1:
		return d >= ch->count;
	case 2:
		return d % ch->count != ch->count - 1;
	case 3:
		return d % ch->count < (ch->count + 1) / 2;
	default:
		return d != ch->count;
	}
}

static bool pit_out(const struct pit_channel *ch, uint64_t now)
{
	uint64_t d;

	if (!ch->written)
		return false;   /* unprogrammed since reset: IRQ 0 stays low */
	if (ch->state == PIT_PAUSED && (ch->mode == 2 || ch->mode == 3))
		return true;    /* gate low forces OUT high in modes 2 and 3 */
	if (!pit_elapsed(ch, now, &d))
		return ch->mode != 0;   /* mode 0 holds OUT low from the control word on */
	return pit_out_at(ch, d);
}

/* The tick count (since load) of OUT's next change after d, or 0 if none. */
static uint64_t pit_next_change(const struct pit_channel *ch, uint64_t d)
{
	uint64_t n = ch->count, base = d - d % n, half = (n + 1) / 2;

	if (n == 1 && (ch->mode == 2 || ch->mode == 3))
		return 0;       /* a count of 1 never changes OUT: no timer every tick */
	switch (ch->mode) {
	case 0: case 1:
		return d < n ? n : 0;
	case 2:
		return d % n < n - 1 ? base + n - 1 : base + n;
	case 3:
		return d % n < half ? base + half : base + n;
	default:
		return d < n ? n : d == n ? n + 1 : 0;
	}
}

/* The PIT tick of OUT's next change, 0 if it will not change by itself. */
static uint64_t pit_next_tick(const struct pit_channel *ch, uint64_t now)
{
	uint64_t n;

	if (ch->state != PIT_RUN)
		return 0;
	if (now < ch->load_time)
		return ch->load_time;
	n = pit_next_change(ch, now - ch->load_time);
	return n ? ch->load_time + n : 0;
}

/* Channel 0's OUT onto IRQ 0, and the timer for its next change. */
static void pit_update_irq(struct pit *p)
{
	uint64_t now = pit_now(p), next = pit_next_tick(&p->ch[0], now);

	irq_set(p->irq, pit_out(&p->ch[0], now));
	if (next)
		timer_arm(p->m, &p->timer, timer_scale_up(next, PIT_HZ, VCLOCK_HZ));
	else
		timer_cancel(p->m, &p->timer);
}

static void pit_fire(void *opaque, uint64_t now)
{
	(void)now;
	pit_update_irq(opaque);
}

static uint32_t pit_to_bcd(uint32_t v)
{
	return (v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 | (v / 1000 % 10) << 12;
}

static uint32_t pit_from_bcd(uint32_t v)
{
	return (v & 15) + (v >> 4 & 15) * 10 + (v >> 8 & 15) * 100 + (v >> 12 & 15) * 1000;
}

static uint16_t pit_read_counter(const struct pit *p, const struct pit_channel *ch)
{
	uint64_t d;
	uint32_t v = pit_elapsed(ch, pit_now(p), &d) ? pit_counter_at(ch, d)
						      : ch->count % pit_modulus(ch);
	return (uint16_t)(ch->bcd ? pit_to_bcd(v) : v);
}

static void pit_latch_count(struct pit *p, struct pit_channel *ch)
{
	if (ch->count_latched)
		return;
	ch->latched_count = pit_read_counter(p, ch);
	ch->count_latched = ch->rw_mode;
}

static void pit_latch_status(struct pit *p, struct pit_channel *ch)
{
	uint64_t now = pit_now(p);
	bool null = ch->state == PIT_IDLE || ch->state == PIT_WAIT_TRIGGER ||
		    (ch->state == PIT_RUN && now < ch->load_time);

	if (ch->status_latched)
		return;
	ch->status = (uint8_t)(pit_out(ch, now) << 7 | (null && ch->written) << 6 |
			       ch->rw_mode << 4 | ch->mode_bits << 1 | ch->bcd);
	ch->status_latched = 1;
}

/* A complete count arrived: the counting element loads it one clock later. */
static void pit_load(struct pit *p, struct pit_channel *ch, uint32_t raw)
{
	uint32_t v = ch->bcd ? pit_from_bcd(raw) : raw;

	ch->count = v ? v : pit_modulus(ch);
	ch->written = 1;
	ch->load_time = pit_now(p) + 1;
	ch->frozen_d = 0;
	if (ch->mode == 1 || ch->mode == 5)
		ch->state = PIT_WAIT_TRIGGER;
	else
		ch->state = ch->gate ? PIT_RUN : PIT_PAUSED;
}

static void pit_write_counter(struct pit *p, struct pit_channel *ch, uint8_t v)
{
	switch (ch->rw_mode) {
	case 1:
		pit_load(p, ch, v);
		break;
	case 2:
		pit_load(p, ch, (uint32_t)v << 8);
		break;
	default:
		if (!ch->write_msb) {
			ch->write_latch = v;
			if (ch->mode == 0)
				ch->state = PIT_IDLE;  /* the first byte stops mode 0 */
		} else {
			pit_load(p, ch, ch->write_latch | (uint32_t)v << 8);
		}
		ch->write_msb ^= 1;
		break;
	}
}

static uint8_t pit_read_latched(struct pit_channel *ch)
{
	uint16_t v = ch->latched_count;

	switch (ch->count_latched) {
	case 1:
		ch->count_latched = 0;
		return (uint8_t)v;
	case 2:
		ch->count_latched = 0;
		return (uint8_t)(v >> 8);
	default:
		ch->count_latched = 2;
		return (uint8_t)v;
	}
}

static uint8_t pit_read_channel(struct pit *p, struct pit_channel *ch)
{
	uint16_t v;

	if (ch->status_latched) {
		ch->status_latched = 0;
		return ch->status;
	}
	if (ch->count_latched)
		return pit_read_latched(ch);
	v = pit_read_counter(p, ch);
	if (ch->rw_mode == 1)
		return (uint8_t)v;
	if (ch->rw_mode == 2)
		return (uint8_t)(v >> 8);
	ch->read_msb ^= 1;
	return (uint8_t)(ch->read_msb ? v : v >> 8);
}

static void pit_read_back(struct pit *p, uint8_t v)
{
	for (int n = 0; n < 3; n++) {
		if (!(v & (2u << n)))
			continue;
		if (!(v & 0x20))
			pit_latch_count(p, &p->ch[n]);
		if (!(v & 0x10))
			pit_latch_status(p, &p->ch[n]);
	}
}

static void pit_write_control(struct pit *p, uint8_t v)
{
	struct pit_channel *ch = &p->ch[(v >> 6) & 3];
	uint8_t rw = (v >> 4) & 3;

	if ((v >> 6) == 3) {
		pit_read_back(p, v);
		return;
	}
	if (rw == 0) {
		pit_latch_count(p, ch);
		return;
	}
	ch->rw_mode = rw;
	ch->mode_bits = (v >> 1) & 7;
	ch->mode = ch->mode_bits >= 6 ? ch->mode_bits - 4 : ch->mode_bits;
	ch->bcd = v & 1;
	ch->read_msb = ch->write_msb = 0;
	ch->state = PIT_IDLE;
	ch->written = 1;
}

/*
 * Gate rules: modes 0 and 4 pause while low; modes 2 and 3 stop (OUT
 * high) while low and reload on the rising edge; modes 1 and 5 start
 * (or restart) on the rising edge.
 */
static void pit_set_gate(struct pit *p, struct pit_channel *ch, uint8_t gate)
{
	uint64_t now = pit_now(p), d;
	bool rising = gate && !ch->gate;

	ch->gate = gate;
	if (!gate && ch->state == PIT_RUN && (ch->mode == 0 || ch->mode == 4 ||
					      ch->mode == 2 || ch->mode == 3)) {
		ch->frozen_d = pit_elapsed(ch, now, &d) ? d : 0;
		ch->state = PIT_PAUSED;
	} else if (rising && ch->state == PIT_PAUSED && (ch->mode == 0 || ch->mode == 4)) {
		ch->load_time = now - ch->frozen_d;
		ch->state = PIT_RUN;
	} else if (rising && ch->state != PIT_IDLE) {
		ch->load_time = now + 1;
		ch->state = PIT_RUN;
	}
}

static uint8_t pit_read_port61(struct pit *p)
{
	uint64_t ns = timer_scale(p->m->icount, 1000000000u, VCLOCK_HZ);
	bool refresh = (ns / REFRESH_NS) & 1;

	return (uint8_t)((p->port61 & 0x0f) | refresh << 4 | pit_out(&p->ch[2], pit_now(p)) << 5);
}

static uint8_t pit_read_byte(struct pit *p, uint16_t port)
{
	if (port == PORT61)
		return pit_read_port61(p);
	if (port == PIT_PORT + 3)
		return 0xff;    /* the control word register cannot be read */
	return pit_read_channel(p, &p->ch[port - PIT_PORT]);
}

static void pit_write_byte(struct pit *p, uint16_t port, uint8_t v)
{
	if (port == PORT61) {
		p->port61 = v & 0x0f;
		pit_set_gate(p, &p->ch[2], v & 1);
	} else if (port == PIT_PORT + 3) {
		pit_write_control(p, v);
	} else {
		pit_write_counter(p, &p->ch[port - PIT_PORT], v);
	}
}

static uint32_t pit_read(void *dev, uint16_t port, int size)
{
	uint32_t v = 0;

	for (int k = 0; k < size; k++)
		v |= (uint32_t)pit_read_byte(dev, (uint16_t)(port + k)) << (8 * k);
	return v;
}

static void pit_write(void *dev, uint16_t port, int size, uint32_t val)
{
	for (int k = 0; k < size; k++)
		pit_write_byte(dev, (uint16_t)(port + k), (uint8_t)(val >> (8 * k)));
	pit_update_irq(dev);
}

static int pit_create(struct machine *m, void *st)
{
	struct pit *p = st;

	p->m = m;
	p->irq = &m->isa_irq[0];
	if (timer_init(m, &p->timer, "pit", pit_fire, p) < 0 ||
	    machine_io_register(m, PIT_PORT, 4, pit_read, pit_write, p) < 0)
		return -1;
	return machine_io_register(m, PORT61, 1, pit_read, pit_write, p);
}

/* Unprogrammed counters (no count, OUT low); gates 0 and 1 tied high. */
static void pit_reset(void *st)
{
	struct pit *p = st;

	memset(p->ch, 0, sizeof(p->ch));
	p->port61 = 0;
	for (int n = 0; n < 3; n++) {
		p->ch[n].count = 0x10000;
		p->ch[n].rw_mode = p->ch[n].mode = p->ch[n].mode_bits = 3;
		p->ch[n].gate = n != 2;
	}
	timer_cancel(p->m, &p->timer);
	irq_lower(p->irq);
}

struct pit_blob {
	struct pit_channel ch[3];
	uint8_t port61;
};

static void pit_save(const void *st, uint8_t *blob)
{
	const struct pit *p = st;
	struct pit_blob b;

	memset(&b, 0, sizeof(b));
	memcpy(b.ch, p->ch, sizeof(b.ch));
	b.port61 = p->port61;
	memcpy(blob, &b, sizeof(b));
}

static void pit_load_state(void *st, const uint8_t *blob)
{
	struct pit *p = st;
	struct pit_blob b;

	memcpy(&b, blob, sizeof(b));
	memcpy(p->ch, b.ch, sizeof(p->ch));
	p->port61 = b.port61;
	pit_update_irq(p);
}

const struct device_ops pit_ops = {
	.name = "i8254",
	.state_size = sizeof(struct pit),
	.blob_size = sizeof(struct pit_blob),
	.create = pit_create,
	.reset = pit_reset,
	.save = pit_save,
	.load = pit_load_state,
};
