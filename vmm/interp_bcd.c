/*
 * The decimal-arithmetic adjustments (DAA, DAS, AAA, AAS, AAM, AAD) on
 * AL and AX; the arithmetic lives in alu.c.
 */
#include "interp.h"
#include "alu.h"

void op_daa(struct cpu *c, const struct insn *i)
{
	(void)i;
	reg8_write(c, 0, alu_daa(c, reg8_read(c, 0)));
}

void op_das(struct cpu *c, const struct insn *i)
{
	(void)i;
	reg8_write(c, 0, alu_das(c, reg8_read(c, 0)));
}

void op_aaa(struct cpu *c, const struct insn *i)
{
	(void)i;
	reg_write(c, EAX, 2, alu_aaa(c, (uint16_t)c->gpr[EAX]));
}

void op_aas(struct cpu *c, const struct insn *i)
{
	(void)i;
	reg_write(c, EAX, 2, alu_aas(c, (uint16_t)c->gpr[EAX]));
}

/* AAM imm8: a zero base divides by zero (#DE). */
void op_aam(struct cpu *c, const struct insn *i)
{
	uint16_t ax;

	if (!alu_aam(c, (uint16_t)c->gpr[EAX], (uint8_t)i->imm, &ax))
		cpu_raise(c, EXC_DE, 0);
	reg_write(c, EAX, 2, ax);
}

void op_aad(struct cpu *c, const struct insn *i)
{
	reg_write(c, EAX, 2, alu_aad(c, (uint16_t)c->gpr[EAX], (uint8_t)i->imm));
}
