/*
 * Specifications of protected-mode segmentation and event delivery
 * (vmm/seg.c, vmm/exception.c, vmm/interp_far.c, vmm/interp_desc.c), on a
 * machine with a small GDT, IDT and TSS in guest RAM: which descriptor
 * types each segment register accepts at which RPL/DPL/CPL, the error
 * codes of the faults, the accessed and busy bits written back, limits of
 * expand-down segments, far transfers through call gates with the stack
 * switch, interrupt frames, and the #DF and triple-fault rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/exception.h"
#include "vmm/interp.h"
#include "vmm/machine.h"
#include "vmm/mem.h"
#include "vmm/seg.h"
#include "fixture_desc.h"

#define RAM_SIZE (4u << 20)
#define GDT 0x1000u
#define LDT 0x3000u
#define TSS 0x4000u
#define IDT 0x5000u
#define CODE 0x10000u

/* GDT slots: selector = index * 8. */
enum {
	S_CODE0 = 0x08, S_DATA0 = 0x10, S_DATA3 = 0x18, S_CODE3 = 0x20, S_RODATA0 = 0x28,
	S_XCODE0 = 0x30, S_CONF0 = 0x38, S_NPDATA0 = 0x40, S_DOWN16 = 0x48, S_LDT = 0x50,
	S_TSS = 0x58, S_GATE3 = 0x60, S_SMALLSTACK0 = 0x68, S_NPCODE0 = 0x70,
};

static struct machine *m;
static struct cpu *c;

/* The instruction table names handlers weakly: reference the ones under
 * test so that the archive members defining them are linked. */
__attribute__((used)) static insn_handler *const handlers_under_test[] = {
	op_jmp_far, op_call_far, op_ret_far, op_iret, op_int,
	op_lar, op_lsl, op_verr, op_verw, op_ltr,
};

static void put32(uint32_t pa, uint32_t v) { fixture_put32(m->ram, pa, v); }
static uint32_t get32(uint32_t pa) { return fixture_get32(m->ram, pa); }

static void desc_put(uint32_t table, uint16_t sel, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	fixture_desc_put(m->ram, table, sel, base, limit, access, flags);
}

static void gate_put(uint32_t addr, uint16_t sel, uint32_t off, uint8_t access, uint8_t params)
{
	fixture_gate_put(m->ram, addr, sel, off, access, params);
}

static uint8_t gdt_access(uint16_t sel) { return m->ram[GDT + (sel & 0xfff8u) + 5]; }

/* A segment cache as a load of the GDT entry would leave it. */
static struct seg seg_from_gdt(uint16_t sel)
{
	return fixture_seg_from_table(m->ram, GDT, sel);
}

static void enter_ring(unsigned cpl)
{
	c->seg[SR_CS] = seg_from_gdt(cpl ? S_CODE3 | 3 : S_CODE0);
	c->seg[SR_SS] = seg_from_gdt(cpl ? S_DATA3 | 3 : S_DATA0);
	c->cpl = (uint8_t)cpl;
}

