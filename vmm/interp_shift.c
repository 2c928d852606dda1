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

	opnd_write(c, i, 0, alu_shift(c, kind, v, n, i->size));
}

#define SHIFT_OP(name, kind)                                     \
	void op_##name(struct cpu *c, const struct insn *i)      \
	{                                                        \
		shift_exec(c, i, kind);                          \
	}

SHIFT_OP(rol, SH_ROL)
SHIFT_OP(ror, SH_ROR)
SHIFT_OP(rcl, SH_RCL)
SHIFT_OP(rcr, SH_RCR)
SHIFT_OP(shr, SH_SHR)
SHIFT_OP(sar, SH_SAR)

/* /4 SHL and its undocumented alias /6 SAL are the same operation. */
void op_shl(struct cpu *c, const struct insn *i)
{
	shift_exec(c, i, SH_SHL);
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
