/*
 * Far control transfers of the reference interpreter: JMP/CALL far (to
 * code segments and through call gates, with the inner-stack switch and
 * parameter copy), RET far and IRET (to the same or an outer level), and
 * INT n / INT3 / INTO / INT1; task switches are vmm/task.c's. On entry
 * c->eip is the next instruction's. Every check and every push is made before CS, EIP or ESP changes.
 */
#include "exception.h"
#include "interp.h"
#include "machine.h"
#include "mem.h"
#include "seg.h"
#include "task.h"

static bool far_real(const struct cpu *c)
{
	return !cpu_pe(c) || cpu_vm86(c);
}

/* The target of JMP/CALL far: Ap in the instruction, or Mp in memory. */
static void far_pointer(struct cpu *c, const struct insn *i, uint32_t *off, uint16_t *sel)
{
	if (i->desc->operand[0] == OPF_Ap) {
		*off = i->imm;
		*sel = (uint16_t)i->imm2;
		return;
	}
	uint32_t ea = insn_ea(c, i);
	*off = mem_read(c, i->seg, ea, i->opsize);
	*sel = mem_read16(c, i->seg, ea + i->opsize);
}

static uint32_t far_cut(int opsize, uint32_t off)
{
	return opsize == 2 ? off & 0xffff : off;
}

static void far_check_eip(struct cpu *c, uint32_t eip, uint32_t limit)
{
	if (eip > limit)
		cpu_raise(c, EXC_GP, 0);
}

/* Real and V86 mode: CS gets sel << 4, the limit is checked, not changed. */
static void far_go_real(struct cpu *c, uint16_t sel, uint32_t eip)
{
	far_check_eip(c, eip, c->seg[SR_CS].limit);
	seg_load(c, SR_CS, sel);
	c->eip = eip;
}

/* JMP/CALL straight to a code segment: the privilege rules of both. */
static void far_check_code(struct cpu *c, uint16_t sel, const struct desc *d)
{
	bool bad = desc_is_conforming(d) ? desc_dpl(d) > c->cpl
					 : SEL_RPL(sel) > c->cpl || desc_dpl(d) != c->cpl;
	if (bad)
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	if (!desc_present(d))
		cpu_raise(c, EXC_NP, SEL_ERR(sel));
}

struct call_gate {
	uint16_t sel;
	uint32_t off;
	unsigned params;
	int size; /* 2 or 4: the gate's push size */
};

/* Check a call gate named by sel (JMP or CALL) and its target segment. */
static void far_open_gate(struct cpu *c, uint16_t sel, const struct desc *gd,
			  struct call_gate *g, struct desc *cs)
{
	bool big = desc_kind(gd) == SYS_CALL32;

	if (desc_dpl(gd) < c->cpl || desc_dpl(gd) < SEL_RPL(sel))
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	if (!desc_present(gd))
		cpu_raise(c, EXC_NP, SEL_ERR(sel));
	g->sel = (uint16_t)(gd->lo >> 16);
	g->off = (gd->lo & 0xffff) | (big ? gd->hi & 0xffff0000u : 0);
	g->params = gd->hi & 0x1f;
	g->size = big ? 4 : 2;
	seg_check_gate_target(c, g->sel, cs, 0);
}

/* The descriptor a protected-mode far JMP/CALL names, or false when it
 * names a task (an available TSS or a task gate). A busy TSS is #GP. */
static bool far_fetch_target(struct cpu *c, uint16_t sel, struct desc *d)
{
	unsigned kind;

	if (SEL_IS_NULL(sel))
		cpu_raise(c, EXC_GP, 0);
	desc_fetch_or_raise(c, sel, d, EXC_GP, 0);
	kind = desc_kind(d);
	if (desc_is_code(d) || kind == SYS_CALL16 || kind == SYS_CALL32)
		return true;
	if (kind == SYS_TASK || kind == SYS_TSS16 || kind == SYS_TSS32)
		return false;
	cpu_raise(c, EXC_GP, SEL_ERR(sel));
}

