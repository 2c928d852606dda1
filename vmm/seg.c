/*
 * Segmentation as the processor does it: descriptor fetch from the GDT or
 * LDT, the checks of a segment register load (SDM Vol. 2, MOV/POP/LDS),
 * limit checks, and the checked stacks of far transfers (the inner stack
 * a privilege change takes from the TSS).
 */
#include <assert.h>

#include "interp.h"
#include "machine.h"
#include "mem.h"
#include "pmu.h"
#include "seg.h"

#define ATTR_V86 0x00f3u /* present, DPL 3, read/write data, accessed */

uint32_t desc_base(const struct desc *d)
{
	return (d->lo >> 16) | ((d->hi & 0xff) << 16) | (d->hi & 0xff000000u);
}

uint32_t desc_limit(const struct desc *d)
{
	uint32_t limit = (d->lo & 0xffff) | (d->hi & 0x000f0000u);

	return (d->hi & 0x00800000u) ? (limit << 12) | 0xfff : limit;
}

void desc_to_seg(const struct desc *d, uint16_t sel, struct seg *s)
{
	s->sel = sel;
	s->attr = desc_attr(d);
	s->base = desc_base(d);
	s->limit = desc_limit(d);
}

bool desc_fetch(struct cpu *c, uint16_t sel, struct desc *d)
{
	uint32_t index = sel & 0xfff8u;
	const struct seg *ldt = &c->ldtr;
	uint32_t base = c->gdtr.base, limit = c->gdtr.limit;

	if (sel & SEL_TI) {
		if (!SEG_P(ldt->attr))
			return false;
		base = ldt->base;
		limit = ldt->limit;
	}
	if (index + 7 > limit)
		return false;
	d->addr = base + index;
	d->lo = lin_read(c, d->addr, 4, true);
	d->hi = lin_read(c, d->addr + 4, 4, true);
	return true;
}

void desc_fetch_or_raise(struct cpu *c, uint16_t sel, struct desc *d, int vector, uint32_t ext)
{
	if (!desc_fetch(c, sel, d))
		cpu_raise(c, vector, SEL_ERR(sel) | ext);
}

void desc_set_accessed(struct cpu *c, struct desc *d)
{
	if (d->hi & (DESC_ACCESSED << 8))
		return;
	d->hi |= DESC_ACCESSED << 8;
	lin_write(c, d->addr + 5, 1, (d->hi >> 8) & 0xff, true);
}

bool seg_offset_ok(const struct seg *s, uint32_t off, int size)
{
	uint64_t last = (uint64_t)off + (uint64_t)(size - 1);

	if (SEG_S(s->attr) && (s->attr & (DESC_CODE | DESC_EXPAND_DOWN)) == DESC_EXPAND_DOWN) {
		uint64_t upper = SEG_DB(s->attr) ? 0xffffffffu : 0xffffu;
		return off > s->limit && last <= upper;
	}
	return s->limit == 0xffffffffu || last <= s->limit;
}

/* Protected-mode type rules; instruction fetch checks only the limit. */
static bool seg_type_allows(uint16_t attr, enum mem_access acc)
{
	if (acc == ACC_EXEC)
		return true;
	if (!SEG_P(attr) || !SEG_S(attr))
		return false;
	if (attr & DESC_CODE)
		return acc == ACC_READ && (attr & DESC_READABLE);
	return acc == ACC_READ || (attr & DESC_WRITABLE);
}

bool seg_access_ok(const struct cpu *c, int sreg, uint32_t off, int size, enum mem_access acc)
{
	const struct seg *s = &c->seg[sreg];

	if (cpu_pe(c) && !cpu_vm86(c) && !seg_type_allows(s->attr, acc))
		return false;
	return seg_offset_ok(s, off, size);
}

/* Real mode keeps the cached limit and attributes (unreal mode works);
 * V86 mode makes every segment a 64 KiB DPL 3 data segment. */
static void seg_load_real(struct cpu *c, int sreg, uint16_t sel)
{
	struct seg *s = &c->seg[sreg];

	s->sel = sel;
	s->base = (uint32_t)sel << 4;
	if (cpu_vm86(c)) {
		s->limit = 0xffff;
		s->attr = ATTR_V86;
	}
}

static bool desc_is_stack(const struct desc *d)
{
	return desc_is_data(d) && (desc_kind(d) & DESC_WRITABLE);
}

/* A null selector in DS/ES/FS/GS: any access through it is #GP(0). */
static void seg_set_null(struct seg *s, uint16_t sel)
{
	*s = (struct seg){ .sel = sel };
}

