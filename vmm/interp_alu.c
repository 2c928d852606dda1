/*
 * The interpreter's integer arithmetic and logic: the eight ALU operations
 * in all their encodings (ModRM, accumulator-immediate, group 1), the
 * one-operand group, exchange-and-add, compare-and-exchange, and the
 * instructions that only move flags.
 */
#include <stddef.h>

#include "interp.h"
#include "alu.h"
#include "mem.h"

static uint32_t carry_in(const struct cpu *c)
{
	return c->eflags & F_CF;
}

static uint32_t logic(struct cpu *c, uint32_t r, int size)
{
	flags_logic(c, r, size);
	return r;
}

/*
 * The binary operations, each one expression of the destination a, the
 * source b and the operation size, with the flags going to `fl`; `writes`
 * is 0 for CMP and TEST, which only set flags. Every form below is made
 * from this list.
 */
#define ALU_BINARY_OPS(X) \
	X(add, 1, flags_add(fl, a, b, 0, size)) \
	X(or, 1, logic(fl, a | b, size)) \
	X(adc, 1, flags_add(fl, a, b, carry_in(c), size)) \
	X(sbb, 1, flags_sub(fl, a, b, carry_in(c), size)) \
	X(and, 1, logic(fl, a & b, size)) \
	X(sub, 1, flags_sub(fl, a, b, 0, size)) \
	X(xor, 1, logic(fl, a ^ b, size)) \
	X(cmp, 0, flags_sub(fl, a, b, 0, size)) \
	X(test, 0, logic(fl, a & b, size))

/*
 * A 32-bit register destination and a register or immediate source `src`.
 * With dead flags (interp_elide_flags: a later instruction of the block
 * overwrites them first) they go to a local CPU that nothing reads, and
 * the compiler drops their computation.
 */
#define ALU_REG_FORM(fname, writes, expr, src, dead)                       \
	static void fname(struct cpu *c, const struct insn *i)             \
	{                                                                  \
		struct cpu sink = { .eflags = 0 };                         \
		struct cpu *fl = (dead) ? &sink : c;                       \
		const int size = 4;                                        \
		uint32_t a = c->gpr[i->oreg[0]], b = (src);                \
		uint32_t r = (expr);                                       \
		(void)sink;                                                \
		if (writes)                                                \
			c->gpr[i->oreg[0]] = r;                            \
	}

/*
 * The general form reads the destination (for write-back: faulting as a
 * write) and the source before any write. The 32-bit register-register
 * and register-immediate forms are the same expression with the operand
 * access resolved at decode time (alu_specialize).
 */
