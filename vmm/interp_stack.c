/*
 * The stack instructions of the reference interpreter: PUSH/POP in all
 * their forms, PUSHA/POPA, PUSHF/POPF, ENTER/LEAVE. The stack is SS with
 * the stack size of SS.B (SP or ESP); every access that can fault is made
 * before ESP or any register moves, as the hardware leaves them -- except
 * where this Intel host itself changes state before a fault (PUSHA, POPA,
 * ENTER).
 */
#include "interp.h"
#include "mem.h"
#include "seg.h"

static uint32_t stack_mask(const struct cpu *c)
{
	return cpu_stack32(c) ? 0xffffffffu : 0xffffu;
}

/* A stack pointer moved by delta within the stack size, the bits above it kept. */
static uint32_t stack_step(const struct cpu *c, uint32_t v, uint32_t delta)
{
	uint32_t mask = stack_mask(c);

	return (v & ~mask) | ((v + delta) & mask);
}

/* ESP after moving it by delta, with only SP changing on a 16-bit stack. */
static uint32_t stack_moved(const struct cpu *c, uint32_t delta)
{
	return stack_step(c, c->gpr[ESP], delta);
}

static uint32_t stack_top(const struct cpu *c, uint32_t offset)
{
	return (c->gpr[ESP] + offset) & stack_mask(c);
}

void stack_push(struct cpu *c, int size, uint32_t v)
{
	uint32_t esp = stack_moved(c, -(uint32_t)size);

	mem_write(c, SR_SS, esp & stack_mask(c), size, v);
	c->gpr[ESP] = esp;
}

uint32_t stack_peek(struct cpu *c, int size, uint32_t offset)
{
	return mem_read(c, SR_SS, stack_top(c, offset), size);
}

uint32_t stack_pop(struct cpu *c, int size)
{
	uint32_t v = stack_peek(c, size, 0);

	c->gpr[ESP] = stack_moved(c, size);
	return v;
}

/* PUSH r/m, reg, imm: the value is read before ESP moves (PUSH ESP pushes the old one). */
void op_push(struct cpu *c, const struct insn *i)
{
	stack_push(c, i->opsize, opnd_read(c, i, 0));
}

/*
 * POP r/m: a memory destination addressed with ESP uses the incremented
 * ESP; POP ESP leaves the popped value in ESP. The store faults before
 * ESP moves.
 */
void op_pop(struct cpu *c, const struct insn *i)
{
	uint32_t v = stack_peek(c, i->opsize, 0);
	uint32_t esp = c->gpr[ESP], next = stack_moved(c, i->opsize);

	if (i->mem) {
		uint32_t ea;

		c->gpr[ESP] = next;
		ea = insn_ea(c, i);
		c->gpr[ESP] = esp;
		mem_write(c, i->seg, ea, i->opsize, v);
	}
	c->gpr[ESP] = next;
	if (!i->mem)
		opnd_write(c, i, 0, v);
}

static int sreg_of(const struct insn *i)
{
	return i->desc->operand[0] - OPF_ES;
}

/*
 * PUSH sreg with a 32-bit operand size: current Intel processors store
 * the selector with a 16-bit move and leave the upper two bytes of the
 * slot alone, but still move ESP by 4 (SDM Vol. 2, PUSH).
 */
void op_push_sreg(struct cpu *c, const struct insn *i)
{
	uint32_t esp = stack_moved(c, -(uint32_t)i->opsize);

	mem_write16(c, SR_SS, esp & stack_mask(c), c->seg[sreg_of(i)].sel);
	c->gpr[ESP] = esp;
}

/*
 * POP sreg: like PUSH, a 32-bit operand size still reads only the selector
 * word (the host does not touch the upper two bytes: no #PF there) but
 * moves ESP by 4. ESP moves only after the segment load succeeded.
 */
void op_pop_sreg(struct cpu *c, const struct insn *i)
{
	int sreg = sreg_of(i);
	uint16_t v = (uint16_t)stack_peek(c, 2, 0);

	seg_load(c, sreg, v);
	c->gpr[ESP] = stack_moved(c, i->opsize);
	if (sreg == SR_SS)
		c->int_shadow |= SHADOW_MOV_SS;
}

/*
 * PUSHA: EAX, ECX, EDX, EBX, the original ESP, EBP, ESI, EDI, as the host
 * does it: the ends of the frame are checked against SS's limit first,
 * then each register is stored in turn from the highest address down; a
 * page fault part-way keeps the stores before it, ESP unchanged.
 */