static bool seg_data_loadable(const struct cpu *c, uint16_t sel, const struct desc *d)
{
	if (desc_is_code(d)) {
		if (!(desc_kind(d) & DESC_READABLE))
			return false;
		if (desc_is_conforming(d))
			return true;
	} else if (!desc_is_data(d)) {
		return false;
	}
	return SEL_RPL(sel) <= desc_dpl(d) && c->cpl <= desc_dpl(d);
}

static void seg_load_pm_data(struct cpu *c, int sreg, uint16_t sel)
{
	struct desc d;

	if (SEL_IS_NULL(sel)) {
		seg_set_null(&c->seg[sreg], sel);
		return;
	}
	desc_fetch_or_raise(c, sel, &d, EXC_GP, 0);
	if (!seg_data_loadable(c, sel, &d))
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	if (!desc_present(&d))
		cpu_raise(c, EXC_NP, SEL_ERR(sel));
	desc_set_accessed(c, &d);
	desc_to_seg(&d, sel, &c->seg[sreg]);
}

static void seg_load_pm_ss(struct cpu *c, uint16_t sel)
{
	struct desc d;

	if (SEL_IS_NULL(sel))
		cpu_raise(c, EXC_GP, 0);
	desc_fetch_or_raise(c, sel, &d, EXC_GP, 0);
	if (SEL_RPL(sel) != c->cpl || !desc_is_stack(&d) || desc_dpl(&d) != c->cpl)
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	if (!desc_present(&d))
		cpu_raise(c, EXC_SS, SEL_ERR(sel));
	seg_load_ss(c, sel, &d);
}

void seg_load(struct cpu *c, int sreg, uint16_t sel)
{
	if (!cpu_pe(c) || cpu_vm86(c)) {
		seg_load_real(c, sreg, sel);
		return;
	}
	assert(sreg != SR_CS); /* protected-mode CS loads are far transfers */
	if (sreg == SR_SS)
		seg_load_pm_ss(c, sel);
	else
		seg_load_pm_data(c, sreg, sel);
}

void seg_load_cs(struct cpu *c, uint16_t sel, struct desc *d, unsigned cpl)
{
	desc_set_accessed(c, d);
	desc_to_seg(d, (uint16_t)((sel & 0xfffc) | cpl), &c->seg[SR_CS]);
	pmu_cpl_change(c, cpl);
	c->cpl = (uint8_t)cpl;
}

void seg_load_ss(struct cpu *c, uint16_t sel, struct desc *d)
{
	desc_set_accessed(c, d);
	desc_to_seg(d, sel, &c->seg[SR_SS]);
}

void seg_null_inaccessible(struct cpu *c)
{
	static const int data_regs[] = { SR_ES, SR_DS, SR_FS, SR_GS };

	for (unsigned k = 0; k < sizeof(data_regs) / sizeof(data_regs[0]); k++) {
		struct seg *s = &c->seg[data_regs[k]];
		bool conforming = (s->attr & (DESC_CODE | DESC_CONFORMING)) == (DESC_CODE | DESC_CONFORMING);
		if (SEG_S(s->attr) && !conforming && SEG_DPL(s->attr) < c->cpl)
			seg_set_null(s, 0);
	}
}

void seg_check_gate_target(struct cpu *c, uint16_t sel, struct desc *d, uint32_t ext)
{
	if (SEL_IS_NULL(sel))
		cpu_raise(c, EXC_GP, ext);
	desc_fetch_or_raise(c, sel, d, EXC_GP, ext);
	if (!desc_is_code(d) || desc_dpl(d) > c->cpl)
		cpu_raise(c, EXC_GP, SEL_ERR(sel) | ext);
	if (!desc_present(d))
		cpu_raise(c, EXC_NP, SEL_ERR(sel) | ext);
}

void far_stack_current(const struct cpu *c, struct far_stack *st)
{
	st->ss = c->seg[SR_SS];
	st->esp = c->gpr[ESP];
	st->user = c->cpl == 3;
	st->fault_err = 0;
	st->n = 0;
}

