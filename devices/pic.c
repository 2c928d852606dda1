/*
 * The 8259A programmable interrupt controller pair of the PC/AT: master at
 * 0x20, slave at 0xA0 cascaded on the master's IR2, and the PIIX edge/level
 * control registers (ELCR) at 0x4D0/0x4D1 as QEMU has them. Devices drive
 * its inputs through isa_irq lines; its output is the CPU's INTR line, and
 * the engine acknowledges with pic_ack at an instruction boundary.
 * Register semantics follow the Intel 8259A datasheet: ICW1-4, OCW1-3,
 * fully nested and rotating priorities, specific and non-specific EOI,
 * auto-EOI, special mask, special fully nested, poll, spurious IR7.
 */
#include "devices/devices.h"

#include <stddef.h>
#include <string.h>

#define PIC_MASTER 0x20
#define PIC_SLAVE 0xa0
#define PIC_ELCR 0x4d0
#define CASCADE_IRQ 2
#define SPURIOUS_IRQ 7

/* Priority level (0 highest) of the best request in mask, 8 if none. */
static int pic_priority(const struct pic_chip *s, uint8_t mask)
{
	int prio = 0;

	if (!mask)
		return 8;
	while (!(mask & (1u << ((prio + s->priority_add) & 7))))
		prio++;
	return prio;
}

static bool pic_level_mode(const struct pic_chip *s, int irq)
{
	return s->ltim || (s->elcr & (1u << irq));
}

/*
 * The IR the chip would signal now, or -1. A request must beat every
 * in-service level; special mask mode ignores masked in-service bits, and
 * the master in special fully nested mode lets the slave interrupt again
 * while its cascade input is in service.
 */
static int pic_get_irq(const struct pic_chip *s, bool master)
{
	int prio = pic_priority(s, s->irr & ~s->imr);
	uint8_t in_service = s->isr;

	if (prio == 8)
		return -1;
	if (s->special_mask)
		in_service &= ~s->imr;
	if (s->sfnm && master)
		in_service &= ~(1u << CASCADE_IRQ);
	if (prio < pic_priority(s, in_service))
		return (prio + s->priority_add) & 7;
	return -1;
}

static void pic_chip_input(struct pic_chip *s, int irq, int level)
{
	uint8_t bit = (uint8_t)(1u << irq);

	if (pic_level_mode(s, irq)) {
		s->irr = level ? s->irr | bit : s->irr & ~bit;
		s->last_irr = level ? s->last_irr | bit : s->last_irr & ~bit;
	} else if (level) {
		if (!(s->last_irr & bit))
			s->irr |= bit;
		s->last_irr |= bit;
	} else {
		s->last_irr &= ~bit;
	}
}

/* The slave's INT output drives the master's IR2; the master's is INTR. */
static void pic_update(struct pic *p)
{
	pic_chip_input(&p->chip[0], CASCADE_IRQ, pic_get_irq(&p->chip[1], false) >= 0);
	irq_set(p->intr, pic_get_irq(&p->chip[0], true) >= 0);
}

void pic_set_irq(void *opaque, int n, int level)
{
	struct pic *p = opaque;

	pic_chip_input(&p->chip[n >> 3], n & 7, level);
	pic_update(p);
}

/* The INTA cycle on one chip: IS bit set (or, in auto-EOI, the EOI done
 * at once), an edge request consumed. */
static void pic_intack(struct pic_chip *s, int irq)
{
	if (!s->auto_eoi)
		s->isr |= (uint8_t)(1u << irq);
	else if (s->rotate_auto_eoi)
		s->priority_add = (irq + 1) & 7;
	if (!pic_level_mode(s, irq))
		s->irr &= (uint8_t)~(1u << irq);
}

/*
 * The vector for an interrupt acknowledge. A request that went away
 * before INTA yields the spurious IR7 of the chip that lost it (the
 * master's IS2 stays set when the slave's request vanished).
 */
