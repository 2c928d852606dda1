/*
 * Event delivery: real mode through the IVT, protected mode through IDT
 * interrupt and trap gates with the TSS stack switch, and the rules that
 * fold a fault during delivery into #DF or a triple fault (SDM Vol. 3,
 * 6.12 and Table 6-5). Everything that can fault is read and checked
 * before any register or stack byte changes.
 */
#include <stdio.h>

#include "exception.h"

#define DR6_BS 0x4000u
#include "interp.h"
#include "machine.h"
#include "mem.h"
#include "seg.h"
#include "task.h"

enum exc_class { CLASS_BENIGN, CLASS_CONTRIBUTORY, CLASS_PAGE_FAULT };

#define VEC_BIT(v) (1u << (v))
#define EXC_WITH_ERROR (VEC_BIT(EXC_DF) | VEC_BIT(EXC_TS) | VEC_BIT(EXC_NP) | \
			VEC_BIT(EXC_SS) | VEC_BIT(EXC_GP) | VEC_BIT(EXC_PF) | VEC_BIT(EXC_AC))
#define EXC_CONTRIBUTORY (VEC_BIT(EXC_DE) | VEC_BIT(EXC_TS) | VEC_BIT(EXC_NP) | \
			  VEC_BIT(EXC_SS) | VEC_BIT(EXC_GP))
/* Fault-class exceptions push RF = 1 (#DB is a fault only for instruction
 * breakpoints, which push RF as it was). */
#define EXC_FAULTS (EXC_CONTRIBUTORY | VEC_BIT(EXC_BR) | VEC_BIT(EXC_UD) | \
		    VEC_BIT(EXC_NM) | VEC_BIT(EXC_PF) | VEC_BIT(EXC_MF) | VEC_BIT(EXC_AC))

static bool exc_in(uint32_t set, int vector)
{
	return vector >= 0 && vector < 32 && (set & VEC_BIT(vector));
}

bool exc_has_error_code(int vector)
{
	return exc_in(EXC_WITH_ERROR, vector);
}

static enum exc_class exc_class_of(int vector)
{
	if (vector == EXC_PF)
		return CLASS_PAGE_FAULT;
	return exc_in(EXC_CONTRIBUTORY, vector) ? CLASS_CONTRIBUTORY : CLASS_BENIGN;
}

static const char *const exc_names[] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#09",
	"#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC",
};

static const char *exc_name(int vector)
{
	unsigned n = sizeof(exc_names) / sizeof(exc_names[0]);
	return vector >= 0 && (unsigned)vector < n ? exc_names[vector] : "vector";
}

static void exc_triple_fault(struct cpu *c, int second)
{
	c->shutdown = true;
	c->exc.delivering = -1;
	if (c->m)
		snprintf(c->m->error, sizeof(c->m->error),
			 "triple fault: %s (error %#x) while delivering #DF",
			 exc_name(second), c->exc.err);
}

/* Table 6-5: which second exception during delivery makes a #DF. */
static bool exc_makes_double_fault(int first, int second)
{
	enum exc_class a = exc_class_of(first), b = exc_class_of(second);

	if (a == CLASS_CONTRIBUTORY)
		return b == CLASS_CONTRIBUTORY;
	return a == CLASS_PAGE_FAULT && b != CLASS_BENIGN;
}

void exc_deliver_pending(struct cpu *c)
{
	int vector = c->exc.vector, first = c->exc.delivering;

	if (vector < 0)
		return;
	c->exc.vector = -1;
	if (vector == EXC_PF)
		c->cr2 = c->exc.fault_lin;
	if (first == EXC_DF && exc_class_of(vector) != CLASS_BENIGN) {
		exc_triple_fault(c, vector);
		return;
	}
	if (first >= 0 && exc_makes_double_fault(first, vector)) {
		vector = EXC_DF;
		c->exc.err = 0;
	}
	exc_deliver(c, vector, INT_EXCEPTION);
}

/* Real mode: the IVT entry is IP:CS; FLAGS, CS, IP go on the stack. */
static void exc_deliver_real(struct cpu *c, int vector, uint32_t flags_image)
{
	uint32_t at = (uint32_t)vector * 4;
	struct far_stack st;

	if (at + 3 > c->idtr.limit)
		cpu_raise(c, EXC_GP, 0);
	uint32_t entry = lin_read(c, c->idtr.base + at, 4, true);
	far_stack_current(c, &st);
	far_stack_push(&st, 2, flags_image);
	far_stack_push(&st, 2, c->seg[SR_CS].sel);
	far_stack_push(&st, 2, c->eip);
	far_stack_commit(c, &st);
	c->gpr[ESP] = st.esp;
	c->eflags &= ~(F_IF | F_TF | F_AC);
	seg_load(c, SR_CS, (uint16_t)(entry >> 16));
	c->eip = entry & 0xffff;
}

struct gate {
	uint16_t sel;
	uint32_t off;
	bool big;       /* 32-bit gate */
	bool interrupt; /* interrupt gate: clears IF */
};