static void jmp_far_pm(struct cpu *c, uint16_t sel, uint32_t off, int opsize)
{
	struct desc d, cs;
	struct call_gate g;

	if (!far_fetch_target(c, sel, &d)) {
		task_far_transfer(c, sel, &d, TASK_JMP);
		return;
	}
	if (desc_is_code(&d)) {
		far_check_code(c, sel, &d);
		far_check_eip(c, far_cut(opsize, off), desc_limit(&d));
		seg_load_cs(c, sel, &d, c->cpl);
		c->eip = far_cut(opsize, off);
		return;
	}
	far_open_gate(c, sel, &d, &g, &cs);
	if (!desc_is_conforming(&cs) && desc_dpl(&cs) != c->cpl)
		cpu_raise(c, EXC_GP, SEL_ERR(g.sel));
	far_check_eip(c, g.off, desc_limit(&cs));
	seg_load_cs(c, g.sel, &cs, c->cpl);
	c->eip = g.off;
}

void op_jmp_far(struct cpu *c, const struct insn *i)
{
	uint32_t off;
	uint16_t sel;

	far_pointer(c, i, &off, &sel);
	if (far_real(c))
		far_go_real(c, sel, far_cut(i->opsize, off));
	else
		jmp_far_pm(c, sel, off, i->opsize);
}

/*
 * The return CS:EIP on the current stack as two pushes, each checked
 * (limit, page) and written in turn, as the host does: a fault on the EIP
 * push leaves the CS push written (ESP unchanged).
 */
static void call_push_return(struct cpu *c, int size)
{
	struct far_stack st;

	far_stack_current(c, &st);
	far_stack_push(&st, size, c->seg[SR_CS].sel);
	far_stack_commit(c, &st);
	far_stack_push(&st, size, c->eip);
	far_stack_commit(c, &st);
	c->gpr[ESP] = st.esp;
}

/* Push the return CS:EIP on the current stack and enter cs:eip at this CPL. */
static void call_same_level(struct cpu *c, uint16_t sel, struct desc *cs, uint32_t eip, int size)
{
	far_check_eip(c, eip, desc_limit(cs));
	desc_set_accessed(c, cs);
	call_push_return(c, size);
	seg_load_cs(c, sel, cs, c->cpl);
	c->eip = eip;
}

/* CALL through a gate to a more privileged level: the TSS stack, the
 * caller's SS:ESP and parameters, then CS:EIP, all on the inner stack. */
static void call_inner(struct cpu *c, const struct call_gate *g, struct desc *cs)
{
	unsigned dpl = desc_dpl(cs);
	struct far_stack in, out;
	struct desc ssd;

	far_stack_current(c, &out);
	far_stack_inner(c, dpl, 0, &in, &ssd);
	far_stack_push(&in, g->size, c->seg[SR_SS].sel);
	far_stack_push(&in, g->size, c->gpr[ESP]);
	for (unsigned k = g->params; k-- > 0;)
		far_stack_push(&in, g->size, far_stack_read(c, &out, k * (uint32_t)g->size, g->size));
	far_stack_push(&in, g->size, c->seg[SR_CS].sel);
	far_stack_push(&in, g->size, c->eip);
	far_stack_check(c, &in);
	far_check_eip(c, g->off, desc_limit(cs));
	desc_set_accessed(c, cs);
	desc_set_accessed(c, &ssd);
	far_stack_commit(c, &in);
	seg_load_ss(c, in.ss.sel, &ssd);
	c->gpr[ESP] = in.esp;
	seg_load_cs(c, g->sel, cs, dpl);
	c->eip = g->off;
}

static void call_far_pm(struct cpu *c, uint16_t sel, uint32_t off, int opsize)
{
	struct desc d, cs;
	struct call_gate g;

	if (!far_fetch_target(c, sel, &d)) {
		task_far_transfer(c, sel, &d, TASK_CALL);
		return;
	}
	if (desc_is_code(&d)) {
		far_check_code(c, sel, &d);
		call_same_level(c, sel, &d, far_cut(opsize, off), opsize);
		return;
	}
	far_open_gate(c, sel, &d, &g, &cs);
	if (!desc_is_conforming(&cs) && desc_dpl(&cs) < c->cpl)
		call_inner(c, &g, &cs);
	else
		call_same_level(c, g.sel, &cs, g.off, g.size);
}