int pic_ack(struct pic *p)
{
	struct pic_chip *ms = &p->chip[0], *sl = &p->chip[1];
	int irq = pic_get_irq(ms, true), vector;

	if (irq < 0) {
		vector = ms->irq_base + SPURIOUS_IRQ;
	} else if (irq == CASCADE_IRQ) {
		int irq2 = pic_get_irq(sl, false);
		if (irq2 >= 0)
			pic_intack(sl, irq2);
		vector = sl->irq_base + (irq2 >= 0 ? irq2 : SPURIOUS_IRQ);
		pic_intack(ms, irq);
	} else {
		vector = ms->irq_base + irq;
		pic_intack(ms, irq);
	}
	pic_update(p);
	if (p->m->trace & TRACE_INT)
		fprintf(p->m->trace_out, "int: pic acknowledged vector 0x%02x\n", vector);
	return vector;
}

/* ICW1: the datasheet's initialization sequence; ELCR survives it. */
static void pic_write_icw1(struct pic_chip *s, uint8_t v)
{
	uint8_t elcr = s->elcr, elcr_mask = s->elcr_mask, irr = s->irr, levels = s->last_irr;

	/* The edge sense latch is reset: an input already high must go low
	 * and high again, so the input levels are kept and edge requests go. */
	*s = (struct pic_chip){ .elcr = elcr, .elcr_mask = elcr_mask, .irr = irr & elcr,
				.last_irr = levels };
	s->init_state = 1;
	s->icw4_needed = v & 1;
	s->single = (v >> 1) & 1;
	s->ltim = (v >> 3) & 1;
}

static void pic_eoi(struct pic_chip *s, int irq, bool rotate)
{
	s->isr &= (uint8_t)~(1u << irq);
	if (rotate)
		s->priority_add = (irq + 1) & 7;
}

/* OCW2: R, SL, EOI in bits 7-5, the level in bits 2-0. */
static void pic_write_ocw2(struct pic_chip *s, uint8_t v)
{
	int cmd = v >> 5, prio;

	switch (cmd) {
	case 0: case 4: /* clear / set rotate in auto-EOI mode */
		s->rotate_auto_eoi = cmd >> 2;
		break;
	case 1: case 5: /* non-specific EOI: the highest level in service */
		prio = pic_priority(s, s->isr);
		if (prio != 8)
			pic_eoi(s, (prio + s->priority_add) & 7, cmd == 5);
		break;
	case 3: case 7: /* specific EOI, with rotation for 7 */
		pic_eoi(s, v & 7, cmd == 7);
		break;
	case 6: /* set priority: the given level becomes the lowest */
		s->priority_add = (v + 1) & 7;
		break;
	default: /* 2: no operation */
		break;
	}
}

static void pic_write_ocw3(struct pic_chip *s, uint8_t v)
{
	if (v & 0x04)
		s->poll = 1;
	if (v & 0x02)
		s->read_isr = v & 1;
	if (v & 0x40)
		s->special_mask = (v >> 5) & 1;
}

/* The second port: OCW1 (the mask), or the next ICW of a sequence. */
static void pic_write_data(struct pic_chip *s, uint8_t v)
{
	switch (s->init_state) {
	case 0:
		s->imr = v;
		break;
	case 1:
		s->irq_base = v & 0xf8;
		s->init_state = s->single ? (s->icw4_needed ? 3 : 0) : 2;
		break;
	case 2:
		s->icw3 = v;
		s->init_state = s->icw4_needed ? 3 : 0;
		break;
	default:
		s->sfnm = (v >> 4) & 1;
		s->auto_eoi = (v >> 1) & 1;
		s->init_state = 0;
		break;
	}
}

static void pic_write_cmd(struct pic_chip *s, uint8_t v)
{
	if (v & 0x10)
		pic_write_icw1(s, v);
	else if (v & 0x08)
		pic_write_ocw3(s, v);
	else
		pic_write_ocw2(s, v);
}