static bool gate_kind_ok(unsigned kind)
{
	return kind == SYS_TASK || kind == SYS_INT16 || kind == SYS_TRAP16 ||
	       kind == SYS_INT32 || kind == SYS_TRAP32;
}

/* Read and check the IDT gate; false for a task gate (g->sel: its TSS). */
static bool exc_read_gate(struct cpu *c, int vector, enum int_kind kind, uint32_t ext, struct gate *g)
{
	uint32_t at = (uint32_t)vector * 8, err = at + 2 + ext;
	struct desc d;

	if (at + 7 > c->idtr.limit)
		cpu_raise(c, EXC_GP, err);
	d.lo = lin_read(c, c->idtr.base + at, 4, true);
	d.hi = lin_read(c, c->idtr.base + at + 4, 4, true);
	if (!gate_kind_ok(desc_kind(&d)))
		cpu_raise(c, EXC_GP, err);
	if ((kind == INT_SOFTWARE || kind == INT_SOFT_EXC) && desc_dpl(&d) < c->cpl)
		cpu_raise(c, EXC_GP, at + 2);
	if (!desc_present(&d))
		cpu_raise(c, EXC_NP, err);
	g->big = desc_kind(&d) & 8;
	g->interrupt = (desc_kind(&d) & 7) == SYS_INT16;
	g->sel = (uint16_t)(d.lo >> 16);
	g->off = (d.lo & 0xffff) | (g->big ? d.hi & 0xffff0000u : 0);
	return desc_kind(&d) != SYS_TASK;
}

/* Through a task gate: the whole state is the new task's; an exception's
 * error code goes on its stack. */
static void exc_deliver_task(struct cpu *c, int vector, enum int_kind kind, uint32_t flags_image,
			     uint16_t tss_sel)
{
	struct task_event ev = {
		.ext = kind == INT_EXCEPTION || kind == INT_EXTERNAL,
		.flags = flags_image,
		.push_err = kind == INT_EXCEPTION && exc_has_error_code(vector),
		.err = c->exc.err,
	};

	task_switch_event(c, tss_sel, &ev);
}

/* Protected mode through an interrupt or trap gate, or a task gate. */
static void exc_deliver_pm(struct cpu *c, int vector, enum int_kind kind, uint32_t flags_image)
{
	uint32_t ext = kind == INT_EXCEPTION || kind == INT_EXTERNAL;
	struct gate g;
	struct desc cs, ssd;
	struct far_stack st;

	if (!exc_read_gate(c, vector, kind, ext, &g)) {
		exc_deliver_task(c, vector, kind, flags_image, g.sel);
		return;
	}
	seg_check_gate_target(c, g.sel, &cs, ext);
	unsigned dpl = desc_dpl(&cs), new_cpl = c->cpl;
	int size = g.big ? 4 : 2;
	bool inner = !desc_is_conforming(&cs) && dpl < c->cpl;
	if (inner) {
		far_stack_inner(c, dpl, ext, &st, &ssd);
		far_stack_push(&st, size, c->seg[SR_SS].sel);
		far_stack_push(&st, size, c->gpr[ESP]);
		new_cpl = dpl;
	} else {
		far_stack_current(c, &st);
		st.fault_err = ext;
	}
	far_stack_push(&st, size, flags_image);
	far_stack_push(&st, size, c->seg[SR_CS].sel);
	far_stack_push(&st, size, c->eip);
	if (kind == INT_EXCEPTION && exc_has_error_code(vector))
		far_stack_push(&st, size, c->exc.err);
	far_stack_check(c, &st);
	if (g.off > desc_limit(&cs))
		cpu_raise(c, EXC_GP, ext);
	desc_set_accessed(c, &cs);
	if (inner)
		desc_set_accessed(c, &ssd);
	far_stack_commit(c, &st);

	if (inner)
		seg_load_ss(c, st.ss.sel, &ssd);
	c->gpr[ESP] = st.esp;
	seg_load_cs(c, g.sel, &cs, new_cpl);
	c->eip = g.off;
	c->eflags &= ~(F_TF | F_NT | F_RF | F_VM | (g.interrupt ? F_IF : 0));
}

void exc_deliver(struct cpu *c, int vector, enum int_kind kind)
{
	uint32_t flags_image = c->eflags;

	if (kind == INT_EXCEPTION && exc_in(EXC_FAULTS, vector))
		flags_image |= F_RF;
	c->exc.delivering = kind == INT_EXCEPTION ? vector : -1;
	if (!cpu_pe(c))
		exc_deliver_real(c, vector, flags_image);
	else if (cpu_vm86(c))
		machine_unsupported(c->m, "interrupt %d in virtual-8086 mode: V86 mode not supported", vector);
	else
		exc_deliver_pm(c, vector, kind, flags_image);
	c->exc.delivering = -1;
	c->halted = false;
}

void exc_single_step(struct cpu *c)
{
	c->dr[6] |= DR6_BS;
	c->insn_eip = c->eip; /* a fault while delivering it belongs to this boundary */
	exc_deliver(c, EXC_DB, INT_EXCEPTION);
}
