/*
 * Hardware task switching as the SDM (Vol. 3A, 7.3, and the JMP, CALL,
 * INT n and IRET pseudo-code) describes it. Everything that can fault
 * before the commit point -- the new TSS's descriptor and limit, reading
 * its whole image, the writes to the old TSS and to the GDT -- is checked
 * before any state changes. After the commit point (TR loaded) faults
 * belong to the new task: insn_eip becomes its EIP, and the segment
 * registers hold the new selectors with unusable caches until each one
 * is qualified, in the order of Table 7-1 (the P6 family's order).
 */
#include "exception.h"
#include "interp.h"
#include "machine.h"
#include "mem.h"
#include "pmu.h"
#include "seg.h"
#include "task.h"

#define DESC_BUSY 0x2u            /* TSS type bit 1 */
#define DR6_BT 0x8000u            /* #DB: the new TSS's T bit */
#define DR7_LOCAL_ENABLES 0x155u  /* L0-L3 and LE: cleared on every task switch */
#define TSS32_CR3 0x1cu
#define TSS32_TRAP 0x64u

/* Where one TSS format keeps the state a task switch moves. */
struct tss_layout {
	int size;            /* width of the EIP, EFLAGS, GPR and selector slots */
	uint32_t min_limit;  /* a smaller TSS limit is #TS */
	uint32_t eip, eflags, gpr, sreg, ldt; /* offsets; slot k at base + size * k */
	int n_sregs;         /* ES CS SS DS (FS GS): enum sreg order */
};

static const struct tss_layout tss32_layout = { 4, 0x67, 0x20, 0x24, 0x28, 0x48, 0x60, 6 };
static const struct tss_layout tss16_layout = { 2, 0x2b, 0x0e, 0x10, 0x12, 0x22, 0x2a, 4 };

static const struct tss_layout *tss_layout_of(uint16_t attr)
{
	return (SEG_TYPE(attr) & 8) ? &tss32_layout : &tss16_layout;
}

/* The new task's state, read whole before anything changes. */
struct tss_image {
	uint32_t eip, eflags, cr3;
	uint32_t gpr[8];
	uint16_t sreg[6];
	uint16_t ldt;
	bool trap;
};

/*
 * A 16-bit TSS holds the low halves of the registers; the upper halves of
 * the GPRs read as ones (as Bochs and QEMU model the hardware), FS and GS
 * are null, CR3 is not loaded.
 */
static void tss_read(struct cpu *c, uint32_t base, const struct tss_layout *l, struct tss_image *t)
{
	uint32_t upper = l->size == 2 ? 0xffff0000u : 0;

	*t = (struct tss_image){ 0 };
	t->eip = lin_read(c, base + l->eip, l->size, true);
	t->eflags = lin_read(c, base + l->eflags, l->size, true);
	for (int k = 0; k < 8; k++)
		t->gpr[k] = upper | lin_read(c, base + l->gpr + (uint32_t)(l->size * k), l->size, true);
	for (int k = 0; k < l->n_sregs; k++)
		t->sreg[k] = (uint16_t)lin_read(c, base + l->sreg + (uint32_t)(l->size * k), 2, true);
	t->ldt = (uint16_t)lin_read(c, base + l->ldt, 2, true);
	if (l->size == 4) {
		t->cr3 = lin_read(c, base + TSS32_CR3, 4, true);
		t->trap = lin_read(c, base + TSS32_TRAP, 2, true) & 1;
	}
}

/* The dynamic fields only: EIP, EFLAGS, the GPRs and the selectors. */
static void tss_save(struct cpu *c, const struct tss_layout *l, uint32_t flags)
{
	uint32_t base = c->tr.base;
	uint32_t mask = l->size == 2 ? 0xffffu : 0xffffffffu;

	lin_write(c, base + l->eip, l->size, c->eip & mask, true);
	lin_write(c, base + l->eflags, l->size, flags & mask, true);
	for (int k = 0; k < 8; k++)
		lin_write(c, base + l->gpr + (uint32_t)(l->size * k), l->size, c->gpr[k] & mask, true);
	for (int k = 0; k < l->n_sregs; k++)
		lin_write(c, base + l->sreg + (uint32_t)(l->size * k), 2, c->seg[k].sel, true);
}

