/*
 * Operand access for the reference interpreter: one place that turns an
 * operand form of the instruction table (SDM Vol. 2, Appendix A notation)
 * into a register, an immediate or a segmented memory access. Handlers
 * name operands by position and never look at ModRM themselves.
 *
 * Forms with no integer value of their own:
 *   Sw, Cd, Dd   opnd_read returns the register number (ModRM.reg); the
 *                handler does the load or store (seg_load, CRn, DRn).
 *   ES .. GS     opnd_read returns the selector; opnd_write loads the
 *                segment register with seg_load (all its checks).
 *   Jb, Jz       opnd_read returns the branch target: the offset after the
 *                instruction plus the displacement, cut to 16 bits with a
 *                16-bit operand size.
 *   M            LEA/INVLPG-style: handlers use insn_ea; reading it reads
 *                operand-size bytes.
 *   Mp, Ma, Mq, Ms, Mf80, Mi64, Mf64, Mbcd, Menv, Msave: opnd_read
 *                returns the first part (offset for Mp, lower bound for
 *                Ma, low dword otherwise); the handler reads the rest at
 *                insn_ea + that part's size.
 */
#include "interp.h"
#include "machine.h"
#include "mem.h"

/* 16-bit addressing: ModRM.rm picks one of eight base/index pairs. */
uint32_t insn_ea16(const struct cpu *c, const struct insn *i)
{
	static const int8_t base[8] = { EBX, EBX, EBP, EBP, -1, -1, EBP, EBX };
	static const int8_t index[8] = { ESI, EDI, ESI, EDI, ESI, EDI, -1, -1 };
	uint32_t ea = i->disp;

	if (i->mod == 0 && i->rm == 6)
		return ea & 0xffff;
	if (base[i->rm] >= 0)
		ea += c->gpr[base[i->rm]];
	if (index[i->rm] >= 0)
		ea += c->gpr[index[i->rm]];
	return ea & 0xffff;
}

/* The segment of an implicit DS operand (moffs, [eSI], XLAT): overridable. */
static int seg_ds(const struct insn *i)
{
	return (i->prefixes & P_SEG) ? i->seg : SR_DS;
}

static uint32_t adsize_mask(const struct insn *i)
{
	return i->adsize == 2 ? 0xffffu : 0xffffffffu;
}

static int form_of(const struct insn *i, int n)
{
	return i->desc->operand[n];
}

int opnd_size(const struct insn *i, int n)
{
	static const uint8_t fixed[OPF_COUNT] = {
		[OPF_Eb] = 1, [OPF_Gb] = 1, [OPF_Ob] = 1, [OPF_Xb] = 1,
		[OPF_Yb] = 1, [OPF_Zb] = 1, [OPF_Ib] = 1, [OPF_AL] = 1,
		[OPF_CL] = 1, [OPF_Jb] = 0,
		[OPF_Ew] = 2, [OPF_Gw] = 2, [OPF_Mw] = 2, [OPF_Sw] = 2,
		[OPF_Iw] = 2, [OPF_DX] = 2, [OPF_AX] = 2, [OPF_Mw2] = 2,
		[OPF_Mi16] = 2, [OPF_ES] = 2, [OPF_CS] = 2, [OPF_SS] = 2,
		[OPF_DS] = 2, [OPF_FS] = 2, [OPF_GS] = 2,
		[OPF_Ed] = 4, [OPF_Gd] = 4, [OPF_Rd] = 4, [OPF_Cd] = 4,
		[OPF_Dd] = 4, [OPF_Mf32] = 4, [OPF_Mi32] = 4,
		[OPF_Mq] = 8, [OPF_Mf64] = 8, [OPF_Mi64] = 8, [OPF_Ms] = 6,
		[OPF_Mf80] = 10, [OPF_Mbcd] = 10, [OPF_STi] = 10, [OPF_ST0] = 10,
		[OPF_ONE] = 1,
	};
	int f = form_of(i, n);

	switch (f) {
	case OPF_NONE:
		return 0;
	case OPF_Mp: case OPF_Ap:
		return i->opsize + 2;
	case OPF_Ma:
		return i->opsize * 2;
	case OPF_Menv:
		return i->opsize == 2 ? 14 : 28;
	case OPF_Msave:
		return i->opsize == 2 ? 94 : 108;
	default:
		return fixed[f] ? fixed[f] : i->opsize;
	}
}

