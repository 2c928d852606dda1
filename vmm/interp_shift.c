/*
 * Shifts and rotates (group 2, SHLD, SHRD) with Intel's flag results,
 * including those the manual calls undefined: the count is masked to five
 * bits, a masked count of zero changes nothing, and larger counts behave as
 * the hardware's wide shifter does.
 */
#include "interp.h"
#include "alu.h"

/* Group 2: the kind is ModRM.reg, the count operand 1 (Ib, ONE or CL). */
static void shift_exec(struct cpu *c, const struct insn *i, int kind)
{
	uint32_t v = opnd_read_rmw(c, i, 0);
	unsigned n = opnd_read(c, i, 1);

	if (i->desc->operand[1] == OPF_Ib && !i->mem)
		opnd_write(c, i, 0, alu_shift_imm(c, kind, v, n, i->size));
	else
		opnd_write(c, i, 0, alu_shift(c, kind, v, n, i->size));
}

/* /4 SHL and its undocumented alias /6 SAL are the same operation (op_shl). */
#define SHIFT_OPS(X) \
	X(rol, SH_ROL) X(ror, SH_ROR) X(rcl, SH_RCL) X(rcr, SH_RCR) \
	X(shl, SH_SHL) X(shr, SH_SHR) X(sar, SH_SAR)

/* The general form, and a 32-bit register shifted by an immediate count. */
#define SHIFT_FORMS(name, kind)                                          \
	void op_##name(struct cpu *c, const struct insn *i)              \
	{                                                                \
		shift_exec(c, i, kind);                                  \
	}                                                                \
	static void op_##name##_ri32(struct cpu *c, const struct insn *i) \
	{                                                                \
		uint32_t *r = &c->gpr[i->oreg[0]];                       \
		*r = alu_shift_imm(c, kind, *r, i->imm, 4);              \
	}

SHIFT_OPS(SHIFT_FORMS)

/*
 * SHL, SHR and SAR of a 32-bit register by an immediate, flags dropped
 * (interp_elide_flags). A count that masks to 0 leaves the value alone,
 * as the general form does.
 */
static void op_shl_ri32_nf(struct cpu *c, const struct insn *i)
{
	c->gpr[i->oreg[0]] = alu_shl_value(c->gpr[i->oreg[0]], i->imm & 31, 4);
}

static void op_shr_ri32_nf(struct cpu *c, const struct insn *i)
{
	c->gpr[i->oreg[0]] = alu_shr_value(c->gpr[i->oreg[0]], i->imm & 31);
}

static void op_sar_ri32_nf(struct cpu *c, const struct insn *i)
{
	c->gpr[i->oreg[0]] = alu_sar_value(c->gpr[i->oreg[0]], i->imm & 31, 4);
}

insn_handler *shift_flagless(const struct insn *i)
{
	if (i->exec == op_shl_ri32)
		return op_shl_ri32_nf;
	if (i->exec == op_shr_ri32)
		return op_shr_ri32_nf;
	if (i->exec == op_sar_ri32)
		return op_sar_ri32_nf;
	return 0;
}

insn_handler *shift_specialize(const struct insn *i)
{
#define SHIFT_ROW(name, kind) { op_##name, op_##name##_ri32 },
	static insn_handler *const forms[][2] = { SHIFT_OPS(SHIFT_ROW) };
#undef SHIFT_ROW

	if (i->okind[0] != OPND_REG32 || i->okind[1] != OPND_IMM)
		return 0;
	for (unsigned k = 0; k < sizeof(forms) / sizeof(forms[0]); k++)
		if (forms[k][0] == i->desc->exec)
			return forms[k][1];
	return 0;
}

void op_shld(struct cpu *c, const struct insn *i)
{
	uint32_t dst = opnd_read_rmw(c, i, 0);
	uint32_t src = opnd_read(c, i, 1);
	unsigned n = opnd_read(c, i, 2);

	opnd_write(c, i, 0, alu_shld(c, dst, src, n, i->size));
}

void op_shrd(struct cpu *c, const struct insn *i)
{
	uint32_t dst = opnd_read_rmw(c, i, 0);
	uint32_t src = opnd_read(c, i, 1);
	unsigned n = opnd_read(c, i, 2);

	opnd_write(c, i, 0, alu_shrd(c, dst, src, n, i->size));
}