static int setup(void **state)
{
	(void)state;
	m = fixture_machine_new(RAM_SIZE);
	c = &m->cpu;
	fixture_gdt_put_flat(m->ram, GDT);
	desc_put(GDT, S_RODATA0, 0, 0xfffff, 0x90, 0xc);
	desc_put(GDT, S_XCODE0, 0, 0xfffff, 0x98, 0xc);
	desc_put(GDT, S_CONF0, 0, 0xfffff, 0x9e, 0xc);
	desc_put(GDT, S_NPDATA0, 0, 0xfffff, 0x12, 0xc);
	desc_put(GDT, S_DOWN16, 0, 0x0fff, 0x96, 0x0);
	desc_put(GDT, S_LDT, LDT, 0xff, 0x82, 0x0);
	desc_put(GDT, S_TSS, TSS, 0x67, 0x89, 0x0);
	gate_put(GDT + S_GATE3, S_CODE0, 0x2000, 0xec, 0);
	desc_put(GDT, S_SMALLSTACK0, 0, 0x0fff, 0x92, 0x4);
	desc_put(GDT, S_NPCODE0, 0, 0xfffff, 0x1a, 0xc);
	desc_put(LDT, 0, 0x20000, 0xffff, 0x92, 0x0);
	c->gdtr = (struct dtr){ GDT, 0x7f };
	c->idtr = (struct dtr){ IDT, 0x7ff };
	c->cr0 |= CR0_PE;
	c->eflags = F_FIXED1 | F_IF;
	c->eip = CODE;
	c->gpr[ESP] = 0x8000;
	put32(TSS + 4, 0x9000); /* ESP0 */
	put32(TSS + 8, S_DATA0); /* SS0 */
	c->tr = seg_from_gdt(S_TSS);
	enter_ring(0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	machine_free(m);
	free(m);
	return 0;
}

/* Load a segment register; the vector raised, or NO_FAULT. */
static int try_load(int sreg, uint16_t sel)
{
	jmp_buf env;

	c->exc_jmp = &env;
	c->exc.vector = -1;
	if (setjmp(env))
		return c->exc.vector;
	seg_load(c, sreg, sel);
	return NO_FAULT;
}

/* Execute one instruction at CS:EIP as the interpreter does (EIP already
 * past it when the handler runs); on a fault EIP returns to it. */
static int run_insn(const uint8_t *bytes, unsigned n)
{
	return fixture_run_insn(c, bytes, n);
}

/* Deliver c->exc as the engine does: a fault during delivery comes back
 * here and is delivered in turn. */
static void deliver_like_engine(void)
{
	jmp_buf env;

	c->exc_jmp = &env;
	setjmp(env);
	if (c->exc.vector >= 0 && !c->shutdown) {
		c->eip = c->insn_eip;
		exc_deliver_pending(c);
	}
}

#define assert_fault(got, vec, code) do { \
	assert_int_equal((got), (vec)); assert_int_equal(c->exc.err, (code)); } while (0)

/* ---- power-on state ---- */

static void test_reset_is_real_mode_at_fffffff0(void **state)
{
	(void)state;
	cpu_reset(c);
	assert_int_equal(c->seg[SR_CS].sel, 0xf000);
	assert_int_equal(c->seg[SR_CS].base + c->eip, 0xfffffff0u);
	assert_int_equal(c->eflags, 2);
	assert_int_equal(c->cr0, 0x60000010u);
	assert_int_equal(c->gpr[EDX], CPU_SIGNATURE);
	assert_int_equal(c->seg[SR_DS].limit, 0xffff);
	assert_int_equal(c->dr[6], 0xffff0ff0u);
	assert_int_equal(c->dr[7], 0x400);
	assert_int_equal(c->fpu.fcw, 0x37f);
	assert_int_equal(c->exc.vector, -1);
	assert_int_equal(c->exc.delivering, -1);
	assert_ptr_equal(c->m, m);
}

/* ---- data segment registers ---- */

static void test_ds_load_caches_descriptor_and_sets_accessed_bit(void **state)
{
	(void)state;
	assert_int_equal(gdt_access(S_DATA0), 0x92);
	assert_int_equal(try_load(SR_DS, S_DATA0), NO_FAULT);
	assert_int_equal(c->seg[SR_DS].sel, S_DATA0);
	assert_int_equal(c->seg[SR_DS].base, 0);
	assert_int_equal(c->seg[SR_DS].limit, 0xffffffffu);
	assert_int_equal(c->seg[SR_DS].attr, 0xc093);
	assert_int_equal(gdt_access(S_DATA0), 0x93);
}

static void test_ds_null_selector_loads_and_faults_on_use(void **state)
{
	(void)state;
	assert_int_equal(try_load(SR_DS, 3), NO_FAULT);
	assert_int_equal(c->seg[SR_DS].sel, 3);
	assert_false(seg_access_ok(c, SR_DS, 0, 1, ACC_READ));
}

static void test_ds_rejects_execute_only_code_and_system_descriptors(void **state)
{
	(void)state;
	assert_fault(try_load(SR_DS, S_XCODE0), EXC_GP, S_XCODE0);
	assert_fault(try_load(SR_DS, S_LDT), EXC_GP, S_LDT);
	assert_fault(try_load(SR_DS, S_GATE3 | 3), EXC_GP, S_GATE3);
	assert_int_equal(try_load(SR_DS, S_CODE0), NO_FAULT);
}

