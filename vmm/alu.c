/*
 * The arithmetic cores behind the interpreter's handlers: pure functions of
 * their operands and EFLAGS, kept apart from operand access so the unit
 * tests can run them against the host CPU's own instructions.
 */
#include "alu.h"
#include "interp.h"

uint32_t alu_neg(struct cpu *c, uint32_t v, int size)
{
	return flags_sub(c, 0, v, 0, size);
}

uint32_t alu_mul(struct cpu *c, uint32_t a, uint32_t b, int size, uint32_t *hi)
{
	uint32_t mask = alu_mask(size);
	uint64_t p = (uint64_t)(a & mask) * (b & mask);
	uint32_t lo = (uint32_t)p & mask;

	*hi = (uint32_t)(p >> (size * 8)) & mask;
	alu_mul_flags(c, lo, *hi != 0, size);
	return lo;
}

/* DIV and IDIV leave all six flags as they were on Intel. */
bool alu_div(struct cpu *c, uint64_t dividend, uint32_t divisor, int size,
	     uint32_t *quot, uint32_t *rem)
{
	uint64_t q;

	(void)c;
	divisor &= alu_mask(size);
	if (!divisor)
		return false;
	q = dividend / divisor;
	if (q > alu_mask(size))
		return false;
	*quot = (uint32_t)q;
	*rem = (uint32_t)(dividend % divisor);
	return true;
}

bool alu_idiv(struct cpu *c, uint64_t dividend, uint32_t divisor, int size,
	      uint32_t *quot, uint32_t *rem)
{
	int bits = size * 8;
	int64_t n = alu_sign_extend(dividend, 2 * bits);
	int64_t d = alu_sign_extend(divisor, bits);
	int64_t q;

	(void)c;
	if (!d || (n == INT64_MIN && d == -1))
		return false;
	q = n / d;
	if (q != alu_sign_extend((uint64_t)q, bits))
		return false;
	*quot = (uint32_t)q & alu_mask(size);
	*rem = (uint32_t)(n % d) & alu_mask(size);
	return true;
}

/* CF is the bit; Intel leaves OF, SF, AF and PF (undefined) unchanged. */
uint32_t alu_bittest(struct cpu *c, int op, uint32_t v, unsigned bit, int size)
{
	uint32_t m = 1u << (bit & (size * 8 - 1));

	c->eflags = (c->eflags & ~F_CF) | ((v & m) ? F_CF : 0);
	switch (op) {
	case BIT_SET: return v | m;
	case BIT_RESET: return v & ~m;
	case BIT_COMPLEMENT: return v ^ m;
	default: return v;
	}
}

/*
 * Intel: ZF says whether the source was zero, PF is the parity of the bit
 * index found (of zero when there was none), CF, OF, SF and AF are cleared.
 */
static void bitscan_flags(struct cpu *c, uint32_t src, uint32_t index)
{
	uint32_t f = __builtin_parity(index & 0xff) ? 0 : F_PF;

	flags_set_arith(c, f | (src ? 0 : F_ZF));
}

uint32_t alu_bsf(struct cpu *c, uint32_t src, uint32_t dst, int size)
{
	uint32_t index;

	src &= alu_mask(size);
	index = src ? (uint32_t)__builtin_ctz(src) : 0;
	bitscan_flags(c, src, index);
	return src ? index : dst;
}

uint32_t alu_bsr(struct cpu *c, uint32_t src, uint32_t dst, int size)
{
	uint32_t index;

	src &= alu_mask(size);
	index = src ? 31u - (uint32_t)__builtin_clz(src) : 0;
	bitscan_flags(c, src, index);
	return src ? index : dst;
}

static uint32_t msb(uint32_t v, int size)
{
	return (v >> (size * 8 - 1)) & 1;
}

/*
 * Intel computes OF of a shift or rotate by any count as the manual defines
 * it for a count of one, from the original operand: this is its MSB XOR
 * the bit below it (SHL, ROL, RCL).
 */
static uint32_t of_left(uint32_t v, int size)
{
	return msb(v ^ (v << 1), size);
}

static void shift_flags(struct cpu *c, uint32_t r, uint32_t cf, uint32_t of, int size)
{
	flags_set_arith(c, flags_szp(r, size) | (cf ? F_CF : 0) | (of ? F_OF : 0));
}

