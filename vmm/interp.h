/*
 * The reference interpreter: one handler per instruction family, named in
 * the instruction table (vmm/insn.def, vmm/insn_x87.def), plus the operand
 * and stack helpers every handler shares.
 */
#ifndef DOPPEL_INTERP_H
#define DOPPEL_INTERP_H

#include <stdint.h>

#include "alu.h"
#include "cpu.h"
#include "insn.h"

/*
 * Every handler the table may name, grouped by the file that defines it.
 * The table refers to them weakly, so a missing one is a NULL exec that
 * the interpreter reports by name at run time (and a unit test fails).
 */
#define INTERP_HANDLERS_ALU(X) /* vmm/interp_alu.c, interp_bits.c, interp_bcd.c */ \
	X(add) X(or) X(adc) X(sbb) X(and) X(sub) X(xor) X(cmp) X(test) \
	X(inc) X(dec) X(neg) X(not) \
	X(mul) X(imul1) X(imul2) X(imul3) X(div) X(idiv) \
	X(rol) X(ror) X(rcl) X(rcr) X(shl) X(shr) X(sar) X(shld) X(shrd) \
	X(bt) X(bts) X(btr) X(btc) X(bsf) X(bsr) \
	X(daa) X(das) X(aaa) X(aas) X(aam) X(aad) \
	X(cbw) X(cwd) X(setcc) X(cmovcc) X(xadd) X(cmpxchg) X(cmpxchg8b) X(bswap) \
	X(salc) X(clc) X(stc) X(cmc) X(cld) X(std) X(lahf) X(sahf)

#define INTERP_HANDLERS_FLOW(X) /* vmm/interp_move.c, interp_stack.c, interp_branch.c, interp_string.c */ \
	X(mov) X(movzx) X(movsx) X(lea) X(xchg) X(nop) X(xlat) \
	X(push) X(pop) X(push_sreg) X(pop_sreg) X(pusha) X(popa) X(pushf) X(popf) \
	X(enter) X(leave) \
	X(jcc) X(jmp) X(call) X(ret) X(loop) X(loope) X(loopne) X(jcxz) \
	X(movs) X(cmps) X(stos) X(lods) X(scas) X(ins) X(outs) \
	X(bound) X(ud)

#define INTERP_HANDLERS_SEG(X) /* vmm/interp_far.c, interp_desc.c */ \
	X(jmp_far) X(call_far) X(ret_far) X(iret) X(int) X(int3) X(into) \
	X(lxs) X(mov_to_sreg) X(mov_from_sreg) \
	X(lar) X(lsl) X(verr) X(verw) X(arpl) \
	X(lgdt) X(lidt) X(sgdt) X(sidt) X(lldt) X(sldt) X(ltr) X(str)

#define INTERP_HANDLERS_SYS(X) /* vmm/interp_system.c, interp_io.c */ \
	X(mov_to_cr) X(mov_from_cr) X(mov_to_dr) X(mov_from_dr) \
	X(clts) X(lmsw) X(smsw) X(invlpg) X(invd) X(wbinvd) \
	X(cpuid) X(rdtsc) X(rdmsr) X(wrmsr) X(rdpmc) X(hlt) X(cli) X(sti) X(in) X(out)

#define INTERP_HANDLERS(X) \
	INTERP_HANDLERS_ALU(X) INTERP_HANDLERS_FLOW(X) \
	INTERP_HANDLERS_SEG(X) INTERP_HANDLERS_SYS(X)

#define INTERP_DECLARE(name) insn_handler op_##name;
INTERP_HANDLERS(INTERP_DECLARE)
#undef INTERP_DECLARE
/* x87 handlers are declared in vmm/fpu.h (their own list, FPU_HANDLERS). */

/* ---- operands (vmm/interp_operand.c) ---- */

/* 8-bit register access with the AL,CL,DL,BL,AH,CH,DH,BH numbering. */
static inline uint8_t reg8_read(const struct cpu *c, int r)
{
	return (uint8_t)(c->gpr[r & 3] >> ((r & 4) * 2));
}

static inline void reg8_write(struct cpu *c, int r, uint8_t v)
{
	unsigned shift = (r & 4) * 2;
	uint32_t *g = &c->gpr[r & 3];

	*g = (*g & ~(0xffu << shift)) | ((uint32_t)v << shift);
}

static inline uint32_t reg_read(const struct cpu *c, int r, int size)
{
	if (size == 1)
		return reg8_read(c, r);
	if (size == 2)
		return c->gpr[r] & 0xffff;
	return c->gpr[r];
}

/* Write a 1/2/4-byte value into a GPR, keeping the bytes above it. */
static inline void reg_write(struct cpu *c, int r, int size, uint32_t v)
{
	if (size == 1)
		reg8_write(c, r, (uint8_t)v);
	else if (size == 2)
		c->gpr[r] = (c->gpr[r] & 0xffff0000u) | (v & 0xffff);
	else
		c->gpr[r] = v;
}