static void test_ds_accepts_readable_conforming_code_at_any_privilege(void **state)
{
	(void)state;
	enter_ring(3);
	assert_int_equal(try_load(SR_DS, S_CONF0 | 3), NO_FAULT);
	assert_fault(try_load(SR_DS, S_CODE0 | 3), EXC_GP, S_CODE0);
}

static void test_ds_needs_dpl_at_least_cpl_and_rpl(void **state)
{
	(void)state;
	assert_fault(try_load(SR_DS, S_DATA0 | 3), EXC_GP, S_DATA0); /* RPL > DPL */
	assert_int_equal(try_load(SR_DS, S_DATA3 | 3), NO_FAULT);
	enter_ring(3);
	assert_fault(try_load(SR_ES, S_DATA0), EXC_GP, S_DATA0); /* CPL > DPL */
}

static void test_ds_not_present_is_np_after_type_checks(void **state)
{
	(void)state;
	assert_fault(try_load(SR_FS, S_NPDATA0), EXC_NP, S_NPDATA0);
	assert_fault(try_load(SR_FS, S_NPDATA0 | 3), EXC_GP, S_NPDATA0);
}

static void test_selector_beyond_gdt_limit_is_gp_with_the_index(void **state)
{
	(void)state;
	assert_fault(try_load(SR_GS, 0x80), EXC_GP, 0x80);
	assert_fault(try_load(SR_SS, 0x83), EXC_GP, 0x80);
}

static void test_ldt_selectors_need_a_usable_ldtr(void **state)
{
	(void)state;
	c->ldtr = (struct seg){ 0 };
	assert_fault(try_load(SR_DS, 0x04), EXC_GP, 0x04);
	c->ldtr = seg_from_gdt(S_LDT);
	assert_int_equal(try_load(SR_DS, 0x04), NO_FAULT);
	assert_int_equal(c->seg[SR_DS].base, 0x20000);
	assert_fault(try_load(SR_DS, 0x104), EXC_GP, 0x104); /* beyond the LDT limit */
}

/* ---- SS ---- */

static void test_ss_refuses_null_read_only_and_other_privilege(void **state)
{
	(void)state;
	assert_fault(try_load(SR_SS, 0), EXC_GP, 0);
	assert_fault(try_load(SR_SS, S_RODATA0), EXC_GP, S_RODATA0);
	assert_fault(try_load(SR_SS, S_CODE0), EXC_GP, S_CODE0);
	assert_fault(try_load(SR_SS, S_DATA0 | 3), EXC_GP, S_DATA0); /* RPL != CPL */
	assert_fault(try_load(SR_SS, S_DATA3), EXC_GP, S_DATA3);     /* DPL != CPL */
	assert_fault(try_load(SR_SS, S_NPDATA0), EXC_SS, S_NPDATA0);
	assert_int_equal(try_load(SR_SS, S_DATA0), NO_FAULT);
}

/* ---- limits ---- */

static void test_expand_down_segment_allows_only_above_its_limit(void **state)
{
	(void)state;
	struct seg s = seg_from_gdt(S_DOWN16);

	assert_false(seg_offset_ok(&s, 0x0fff, 1));
	assert_true(seg_offset_ok(&s, 0x1000, 4));
	assert_true(seg_offset_ok(&s, 0xffff, 1));
	assert_false(seg_offset_ok(&s, 0xfffe, 4)); /* past the 16-bit upper bound */
	s.attr |= 0x4000;                            /* B = 1: upper bound 4 GiB - 1 */
	assert_true(seg_offset_ok(&s, 0xfffe, 4));
}

static void test_expand_up_limit_is_inclusive(void **state)
{
	(void)state;
	struct seg s = seg_from_gdt(S_SMALLSTACK0);

	assert_true(seg_offset_ok(&s, 0xffc, 4));
	assert_false(seg_offset_ok(&s, 0xffd, 4));
}

static void test_real_mode_load_keeps_limit_and_attributes(void **state)
{
	(void)state;
	c->cr0 &= ~CR0_PE;
	c->seg[SR_DS].limit = 0xffffffffu; /* "unreal" mode */
	assert_int_equal(try_load(SR_DS, 0x1234), NO_FAULT);
	assert_int_equal(c->seg[SR_DS].base, 0x12340);
	assert_int_equal(c->seg[SR_DS].limit, 0xffffffffu);
}

