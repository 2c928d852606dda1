/*
 * EFLAGS as POPF, IRET and SAHF write it: the reserved bits forced. The
 * status flags of arithmetic are computed eagerly by the inline cores of
 * vmm/alu.h.
 */
#include "interp.h"
#include "alu.h"

/* Bits 3, 5, 15 and 22-31 read as zero; bit 1 reads as one. */
#define F_RESERVED0 (0x00000028u | 0x00008000u | 0xffc00000u)

void flags_write(struct cpu *c, uint32_t value, uint32_t writable)
{
	uint32_t f = (c->eflags & ~writable) | (value & writable);

	c->eflags = (f & ~F_RESERVED0) | F_FIXED1;
}