/* Rotates leave SF, ZF, AF and PF alone. */
static void rotate_flags(struct cpu *c, uint32_t cf, uint32_t of)
{
	c->eflags = (c->eflags & ~(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0);
}

static uint32_t shift_shl(struct cpu *c, uint32_t v, unsigned n, int size)
{
	int bits = size * 8;
	uint32_t r = alu_shl_value(v, n, size);
	uint32_t cf = (int)n <= bits ? (v >> (bits - n)) & 1 : 0;

	shift_flags(c, r, cf, of_left(v, size), size);
	return r;
}

static uint32_t shift_shr(struct cpu *c, uint32_t v, unsigned n, int size)
{
	uint32_t r = alu_shr_value(v, n);

	shift_flags(c, r, (v >> (n - 1)) & 1, msb(v, size), size);
	return r;
}

static uint32_t shift_sar(struct cpu *c, uint32_t v, unsigned n, int size)
{
	int32_t sv = (int32_t)(v << (32 - size * 8)) >> (32 - size * 8);
	uint32_t r = alu_sar_value(v, n, size);
	uint32_t cf = (uint32_t)(sv >> (n - 1)) & 1;

	shift_flags(c, r, cf, 0, size);
	return r;
}

/* A count that is a multiple of the width still sets CF and OF. */
static uint32_t rotate_rol(struct cpu *c, uint32_t v, unsigned n, int size)
{
	int bits = size * 8;
	unsigned k = n % bits;
	uint32_t r = k ? ((v << k) | (v >> (bits - k))) & alu_mask(size) : v;

	rotate_flags(c, r & 1, of_left(v, size));
	return r;
}

static uint32_t rotate_ror(struct cpu *c, uint32_t v, unsigned n, int size)
{
	int bits = size * 8;
	unsigned k = n % bits;
	uint32_t r = k ? ((v >> k) | (v << (bits - k))) & alu_mask(size) : v;

	rotate_flags(c, msb(r, size), msb(v, size) ^ (v & 1));
	return r;
}

/*
 * RCL/RCR rotate size*8+1 bits, the operand and CF together; a count that
 * is a multiple of that width changes nothing, flags included.
 */
static uint32_t rotate_rcl(struct cpu *c, uint32_t v, unsigned n, int size)
{
	int bits = size * 8;
	unsigned k = n % (bits + 1);
	uint64_t wide = (uint64_t)v | (uint64_t)(c->eflags & F_CF) << bits;
	uint64_t rot;

	if (!k)
		return v;
	rot = ((wide << k) | (wide >> (bits + 1 - k))) & ((2ull << bits) - 1);
	rotate_flags(c, (uint32_t)(rot >> bits) & 1, of_left(v, size));
	return (uint32_t)rot & alu_mask(size);
}

static uint32_t rotate_rcr(struct cpu *c, uint32_t v, unsigned n, int size)
{
	int bits = size * 8;
	unsigned k = n % (bits + 1);
	uint64_t wide = (uint64_t)v | (uint64_t)(c->eflags & F_CF) << bits;
	uint64_t rot;

	if (!k)
		return v;
	rot = ((wide >> k) | (wide << (bits + 1 - k))) & ((2ull << bits) - 1);
	rotate_flags(c, (uint32_t)(rot >> bits) & 1, msb(v, size) ^ (c->eflags & F_CF));
	return (uint32_t)rot & alu_mask(size);
}

typedef uint32_t shift_fn(struct cpu *c, uint32_t v, unsigned n, int size);

static shift_fn *const shift_table[8] = {
	[SH_ROL] = rotate_rol, [SH_ROR] = rotate_ror,
	[SH_RCL] = rotate_rcl, [SH_RCR] = rotate_rcr,
	[SH_SHL] = shift_shl,  [SH_SHR] = shift_shr,
	[SH_SAL] = shift_shl,  [SH_SAR] = shift_sar,
};

uint32_t alu_shift(struct cpu *c, int kind, uint32_t v, unsigned count, int size)
{
	unsigned n = count & 31;

	v &= alu_mask(size);
	if (!n)
		return v;
	return shift_table[kind & 7](c, v, n, size);
}

/*
 * Intel's ROL/ROR of a register by an immediate count (C0/C1) whose masked
 * value is not 1 leave OF as it was (CF is still written); by CL, by an
 * immediate 1, or with a memory destination they write OF by the one-bit
 * formula (alu_shift). The other kinds do not care where the count came
 * from.
 */
uint32_t alu_shift_imm(struct cpu *c, int kind, uint32_t v, unsigned count, int size)
{
	uint32_t of = c->eflags & F_OF;
	uint32_t r = alu_shift(c, kind, v, count, size);

	if ((kind == SH_ROL || kind == SH_ROR) && (count & 31) != 1)
		c->eflags = (c->eflags & ~F_OF) | of;
	return r;
}

/*
 * SHLD/SHRD shift the destination with bits of the source entering. A
 * 16-bit count above 16 (undefined) is Intel's: the 48-bit value
 * dst:src:dst is shifted. OF follows the one-bit formula on the original
 * operands whatever the count.
 */
uint32_t alu_shld(struct cpu *c, uint32_t dst, uint32_t src, unsigned count, int size)
{
	unsigned n = count & 31;
	uint32_t mask = alu_mask(size);
	int width = size == 2 ? 48 : 64;
	uint64_t wide = (uint64_t)(dst & mask) << (width - size * 8) | (uint64_t)(src & mask) << (width - 2 * size * 8);
	uint32_t r;

	if (!n)
		return dst & mask;
	if (size == 2)
		wide |= dst & mask;
	r = (uint32_t)(wide >> (width - size * 8 - n)) & mask;
	shift_flags(c, r, (uint32_t)(wide >> (width - n)) & 1, of_left(dst, size), size);
	return r;
}

uint32_t alu_shrd(struct cpu *c, uint32_t dst, uint32_t src, unsigned count, int size)
{
	unsigned n = count & 31;
	uint32_t mask = alu_mask(size);
	uint64_t wide = (uint64_t)(src & mask) << (size * 8) | (dst & mask);
	uint32_t r;

	if (!n)
		return dst & mask;
	if (size == 2)
		wide |= (uint64_t)(dst & mask) << 32;
	r = (uint32_t)(wide >> n) & mask;
	shift_flags(c, r, (uint32_t)(wide >> (n - 1)) & 1, msb(dst, size) ^ (src & 1), size);
	return r;
}

/*
 * Decimal adjustments, after the manual's pseudocode (the second DAA/DAS
 * step tests the incoming CF). Intel's undefined flags: OF cleared by
 * DAA/DAS; SF, ZF, PF of the adjusted AL and OF cleared by AAA/AAS; OF, AF,
 * CF cleared by AAM; AAD flags as the byte addition AL + AH * base.
 */
uint8_t alu_daa(struct cpu *c, uint8_t al)
{
	uint32_t cf = c->eflags & F_CF, af = c->eflags & F_AF;
	uint32_t r = al;

	if ((al & 0xf) > 9 || af) {
		r += 6;
		af = F_AF;
		cf |= r >> 8;
	}
	if (al > 0x99 || (c->eflags & F_CF)) {
		r += 0x60;
		cf = F_CF;
	}
	r &= 0xff;
	flags_set_arith(c, flags_szp(r, 1) | cf | af);
	return (uint8_t)r;
}

uint8_t alu_das(struct cpu *c, uint8_t al)
{
	uint32_t cf = c->eflags & F_CF, af = c->eflags & F_AF;
	uint32_t r = al;

	if ((al & 0xf) > 9 || af) {
		cf |= al < 6;
		r -= 6;
		af = F_AF;
	}
	if (al > 0x99 || (c->eflags & F_CF)) {
		r -= 0x60;
		cf = F_CF;
	}
	r &= 0xff;
	flags_set_arith(c, flags_szp(r, 1) | cf | af);
	return (uint8_t)r;
}

uint16_t alu_aaa(struct cpu *c, uint16_t ax)
{
	uint32_t f = 0;

	if ((ax & 0xf) > 9 || (c->eflags & F_AF)) {
		ax += 0x106;
		f = F_AF | F_CF;
	}
	ax &= 0xff0f;
	flags_set_arith(c, f | flags_szp(ax, 1));
	return ax;
}

uint16_t alu_aas(struct cpu *c, uint16_t ax)
{
	uint32_t f = 0;

	if ((ax & 0xf) > 9 || (c->eflags & F_AF)) {
		ax -= 6;
		ax -= 0x100;
		f = F_AF | F_CF;
	}
	ax &= 0xff0f;
	flags_set_arith(c, f | flags_szp(ax, 1));
	return ax;
}

bool alu_aam(struct cpu *c, uint16_t ax, uint8_t base, uint16_t *out)
{
	uint8_t al = (uint8_t)ax;

	if (!base)
		return false;
	*out = (uint16_t)((al / base) << 8 | (al % base));
	flags_set_arith(c, flags_szp(*out, 1));
	return true;
}

/* AAD: AL = AL + AH * base, flags as that byte addition sets them (Intel). */
uint16_t alu_aad(struct cpu *c, uint16_t ax, uint8_t base)
{
	uint8_t prod = (uint8_t)((ax >> 8) * base);

	return (uint16_t)flags_add(c, ax & 0xff, prod, 0, 1);
}