/* SS:ESP for privilege level dpl from the current TSS (32- or 16-bit). */
static void tss_read_stack(struct cpu *c, unsigned dpl, uint32_t ext, uint16_t *ss, uint32_t *esp)
{
	bool big = SEG_TYPE(c->tr.attr) & 8;
	uint32_t at = big ? 4 + 8 * dpl : 2 + 4 * dpl;
	uint32_t last = at + (big ? 5 : 3);

	if (last > c->tr.limit)
		cpu_raise(c, EXC_TS, SEL_ERR(c->tr.sel) | ext);
	*esp = lin_read(c, c->tr.base + at, big ? 4 : 2, true);
	*ss = (uint16_t)lin_read(c, c->tr.base + at + (big ? 4 : 2), 2, true);
}

void far_stack_inner(struct cpu *c, unsigned dpl, uint32_t ext, struct far_stack *st, struct desc *ssd)
{
	uint16_t sel;
	uint32_t esp;

	tss_read_stack(c, dpl, ext, &sel, &esp);
	if (SEL_IS_NULL(sel))
		cpu_raise(c, EXC_TS, ext);
	desc_fetch_or_raise(c, sel, ssd, EXC_TS, ext);
	if (SEL_RPL(sel) != dpl || desc_dpl(ssd) != dpl || !desc_is_stack(ssd))
		cpu_raise(c, EXC_TS, SEL_ERR(sel) | ext);
	if (!desc_present(ssd))
		cpu_raise(c, EXC_SS, SEL_ERR(sel) | ext);
	desc_to_seg(ssd, sel, &st->ss);
	st->esp = esp;
	st->user = false;
	st->fault_err = SEL_ERR(sel) | ext;
	st->n = 0;
}

void far_stack_push(struct far_stack *st, int size, uint32_t v)
{
	assert(st->n < (int)(sizeof(st->val) / sizeof(st->val[0])));
	st->val[st->n] = v;
	st->size[st->n] = (uint8_t)size;
	st->n++;
}

uint32_t far_stack_moved(const struct far_stack *st, uint32_t delta)
{
	if (SEG_DB(st->ss.attr))
		return st->esp + delta;
	return (st->esp & 0xffff0000u) | ((st->esp + delta) & 0xffff);
}

static uint32_t far_stack_offset(const struct far_stack *st, uint32_t esp)
{
	return SEG_DB(st->ss.attr) ? esp : esp & 0xffff;
}

/* The offsets of the queued pushes, each limit-checked. */
static uint32_t far_stack_layout(struct cpu *c, const struct far_stack *st, uint32_t *off)
{
	struct far_stack at = *st;

	for (int k = 0; k < st->n; k++) {
		at.esp = far_stack_moved(&at, (uint32_t)-st->size[k]);
		off[k] = far_stack_offset(&at, at.esp);
		if (!seg_offset_ok(&st->ss, off[k], st->size[k]))
			cpu_raise(c, EXC_SS, st->fault_err);
	}
	return at.esp;
}

void far_stack_check(struct cpu *c, const struct far_stack *st)
{
	uint32_t off[16];

	far_stack_layout(c, st, off);
}

/* A CPL-3 stack access is alignment-checked like any data access (#AC before #PF). */
static void far_stack_align(struct cpu *c, const struct far_stack *st, uint32_t lin, int size)
{
	if (st->user && (lin & (uint32_t)(size - 1)) && (c->cr0 & CR0_AM) && (c->eflags & F_AC))
		cpu_raise(c, EXC_AC, 0);
}

void far_stack_commit(struct cpu *c, struct far_stack *st)
{
	uint32_t off[16];
	uint32_t esp = far_stack_layout(c, st, off);

	for (int k = 0; k < st->n; k++) {
		uint32_t lin = st->ss.base + off[k], last = lin + st->size[k] - 1;
		far_stack_align(c, st, lin, st->size[k]);
		if (!cpu_paging(c))
			continue;
		mmu_translate(c, lin, ACC_WRITE, st->user);
		if ((last ^ lin) & ~0xfffu) /* a push across pages faults at the second page's start */
			mmu_translate(c, last & ~0xfffu, ACC_WRITE, st->user);
	}
	for (int k = 0; k < st->n; k++)
		lin_write(c, st->ss.base + off[k], st->size[k], st->val[k], !st->user);
	st->esp = esp;
	st->n = 0;
}

uint32_t far_stack_read(struct cpu *c, const struct far_stack *st, uint32_t offset, int size)
{
	uint32_t off = far_stack_offset(st, far_stack_moved(st, offset));

	if (!seg_offset_ok(&st->ss, off, size))
		cpu_raise(c, EXC_SS, st->fault_err);
	far_stack_align(c, st, st->ss.base + off, size);
	return lin_read(c, st->ss.base + off, size, !st->user);
}