/* ---- far JMP ---- */

static int jmp_far(uint16_t sel, uint32_t off)
{
	uint8_t b[7] = { 0xea, (uint8_t)off, (uint8_t)(off >> 8), (uint8_t)(off >> 16),
			 (uint8_t)(off >> 24), (uint8_t)sel, (uint8_t)(sel >> 8) };
	return run_insn(b, sizeof(b));
}

static void test_far_jmp_loads_code_segment_at_cpl(void **state)
{
	(void)state;
	assert_int_equal(jmp_far(S_CODE0, 0x1234), NO_FAULT);
	assert_int_equal(c->seg[SR_CS].sel, S_CODE0);
	assert_int_equal(c->eip, 0x1234);
	assert_int_equal(gdt_access(S_CODE0), 0x9b);
}

static void test_far_jmp_checks_type_privilege_presence_and_limit(void **state)
{
	(void)state;
	assert_fault(jmp_far(S_DATA0, 0), EXC_GP, S_DATA0);
	assert_fault(jmp_far(S_CODE3 | 3, 0), EXC_GP, S_CODE3); /* DPL != CPL */
	assert_fault(jmp_far(0, 0), EXC_GP, 0);
	assert_fault(jmp_far(S_NPCODE0, 0), EXC_NP, S_NPCODE0);
	c->seg[SR_CS].limit = 0xffff;
	desc_put(GDT, S_CODE0, 0, 0xffff, 0x9a, 0x4);
	assert_fault(jmp_far(S_CODE0, 0x10000), EXC_GP, 0);
	assert_int_equal(c->eip, CODE);
}

static void test_far_jmp_to_conforming_code_keeps_cpl(void **state)
{
	(void)state;
	enter_ring(3);
	assert_int_equal(jmp_far(S_CONF0, 0x40), NO_FAULT);
	assert_int_equal(c->seg[SR_CS].sel, S_CONF0 | 3);
	assert_int_equal(c->cpl, 3);
}

/* ---- call gates, RETF ---- */

static void test_call_gate_from_ring3_switches_to_the_tss_stack(void **state)
{
	(void)state;
	static const uint8_t lcall[] = { 0x9a, 0, 0, 0, 0, S_GATE3 | 3, 0 };

	enter_ring(3);
	assert_int_equal(run_insn(lcall, sizeof(lcall)), NO_FAULT);
	assert_int_equal(c->cpl, 0);
	assert_int_equal(c->seg[SR_CS].sel, S_CODE0);
	assert_int_equal(c->eip, 0x2000);
	assert_int_equal(c->seg[SR_SS].sel, S_DATA0);
	assert_int_equal(c->gpr[ESP], 0x9000 - 16);
	assert_int_equal(get32(0x9000 - 4), S_DATA3 | 3);
	assert_int_equal(get32(0x9000 - 8), 0x8000);
	assert_int_equal(get32(0x9000 - 12), S_CODE3 | 3);
	assert_int_equal(get32(0x9000 - 16), CODE + sizeof(lcall));
}

static void test_retf_to_ring3_restores_stack_and_nulls_ring0_data(void **state)
{
	(void)state;
	static const uint8_t lcall[] = { 0x9a, 0, 0, 0, 0, S_GATE3 | 3, 0 };
	static const uint8_t retf[] = { 0xcb };

	enter_ring(3);
	assert_int_equal(run_insn(lcall, sizeof(lcall)), NO_FAULT);
	assert_int_equal(try_load(SR_DS, S_DATA0), NO_FAULT);
	assert_int_equal(try_load(SR_ES, S_DATA3), NO_FAULT);
	assert_int_equal(run_insn(retf, 1), NO_FAULT);
	assert_int_equal(c->cpl, 3);
	assert_int_equal(c->seg[SR_CS].sel, S_CODE3 | 3);
	assert_int_equal(c->eip, CODE + sizeof(lcall));
	assert_int_equal(c->seg[SR_SS].sel, S_DATA3 | 3);
	assert_int_equal(c->gpr[ESP], 0x8000);
	assert_int_equal(c->seg[SR_DS].sel, 0);
	assert_int_equal(c->seg[SR_ES].sel, S_DATA3);
}

