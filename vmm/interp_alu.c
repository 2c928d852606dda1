/*
 * The interpreter's integer arithmetic and logic: the eight ALU operations
 * in all their encodings (ModRM, accumulator-immediate, group 1), the
 * one-operand group, exchange-and-add, compare-and-exchange, and the
 * instructions that only move flags.
 */
#include "interp.h"
#include "alu.h"
#include "mem.h"

/* Read the destination for write-back and the source, before any write. */
#define ALU_BINARY(name, expr)                                   \
	void op_##name(struct cpu *c, const struct insn *i)      \
	{                                                        \
		uint32_t a = opnd_read_rmw(c, i, 0);             \
		uint32_t b = opnd_read(c, i, 1);                 \
		opnd_write(c, i, 0, (expr));                     \
	}

static uint32_t carry_in(const struct cpu *c)
{
	return c->eflags & F_CF;
}

static uint32_t logic(struct cpu *c, uint32_t r, int size)
{
	flags_logic(c, r, size);
	return r;
}

ALU_BINARY(add, flags_add(c, a, b, 0, i->size))
ALU_BINARY(adc, flags_add(c, a, b, carry_in(c), i->size))
ALU_BINARY(sub, flags_sub(c, a, b, 0, i->size))
ALU_BINARY(sbb, flags_sub(c, a, b, carry_in(c), i->size))
ALU_BINARY(and, logic(c, a & b, i->size))
ALU_BINARY(or, logic(c, a | b, i->size))
ALU_BINARY(xor, logic(c, a ^ b, i->size))

void op_cmp(struct cpu *c, const struct insn *i)
{
	uint32_t a = opnd_read(c, i, 0);

	flags_sub(c, a, opnd_read(c, i, 1), 0, i->size);
}

void op_test(struct cpu *c, const struct insn *i)
{
	uint32_t a = opnd_read(c, i, 0);

	flags_logic(c, a & opnd_read(c, i, 1), i->size);
}

void op_inc(struct cpu *c, const struct insn *i)
{
	opnd_write(c, i, 0, alu_inc(c, opnd_read_rmw(c, i, 0), i->size));
}

void op_dec(struct cpu *c, const struct insn *i)
{
	opnd_write(c, i, 0, alu_dec(c, opnd_read_rmw(c, i, 0), i->size));
}

void op_neg(struct cpu *c, const struct insn *i)
{
	opnd_write(c, i, 0, alu_neg(c, opnd_read_rmw(c, i, 0), i->size));
}

void op_not(struct cpu *c, const struct insn *i)
{
	opnd_write(c, i, 0, ~opnd_read_rmw(c, i, 0));
}

/* XADD: the source register gets the old destination, then the sum lands. */
void op_xadd(struct cpu *c, const struct insn *i)
{
	uint32_t dst = opnd_read_rmw(c, i, 0);
	uint32_t src = opnd_read(c, i, 1);
	uint32_t sum = flags_add(c, dst, src, 0, i->size);

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

void op_cmpxchg8b(struct cpu *c, const struct insn *i)
{
	uint32_t ea = insn_ea(c, i);
	uint64_t edx_eax = (uint64_t)c->gpr[EDX] << 32 | c->gpr[EAX];
	uint64_t m;

	mem_check_write(c, i->seg, ea, 4);
	mem_check_write(c, i->seg, ea + 4, 4);
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
