/*
 * Data movement of the reference interpreter: MOV, MOVZX/MOVSX, LEA,
 * XCHG, XLAT, NOP, BOUND and the undefined-opcode instructions. Each is a
 * read of its source operands, then the writes, so a fault changes nothing.
 */
#include <stddef.h>

#include "interp.h"
#include "mem.h"

static uint32_t sign_extend(uint32_t v, int size)
{
	if (size == 1)
		return (uint32_t)(int32_t)(int8_t)v;
	if (size == 2)
		return (uint32_t)(int32_t)(int16_t)v;
	return v;
}

void op_mov(struct cpu *c, const struct insn *i)
{
	opnd_write(c, i, 0, opnd_read(c, i, 1));
}

/* MOV with 32-bit register, immediate and ModRM memory operands resolved. */
static void op_mov_rr32(struct cpu *c, const struct insn *i)
{
	c->gpr[i->oreg[0]] = c->gpr[i->oreg[1]];
}

static void op_mov_ri32(struct cpu *c, const struct insn *i)
{
	c->gpr[i->oreg[0]] = i->imm;
}

static void op_mov_rm32(struct cpu *c, const struct insn *i)
{
	c->gpr[i->oreg[0]] = mem_read32(c, i->seg, insn_ea(c, i));
}

static void op_mov_mr32(struct cpu *c, const struct insn *i)
{
	mem_write32(c, i->seg, insn_ea(c, i), c->gpr[i->oreg[1]]);
}

/* MOVZX and MOVSX from a byte or word register into a 32-bit register. */
static void op_movzx_r32_r8(struct cpu *c, const struct insn *i)
{
	c->gpr[i->oreg[0]] = reg8_read(c, i->oreg[1]);
}

static void op_movzx_r32_r16(struct cpu *c, const struct insn *i)
{
	c->gpr[i->oreg[0]] = c->gpr[i->oreg[1]] & 0xffff;
}

static void op_movsx_r32_r8(struct cpu *c, const struct insn *i)
{
	c->gpr[i->oreg[0]] = sign_extend(reg8_read(c, i->oreg[1]), 1);
}

static void op_movsx_r32_r16(struct cpu *c, const struct insn *i)
{
	c->gpr[i->oreg[0]] = sign_extend(c->gpr[i->oreg[1]], 2);
}

insn_handler *move_specialize(const struct insn *i)
{
	static insn_handler *const forms[6][6] = {
		[OPND_REG32] = { [OPND_REG32] = op_mov_rr32, [OPND_IMM] = op_mov_ri32,
				 [OPND_MEM] = op_mov_rm32 },
		[OPND_MEM] = { [OPND_REG32] = op_mov_mr32 },
	};
	static insn_handler *const extend[2][6] = {
		{ [OPND_REG8] = op_movzx_r32_r8, [OPND_REG16] = op_movzx_r32_r16 },
		{ [OPND_REG8] = op_movsx_r32_r8, [OPND_REG16] = op_movsx_r32_r16 },
	};

	if ((i->desc->exec == op_movzx || i->desc->exec == op_movsx) &&
	    i->okind[0] == OPND_REG32)
		return extend[i->desc->exec == op_movsx][i->okind[1]];
	if (i->desc->exec != op_mov || i->osize[0] != 4 || i->osize[1] != 4)
		return NULL;
	return forms[i->okind[0]][i->okind[1]];
}

/* Reading a narrower form already zero-extends. */
void op_movzx(struct cpu *c, const struct insn *i)
{
	op_mov(c, i);
}

void op_movsx(struct cpu *c, const struct insn *i)
{
	opnd_write(c, i, 0, sign_extend(opnd_read(c, i, 1), opnd_size(i, 1)));
}

/* LEA: the address-size offset, cut or zero-extended to the operand size. */
void op_lea(struct cpu *c, const struct insn *i)
{
	opnd_write(c, i, 0, insn_ea(c, i));
}

/* XCHG: a memory operand is probed for writing before either side changes. */
void op_xchg(struct cpu *c, const struct insn *i)
{
	uint32_t a = opnd_read_rmw(c, i, 0);
	uint32_t b = opnd_read_rmw(c, i, 1);

	opnd_write(c, i, 0, b);
	opnd_write(c, i, 1, a);
}

void op_nop(struct cpu *c, const struct insn *i)
{
	(void)c;
	(void)i;
}

/* XLAT: AL = [seg:eBX + AL], DS overridable, wrapping at the address size. */
void op_xlat(struct cpu *c, const struct insn *i)
{
	uint32_t off = c->gpr[EBX] + (c->gpr[EAX] & 0xff);
	int seg = (i->prefixes & P_SEG) ? i->seg : SR_DS;

	if (i->adsize == 2)
		off &= 0xffff;
	reg8_write(c, 0, mem_read8(c, seg, off));
}

/*
 * BOUND Gv, Ma: signed bounds at [ea] and [ea + size]. The host reads
 * and compares the lower bound first: below it is #BR without touching
 * the upper bound (no #PF there), as probed natively.
 */
void op_bound(struct cpu *c, const struct insn *i)
{
	int s = i->opsize;
	uint32_t ea = insn_ea(c, i), mask = i->adsize == 2 ? 0xffff : 0xffffffffu;
	int32_t idx = (int32_t)sign_extend(reg_read(c, i->reg, s), s);

	if (idx < (int32_t)sign_extend(mem_read(c, i->seg, ea, s), s))
		cpu_raise(c, EXC_BR, 0);
	if (idx > (int32_t)sign_extend(mem_read(c, i->seg, (ea + s) & mask, s), s))
		cpu_raise(c, EXC_BR, 0);
}

/* UD0, UD1, UD2 and every encoding the table reserves. */
void op_ud(struct cpu *c, const struct insn *i)
{
	(void)i;
	cpu_raise(c, EXC_UD, 0);
}
