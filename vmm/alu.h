/*
 * The arithmetic cores of the interpreter: pure functions of their inputs
 * and EFLAGS, bit-exact to an Intel P6-and-later CPU including the flags the
 * manual leaves undefined. The handlers in interp_*.c wrap them with operand
 * access; the unit tests compare them with the host CPU.
 */
#ifndef DOPPEL_ALU_H
#define DOPPEL_ALU_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"

/* Group 2 order (ModRM.reg of C0/C1/D0-D3). */
enum alu_shift_kind { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };

static inline uint32_t alu_mask(int size)
{
	return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

static inline uint32_t alu_sign(int size)
{
	return 1u << (size * 8 - 1);
}

/* SF, ZF and PF of a result of `size` bytes. */
static inline uint32_t flags_szp(uint32_t r, int size)
{
	uint32_t f = __builtin_parity(r & 0xff) ? 0 : F_PF;
	r &= alu_mask(size);
	if (!r)
		f |= F_ZF;
	if (r & alu_sign(size))
		f |= F_SF;
	return f;
}

static inline void flags_set_arith(struct cpu *c, uint32_t f)
{
	c->eflags = (c->eflags & ~F_ARITH) | f;
}

/*
 * ADD/ADC and SUB/SBB/CMP with all six flags; inline so that a handler
 * made for one operand size folds the masks away.
 */
static inline uint32_t flags_add(struct cpu *c, uint32_t a, uint32_t b, uint32_t carry, int size)
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

static inline uint32_t flags_sub(struct cpu *c, uint32_t a, uint32_t b, uint32_t borrow, int size)
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
static inline void flags_logic(struct cpu *c, uint32_t result, int size)
{
	flags_set_arith(c, flags_szp(result, size));
}

/* Does condition cc (the low nibble of Jcc, SETcc, CMOVcc) hold? */
static inline bool cond_holds(const struct cpu *c, int cc)
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

/* INC and DEC keep CF. */
static inline uint32_t alu_inc(struct cpu *c, uint32_t v, int size)
{
	uint32_t cf = c->eflags & F_CF;
	uint32_t r = flags_add(c, v, 1, 0, size);

	c->eflags = (c->eflags & ~F_CF) | cf;
	return r;
}

static inline uint32_t alu_dec(struct cpu *c, uint32_t v, int size)
{
	uint32_t cf = c->eflags & F_CF;
	uint32_t r = flags_sub(c, v, 1, 0, size);

	c->eflags = (c->eflags & ~F_CF) | cf;
	return r;
}

uint32_t alu_neg(struct cpu *c, uint32_t v, int size);

/*
 * The values of SHL, SHR and SAR of a size-byte v (masked to its size) by
 * n = 1..31 (the count masked to 5 bits), without flags: the cores below
 * use them, and so does a shift whose flags nothing reads.
 */
static inline uint32_t alu_shl_value(uint32_t v, unsigned n, int size)
{
	return (n < 32 ? v << n : 0) & alu_mask(size);
}

static inline uint32_t alu_shr_value(uint32_t v, unsigned n)
{
	return v >> n;
}

static inline uint32_t alu_sar_value(uint32_t v, unsigned n, int size)
{
	int32_t sv = (int32_t)(v << (32 - size * 8)) >> (32 - size * 8);

	return (uint32_t)(sv >> (n < 31 ? n : 31)) & alu_mask(size);
}

/* Count as the instruction encodes it: the core masks it to 5 bits. */
uint32_t alu_shift(struct cpu *c, int kind, uint32_t v, unsigned count, int size);
/* The same for a register shifted by an immediate (C0/C1): see alu.c for the difference. */
uint32_t alu_shift_imm(struct cpu *c, int kind, uint32_t v, unsigned count, int size);
uint32_t alu_shld(struct cpu *c, uint32_t dst, uint32_t src, unsigned count, int size);
uint32_t alu_shrd(struct cpu *c, uint32_t dst, uint32_t src, unsigned count, int size);

/* Double-width product of size-byte operands: low half returned, high in *hi. */
uint32_t alu_mul(struct cpu *c, uint32_t a, uint32_t b, int size, uint32_t *hi);

/*
 * CF = OF = the product does not fit in its low half. Intel's undefined
 * ones: SF and PF of the low half, ZF and AF cleared.
 */
static inline void alu_mul_flags(struct cpu *c, uint32_t lo, bool overflow, int size)
{
	flags_set_arith(c, (flags_szp(lo, size) & ~F_ZF) | (overflow ? F_CF | F_OF : 0));
}

static inline int64_t alu_sign_extend(uint64_t v, int bits)
{
	return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static inline uint32_t alu_imul(struct cpu *c, uint32_t a, uint32_t b, int size, uint32_t *hi)
{
	int bits = size * 8;
	int64_t p = alu_sign_extend(a, bits) * alu_sign_extend(b, bits);
	uint32_t lo = (uint32_t)p & alu_mask(size);

	*hi = (uint32_t)((uint64_t)p >> bits) & alu_mask(size);
	alu_mul_flags(c, lo, p != alu_sign_extend(lo, bits), size);
	return lo;
}
/*
 * Divide the 2*size-byte dividend by a size-byte divisor. Returns false
 * (nothing changed) when the CPU raises #DE: zero divisor or the quotient
 * does not fit.
 */
bool alu_div(struct cpu *c, uint64_t dividend, uint32_t divisor, int size,
	     uint32_t *quot, uint32_t *rem);
bool alu_idiv(struct cpu *c, uint64_t dividend, uint32_t divisor, int size,
	      uint32_t *quot, uint32_t *rem);

/* BSF/BSR: a zero source leaves the destination `dst` unchanged. */
uint32_t alu_bsf(struct cpu *c, uint32_t src, uint32_t dst, int size);
uint32_t alu_bsr(struct cpu *c, uint32_t src, uint32_t dst, int size);
enum alu_bit_op { BIT_TEST, BIT_SET, BIT_RESET, BIT_COMPLEMENT };
/* The BT family on a size-byte value; the bit number is taken modulo size*8. */
uint32_t alu_bittest(struct cpu *c, int op, uint32_t v, unsigned bit, int size);

/* BCD adjustments on AL / AX. */
uint8_t alu_daa(struct cpu *c, uint8_t al);
uint8_t alu_das(struct cpu *c, uint8_t al);
uint16_t alu_aaa(struct cpu *c, uint16_t ax);
uint16_t alu_aas(struct cpu *c, uint16_t ax);
/* AAM: returns false (#DE) for a zero base. */
bool alu_aam(struct cpu *c, uint16_t ax, uint8_t base, uint16_t *out);
uint16_t alu_aad(struct cpu *c, uint16_t ax, uint8_t base);

#endif