static void call_far_real(struct cpu *c, uint16_t sel, uint32_t eip, int size)
{
	far_check_eip(c, eip, c->seg[SR_CS].limit);
	call_push_return(c, size);
	seg_load(c, SR_CS, sel);
	c->eip = eip;
}

void op_call_far(struct cpu *c, const struct insn *i)
{
	uint32_t off;
	uint16_t sel;

	far_pointer(c, i, &off, &sel);
	if (far_real(c))
		call_far_real(c, sel, far_cut(i->opsize, off), i->opsize);
	else
		call_far_pm(c, sel, off, i->opsize);
}

/* The CS a RET/IRET returns to: never to a more privileged level. */
static void far_check_return_cs(struct cpu *c, uint16_t sel, struct desc *d)
{
	unsigned rpl = SEL_RPL(sel);

	if (SEL_IS_NULL(sel))
		cpu_raise(c, EXC_GP, 0);
	desc_fetch_or_raise(c, sel, d, EXC_GP, 0);
	if (!desc_is_code(d) || rpl < c->cpl ||
	    (desc_is_conforming(d) ? desc_dpl(d) > rpl : desc_dpl(d) != rpl))
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	if (!desc_present(d))
		cpu_raise(c, EXC_NP, SEL_ERR(sel));
}

/* The SS a return to the outer level rpl loads. */
static void far_check_return_ss(struct cpu *c, uint16_t sel, unsigned rpl, struct desc *d)
{
	if (SEL_IS_NULL(sel))
		cpu_raise(c, EXC_GP, 0);
	desc_fetch_or_raise(c, sel, d, EXC_GP, 0);
	if (SEL_RPL(sel) != rpl || !desc_is_data(d) || !(desc_kind(d) & DESC_WRITABLE) ||
	    desc_dpl(d) != rpl)
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	if (!desc_present(d))
		cpu_raise(c, EXC_SS, SEL_ERR(sel));
}

/* A return frame read from the current stack: EIP, CS, [EFLAGS], then for
 * an outer level ESP, SS. */
struct far_return {
	uint32_t eip;
	uint16_t sel;
	struct desc cs, ss;
	uint16_t ss_sel;
	uint32_t esp;
	bool outer;
};

/*
 * CS:EIP of a return frame, in the order the hardware reads them (so the
 * first fault, and CR2, are its): the selector, 2 bytes whatever the
 * operand size, before EIP.
 */
static void far_read_frame(struct cpu *c, const struct far_stack *st, struct far_return *r,
			   int size)
{
	r->sel = (uint16_t)far_stack_read(c, st, (uint32_t)size, 2);
	r->eip = far_cut(size, far_stack_read(c, st, 0, size));
}

/* Read and check the outer SS:ESP of a return frame, then the EIP. */
static void far_return_check(struct cpu *c, const struct far_stack *st, struct far_return *r,
			     uint32_t outer_at, int size)
{
	r->outer = SEL_RPL(r->sel) > c->cpl;
	if (r->outer) {
		r->esp = far_stack_read(c, st, outer_at, size);
		r->ss_sel = (uint16_t)far_stack_read(c, st, outer_at + (uint32_t)size, size);
		far_check_return_ss(c, r->ss_sel, SEL_RPL(r->sel), &r->ss);
	}
	far_check_eip(c, r->eip, desc_limit(&r->cs));
}

/*
 * Load CS:EIP and the stack of a checked return. release is added to the
 * stack pointer; an outer 16-bit stack takes SP only (the upper half of
 * ESP stays the inner one's, as on hardware).
 */
static void far_return_commit(struct cpu *c, struct far_return *r, const struct far_stack *st,
			      uint32_t popped, uint32_t release)
{
	desc_set_accessed(c, &r->cs);
	if (r->outer)
		desc_set_accessed(c, &r->ss);
	seg_load_cs(c, r->sel, &r->cs, SEL_RPL(r->sel));
	c->eip = r->eip;
	if (!r->outer) {
		c->gpr[ESP] = far_stack_moved(st, popped + release);
		return;
	}
	seg_load_ss(c, r->ss_sel, &r->ss);
	struct far_stack outer = { .ss = c->seg[SR_SS] };
	outer.esp = SEG_DB(desc_attr(&r->ss)) ? r->esp : (c->gpr[ESP] & 0xffff0000u) | (r->esp & 0xffff);
	c->gpr[ESP] = far_stack_moved(&outer, release);
	seg_null_inaccessible(c);
}

