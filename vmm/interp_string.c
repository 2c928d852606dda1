/*
 * String instructions of the reference interpreter: MOVS, CMPS, STOS,
 * LODS, SCAS, INS, OUTS, with REP/REPE/REPNE.
 *
 * A repeated instruction runs one iteration per call and, while more
 * remain, leaves EIP at itself, so the run loop re-executes it: interrupts,
 * the instruction budget and single-step traps all see the iteration
 * boundaries the hardware has, and a fault in iteration k finds ECX, ESI
 * and EDI counted down by exactly the k-1 iterations before it. Each
 * iteration retires as one instruction on the virtual clock; a REP with a
 * zero count retires as one.
 *
 * The source (DS:eSI) takes a segment override; the destination is always
 * ES:eDI. eSI, eDI and the count follow the address size.
 */
#include "interp.h"
#include "machine.h"
#include "mem.h"

static uint32_t adsize_mask(const struct insn *i)
{
	return i->adsize == 2 ? 0xffffu : 0xffffffffu;
}

static int str_src_seg(const struct insn *i)
{
	return (i->prefixes & P_SEG) ? i->seg : SR_DS;
}

static uint32_t str_off(const struct cpu *c, const struct insn *i, int r)
{
	return c->gpr[r] & adsize_mask(i);
}

/* The element size: that of the [eSI] or [eDI] operand (INS/OUTS name DX first). */
static int str_size(const struct insn *i)
{
	int f = i->desc->operand[0];

	if (f == OPF_DX || f == OPF_AL || f == OPF_eAX)
		return opnd_size(i, 1);
	return opnd_size(i, 0);
}

/* Move eSI or eDI by one element in the direction of DF. */
static void str_advance(struct cpu *c, const struct insn *i, int r)
{
	uint32_t size = (uint32_t)str_size(i);
	uint32_t step = (c->eflags & F_DF) ? -size : size;

	reg_write(c, r, i->adsize, c->gpr[r] + step);
}

static bool str_rep(const struct insn *i)
{
	return i->prefixes & (P_REP | P_REPNE);
}

/* Before an iteration: false when a REP has nothing (left) to do. */
static bool str_begin(const struct cpu *c, const struct insn *i)
{
	return !str_rep(i) || (c->gpr[ECX] & adsize_mask(i)) != 0;
}

/*
 * After an iteration: count down and, if the repetition goes on, point
 * EIP back at the instruction and return true. `cond_done` is the
 * REPE/REPNE exit test.
 */
static bool str_end(struct cpu *c, const struct insn *i, bool cond_done)
{
	uint32_t count;

	if (!str_rep(i))
		return false;
	count = (c->gpr[ECX] - 1) & adsize_mask(i);
	reg_write(c, ECX, i->adsize, count);
	if (count == 0 || cond_done)
		return false;
	c->eip = i->eip;
	return true;
}

/* REPE stops on ZF=0, REPNE on ZF=1 (CMPS and SCAS only). */
static bool str_cond_done(const struct cpu *c, const struct insn *i)
{
	bool zf = c->eflags & F_ZF;

	if (i->prefixes & P_REPNE)
		return zf;
	return (i->prefixes & P_REP) && !zf;
}

void op_movs(struct cpu *c, const struct insn *i)
{
	int s = str_size(i);
	uint32_t v;

	if (!str_begin(c, i))
		return;
	v = mem_read(c, str_src_seg(i), str_off(c, i, ESI), s);
	mem_write(c, SR_ES, str_off(c, i, EDI), s, v);
	str_advance(c, i, ESI);
	str_advance(c, i, EDI);
	str_end(c, i, false);
}

/*
 * The comparison's flags decide whether REPE/REPNE go on, but Intel
 * commits them only with the iteration that ends the instruction: between
 * iterations (a single-step trap, a fault in a later one) EFLAGS are as
 * they were before it.
 */
static void str_compare(struct cpu *c, const struct insn *i, uint32_t a, uint32_t b, int s)
{
	uint32_t before = c->eflags;

	flags_sub(c, a, b, 0, s);
	if (str_end(c, i, str_cond_done(c, i)))
		c->eflags = before;
}

/* The host reads ES:[eDI] first: its fault (limit, page) wins over DS:[eSI]'s. */
void op_cmps(struct cpu *c, const struct insn *i)
{
	int s = str_size(i);
	uint32_t a, b;

	if (!str_begin(c, i))
		return;
	b = mem_read(c, SR_ES, str_off(c, i, EDI), s);
	a = mem_read(c, str_src_seg(i), str_off(c, i, ESI), s);
	str_advance(c, i, ESI);
	str_advance(c, i, EDI);
	str_compare(c, i, a, b, s);
}

void op_stos(struct cpu *c, const struct insn *i)
{
	int s = str_size(i);
	if (!str_begin(c, i))
		return;
	mem_write(c, SR_ES, str_off(c, i, EDI), s, reg_read(c, EAX, s));
	str_advance(c, i, EDI);
	str_end(c, i, false);
}

void op_lods(struct cpu *c, const struct insn *i)
{
	int s = str_size(i);
	uint32_t v;

	if (!str_begin(c, i))
		return;
	v = mem_read(c, str_src_seg(i), str_off(c, i, ESI), s);
	reg_write(c, EAX, s, v);
	str_advance(c, i, ESI);
	str_end(c, i, false);
}

void op_scas(struct cpu *c, const struct insn *i)
{
	int s = str_size(i);
	uint32_t b;

	if (!str_begin(c, i))
		return;
	b = mem_read(c, SR_ES, str_off(c, i, EDI), s);
	str_advance(c, i, EDI);
	str_compare(c, i, reg_read(c, EAX, s), b, s);
}

/* INS: the destination is probed before the port is read (a read may have effects). */
void op_ins(struct cpu *c, const struct insn *i)
{
	int s = str_size(i);
	uint16_t port = c->gpr[EDX] & 0xffff;
	uint32_t off, v;

	if (!str_begin(c, i))
		return;
	io_check_access(c, port, s);
	off = str_off(c, i, EDI);
	mem_check_write(c, SR_ES, off, s);
	v = machine_io_in(c->m, port, s);
	mem_write(c, SR_ES, off, s, v);
	str_advance(c, i, EDI);
	str_end(c, i, false);
}

void op_outs(struct cpu *c, const struct insn *i)
{
	int s = str_size(i);
	uint16_t port = c->gpr[EDX] & 0xffff;
	uint32_t v;

	if (!str_begin(c, i))
		return;
	io_check_access(c, port, s);
	v = mem_read(c, str_src_seg(i), str_off(c, i, ESI), s);
	machine_io_out(c->m, port, s, v);
	str_advance(c, i, ESI);
	str_end(c, i, false);
}
