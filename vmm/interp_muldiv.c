/*
 * Multiplication and division: MUL, the three IMUL forms, DIV and IDIV,
 * with #DE raised before any register changes and Intel's values for the
 * flags the manual leaves undefined.
 */
#include "interp.h"
#include "alu.h"

/* AX = AL * src, DX:AX = AX * src, EDX:EAX = EAX * src. */
static void mul_store(struct cpu *c, int size, uint32_t lo, uint32_t hi)
{
	if (size == 1) {
		reg_write(c, EAX, 2, hi << 8 | lo);
	} else {
		reg_write(c, EAX, size, lo);
		reg_write(c, EDX, size, hi);
	}
}

void op_mul(struct cpu *c, const struct insn *i)
{
	uint32_t src = opnd_read(c, i, 0);
	uint32_t hi, lo = alu_mul(c, c->gpr[EAX], src, i->size, &hi);

	mul_store(c, i->size, lo, hi);
}

void op_imul1(struct cpu *c, const struct insn *i)
{
	uint32_t src = opnd_read(c, i, 0);
	uint32_t hi, lo = alu_imul(c, c->gpr[EAX], src, i->size, &hi);

	mul_store(c, i->size, lo, hi);
}

/* IMUL Gv, Ev: the destination is also the first factor. */
void op_imul2(struct cpu *c, const struct insn *i)
{
	uint32_t a = opnd_read(c, i, 0);
	uint32_t b = opnd_read(c, i, 1);
	uint32_t hi;

	opnd_write(c, i, 0, alu_imul(c, a, b, i->size, &hi));
}

/* IMUL Gv, Ev, imm: the destination is only written. */
void op_imul3(struct cpu *c, const struct insn *i)
{
	uint32_t a = opnd_read(c, i, 1);
	uint32_t b = opnd_read(c, i, 2);
	uint32_t hi;

	opnd_write(c, i, 0, alu_imul(c, a, b, i->size, &hi));
}

/*
 * IMUL r32, r32 and IMUL r32, r32, imm with the operands resolved at
 * decode time; with dead flags (interp_elide_flags) they go to a local
 * CPU nothing reads, as in vmm/interp_alu.c.
 */
#define IMUL_REG_FORM(fname, a, b, dead)                             \
	static void fname(struct cpu *c, const struct insn *i)       \
	{                                                            \
		struct cpu sink = { .eflags = 0 };                   \
		uint32_t hi;                                         \
		c->gpr[i->oreg[0]] = alu_imul((dead) ? &sink : c, (a), (b), 4, &hi); \
	}

IMUL_REG_FORM(op_imul2_rr32, c->gpr[i->oreg[0]], c->gpr[i->oreg[1]], 0)
IMUL_REG_FORM(op_imul3_rri32, c->gpr[i->oreg[1]], i->imm, 0)
IMUL_REG_FORM(op_imul2_rr32_nf, c->gpr[i->oreg[0]], c->gpr[i->oreg[1]], 1)
IMUL_REG_FORM(op_imul3_rri32_nf, c->gpr[i->oreg[1]], i->imm, 1)

insn_handler *muldiv_flagless(const struct insn *i)
{
	if (i->exec == op_imul2_rr32)
		return op_imul2_rr32_nf;
	if (i->exec == op_imul3_rri32)
		return op_imul3_rri32_nf;
	return 0;
}

insn_handler *muldiv_specialize(const struct insn *i)
{
	if (i->okind[0] != OPND_REG32 || i->okind[1] != OPND_REG32)
		return 0;
	if (i->desc->exec == op_imul2)
		return op_imul2_rr32;
	if (i->desc->exec == op_imul3 && i->okind[2] == OPND_IMM)
		return op_imul3_rri32;
	return 0;
}

/* The dividend: AX, DX:AX or EDX:EAX. */
static uint64_t div_dividend(const struct cpu *c, int size)
{
	if (size == 1)
		return c->gpr[EAX] & 0xffff;
	return (uint64_t)reg_read(c, EDX, size) << (size * 8) | reg_read(c, EAX, size);
}

static void div_store(struct cpu *c, int size, uint32_t q, uint32_t r)
{
	if (size == 1) {
		reg_write(c, EAX, 2, r << 8 | q);
	} else {
		reg_write(c, EAX, size, q);
		reg_write(c, EDX, size, r);
	}
}

void op_div(struct cpu *c, const struct insn *i)
{
	uint32_t src = opnd_read(c, i, 0);
	uint32_t q, r;

	if (!alu_div(c, div_dividend(c, i->size), src, i->size, &q, &r))
		cpu_raise(c, EXC_DE, 0);
	div_store(c, i->size, q, r);
}

void op_idiv(struct cpu *c, const struct insn *i)
{
	uint32_t src = opnd_read(c, i, 0);
	uint32_t q, r;

	if (!alu_idiv(c, div_dividend(c, i->size), src, i->size, &q, &r))
		cpu_raise(c, EXC_DE, 0);
	div_store(c, i->size, q, r);
}