void op_ret_far(struct cpu *c, const struct insn *i)
{
	int size = i->opsize;
	uint32_t release = i->desc->operand[0] == OPF_Iw ? i->imm & 0xffff : 0;
	struct far_stack st;
	struct far_return r;

	far_stack_current(c, &st);
	far_read_frame(c, &st, &r, size);
	if (far_real(c)) {
		far_go_real(c, r.sel, r.eip);
		c->gpr[ESP] = far_stack_moved(&st, 2 * (uint32_t)size + release);
		return;
	}
	far_check_return_cs(c, r.sel, &r.cs);
	far_return_check(c, &st, &r, 2 * (uint32_t)size + release, size);
	far_return_commit(c, &r, &st, 2 * (uint32_t)size, release);
}

/* EFLAGS bits an IRET may load, by operand size and the CPL it runs at. */
static uint32_t iret_flags_mask(const struct cpu *c, int size)
{
	uint32_t m = F_ARITH | F_TF | F_DF | F_NT;

	if (size == 4)
		m |= F_RF | F_AC | F_ID;
	if (c->cpl <= IOPL(c->eflags))
		m |= F_IF;
	if (c->cpl == 0) {
		m |= F_IOPL;
		if (size == 4)
			m |= F_VIF | F_VIP;
	}
	return m;
}

/* Real mode: every flag but VM, VIF, VIP comes from the stack. */
static void iret_real(struct cpu *c, struct far_stack *st, int size)
{
	uint32_t fl = far_stack_read(c, st, 2 * (uint32_t)size, size);
	struct far_return r;

	far_read_frame(c, st, &r, size);
	far_go_real(c, r.sel, r.eip);
	c->gpr[ESP] = far_stack_moved(st, 3 * (uint32_t)size);
	flags_write(c, fl, size == 4 ? 0x00257fd5u : 0xffffu);
}

/* The hardware reads EFLAGS, the highest word of the frame, first. */
static void iret_pm(struct cpu *c, struct far_stack *st, int size)
{
	struct far_return r;
	uint32_t fl, mask;

	fl = far_stack_read(c, st, 2 * (uint32_t)size, size);
	far_read_frame(c, st, &r, size);
	if (size == 4 && (fl & F_VM) && c->cpl == 0) {
		machine_unsupported(c->m, "IRET to virtual-8086 mode: V86 mode not supported");
		return;
	}
	far_check_return_cs(c, r.sel, &r.cs);
	far_return_check(c, st, &r, 3 * (uint32_t)size, size);
	mask = iret_flags_mask(c, size);
	far_return_commit(c, &r, st, 3 * (uint32_t)size, 0);
	flags_write(c, fl, mask);
}

void op_iret(struct cpu *c, const struct insn *i)
{
	struct far_stack st;

	far_stack_current(c, &st);
	if (!cpu_pe(c)) {
		iret_real(c, &st, i->opsize);
	} else if (cpu_vm86(c)) {
		machine_unsupported(c->m, "IRET in virtual-8086 mode: V86 mode not supported");
	} else if (c->eflags & F_NT) {
		task_return(c);
	} else {
		iret_pm(c, &st, i->opsize);
	}
}

/* INT n (CD ib) and INT1 (F1: a #DB with no gate DPL check, EXT set). */
void op_int(struct cpu *c, const struct insn *i)
{
	if (i->desc->opcode == 0xf1) {
		exc_deliver(c, EXC_DB, INT_EXCEPTION);
		return;
	}
	exc_deliver(c, i->imm & 0xff, INT_SOFTWARE);
}

void op_int3(struct cpu *c, const struct insn *i)
{
	(void)i;
	exc_deliver(c, EXC_BP, INT_SOFT_EXC);
}

void op_into(struct cpu *c, const struct insn *i)
{
	(void)i;
	if (c->eflags & F_OF)
		exc_deliver(c, EXC_OF, INT_SOFT_EXC);
}