static void test_call_gate_below_cpl_is_gp_on_the_gate(void **state)
{
	(void)state;
	static const uint8_t lcall[] = { 0x9a, 0, 0, 0, 0, S_GATE3 | 3, 0 };

	gate_put(GDT + S_GATE3, S_CODE0, 0x2000, 0x8c, 0); /* gate DPL 0 */
	enter_ring(3);
	assert_fault(run_insn(lcall, sizeof(lcall)), EXC_GP, S_GATE3);
	assert_int_equal(c->cpl, 3);
	assert_int_equal(c->gpr[ESP], 0x8000);
}

/* ---- interrupts ---- */

static void idt_gate(int vector, uint8_t access)
{
	gate_put(IDT + (uint32_t)vector * 8, S_CODE0, 0x3000 + (uint32_t)vector, access, 0);
}

static void test_int_from_ring3_pushes_outer_stack_and_clears_if(void **state)
{
	(void)state;
	static const uint8_t int80[] = { 0xcd, 0x80 };

	idt_gate(0x80, 0xee); /* 32-bit interrupt gate, DPL 3 */
	enter_ring(3);
	c->eflags |= F_TF;
	assert_int_equal(run_insn(int80, 2), NO_FAULT);
	assert_int_equal(c->cpl, 0);
	assert_int_equal(c->eip, 0x3080);
	assert_int_equal(c->gpr[ESP], 0x9000 - 20);
	assert_int_equal(get32(0x9000 - 12), F_FIXED1 | F_IF | F_TF);
	assert_int_equal(get32(0x9000 - 20), CODE + 2);
	assert_false(c->eflags & (F_IF | F_TF));
}

static void test_iret_returns_to_ring3(void **state)
{
	(void)state;
	static const uint8_t int80[] = { 0xcd, 0x80 };
	static const uint8_t iret[] = { 0xcf };

	idt_gate(0x80, 0xef); /* trap gate: IF stays */
	enter_ring(3);
	assert_int_equal(run_insn(int80, 2), NO_FAULT);
	assert_true(c->eflags & F_IF);
	assert_int_equal(run_insn(iret, 1), NO_FAULT);
	assert_int_equal(c->cpl, 3);
	assert_int_equal(c->eip, CODE + 2);
	assert_int_equal(c->gpr[ESP], 0x8000);
	assert_int_equal(c->seg[SR_SS].sel, S_DATA3 | 3);
}

static void test_int_n_through_a_dpl0_gate_from_ring3_is_gp(void **state)
{
	(void)state;
	static const uint8_t int81[] = { 0xcd, 0x81 };

	idt_gate(0x81, 0x8e);
	enter_ring(3);
	assert_fault(run_insn(int81, 2), EXC_GP, 0x81 * 8 + 2);
	assert_int_equal(c->eip, CODE);
}

static void test_fault_pushes_error_code_and_rf(void **state)
{
	(void)state;
	idt_gate(EXC_GP, 0x8e);
	c->insn_eip = CODE;
	c->exc.vector = EXC_GP;
	c->exc.err = 0x28;
	deliver_like_engine();
	assert_int_equal(c->eip, 0x3000 + EXC_GP);
	assert_int_equal(get32(c->gpr[ESP]), 0x28);
	assert_int_equal(get32(c->gpr[ESP] + 4), CODE);
	assert_int_equal(get32(c->gpr[ESP] + 12), F_FIXED1 | F_IF | F_RF);
}

static void test_push_fault_on_the_inner_stack_leaves_state_unchanged(void **state)
{
	(void)state;
	static const uint8_t int80[] = { 0xcd, 0x80 };

	idt_gate(0x80, 0xee);
	put32(TSS + 4, 0x8);         /* ESP0 too low for the frame */
	put32(TSS + 8, S_SMALLSTACK0);
	enter_ring(3);
	assert_fault(run_insn(int80, 2), EXC_SS, S_SMALLSTACK0);
	assert_int_equal(c->cpl, 3);
	assert_int_equal(c->seg[SR_CS].sel, S_CODE3 | 3);
	assert_int_equal(c->seg[SR_SS].sel, S_DATA3 | 3);
	assert_int_equal(c->gpr[ESP], 0x8000);
}