/* Size of the part of operand n that opnd_read / opnd_write move. */
static int part_size(const struct insn *i, int n)
{
	int s = opnd_size(i, n);

	if (form_of(i, n) == OPF_Mp || form_of(i, n) == OPF_Ma)
		return i->opsize;
	return s > 4 ? 4 : s;
}

static bool form_is_imm(int f)
{
	return f == OPF_Ib || f == OPF_Ibs || f == OPF_Iw || f == OPF_Iv;
}

/* ENTER Iw,Ib: an immediate after another immediate is the second one. */
static bool imm_is_second(const struct insn *i, int n)
{
	return n > 0 && form_is_imm(form_of(i, n - 1));
}

static uint32_t imm_of(const struct insn *i, int n)
{
	return imm_is_second(i, n) ? i->imm2 : i->imm;
}

static uint32_t size_mask(int size)
{
	return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

/* Where a memory operand lives: segment and offset. */
static void opnd_mem(const struct cpu *c, const struct insn *i, int n,
		     int *seg, uint32_t *off)
{
	switch (form_of(i, n)) {
	case OPF_Ob: case OPF_Ov:
		*seg = seg_ds(i);
		*off = i->disp & adsize_mask(i);
		return;
	case OPF_Xb: case OPF_Xv:
		*seg = seg_ds(i);
		*off = c->gpr[ESI] & adsize_mask(i);
		return;
	case OPF_Yb: case OPF_Yv:
		*seg = SR_ES;
		*off = c->gpr[EDI] & adsize_mask(i);
		return;
	default:
		*seg = i->seg;
		*off = insn_ea(c, i);
		return;
	}
}

/* The register an r/m, reg or opcode-register form names. */
static int opnd_reg(const struct insn *i, int n)
{
	switch (form_of(i, n)) {
	case OPF_Gb: case OPF_Gw: case OPF_Gd: case OPF_Gv:
	case OPF_Zb: case OPF_Zv: /* the decoder puts opcode bits 0-2 in reg */
		return i->reg;
	case OPF_AL: case OPF_eAX: case OPF_AX:
		return EAX;
	case OPF_CL:
		return ECX;
	case OPF_DX:
		return EDX;
	default:
		return i->rm;
	}
}

/* How each form is reached. */
enum form_kind { FK_OTHER, FK_RM, FK_REG, FK_MEM };

static const uint8_t form_kind[OPF_COUNT] = {
	[OPF_Eb] = FK_RM, [OPF_Ew] = FK_RM, [OPF_Ed] = FK_RM, [OPF_Ev] = FK_RM,
	[OPF_Gb] = FK_REG, [OPF_Gw] = FK_REG, [OPF_Gd] = FK_REG, [OPF_Gv] = FK_REG,
	[OPF_Rd] = FK_REG, [OPF_Zb] = FK_REG, [OPF_Zv] = FK_REG,
	[OPF_AL] = FK_REG, [OPF_CL] = FK_REG, [OPF_DX] = FK_REG,
	[OPF_eAX] = FK_REG, [OPF_AX] = FK_REG,
	[OPF_M] = FK_MEM, [OPF_Mp] = FK_MEM, [OPF_Mq] = FK_MEM, [OPF_Ma] = FK_MEM,
	[OPF_Ms] = FK_MEM, [OPF_Mw] = FK_MEM, [OPF_Ob] = FK_MEM, [OPF_Ov] = FK_MEM,
	[OPF_Xb] = FK_MEM, [OPF_Xv] = FK_MEM, [OPF_Yb] = FK_MEM, [OPF_Yv] = FK_MEM,
	[OPF_Mf32] = FK_MEM, [OPF_Mf64] = FK_MEM, [OPF_Mf80] = FK_MEM,
	[OPF_Mi16] = FK_MEM, [OPF_Mi32] = FK_MEM, [OPF_Mi64] = FK_MEM,
	[OPF_Mbcd] = FK_MEM, [OPF_Menv] = FK_MEM, [OPF_Msave] = FK_MEM,
	[OPF_Mw2] = FK_MEM,
};

/* 0: a register, 1: memory, -1: neither (immediates, segment forms). */
static int opnd_where(const struct insn *i, int n)
{
	switch (form_kind[form_of(i, n)]) {
	case FK_RM:
		return i->mem;
	case FK_REG:
		return 0;
	case FK_MEM:
		return 1;
	default:
		return -1;
	}
}

static _Noreturn void opnd_fail(struct cpu *c, const struct insn *i, int n,
				const char *what)
{
	machine_fail(c->m, "interp: operand %d (form %d) of %s cannot be %s",
		     n, form_of(i, n), i->desc->mnemonic, what);
	cpu_raise(c, EXC_UD, 0); /* unwinds; the run loop sees the stop */
}

/* Operands that are neither memory nor a general register. */
static uint32_t opnd_read_other(struct cpu *c, const struct insn *i, int n)
{
	int f = form_of(i, n);

	switch (f) {
	case OPF_Ib: case OPF_Iw: case OPF_Iv: case OPF_Ibs:
		return imm_of(i, n) & size_mask(opnd_size(i, n));
	case OPF_Jb: case OPF_Jz:
		return (i->eip + i->len + i->imm) & size_mask(i->opsize);
	case OPF_ONE:
		return 1;
	case OPF_Sw: case OPF_Cd: case OPF_Dd:
		return i->reg;
	case OPF_ES: case OPF_CS: case OPF_SS: case OPF_DS: case OPF_FS: case OPF_GS:
		return c->seg[f - OPF_ES].sel;
	case OPF_Ap:
		return i->imm & size_mask(i->opsize);
	default:
		opnd_fail(c, i, n, "read");
	}
}

/*
 * Precompute what each operand is, so that opnd_read and opnd_write
 * (interp.h) reach registers and immediates with one switch. Forms with
 * more to them (string, moffs, far pointer, segment registers, branch
 * targets, the second immediate) stay OPND_SLOW.
 */
void opnd_resolve(struct insn *i)
{
	static const uint8_t reg_kind[5] = { [1] = OPND_REG8, [2] = OPND_REG16, [4] = OPND_REG32 };

	for (int n = 0; n < 3; n++) {
		int f = form_of(i, n), where = opnd_where(i, n), size = opnd_size(i, n);

		i->okind[n] = OPND_SLOW;
		i->osize[n] = (uint8_t)size;
		if (where == 0 && size <= 4) {
			i->okind[n] = reg_kind[size];
			i->oreg[n] = (uint8_t)opnd_reg(i, n);
		} else if (form_is_imm(f) && !imm_is_second(i, n)) {
			i->okind[n] = OPND_IMM;
		} else if (where == 1 && size <= 4 && form_kind[f] == FK_RM) {
			i->okind[n] = OPND_MEM;
		}
	}
}

uint32_t opnd_read_form(struct cpu *c, const struct insn *i, int n)
{
	int where, seg;
	uint32_t off;

	if (i->okind[n] == OPND_MEM)
		return mem_read(c, i->seg, insn_ea(c, i), i->osize[n]);
	where = opnd_where(i, n);
	if (where == 0)
		return reg_read(c, opnd_reg(i, n), opnd_size(i, n));
	if (where < 0)
		return opnd_read_other(c, i, n);
	opnd_mem(c, i, n, &seg, &off);
	return mem_read(c, seg, off, part_size(i, n));
}

uint32_t opnd_read_rmw_form(struct cpu *c, const struct insn *i, int n)
{
	int seg, size;
	uint32_t off;

	if (opnd_where(i, n) != 1)
		return opnd_read_form(c, i, n);
	opnd_mem(c, i, n, &seg, &off);
	size = part_size(i, n);
	mem_check_write(c, seg, off, size);
	return mem_read(c, seg, off, size);
}

void opnd_write_form(struct cpu *c, const struct insn *i, int n, uint32_t v)
{
	int where, f = form_of(i, n), seg;
	uint32_t off;

	if (i->okind[n] == OPND_MEM) {
		mem_write(c, i->seg, insn_ea(c, i), i->osize[n], v);
		return;
	}
	where = opnd_where(i, n);
	if (where == 0) {
		reg_write(c, opnd_reg(i, n), opnd_size(i, n), v);
	} else if (where == 1) {
		opnd_mem(c, i, n, &seg, &off);
		mem_write(c, seg, off, part_size(i, n), v);
	} else if (f >= OPF_ES && f <= OPF_GS) {
		seg_load(c, f - OPF_ES, (uint16_t)v);
	} else {
		opnd_fail(c, i, n, "written");
	}
}