/* Poll: this read is the interrupt acknowledge; 0x80 | level if any. */
static uint8_t pic_poll_read(struct pic *p, struct pic_chip *s)
{
	bool master = s == &p->chip[0];
	int irq = pic_get_irq(s, master);

	s->poll = 0;
	if (irq < 0)
		return 0;
	pic_intack(s, irq);
	pic_update(p);
	return (uint8_t)(0x80 | irq);
}

static struct pic_chip *pic_chip_at(struct pic *p, uint16_t port)
{
	return &p->chip[(port & 0x80) ? 1 : 0];
}

static uint8_t pic_read_byte(struct pic *p, uint16_t port)
{
	struct pic_chip *s = pic_chip_at(p, port);

	if (s->poll)
		return pic_poll_read(p, s);
	if (port & 1)
		return s->imr;
	return s->read_isr ? s->isr : s->irr;
}

static uint32_t pic_read(void *dev, uint16_t port, int size)
{
	uint32_t v = 0;

	for (int k = 0; k < size; k++)
		v |= (uint32_t)pic_read_byte(dev, (uint16_t)(port + k)) << (8 * k);
	return v;
}

static void pic_write(void *dev, uint16_t port, int size, uint32_t val)
{
	struct pic *p = dev;

	for (int k = 0; k < size; k++, port++, val >>= 8) {
		struct pic_chip *s = pic_chip_at(p, port);
		if (port & 1)
			pic_write_data(s, (uint8_t)val);
		else
			pic_write_cmd(s, (uint8_t)val);
	}
	pic_update(p);
}

static uint32_t pic_elcr_read(void *dev, uint16_t port, int size)
{
	struct pic *p = dev;
	uint32_t v = 0;

	for (int k = 0; k < size; k++)
		v |= (uint32_t)p->chip[(port + k) & 1].elcr << (8 * k);
	return v;
}

static void pic_elcr_write(void *dev, uint16_t port, int size, uint32_t val)
{
	struct pic *p = dev;

	for (int k = 0; k < size; k++) {
		struct pic_chip *s = &p->chip[(port + k) & 1];
		s->elcr = (uint8_t)(val >> (8 * k)) & s->elcr_mask;
	}
	pic_update(p);
}

static int pic_create(struct machine *m, void *st)
{
	struct pic *p = st;

	p->m = m;
	p->intr = &m->cpu_intr;
	for (int n = 0; n < ISA_IRQS; n++)
		m->isa_irq[n] = (struct irq_line){ pic_set_irq, p, n };
	if (machine_io_register(m, PIC_MASTER, 2, pic_read, pic_write, p) < 0 ||
	    machine_io_register(m, PIC_SLAVE, 2, pic_read, pic_write, p) < 0)
		return -1;
	return machine_io_register(m, PIC_ELCR, 2, pic_elcr_read, pic_elcr_write, p);
}

/* After reset a chip waits for ICW1; IR0, 1, 2, 8 and 13 are edge only. */
static void pic_reset(void *st)
{
	struct pic *p = st;

	memset(p->chip, 0, sizeof(p->chip));
	p->chip[0].elcr_mask = 0xf8;
	p->chip[1].elcr_mask = 0xde;
	irq_lower(p->intr);
}

static void pic_save(const void *st, uint8_t *blob)
{
	memcpy(blob, ((const struct pic *)st)->chip, sizeof(((struct pic *)0)->chip));
}

static void pic_load(void *st, const uint8_t *blob)
{
	struct pic *p = st;

	memcpy(p->chip, blob, sizeof(p->chip));
	pic_update(p);
}

const struct device_ops pic_ops = {
	.name = "i8259",
	.state_size = sizeof(struct pic),
	.blob_size = sizeof(((struct pic *)0)->chip),
	.create = pic_create,
	.reset = pic_reset,
	.save = pic_save,
	.load = pic_load,
};