#define ALU_BINARY_FORMS(name, writes, expr)                               \
	void op_##name(struct cpu *c, const struct insn *i)                \
	{                                                                  \
		struct cpu *fl = c;                                        \
		int size = i->size;                                        \
		uint32_t a = writes ? opnd_read_rmw(c, i, 0) : opnd_read(c, i, 0); \
		uint32_t b = opnd_read(c, i, 1);                           \
		uint32_t r = (expr);                                       \
		if (writes)                                                \
			opnd_write(c, i, 0, r);                            \
	}                                                                  \
	ALU_REG_FORM(op_##name##_rr32, writes, expr, c->gpr[i->oreg[1]], 0) \
	ALU_REG_FORM(op_##name##_ri32, writes, expr, i->imm, 0)            \
	ALU_REG_FORM(op_##name##_rr32_nf, writes, expr, c->gpr[i->oreg[1]], 1) \
	ALU_REG_FORM(op_##name##_ri32_nf, writes, expr, i->imm, 1)

ALU_BINARY_OPS(ALU_BINARY_FORMS)

/* INC, DEC, NEG, NOT: one operand, read for write-back; flags go to `fl`. */
#define ALU_UNARY_OPS(X) \
	X(inc, alu_inc(fl, v, size)) \
	X(dec, alu_dec(fl, v, size)) \
	X(neg, alu_neg(fl, v, size)) \
	X(not, ~v)

/* A 32-bit register operand; with dead flags, as ALU_REG_FORM. */
#define ALU_UNARY_REG_FORM(fname, expr, dead)                             \
	static void fname(struct cpu *c, const struct insn *i)            \
	{                                                                 \
		struct cpu sink = { .eflags = 0 };                        \
		struct cpu *fl = (dead) ? &sink : c;                      \
		const int size = 4;                                       \
		uint32_t v = c->gpr[i->oreg[0]];                          \
		(void)sink, (void)fl, (void)size;                         \
		c->gpr[i->oreg[0]] = (expr);                              \
	}

#define ALU_UNARY_FORMS(name, expr)                                       \
	void op_##name(struct cpu *c, const struct insn *i)               \
	{                                                                 \
		struct cpu *fl = c;                                       \
		int size = i->size;                                       \
		uint32_t v = opnd_read_rmw(c, i, 0);                      \
		(void)fl, (void)size;                                     \
		opnd_write(c, i, 0, (expr));                              \
	}                                                                 \
	ALU_UNARY_REG_FORM(op_##name##_r32, expr, 0)                      \
	ALU_UNARY_REG_FORM(op_##name##_r32_nf, expr, 1)

ALU_UNARY_OPS(ALU_UNARY_FORMS)

struct alu_forms {
	insn_handler *general, *rr32, *ri32;
};

insn_handler *alu_specialize(const struct insn *i)
{
#define ALU_BINARY_ROW(name, writes, expr) { op_##name, op_##name##_rr32, op_##name##_ri32 },
#define ALU_UNARY_ROW(name, expr) { op_##name, op_##name##_r32, NULL },
	static const struct alu_forms forms[] = {
		ALU_BINARY_OPS(ALU_BINARY_ROW) ALU_UNARY_OPS(ALU_UNARY_ROW)
	};
#undef ALU_BINARY_ROW
#undef ALU_UNARY_ROW
	if (i->okind[0] != OPND_REG32)
		return NULL;
	for (unsigned k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
		if (forms[k].general != i->desc->exec)
			continue;
		if (!forms[k].ri32) /* unary */
			return i->desc->operand[1] == OPF_NONE ? forms[k].rr32 : NULL;
		if (i->okind[1] == OPND_REG32)
			return forms[k].rr32;
		return i->okind[1] == OPND_IMM ? forms[k].ri32 : NULL;
	}
	return NULL;
}

/* The register forms above with their flags dropped, for flags nothing reads. */
insn_handler *alu_flagless(const struct insn *i)
{
#define ALU_DEAD_ROWS(name, writes, expr) \
	{ op_##name##_rr32, op_##name##_rr32_nf }, { op_##name##_ri32, op_##name##_ri32_nf },
#define ALU_DEAD_UNARY_ROWS(name, expr) { op_##name##_r32, op_##name##_r32_nf },
	static insn_handler *const forms[][2] = {
		ALU_BINARY_OPS(ALU_DEAD_ROWS) ALU_UNARY_OPS(ALU_DEAD_UNARY_ROWS)
	};
#undef ALU_DEAD_ROWS
#undef ALU_DEAD_UNARY_ROWS

	for (unsigned k = 0; k < sizeof(forms) / sizeof(forms[0]); k++)
		if (forms[k][0] == i->exec)
			return forms[k][1];
	return NULL;
}

/*
 * XADD: the source register gets the old destination, the destination the
 * sum. A memory destination is stored first, at the address computed with
 * the old registers (XADD [ECX],ECX), and a fault there leaves the
 * register alone; between registers the source is written first, so XADD
 * r,r with one register leaves the sum.
 */
void op_xadd(struct cpu *c, const struct insn *i)
{
	uint32_t dst = opnd_read_rmw(c, i, 0);
	uint32_t src = opnd_read(c, i, 1);
	uint32_t sum = flags_add(c, dst, src, 0, i->size);

	if (i->mem) {
		opnd_write(c, i, 0, sum);
		opnd_write(c, i, 1, dst);
		return;
	}
	opnd_write(c, i, 1, dst);
	opnd_write(c, i, 0, sum);
}

/*
 * CMPXCHG compares the accumulator with the destination. The destination
 * is checked for writing even when the comparison fails, as the processor
 * always performs a (locked) write cycle.
 */
void op_cmpxchg(struct cpu *c, const struct insn *i)
{
	uint32_t dst = opnd_read_rmw(c, i, 0);
	uint32_t src = opnd_read(c, i, 1);
	uint32_t acc = reg_read(c, EAX, i->size);

	flags_sub(c, acc, dst, 0, i->size);
	if (c->eflags & F_ZF)
		opnd_write(c, i, 0, src);
	else
		reg_write(c, EAX, i->size, dst);
}

/*
 * CMPXCHG8B: the operand is checked for writing as one 8-byte access, so
 * alignment checking wants it 8-byte aligned (#AC ahead of a #PF), as the
 * host does.
 */
void op_cmpxchg8b(struct cpu *c, const struct insn *i)
{
	uint32_t ea = insn_ea(c, i);
	uint64_t edx_eax = (uint64_t)c->gpr[EDX] << 32 | c->gpr[EAX];
	uint64_t m;

	mem_check_write(c, i->seg, ea, 8);
	m = mem_read64(c, i->seg, ea);
	if (m == edx_eax) {
		mem_write64(c, i->seg, ea, (uint64_t)c->gpr[ECX] << 32 | c->gpr[EBX]);
		c->eflags |= F_ZF;
	} else {
		c->gpr[EAX] = (uint32_t)m;
		c->gpr[EDX] = (uint32_t)(m >> 32);
		c->eflags &= ~F_ZF;
	}
}

/* CBW/CWDE: sign-extend the low half of the accumulator into all of it. */
void op_cbw(struct cpu *c, const struct insn *i)
{
	if (i->opsize == 2)
		reg_write(c, EAX, 2, (uint16_t)(int8_t)c->gpr[EAX]);
	else
		c->gpr[EAX] = (uint32_t)(int16_t)c->gpr[EAX];
}

/* CWD/CDQ: the accumulator's sign fills DX / EDX. */
void op_cwd(struct cpu *c, const struct insn *i)
{
	uint32_t sign = reg_read(c, EAX, i->opsize) & alu_sign(i->opsize);

	reg_write(c, EDX, i->opsize, sign ? 0xffffffffu : 0);
}

/* SALC (undocumented D6): AL = CF ? FF : 00, flags unchanged. */
void op_salc(struct cpu *c, const struct insn *i)
{
	(void)i;
	reg8_write(c, 0, (c->eflags & F_CF) ? 0xff : 0);
}

#define FLAG_OP(name, stmt)                                      \
	void op_##name(struct cpu *c, const struct insn *i)      \
	{                                                        \
		(void)i;                                         \
		stmt;                                            \
	}

FLAG_OP(clc, c->eflags &= ~F_CF)
FLAG_OP(stc, c->eflags |= F_CF)
FLAG_OP(cmc, c->eflags ^= F_CF)
FLAG_OP(cld, c->eflags &= ~F_DF)
FLAG_OP(std, c->eflags |= F_DF)

/* LAHF: AH = SF:ZF:0:AF:0:PF:1:CF. */
void op_lahf(struct cpu *c, const struct insn *i)
{
	(void)i;
	reg8_write(c, 4, (uint8_t)((c->eflags & (F_ARITH & ~F_OF)) | F_FIXED1));
}

void op_sahf(struct cpu *c, const struct insn *i)
{
	(void)i;
	flags_write(c, reg8_read(c, 4), F_ARITH & ~F_OF);
}