/* Raise now the #PF a supervisor access to [lin, lin + len) would raise. */
static void task_probe(struct cpu *c, uint32_t lin, uint32_t len, enum mem_access acc)
{
	if (!cpu_paging(c))
		return;
	mmu_translate(c, lin, acc, false);
	mmu_translate(c, lin + len - 1, acc, false);
}

/* The access byte of the GDT entry of a TSS selector. */
static uint32_t tss_access_byte(const struct cpu *c, uint16_t sel)
{
	return c->gdtr.base + (sel & 0xfff8u) + 5;
}

static void tss_write_busy(struct cpu *c, uint16_t sel, bool busy)
{
	uint32_t at = tss_access_byte(c, sel);
	uint32_t access = lin_read(c, at, 1, true);

	lin_write(c, at, 1, busy ? access | DESC_BUSY : access & ~DESC_BUSY, true);
}

static bool desc_is_tss(const struct desc *d)
{
	unsigned kind = desc_kind(d) & ~DESC_BUSY;
	return kind == SYS_TSS16 || kind == SYS_TSS32;
}

/*
 * The new TSS's descriptor, in the GDT: a TSS that is busy exactly when
 * the switch is an IRET (#TS for IRET, #GP otherwise), present (#NP),
 * with a limit that holds its format (#TS).
 */
static void task_fetch_tss(struct cpu *c, uint16_t sel, enum task_switch_reason why,
			   uint32_t ext, struct desc *d)
{
	int vector = why == TASK_IRET ? EXC_TS : EXC_GP;
	uint32_t err = SEL_ERR(sel) | ext;
	bool busy_wanted = why == TASK_IRET;

	if ((sel & SEL_TI) || !desc_fetch(c, sel, d))
		cpu_raise(c, vector, err);
	if (!desc_is_tss(d) || ((desc_kind(d) & DESC_BUSY) != 0) != busy_wanted)
		cpu_raise(c, vector, err);
	if (!desc_present(d))
		cpu_raise(c, EXC_NP, err);
	if (desc_limit(d) < tss_layout_of(desc_attr(d))->min_limit)
		cpu_raise(c, EXC_TS, err);
}

/* Every write the switch makes before the commit point, probed first. */
static void task_probe_writes(struct cpu *c, uint16_t sel, const struct desc *d, enum task_switch_reason why)
{
	const struct tss_layout *old = tss_layout_of(c->tr.attr);
	uint32_t first = old->eip, last = old->sreg + (uint32_t)(old->size * old->n_sregs) - 1;

	task_probe(c, c->tr.base + first, last - first + 1, ACC_WRITE);
	if (why == TASK_JMP || why == TASK_IRET)
		task_probe(c, tss_access_byte(c, c->tr.sel), 1, ACC_WRITE);
	if (why != TASK_IRET)
		task_probe(c, tss_access_byte(c, sel), 1, ACC_WRITE);
	if (why == TASK_CALL || why == TASK_INT)
		task_probe(c, desc_base(d), 2, ACC_WRITE);
}

/* Steps 6-10 of SDM 7.3: old busy bit, old state, back link, new busy bit. */
static void task_leave_old(struct cpu *c, uint16_t sel, struct desc *d, enum task_switch_reason why,
			   uint32_t flags)
{
	if (why == TASK_JMP || why == TASK_IRET)
		tss_write_busy(c, c->tr.sel, false);
	tss_save(c, tss_layout_of(c->tr.attr), why == TASK_IRET ? flags & ~F_NT : flags);
	if (why == TASK_CALL || why == TASK_INT)
		lin_write(c, desc_base(d), 2, c->tr.sel, true);
	if (why != TASK_IRET) {
		tss_write_busy(c, sel, true);
		d->hi |= DESC_BUSY << 8;
	}
}

