/*
 * Interrupt lines as small objects handed to devices (TinyEMU's idea): a
 * device drives its line high or low and never knows what is behind it --
 * the PIC for ISA lines, the CPU's INTR pin for the PIC's output, a fake
 * in a unit test. The one place a recorder can watch interrupts.
 */
#ifndef DOPPEL_IRQ_H
#define DOPPEL_IRQ_H

typedef void irq_set_fn(void *opaque, int n, int level);

struct irq_line {
	irq_set_fn *set;
	void *opaque;
	int n;           /* which input of the receiver this line is */
};

static inline void irq_set(const struct irq_line *l, int level)
{
	if (l && l->set)
		l->set(l->opaque, l->n, level);
}

static inline void irq_raise(const struct irq_line *l) { irq_set(l, 1); }
static inline void irq_lower(const struct irq_line *l) { irq_set(l, 0); }

#define ISA_IRQS 16

#endif
