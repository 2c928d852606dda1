/*
 * Segment-register and descriptor-table instructions of the reference
 * interpreter: LDS/LES/LSS/LFS/LGS, MOV to and from a segment register,
 * LAR/LSL/VERR/VERW/ARPL (which answer in ZF instead of faulting), and
 * the loads and stores of GDTR, IDTR, LDTR and TR.
 */
#include "interp.h"
#include "mem.h"
#include "seg.h"

/* An Ew source: a register's low word or a word in memory. */
static uint16_t desc_read_ew(struct cpu *c, const struct insn *i)
{
	if (i->mem)
		return mem_read16(c, i->seg, insn_ea(c, i));
	return (uint16_t)c->gpr[i->rm];
}

/* A selector stored to Ev: a word in memory, zero-extended in a register
 * with a 32-bit operand size (as P6 and later processors do). */
static void desc_store_selector(struct cpu *c, const struct insn *i, uint16_t sel)
{
	if (i->mem)
		mem_write16(c, i->seg, insn_ea(c, i), sel);
	else
		reg_write(c, i->rm, i->opsize, sel);
}

static void desc_set_zf(struct cpu *c, bool ok)
{
	c->eflags = ok ? c->eflags | F_ZF : c->eflags & ~F_ZF;
}

/* The segment register LES/LDS (one-byte map) or LSS/LFS/LGS (0F) load. */
static int lxs_sreg(const struct insn *i)
{
	if (i->desc->map == 0)
		return i->desc->opcode == 0xc4 ? SR_ES : SR_DS;
	return i->desc->opcode == 0xb2 ? SR_SS : i->desc->opcode == 0xb4 ? SR_FS : SR_GS;
}

void op_lxs(struct cpu *c, const struct insn *i)
{
	uint32_t ea = insn_ea(c, i);
	uint32_t off = mem_read(c, i->seg, ea, i->opsize);
	uint16_t sel = mem_read16(c, i->seg, ea + i->opsize);

	seg_load(c, lxs_sreg(i), sel);
	reg_write(c, i->reg, i->opsize, off);
}

void op_mov_to_sreg(struct cpu *c, const struct insn *i)
{
	if (i->reg > SR_GS || i->reg == SR_CS)
		cpu_raise(c, EXC_UD, 0);
	seg_load(c, i->reg, desc_read_ew(c, i));
	if (i->reg == SR_SS)
		c->int_shadow |= SHADOW_MOV_SS;
}

void op_mov_from_sreg(struct cpu *c, const struct insn *i)
{
	if (i->reg > SR_GS)
		cpu_raise(c, EXC_UD, 0);
	desc_store_selector(c, i, c->seg[i->reg].sel);
}

/* System descriptor types LAR and LSL accept (bit n: type n). */
#define LAR_SYSTEM_TYPES (1u << SYS_TSS16 | 1u << SYS_LDT | 1u << SYS_TSS16_BUSY | \
			  1u << SYS_CALL16 | 1u << SYS_TASK | 1u << SYS_TSS32 | \
			  1u << SYS_TSS32_BUSY | 1u << SYS_CALL32)
#define LSL_SYSTEM_TYPES (1u << SYS_TSS16 | 1u << SYS_LDT | 1u << SYS_TSS16_BUSY | \
			  1u << SYS_TSS32 | 1u << SYS_TSS32_BUSY)

/* The descriptor sel names, if it exists and CPL and RPL may see it
 * (conforming code segments are visible at every level). */
static bool desc_visible(struct cpu *c, uint16_t sel, struct desc *d)
{
	if (SEL_IS_NULL(sel) || !desc_fetch(c, sel, d))
		return false;
	if (desc_is_conforming(d))
		return true;
	return desc_dpl(d) >= c->cpl && desc_dpl(d) >= SEL_RPL(sel);
}

static bool desc_type_in(const struct desc *d, uint32_t system_types)
{
	return (desc_kind(d) & DESC_S) || (system_types >> desc_kind(d) & 1);
}

/* LAR: the access rights; bits 19:16 (limit 19:16) come along, as the
 * hardware returns them. */
void op_lar(struct cpu *c, const struct insn *i)
{
	struct desc d;
	bool ok = desc_visible(c, desc_read_ew(c, i), &d) && desc_type_in(&d, LAR_SYSTEM_TYPES);

	if (ok)
		reg_write(c, i->reg, i->opsize, d.hi & (i->opsize == 4 ? 0x00ffff00u : 0xff00u));
	desc_set_zf(c, ok);
}

void op_lsl(struct cpu *c, const struct insn *i)
{
	struct desc d;
	bool ok = desc_visible(c, desc_read_ew(c, i), &d) && desc_type_in(&d, LSL_SYSTEM_TYPES);

	if (ok)
		reg_write(c, i->reg, i->opsize, desc_limit(&d));
	desc_set_zf(c, ok);
}

