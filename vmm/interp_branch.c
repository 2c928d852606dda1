/*
 * Near control transfers of the reference interpreter: Jcc, JMP, CALL,
 * RET, LOOP/LOOPcc, JCXZ. A target is an offset in CS, cut to 16 bits with
 * a 16-bit operand size, and checked against the CS limit (#GP(0)) before
 * any register or the stack changes.
 */
#include <stddef.h>

#include "interp.h"

static void branch_check(struct cpu *c, uint32_t target)
{
	if (target > c->seg[SR_CS].limit)
		cpu_raise(c, EXC_GP, 0);
}

static uint32_t branch_target(const struct insn *i, uint32_t v)
{
	return i->opsize == 2 ? v & 0xffff : v;
}

static void branch_to(struct cpu *c, uint32_t target)
{
	branch_check(c, target);
	c->eip = target;
}

/* Jcc: the condition is the low nibble of the opcode (70-7F, 0F 80-8F). */
void op_jcc(struct cpu *c, const struct insn *i)
{
	if (cond_holds(c, i->opcode & 0xf))
		branch_to(c, opnd_read(c, i, 0));
}

/* A relative target (Jb, Jz): what opnd_read gives for those forms. */
static uint32_t branch_rel_target(const struct insn *i)
{
	return branch_target(i, i->eip + i->len + i->imm);
}

/* Jcc rel with its condition fixed when decoded: cond_holds folds to a test. */
#define JCC_FORM(cc)                                                   \
	static void op_jcc_##cc(struct cpu *c, const struct insn *i)   \
	{                                                              \
		if (cond_holds(c, cc))                                 \
			branch_to(c, branch_rel_target(i));            \
	}
#define CONDITIONS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) \
	X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
CONDITIONS(JCC_FORM)

static void op_jmp_rel(struct cpu *c, const struct insn *i)
{
	branch_to(c, branch_rel_target(i));
}

static void op_call_rel(struct cpu *c, const struct insn *i)
{
	uint32_t target = branch_rel_target(i);

	branch_check(c, target);
	stack_push(c, i->opsize, c->eip);
	c->eip = target;
}

/* JMP rel and JMP r/m: Jb/Jz read as their target, Ev as the new EIP. */
void op_jmp(struct cpu *c, const struct insn *i)
{
	branch_to(c, branch_target(i, opnd_read(c, i, 0)));
}

/* CALL rel and CALL r/m: the target is read and checked before the push. */
void op_call(struct cpu *c, const struct insn *i)
{
	uint32_t target = branch_target(i, opnd_read(c, i, 0));

	branch_check(c, target);
	stack_push(c, i->opsize, c->eip);
	c->eip = target;
}

/* RET and RET imm16: the return address is checked before ESP moves. */
void op_ret(struct cpu *c, const struct insn *i)
{
	uint32_t target = branch_target(i, stack_peek(c, i->opsize, 0));
	uint32_t release = i->desc->operand[0] == OPF_Iw ? i->imm & 0xffff : 0;

	branch_check(c, target);
	stack_pop(c, i->opsize);
	if (release) {
		uint32_t mask = cpu_stack32(c) ? 0xffffffffu : 0xffffu;
		uint32_t esp = c->gpr[ESP];

		c->gpr[ESP] = (esp & ~mask) | ((esp + release) & mask);
	}
	c->eip = target;
}

/* The count register of LOOP and JCXZ follows the address size. */
static uint32_t count_read(const struct cpu *c, const struct insn *i)
{
	return i->adsize == 2 ? c->gpr[ECX] & 0xffff : c->gpr[ECX];
}

/* LOOP family: ECX/CX is decremented only if the branch does not fault. */
static void loop_step(struct cpu *c, const struct insn *i, int zf_wanted)
{
	uint32_t count = (count_read(c, i) - 1) & (i->adsize == 2 ? 0xffff : 0xffffffffu);
	bool taken = count != 0;

	if (zf_wanted >= 0)
		taken = taken && !!(c->eflags & F_ZF) == zf_wanted;
	if (taken)
		branch_check(c, opnd_read(c, i, 0));
	reg_write(c, ECX, i->adsize, count);
	if (taken)
		c->eip = opnd_read(c, i, 0);
}

void op_loop(struct cpu *c, const struct insn *i)
{
	loop_step(c, i, -1);
}

void op_loope(struct cpu *c, const struct insn *i)
{
	loop_step(c, i, 1);
}

void op_loopne(struct cpu *c, const struct insn *i)
{
	loop_step(c, i, 0);
}

void op_jcxz(struct cpu *c, const struct insn *i)
{
	if (count_read(c, i) == 0)
		branch_to(c, opnd_read(c, i, 0));
}

/* Relative Jcc, JMP and CALL get handlers with the target computed directly. */
insn_handler *branch_specialize(const struct insn *i)
{
#define JCC_ROW(cc) op_jcc_##cc,
	static insn_handler *const jcc[16] = { CONDITIONS(JCC_ROW) };
#undef JCC_ROW
	uint8_t f = i->desc->operand[0];

	if (f != OPF_Jb && f != OPF_Jz)
		return NULL;
	if (i->desc->exec == op_jcc)
		return jcc[i->opcode & 0xf];
	if (i->desc->exec == op_jmp)
		return op_jmp_rel;
	if (i->desc->exec == op_call)
		return op_call_rel;
	return NULL;
}
