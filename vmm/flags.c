/*
 * Eager EFLAGS: every arithmetic instruction computes its six status flags
 * at once, in straight-line C, so the interpreter's state is always the
 * architectural one (no lazy flags to materialize at exceptions).
 */
#include "interp.h"
#include "alu.h"

/* Bits 3, 5, 15 and 22-31 read as zero; bit 1 reads as one. */
#define F_RESERVED0 (0x00000028u | 0x00008000u | 0xffc00000u)

uint32_t flags_add(struct cpu *c, uint32_t a, uint32_t b, uint32_t carry, int size)
{
	uint32_t mask = alu_mask(size);
	uint64_t wide = (uint64_t)(a & mask) + (b & mask) + carry;
	uint32_t r = (uint32_t)wide & mask;
	uint32_t f = flags_szp(r, size) | ((a ^ b ^ r) & F_AF);

	if (wide > mask)
		f |= F_CF;
	if ((a ^ r) & (b ^ r) & alu_sign(size))
		f |= F_OF;
	flags_set_arith(c, f);
	return r;
}

uint32_t flags_sub(struct cpu *c, uint32_t a, uint32_t b, uint32_t borrow, int size)
{
	uint32_t mask = alu_mask(size);
	uint32_t r = (a - b - borrow) & mask;
	uint32_t f = flags_szp(r, size) | ((a ^ b ^ r) & F_AF);

	if ((uint64_t)(a & mask) < (uint64_t)(b & mask) + borrow)
		f |= F_CF;
	if ((a ^ b) & (a ^ r) & alu_sign(size))
		f |= F_OF;
	flags_set_arith(c, f);
	return r;
}

/* AND, OR, XOR, TEST: CF = OF = 0, and Intel clears the undefined AF. */
void flags_logic(struct cpu *c, uint32_t result, int size)
{
	flags_set_arith(c, flags_szp(result, size));
}

bool cond_holds(const struct cpu *c, int cc)
{
	uint32_t f = c->eflags;
	bool sf_ne_of = !(f & F_SF) != !(f & F_OF);
	bool r;

	switch ((cc >> 1) & 7) {
	case 0: r = f & F_OF; break;
	case 1: r = f & F_CF; break;
	case 2: r = f & F_ZF; break;
	case 3: r = f & (F_CF | F_ZF); break;
	case 4: r = f & F_SF; break;
	case 5: r = f & F_PF; break;
	case 6: r = sf_ne_of; break;
	default: r = sf_ne_of || (f & F_ZF); break;
	}
	return r ^ (cc & 1);
}

void flags_write(struct cpu *c, uint32_t value, uint32_t writable)
{
	uint32_t f = (c->eflags & ~writable) | (value & writable);

	c->eflags = (f & ~F_RESERVED0) | F_FIXED1;
}