/* The commit point: TR, CR0.TS, DR7, CR3, then EIP, EFLAGS and the GPRs. */
static void task_commit(struct cpu *c, uint16_t sel, const struct desc *d, const struct tss_image *t)
{
	desc_to_seg(d, sel, &c->tr);
	c->cr0 |= CR0_TS;
	c->dr[7] &= ~DR7_LOCAL_ENABLES;
	if ((SEG_TYPE(c->tr.attr) & 8) && cpu_paging(c)) {
		c->cr3 = t->cr3;
		tlb_flush_all(c, false);
	}
	c->eip = t->eip;
	c->insn_eip = t->eip;
	flags_write(c, t->eflags, 0xffffffffu);
	for (int k = 0; k < 8; k++)
		c->gpr[k] = t->gpr[k];
	for (int k = 0; k < 6; k++)
		c->seg[k] = (struct seg){ .sel = t->sreg[k] };
	pmu_cpl_change(c, SEL_RPL(t->sreg[SR_CS]));
	c->cpl = (uint8_t)SEL_RPL(t->sreg[SR_CS]);
}

/*
 * A descriptor of the new task's CS, SS or data segments. The LDT is
 * searched even while its descriptor's P bit is still unchecked (Table
 * 7-1 checks it after CS and SS were read).
 */
static bool task_fetch_desc(struct cpu *c, uint16_t sel, struct desc *d)
{
	uint32_t index = sel & 0xfff8u;

	if (SEL_IS_NULL(sel))
		return false;
	if (!(sel & SEL_TI))
		return desc_fetch(c, sel, d);
	if (SEL_IS_NULL(c->ldtr.sel) || index + 7 > c->ldtr.limit)
		return false;
	d->addr = c->ldtr.base + index;
	d->lo = lin_read(c, d->addr, 4, true);
	d->hi = lin_read(c, d->addr + 4, 4, true);
	return true;
}

/* Check 5: the LDT selector names an LDT descriptor in the GDT. */
static void task_load_ldt(struct cpu *c, uint16_t sel, uint32_t ext, struct desc *d)
{
	c->ldtr = (struct seg){ .sel = sel };
	if (SEL_IS_NULL(sel))
		return;
	if ((sel & SEL_TI) || !desc_fetch(c, sel, d) || desc_kind(d) != SYS_LDT)
		cpu_raise(c, EXC_TS, SEL_ERR(sel) | ext);
	desc_to_seg(d, sel, &c->ldtr);
}

static bool task_cs_rpl_ok(const struct desc *cs, uint16_t sel)
{
	if (desc_is_conforming(cs))
		return desc_dpl(cs) <= SEL_RPL(sel);
	return desc_dpl(cs) == SEL_RPL(sel);
}

static bool desc_is_writable_data(const struct desc *d)
{
	return desc_is_data(d) && (desc_kind(d) & DESC_WRITABLE);
}

/* Checks 6-13 of Table 7-1, in its order, then CS and SS are loaded. */
static void task_load_cs_ss(struct cpu *c, const struct desc *ldt, uint32_t ext)
{
	uint16_t cs_sel = c->seg[SR_CS].sel, ss_sel = c->seg[SR_SS].sel;
	uint32_t cs_err = SEL_ERR(cs_sel) | ext, ss_err = SEL_ERR(ss_sel) | ext;
	struct desc cs, ss;
	bool cs_found = task_fetch_desc(c, cs_sel, &cs);

	if (cs_found && desc_is_code(&cs) && !task_cs_rpl_ok(&cs, cs_sel))
		cpu_raise(c, EXC_TS, cs_err);
	if (!task_fetch_desc(c, ss_sel, &ss) || !desc_is_writable_data(&ss))
		cpu_raise(c, EXC_TS, ss_err);
	if (!desc_present(&ss))
		cpu_raise(c, EXC_SS, ss_err);
	if (desc_dpl(&ss) != c->cpl)
		cpu_raise(c, EXC_TS, ss_err);
	if (!SEL_IS_NULL(c->ldtr.sel) && !desc_present(ldt))
		cpu_raise(c, EXC_TS, SEL_ERR(c->ldtr.sel) | ext);
	if (!cs_found || !desc_is_code(&cs))
		cpu_raise(c, EXC_TS, cs_err);
	if (!desc_present(&cs))
		cpu_raise(c, EXC_NP, cs_err);
	if (desc_dpl(&ss) != SEL_RPL(ss_sel))
		cpu_raise(c, EXC_TS, ss_err);
	seg_load_cs(c, cs_sel, &cs, c->cpl);
	seg_load_ss(c, ss_sel, &ss);
}