void op_verr(struct cpu *c, const struct insn *i)
{
	struct desc d;
	bool ok = desc_visible(c, desc_read_ew(c, i), &d) &&
		  (desc_is_data(&d) || (desc_is_code(&d) && (desc_kind(&d) & DESC_READABLE)));

	desc_set_zf(c, ok);
}

void op_verw(struct cpu *c, const struct insn *i)
{
	struct desc d;
	bool ok = desc_visible(c, desc_read_ew(c, i), &d) && desc_is_data(&d) &&
		  (desc_kind(&d) & DESC_WRITABLE);

	desc_set_zf(c, ok);
}

/* ARPL: raise the destination selector's RPL to the source's. */
void op_arpl(struct cpu *c, const struct insn *i)
{
	uint16_t dst = desc_read_ew(c, i), src = (uint16_t)c->gpr[i->reg];
	bool raise = SEL_RPL(dst) < SEL_RPL(src);

	if (raise) {
		uint16_t v = (uint16_t)((dst & ~3u) | SEL_RPL(src));
		if (i->mem)
			mem_write16(c, i->seg, insn_ea(c, i), v);
		else
			reg_write(c, i->rm, 2, v);
	}
	desc_set_zf(c, raise);
}

/* LGDT/LIDT: limit word, then base; a 16-bit operand size keeps 24 bits. */
static void desc_load_dtr(struct cpu *c, const struct insn *i, struct dtr *t)
{
	uint32_t ea = insn_ea(c, i);
	uint16_t limit = mem_read16(c, i->seg, ea);
	uint32_t base = mem_read32(c, i->seg, ea + 2);

	t->limit = limit;
	t->base = i->opsize == 2 ? base & 0x00ffffffu : base;
}

/* SGDT/SIDT store the whole 32-bit base at either operand size, as
 * current processors do. */
static void desc_store_dtr(struct cpu *c, const struct insn *i, const struct dtr *t)
{
	uint8_t img[6] = { (uint8_t)t->limit, (uint8_t)(t->limit >> 8), (uint8_t)t->base,
			   (uint8_t)(t->base >> 8), (uint8_t)(t->base >> 16), (uint8_t)(t->base >> 24) };

	mem_write_bytes(c, i->seg, insn_ea(c, i), img, sizeof(img));
}

void op_lgdt(struct cpu *c, const struct insn *i) { desc_load_dtr(c, i, &c->gdtr); }
void op_lidt(struct cpu *c, const struct insn *i) { desc_load_dtr(c, i, &c->idtr); }
void op_sgdt(struct cpu *c, const struct insn *i) { desc_store_dtr(c, i, &c->gdtr); }
void op_sidt(struct cpu *c, const struct insn *i) { desc_store_dtr(c, i, &c->idtr); }

/* A system descriptor in the GDT for LLDT/LTR: #GP(sel) unless of a type
 * in `types`, #NP(sel) if not present. */
static void desc_fetch_system(struct cpu *c, uint16_t sel, uint32_t types, struct desc *d)
{
	if (sel & SEL_TI)
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	desc_fetch_or_raise(c, sel, d, EXC_GP, 0);
	if ((desc_kind(d) & DESC_S) || !(types >> desc_kind(d) & 1))
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	if (!desc_present(d))
		cpu_raise(c, EXC_NP, SEL_ERR(sel));
}

/* LLDT with a null selector leaves LDTR unusable (TI=1 selectors fault). */
void op_lldt(struct cpu *c, const struct insn *i)
{
	uint16_t sel = desc_read_ew(c, i);
	struct desc d;

	if (SEL_IS_NULL(sel)) {
		c->ldtr = (struct seg){ .sel = sel };
		return;
	}
	desc_fetch_system(c, sel, 1u << SYS_LDT, &d);
	desc_to_seg(&d, sel, &c->ldtr);
}

/* LTR marks the TSS busy in the GDT. */
void op_ltr(struct cpu *c, const struct insn *i)
{
	uint16_t sel = desc_read_ew(c, i);
	struct desc d;

	if (SEL_IS_NULL(sel))
		cpu_raise(c, EXC_GP, 0);
	desc_fetch_system(c, sel, 1u << SYS_TSS16 | 1u << SYS_TSS32, &d);
	d.hi |= 0x200;
	lin_write(c, d.addr + 5, 1, (d.hi >> 8) & 0xff, true);
	desc_to_seg(&d, sel, &c->tr);
}

void op_sldt(struct cpu *c, const struct insn *i) { desc_store_selector(c, i, c->ldtr.sel); }
void op_str(struct cpu *c, const struct insn *i) { desc_store_selector(c, i, c->tr.sel); }