void op_pusha(struct cpu *c, const struct insn *i)
{
	int s = i->opsize;

	if (!seg_access_ok(c, SR_SS, stack_top(c, -(uint32_t)s), s, ACC_WRITE) ||
	    !seg_access_ok(c, SR_SS, stack_top(c, -(uint32_t)(8 * s)), s, ACC_WRITE))
		cpu_raise(c, EXC_SS, 0);
	for (int r = EAX; r <= EDI; r++)
		mem_write(c, SR_SS, stack_top(c, -(uint32_t)(s * (r + 1))), s, c->gpr[r]);
	c->gpr[ESP] = stack_moved(c, -(uint32_t)(8 * s));
}

/*
 * POPA, as the host does it: the ends of the frame are checked against
 * SS's limit (#SS(0) before anything changes), then the slots are read
 * from the lowest address up (EDI first), each register written as it is
 * read; the saved ESP slot is read and dropped. A page fault part-way
 * leaves the registers below it loaded and ESP unchanged.
 */
void op_popa(struct cpu *c, const struct insn *i)
{
	int s = i->opsize;

	if (!seg_access_ok(c, SR_SS, stack_top(c, 0), s, ACC_READ) ||
	    !seg_access_ok(c, SR_SS, stack_top(c, (uint32_t)(7 * s)), s, ACC_READ))
		cpu_raise(c, EXC_SS, 0);
	for (int r = EDI; r >= EAX; r--) {
		uint32_t v = stack_peek(c, s, (uint32_t)(s * (7 - r)));

		if (r != ESP)
			reg_write(c, r, s, v);
	}
	c->gpr[ESP] = stack_moved(c, 8 * s);
}

/* PUSHF: the image has VM and RF clear. */
void op_pushf(struct cpu *c, const struct insn *i)
{
	stack_push(c, i->opsize, c->eflags & ~(F_VM | F_RF));
}

/*
 * POPF (SDM Vol. 2): VM, VIP and VIF never change and RF is cleared; IOPL
 * changes only at CPL 0 and IF only at CPL <= IOPL (any in real mode);
 * a 16-bit POPF touches only the low 16 bits.
 */
void op_popf(struct cpu *c, const struct insn *i)
{
	uint32_t v = stack_peek(c, i->opsize, 0);
	uint32_t writable = F_ARITH | F_TF | F_DF | F_NT | F_AC | F_ID;
	bool real = !cpu_pe(c);

	if (real || c->cpl == 0)
		writable |= F_IOPL;
	if (real || c->cpl <= IOPL(c->eflags))
		writable |= F_IF;
	if (i->opsize == 2)
		writable &= 0xffff;
	c->gpr[ESP] = stack_moved(c, i->opsize);
	flags_write(c, v, writable);
	c->eflags &= ~F_RF;
}

/*
 * ENTER size, level (SDM Vol. 2), in the host's order: push EBP, then for
 * each of level-1 outer frames read [EBP-k*s] and push it, push the new
 * frame pointer, probe the final ESP like a write, and only then move ESP
 * and EBP. A fault part-way keeps the stores made before it, with ESP and
 * EBP unchanged. EBP gets the frame pointer at the operand size (a 16-bit
 * ENTER sets BP only), whatever the stack size.
 */
void op_enter(struct cpu *c, const struct insn *i)
{
	int s = i->opsize, level = i->imm2 & 31;
	uint32_t mask = stack_mask(c), ebp = c->gpr[EBP];
	uint32_t frame = stack_moved(c, -(uint32_t)s), slot = frame, esp;

	mem_write(c, SR_SS, frame & mask, s, ebp);
	for (int k = 1; k < level; k++) {
		ebp = stack_step(c, ebp, -(uint32_t)s);
		slot = stack_step(c, slot, -(uint32_t)s);
		mem_write(c, SR_SS, slot & mask, s, mem_read(c, SR_SS, ebp & mask, s));
	}
	if (level > 0) {
		slot = stack_step(c, slot, -(uint32_t)s);
		mem_write(c, SR_SS, slot & mask, s, frame);
	}
	esp = stack_step(c, slot, -(i->imm & 0xffff));
	mem_check_write(c, SR_SS, esp & mask, s);
	c->gpr[ESP] = esp;
	reg_write(c, EBP, s, frame);
}

/* LEAVE: ESP from EBP, then pop EBP; the pop faults before either changes. */
void op_leave(struct cpu *c, const struct insn *i)
{
	uint32_t mask = stack_mask(c), ebp = c->gpr[EBP] & mask;
	uint32_t v = mem_read(c, SR_SS, ebp, i->opsize);

	c->gpr[ESP] = (c->gpr[ESP] & ~mask) | ((ebp + i->opsize) & mask);
	reg_write(c, EBP, i->opsize, v);
}