/* Checks 14-17 for one of DS, ES, FS, GS; a null selector stays null. */
static void task_load_data(struct cpu *c, int sreg, uint32_t ext)
{
	uint16_t sel = c->seg[sreg].sel;
	uint32_t err = SEL_ERR(sel) | ext;
	struct desc d;

	if (SEL_IS_NULL(sel))
		return;
	if (!task_fetch_desc(c, sel, &d))
		cpu_raise(c, EXC_TS, err);
	if (!desc_is_data(&d) && !(desc_is_code(&d) && (desc_kind(&d) & DESC_READABLE)))
		cpu_raise(c, EXC_TS, err);
	if (!desc_present(&d))
		cpu_raise(c, EXC_NP, err);
	if (!desc_is_conforming(&d) && (desc_dpl(&d) < c->cpl || desc_dpl(&d) < SEL_RPL(sel)))
		cpu_raise(c, EXC_TS, err);
	desc_set_accessed(c, &d);
	desc_to_seg(&d, sel, &c->seg[sreg]);
}

static void task_load_segments(struct cpu *c, uint16_t ldt_sel, uint32_t ext)
{
	static const int data_regs[] = { SR_DS, SR_ES, SR_FS, SR_GS };
	struct desc ldt;

	task_load_ldt(c, ldt_sel, ext, &ldt);
	task_load_cs_ss(c, &ldt, ext);
	for (unsigned k = 0; k < sizeof(data_regs) / sizeof(data_regs[0]); k++)
		task_load_data(c, data_regs[k], ext);
}

/* An exception's error code goes on the new task's stack, sized by its TSS. */
static void task_push_error(struct cpu *c, uint32_t err, uint32_t ext)
{
	struct far_stack st;

	far_stack_current(c, &st);
	st.fault_err = ext;
	far_stack_push(&st, (SEG_TYPE(c->tr.attr) & 8) ? 4 : 2, err);
	far_stack_commit(c, &st);
	c->gpr[ESP] = st.esp;
}

static void task_run(struct cpu *c, uint16_t sel, enum task_switch_reason why, const struct task_event *ev)
{
	struct desc d;
	struct tss_image t;

	task_fetch_tss(c, sel, why, ev->ext, &d);
	tss_read(c, desc_base(&d), tss_layout_of(desc_attr(&d)), &t);
	if (t.eflags & F_VM) {
		machine_unsupported(c->m, "task switch to selector %#x: a virtual-8086 task (V86 mode not supported)", sel);
		return;
	}
	task_probe_writes(c, sel, &d, why);
	task_leave_old(c, sel, &d, why, ev->flags);
	if (why == TASK_CALL || why == TASK_INT)
		t.eflags |= F_NT;
	task_commit(c, sel, &d, &t);
	task_load_segments(c, t.ldt, ev->ext);
	if (ev->push_err)
		task_push_error(c, ev->err, ev->ext);
	if (c->eip > c->seg[SR_CS].limit)
		cpu_raise(c, EXC_GP, ev->ext);
	if (t.trap) {
		c->dr[6] |= DR6_BT;
		exc_deliver(c, EXC_DB, INT_EXCEPTION);
	}
}

void task_switch(struct cpu *c, uint16_t sel, enum task_switch_reason why)
{
	struct task_event ev = { .flags = c->eflags };

	task_run(c, sel, why, &ev);
}

void task_switch_event(struct cpu *c, uint16_t sel, const struct task_event *ev)
{
	task_run(c, sel, TASK_INT, ev);
}

/*
 * JMP/CALL: CPL and RPL must not exceed the DPL of the TSS descriptor or
 * of the task gate (whose TSS descriptor's DPL is then not used).
 */
void task_far_transfer(struct cpu *c, uint16_t sel, const struct desc *d, enum task_switch_reason why)
{
	if (desc_dpl(d) < c->cpl || desc_dpl(d) < SEL_RPL(sel))
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	if (desc_kind(d) == SYS_TASK) {
		if (!desc_present(d))
			cpu_raise(c, EXC_NP, SEL_ERR(sel));
		sel = (uint16_t)(d->lo >> 16);
	}
	task_switch(c, sel, why);
}

void task_return(struct cpu *c)
{
	task_switch(c, (uint16_t)lin_read(c, c->tr.base, 2, true), TASK_IRET);
}