/* Identity-map the first 4 MiB with 4 KiB pages, leaving one page out. */
static void paging_identity_without(uint32_t hole)
{
	const uint32_t pd = 0x100000, pt = 0x101000;

	put32(pd, pt | 7);
	for (uint32_t k = 0; k < 1024; k++)
		put32(pt + 4 * k, k * 0x1000 == hole ? 0 : (k * 0x1000) | 7);
	c->cr3 = pd;
	c->cr0 |= CR0_PG;
	tlb_flush_all(c, true);
}

static void test_page_fault_on_the_inner_stack_leaves_state_unchanged(void **state)
{
	(void)state;
	static const uint8_t int80[] = { 0xcd, 0x80 };

	idt_gate(0x80, 0xee);
	paging_identity_without(0x8000); /* the page below ESP0 = 0x9000 */
	enter_ring(3);
	c->gpr[ESP] = 0x7000;
	assert_fault(run_insn(int80, 2), EXC_PF, PF_W);
	assert_int_equal(c->exc.fault_lin, 0x8ffc);
	assert_int_equal(c->cpl, 3);
	assert_int_equal(c->seg[SR_SS].sel, S_DATA3 | 3);
	assert_int_equal(c->gpr[ESP], 0x7000);
	assert_int_equal(get32(0x8ffc), 0);
}

static void test_gp_during_gp_delivery_is_a_double_fault(void **state)
{
	(void)state;
	idt_gate(EXC_GP, 0x0e); /* not present: #NP(13*8+2+EXT) */
	idt_gate(EXC_DF, 0x8e);
	c->insn_eip = CODE;
	c->exc.vector = EXC_GP;
	c->exc.err = 0;
	deliver_like_engine();
	assert_int_equal(c->eip, 0x3000 + EXC_DF);
	assert_int_equal(get32(c->gpr[ESP]), 0);
	assert_false(c->shutdown);
}

static void test_fault_during_double_fault_delivery_shuts_down(void **state)
{
	(void)state;
	idt_gate(EXC_GP, 0x0e);
	idt_gate(EXC_DF, 0x0e);
	c->insn_eip = CODE;
	c->exc.vector = EXC_GP;
	deliver_like_engine();
	assert_true(c->shutdown);
	assert_non_null(strstr(m->error, "triple fault"));
}

static void test_real_mode_int_uses_the_ivt(void **state)
{
	(void)state;
	static const uint8_t int10[] = { 0xcd, 0x10 };

	cpu_reset(c);
	c->seg[SR_CS].base = 0;
	c->seg[SR_CS].sel = 0;
	c->eip = 0x7c00;
	c->gpr[ESP] = 0x1000;
	c->eflags |= F_IF;
	put32(0x10 * 4, 0xf0001234u);
	assert_int_equal(run_insn(int10, 2), NO_FAULT);
	assert_int_equal(c->seg[SR_CS].base, 0xf0000);
	assert_int_equal(c->eip, 0x1234);
	assert_int_equal(c->gpr[ESP], 0x1000 - 6);
	assert_int_equal(get32(0x1000 - 6) & 0xffff, 0x7c02);          /* IP */
	assert_int_equal(get32(0x1000 - 4), (F_FIXED1 | F_IF) << 16); /* CS 0, FLAGS */
	assert_false(c->eflags & F_IF);
}

/* ---- LAR, LSL, VERR, VERW, LTR ---- */

static int run_with_ax(const uint8_t *b, unsigned n, uint16_t sel)
{
	c->gpr[EAX] = sel;
	c->gpr[EBX] = 0xdeadbeef;
	return run_insn(b, n);
}