/* Fill insn.okind/oreg/osize after decoding, for the fast paths below. */
void opnd_resolve(struct insn *i);
/* Size in bytes of operand n (0..2) of i. */
int opnd_size(const struct insn *i, int n);
/* 16-bit addressing: one of eight base/index pairs plus disp, wrapped to 16 bits. */
uint32_t insn_ea16(const struct cpu *c, const struct insn *i);

/* 32-bit addressing: base + index * scale + disp, wrapping at 4 GiB. */
static inline uint32_t insn_ea32(const struct cpu *c, const struct insn *i)
{
	uint32_t ea = i->disp;
	int base = i->rm, idx;

	if (i->has_sib) {
		base = i->sib & 7;
		idx = (i->sib >> 3) & 7;
		if (idx != ESP)
			ea += c->gpr[idx] << (i->sib >> 6);
	}
	if (!(base == EBP && i->mod == 0))
		ea += c->gpr[base];
	return ea;
}

/* The effective offset of the ModRM memory operand (address-size wrapped). */
static inline uint32_t insn_ea(const struct cpu *c, const struct insn *i)
{
	return i->adsize == 2 ? insn_ea16(c, i) : insn_ea32(c, i);
}

/* The general paths, by operand form (any operand; OPND_SLOW ones go here). */
uint32_t opnd_read_form(struct cpu *c, const struct insn *i, int n);
uint32_t opnd_read_rmw_form(struct cpu *c, const struct insn *i, int n);
void opnd_write_form(struct cpu *c, const struct insn *i, int n, uint32_t v);

/* Read operand n: registers, immediates, memory (with segment checks). */
static inline uint32_t opnd_read(struct cpu *c, const struct insn *i, int n)
{
	switch (i->okind[n]) {
	case OPND_REG32: return c->gpr[i->oreg[n]];
	case OPND_REG16: return c->gpr[i->oreg[n]] & 0xffff;
	case OPND_REG8: return reg8_read(c, i->oreg[n]);
	case OPND_IMM: return i->imm;
	default: return opnd_read_form(c, i, n);
	}
}

/* Read operand n that will be written back: faults as a write first. */
static inline uint32_t opnd_read_rmw(struct cpu *c, const struct insn *i, int n)
{
	switch (i->okind[n]) {
	case OPND_REG32: return c->gpr[i->oreg[n]];
	case OPND_REG16: return c->gpr[i->oreg[n]] & 0xffff;
	case OPND_REG8: return reg8_read(c, i->oreg[n]);
	default: return opnd_read_rmw_form(c, i, n);
	}
}

static inline void opnd_write(struct cpu *c, const struct insn *i, int n, uint32_t v)
{
	switch (i->okind[n]) {
	case OPND_REG32: c->gpr[i->oreg[n]] = v; break;
	case OPND_REG16: reg_write(c, i->oreg[n], 2, v); break;
	case OPND_REG8: reg8_write(c, i->oreg[n], (uint8_t)v); break;
	default: opnd_write_form(c, i, n, v); break;
	}
}

/*
 * Handlers made at decode time for the commonest operand forms of a
 * family, from the same semantics as its general handler; NULL when i has
 * none (vmm/interp_alu.c, interp_branch.c, interp_move.c, interp_shift.c,
 * interp_muldiv.c).
 */
insn_handler *alu_specialize(const struct insn *i);
insn_handler *branch_specialize(const struct insn *i);
insn_handler *move_specialize(const struct insn *i);
insn_handler *shift_specialize(const struct insn *i);
insn_handler *muldiv_specialize(const struct insn *i);
/*
 * A specialized handler whose operands are all registers and immediates
 * never faults and never ends a block early: interp_elide_flags relies on
 * it. alu_flagless, shift_flagless and muldiv_flagless give such a form
 * without its flags, or NULL.
 */
insn_handler *alu_flagless(const struct insn *i);
insn_handler *shift_flagless(const struct insn *i);
insn_handler *muldiv_flagless(const struct insn *i);

/* ---- the stack (vmm/interp_stack.c): SS, with the stack size of SS.B ---- */
void stack_push(struct cpu *c, int size, uint32_t v);  /* faults before ESP moves */
uint32_t stack_pop(struct cpu *c, int size);
uint32_t stack_peek(struct cpu *c, int size, uint32_t offset);

/* ---- flags: flags_add, flags_sub, flags_logic, cond_holds are inline in vmm/alu.h ---- */
/* Set EFLAGS as POPF/IRET would, honouring CPL, IOPL and the reserved bits. */
void flags_write(struct cpu *c, uint32_t value, uint32_t writable);

/* ---- cross-family services ---- */
/* Load a segment register with full real/protected-mode checks (vmm/seg.c). */
void seg_load(struct cpu *c, int sreg, uint16_t sel);
/* IOPL and TSS I/O bitmap check for port access (vmm/interp_io.c). */
void io_check_access(struct cpu *c, uint16_t port, int size);

#endif