static void test_lar_lsl_answer_in_zf(void **state)
{
	(void)state;
	static const uint8_t lar[] = { 0x0f, 0x02, 0xd8 }; /* lar ebx, eax */
	static const uint8_t lsl[] = { 0x0f, 0x03, 0xd8 }; /* lsl ebx, eax */

	assert_int_equal(run_with_ax(lar, 3, S_CODE0), NO_FAULT);
	assert_true(c->eflags & F_ZF);
	assert_int_equal(c->gpr[EBX], 0x00cf9a00);
	assert_int_equal(run_with_ax(lsl, 3, S_DOWN16), NO_FAULT);
	assert_int_equal(c->gpr[EBX], 0x0fff);
	assert_int_equal(run_with_ax(lsl, 3, S_GATE3), NO_FAULT); /* gates have no limit */
	assert_false(c->eflags & F_ZF);
	assert_int_equal(c->gpr[EBX], 0xdeadbeef);
	enter_ring(3);
	assert_int_equal(run_with_ax(lar, 3, S_DATA0 | 3), NO_FAULT);
	assert_false(c->eflags & F_ZF);
	assert_int_equal(run_with_ax(lar, 3, S_CONF0 | 3), NO_FAULT);
	assert_true(c->eflags & F_ZF);
}

static void test_verr_verw(void **state)
{
	(void)state;
	static const uint8_t verr[] = { 0x0f, 0x00, 0xe0 }; /* verr ax */
	static const uint8_t verw[] = { 0x0f, 0x00, 0xe8 }; /* verw ax */

	run_with_ax(verr, 3, S_XCODE0);
	assert_false(c->eflags & F_ZF);
	run_with_ax(verr, 3, S_RODATA0);
	assert_true(c->eflags & F_ZF);
	run_with_ax(verw, 3, S_RODATA0);
	assert_false(c->eflags & F_ZF);
	run_with_ax(verw, 3, S_DATA0);
	assert_true(c->eflags & F_ZF);
}

static void test_ltr_marks_the_tss_busy(void **state)
{
	(void)state;
	static const uint8_t ltr[] = { 0x0f, 0x00, 0xd8 }; /* ltr ax */

	assert_int_equal(run_with_ax(ltr, 3, S_TSS), NO_FAULT);
	assert_int_equal(gdt_access(S_TSS), 0x8b);
	assert_int_equal(c->tr.sel, S_TSS);
	assert_fault(run_with_ax(ltr, 3, S_TSS), EXC_GP, S_TSS); /* busy now */
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reset_is_real_mode_at_fffffff0),
		T(test_ds_load_caches_descriptor_and_sets_accessed_bit),
		T(test_ds_null_selector_loads_and_faults_on_use),
		T(test_ds_rejects_execute_only_code_and_system_descriptors),
		T(test_ds_accepts_readable_conforming_code_at_any_privilege),
		T(test_ds_needs_dpl_at_least_cpl_and_rpl),
		T(test_ds_not_present_is_np_after_type_checks),
		T(test_selector_beyond_gdt_limit_is_gp_with_the_index),
		T(test_ldt_selectors_need_a_usable_ldtr),
		T(test_ss_refuses_null_read_only_and_other_privilege),
		T(test_expand_down_segment_allows_only_above_its_limit),
		T(test_expand_up_limit_is_inclusive),
		T(test_real_mode_load_keeps_limit_and_attributes),
		T(test_far_jmp_loads_code_segment_at_cpl),
		T(test_far_jmp_checks_type_privilege_presence_and_limit),
		T(test_far_jmp_to_conforming_code_keeps_cpl),
		T(test_call_gate_from_ring3_switches_to_the_tss_stack),
		T(test_retf_to_ring3_restores_stack_and_nulls_ring0_data),
		T(test_call_gate_below_cpl_is_gp_on_the_gate),
		T(test_int_from_ring3_pushes_outer_stack_and_clears_if),
		T(test_iret_returns_to_ring3),
		T(test_int_n_through_a_dpl0_gate_from_ring3_is_gp),
		T(test_fault_pushes_error_code_and_rf),
		T(test_push_fault_on_the_inner_stack_leaves_state_unchanged),
		T(test_page_fault_on_the_inner_stack_leaves_state_unchanged),
		T(test_gp_during_gp_delivery_is_a_double_fault),
		T(test_fault_during_double_fault_delivery_shuts_down),
		T(test_real_mode_int_uses_the_ivt),
		T(test_lar_lsl_answer_in_zf),
		T(test_verr_verw),
		T(test_ltr_marks_the_tss_busy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
