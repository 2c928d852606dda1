/*
 * Specifications of hardware task switching (vmm/task.c, through
 * vmm/interp_far.c and vmm/exception.c), on a machine with a GDT holding
 * two 32-bit TSSs, a 16-bit TSS, task gates and an LDT in guest RAM: what
 * JMP, CALL, IRET and events through task gates save into the old TSS and
 * load from the new one, the busy bits, the back link and NT, CR0.TS,
 * DR7 and CR3, the error code on the new task's stack, the T bit, and the
 * faults before the commit point (state unchanged) and after it (raised in
 * the new task).
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
#include "vmm/task.h"

#define RAM_SIZE (4u << 20)
#define GDT 0x1000u
#define LDT 0x3000u
#define TSS_A 0x4000u
#define TSS_B 0x4100u
#define TSS_C 0x4200u
#define IDT 0x5000u
#define CODE 0x10000u
#define B_EIP 0x2000u
#define B_ESP 0x9000u
#define DB_HANDLER 0x7000u

/* GDT slots: selector = index * 8. */
enum {
	S_CODE0 = 0x08, S_DATA0 = 0x10, S_DATA3 = 0x18, S_CODE3 = 0x20, S_TSS_A = 0x28,
	S_TSS_B = 0x30, S_GATE_B = 0x38, S_TSS16_C = 0x40, S_LDT = 0x48, S_SMALL_TSS = 0x50,
	S_GATE3_B = 0x58, S_NP_TSS = 0x60, S_NPCODE0 = 0x68, S_NPDATA0 = 0x70, S_STACK16 = 0x78,
};

static struct machine *m;
static struct cpu *c;

/* The instruction table names handlers weakly: reference the ones used. */
__attribute__((used)) static insn_handler *const handlers_under_test[] = {
	op_jmp_far, op_call_far, op_iret, op_int,
};

static void put16(uint32_t pa, uint16_t v) { memcpy(m->ram + pa, &v, 2); }
static void put32(uint32_t pa, uint32_t v) { fixture_put32(m->ram, pa, v); }
static uint16_t get16(uint32_t pa) { uint16_t v; memcpy(&v, m->ram + pa, 2); return v; }
static uint32_t get32(uint32_t pa) { return fixture_get32(m->ram, pa); }

static void desc_put(uint32_t table, uint16_t sel, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	fixture_desc_put(m->ram, table, sel, base, limit, access, flags);
}

/* A task gate (or an interrupt gate when off != 0) at a table address. */
static void gate_put(uint32_t addr, uint16_t sel, uint32_t off, uint8_t access)
{
	fixture_gate_put(m->ram, addr, sel, off, access, 0);
}

static uint8_t gdt_access(uint16_t sel) { return m->ram[GDT + (sel & 0xfff8u) + 5]; }

static struct seg seg_from_gdt(uint16_t sel)
{
	return fixture_seg_from_table(m->ram, GDT, sel);
}

/* 32-bit TSS field offsets. */
enum {
	T_LINK = 0x00, T_CR3 = 0x1c, T_EIP = 0x20, T_EFLAGS = 0x24, T_EAX = 0x28, T_ESP = 0x38,
	T_ES = 0x48, T_CS = 0x4c, T_SS = 0x50, T_DS = 0x54, T_FS = 0x58, T_GS = 0x5c,
	T_LDT = 0x60, T_TRAP = 0x64,
};
#define T_GPR(k) (T_EAX + 4u * (k))
#define T_SREG(k) (T_ES + 4u * (k))

/* Task B's TSS: flat ring-0 segments, EIP B_EIP, registers 0xB0..B7. */
static void tss_b_fill(void)
{
	memset(m->ram + TSS_B, 0, 0x68);
	put32(TSS_B + T_EIP, B_EIP);
	put32(TSS_B + T_EFLAGS, 0x2 | F_CF | F_ZF);
	for (int k = 0; k < 8; k++)
		put32(TSS_B + T_GPR(k), 0xb0b0b000u + (uint32_t)k);
	put32(TSS_B + T_ESP, B_ESP);
	for (int k = 0; k < 6; k++)
		put16(TSS_B + T_SREG(k), k == SR_CS ? S_CODE0 : S_DATA0);
}

/* Task C's 16-bit TSS: IP 0x3000, registers 0xC0..C7, ES CS SS DS. */
static void tss_c_fill(void)
{
	static const uint16_t sregs[4] = { S_DATA0, S_CODE0, S_STACK16, S_DATA0 };

	memset(m->ram + TSS_C, 0, 0x2c);
	put16(TSS_C + 0x0e, 0x3000);
	put16(TSS_C + 0x10, 0x2 | F_SF);
	for (int k = 0; k < 8; k++)
		put16(TSS_C + 0x12 + 2u * (uint32_t)k, (uint16_t)(0xc0 + k));
	put16(TSS_C + 0x1a, 0x8800);
	for (int k = 0; k < 4; k++)
		put16(TSS_C + 0x22 + 2u * (uint32_t)k, sregs[k]);
}

static int setup(void **state)
{
	(void)state;
	m = fixture_machine_new(RAM_SIZE);
	c = &m->cpu;
	fixture_gdt_put_flat(m->ram, GDT);
	desc_put(GDT, S_TSS_A, TSS_A, 0x67, 0x8b, 0x0);
	desc_put(GDT, S_TSS_B, TSS_B, 0x67, 0x89, 0x0);
	gate_put(GDT + S_GATE_B, S_TSS_B, 0, 0x85);
	desc_put(GDT, S_TSS16_C, TSS_C, 0x2b, 0x81, 0x0);
	desc_put(GDT, S_LDT, LDT, 0xff, 0x82, 0x0);
	desc_put(GDT, S_SMALL_TSS, TSS_C, 0x66, 0x89, 0x0);
	gate_put(GDT + S_GATE3_B, S_TSS_B, 0, 0xe5);
	desc_put(GDT, S_NP_TSS, TSS_C, 0x67, 0x09, 0x0);
	desc_put(GDT, S_NPCODE0, 0, 0xfffff, 0x1a, 0xc);
	desc_put(GDT, S_NPDATA0, 0, 0xfffff, 0x12, 0xc);
	desc_put(GDT, S_STACK16, 0, 0xffff, 0x92, 0x0);
	desc_put(LDT, 0x08, 0, 0xfffff, 0x9a, 0xc);
	gate_put(IDT + 0x41 * 8, S_TSS_B, 0, 0x85);
	gate_put(IDT + 0x42 * 8, S_TSS_B, 0, 0xe5);
	gate_put(IDT + EXC_GP * 8, S_TSS_B, 0, 0x85);
	gate_put(IDT + EXC_DB * 8, S_CODE0, DB_HANDLER, 0x8e);
	c->gdtr = (struct dtr){ GDT, 0x7f };
	c->idtr = (struct dtr){ IDT, 0x7ff };
	c->cr0 |= CR0_PE;
	c->eflags = F_FIXED1 | F_OF | F_PF;
	c->eip = CODE;
	for (int k = 0; k < 8; k++)
		c->gpr[k] = 0xa0a0a000u + (uint32_t)k;
	c->gpr[ESP] = 0x8000;
	c->tr = seg_from_gdt(S_TSS_A);
	c->seg[SR_CS] = seg_from_gdt(S_CODE0);
	for (int k = 0; k < 6; k++)
		if (k != SR_CS)
			c->seg[k] = seg_from_gdt(S_DATA0);
	c->cpl = 0;
	tss_b_fill();
	tss_c_fill();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	machine_free(m);
	free(m);
	return 0;
}

/* A fresh machine within one test. */
static void again(void)
{
	teardown(NULL);
	setup(NULL);
}

/* Execute one instruction at CS:EIP as the interpreter does; on a fault
 * EIP goes to insn_eip, which a task switch moves into the new task. */
static int run_insn(const uint8_t *bytes, unsigned n)
{
	return fixture_run_insn(c, bytes, n);
}

static int jmp_far(uint16_t sel)
{
	const uint8_t b[] = { 0xea, 0x78, 0x56, 0x34, 0x12, (uint8_t)sel, (uint8_t)(sel >> 8) };
	return run_insn(b, sizeof(b));
}

static int call_far(uint16_t sel)
{
	const uint8_t b[] = { 0x9a, 0x78, 0x56, 0x34, 0x12, (uint8_t)sel, (uint8_t)(sel >> 8) };
	return run_insn(b, sizeof(b));
}

static int iret(void)
{
	const uint8_t b[] = { 0xcf };
	return run_insn(b, sizeof(b));
}

static int int_n(uint8_t vector)
{
	const uint8_t b[] = { 0xcd, vector };
	return run_insn(b, sizeof(b));
}

/* Deliver an exception as the engine does, EIP at the faulting instruction. */
static int deliver(int vector, uint32_t err)
{
	jmp_buf env;

	c->insn_eip = c->eip;
	c->exc_jmp = &env;
	c->exc.vector = -1;
	c->exc.err = err;
	if (setjmp(env))
		return c->exc.vector;
	exc_deliver(c, vector, INT_EXCEPTION);
	return NO_FAULT;
}

#define assert_fault(got, vec, code) do { \
	assert_int_equal((got), (vec)); assert_int_equal(c->exc.err, (code)); } while (0)

static void assert_in_task_b(void)
{
	assert_int_equal(c->tr.sel, S_TSS_B);
	assert_int_equal(SEG_TYPE(c->tr.attr), SYS_TSS32_BUSY);
	assert_int_equal(c->tr.base, TSS_B);
	assert_int_equal(c->eip, B_EIP);
	for (int k = 0; k < 8; k++)
		if (k != ESP)
			assert_int_equal(c->gpr[k], 0xb0b0b000u + (uint32_t)k);
	assert_int_equal(c->seg[SR_CS].sel, S_CODE0);
	assert_int_equal(c->seg[SR_CS].limit, 0xffffffffu);
	assert_int_equal(c->seg[SR_SS].attr, 0xc093);
	assert_int_equal(c->seg[SR_DS].sel, S_DATA0);
	assert_int_equal(c->cpl, 0);
	assert_true(c->cr0 & CR0_TS);
}

/* A's dynamic fields hold the state the switch left, EIP `eip`. */
static void assert_a_saved(uint32_t eip, uint32_t eflags)
{
	assert_int_equal(get32(TSS_A + T_EIP), eip);
	assert_int_equal(get32(TSS_A + T_EFLAGS), eflags);
	for (int k = 0; k < 8; k++)
		assert_int_equal(get32(TSS_A + T_GPR(k)), k == ESP ? 0x8000 : 0xa0a0a000u + (uint32_t)k);
	assert_int_equal(get16(TSS_A + T_CS), S_CODE0);
	assert_int_equal(get16(TSS_A + T_SS), S_DATA0);
	assert_int_equal(get16(TSS_A + T_GS), S_DATA0);
	assert_int_equal(get32(TSS_A + T_CR3), 0); /* static fields untouched */
}

/* ---- JMP, CALL, IRET ---- */

static void test_jmp_to_tss_saves_old_state_and_moves_the_busy_bit(void **state)
{
	(void)state;
	put16(TSS_B + T_LINK, 0x1234);
	assert_int_equal(jmp_far(S_TSS_B), NO_FAULT);
	assert_in_task_b();
	assert_int_equal(c->gpr[ESP], B_ESP);
	assert_int_equal(c->eflags, 0x2 | F_CF | F_ZF);
	assert_a_saved(CODE + 7, F_FIXED1 | F_OF | F_PF);
	assert_int_equal(gdt_access(S_TSS_A), 0x89);
	assert_int_equal(gdt_access(S_TSS_B), 0x8b);
	assert_int_equal(get16(TSS_B + T_LINK), 0x1234);
}

static void test_jmp_keeps_nt_of_the_new_task(void **state)
{
	(void)state;
	put32(TSS_B + T_EFLAGS, 0x2 | F_NT);
	c->eflags |= F_NT;
	assert_int_equal(jmp_far(S_TSS_B), NO_FAULT);
	assert_int_equal(c->eflags, 0x2 | F_NT);
	assert_int_equal(get32(TSS_A + T_EFLAGS), F_FIXED1 | F_OF | F_PF | F_NT);
}

static void test_call_through_a_task_gate_nests_and_iret_returns(void **state)
{
	(void)state;
	assert_int_equal(call_far(S_GATE_B), NO_FAULT);
	assert_in_task_b();
	assert_int_equal(c->eflags, 0x2 | F_CF | F_ZF | F_NT);
	assert_int_equal(get16(TSS_B + T_LINK), S_TSS_A);
	assert_int_equal(gdt_access(S_TSS_A), 0x8b);
	assert_int_equal(gdt_access(S_TSS_B), 0x8b);
	assert_a_saved(CODE + 7, F_FIXED1 | F_OF | F_PF);

	c->gpr[EAX] = 0x5a5a;
	assert_int_equal(iret(), NO_FAULT);
	assert_int_equal(c->tr.sel, S_TSS_A);
	assert_int_equal(c->eip, CODE + 7);
	assert_int_equal(c->gpr[EAX], 0xa0a0a000u);
	assert_int_equal(c->eflags, F_FIXED1 | F_OF | F_PF);
	assert_int_equal(gdt_access(S_TSS_A), 0x8b);
	assert_int_equal(gdt_access(S_TSS_B), 0x89);
	assert_int_equal(get32(TSS_B + T_EIP), B_EIP + 1);
	assert_int_equal(get32(TSS_B + T_EFLAGS), 0x2 | F_CF | F_ZF); /* NT cleared in the image */
	assert_int_equal(get32(TSS_B + T_EAX), 0x5a5a);
}

static void test_call_to_tss_directly_checks_dpl_against_cpl_and_rpl(void **state)
{
	(void)state;
	assert_fault(call_far(S_TSS_B | 3), EXC_GP, S_TSS_B);
	assert_int_equal(c->tr.sel, S_TSS_A);
	assert_int_equal(call_far(S_TSS_B), NO_FAULT);
	assert_int_equal(get16(TSS_B + T_LINK), S_TSS_A);
}

static void test_a_busy_target_is_gp_and_changes_nothing(void **state)
{
	(void)state;
	assert_fault(jmp_far(S_TSS_A), EXC_GP, S_TSS_A);
	desc_put(GDT, S_TSS_B, TSS_B, 0x67, 0x8b, 0x0);
	assert_fault(call_far(S_GATE_B), EXC_GP, S_TSS_B);
	assert_int_equal(c->tr.sel, S_TSS_A);
	assert_int_equal(c->eip, CODE);
	assert_int_equal(get32(TSS_A + T_EIP), 0);
	assert_int_equal(gdt_access(S_TSS_A), 0x8b);
}

static void test_tss_not_present_or_too_small(void **state)
{
	(void)state;
	assert_fault(jmp_far(S_NP_TSS), EXC_NP, S_NP_TSS);
	assert_fault(jmp_far(S_SMALL_TSS), EXC_TS, S_SMALL_TSS);
	assert_int_equal(gdt_access(S_TSS_A), 0x8b);
	assert_int_equal(c->tr.sel, S_TSS_A);
}

static void test_task_gate_checks_its_dpl_and_not_the_tss_dpl(void **state)
{
	(void)state;
	c->seg[SR_CS] = seg_from_gdt(S_CODE3 | 3);
	c->seg[SR_SS] = seg_from_gdt(S_DATA3 | 3);
	c->cpl = 3;
	assert_fault(jmp_far(S_GATE_B | 3), EXC_GP, S_GATE_B);
	assert_int_equal(jmp_far(S_GATE3_B | 3), NO_FAULT);
	assert_in_task_b();
	assert_int_equal(get16(TSS_A + T_CS), S_CODE3 | 3);
	assert_int_equal(get16(TSS_A + T_SS), S_DATA3 | 3);
}

static void test_iret_needs_a_busy_back_link(void **state)
{
	(void)state;
	c->eflags |= F_NT;
	put16(TSS_A + T_LINK, S_TSS_B);
	assert_fault(iret(), EXC_TS, S_TSS_B);
	put16(TSS_A + T_LINK, S_LDT | 4);
	assert_fault(iret(), EXC_TS, S_LDT | 4);
	assert_int_equal(c->tr.sel, S_TSS_A);
}

/* ---- events through task gates ---- */

static void test_int_n_through_a_task_gate_pushes_nothing(void **state)
{
	(void)state;
	assert_int_equal(int_n(0x41), NO_FAULT);
	assert_in_task_b();
	assert_int_equal(c->gpr[ESP], B_ESP);
	assert_int_equal(c->eflags & F_NT, F_NT);
	assert_int_equal(get16(TSS_B + T_LINK), S_TSS_A);
	assert_a_saved(CODE + 2, F_FIXED1 | F_OF | F_PF);
	assert_int_equal(gdt_access(S_TSS_A), 0x8b);
}

static void test_int_n_from_ring3_checks_the_task_gate_dpl(void **state)
{
	(void)state;
	c->seg[SR_CS] = seg_from_gdt(S_CODE3 | 3);
	c->seg[SR_SS] = seg_from_gdt(S_DATA3 | 3);
	c->cpl = 3;
	assert_fault(int_n(0x41), EXC_GP, 0x41 * 8 + 2);
	assert_int_equal(int_n(0x42), NO_FAULT);
	assert_in_task_b();
}

static void test_fault_through_a_task_gate_pushes_its_error_code_and_saves_rf(void **state)
{
	(void)state;
	assert_int_equal(deliver(EXC_GP, 0x1234), NO_FAULT);
	assert_in_task_b();
	assert_int_equal(c->gpr[ESP], B_ESP - 4);
	assert_int_equal(get32(B_ESP - 4), 0x1234);
	assert_a_saved(CODE, F_FIXED1 | F_OF | F_PF | F_RF);
}

static void test_a_16bit_new_task_gets_a_word_error_code(void **state)
{
	(void)state;
	gate_put(IDT + EXC_GP * 8, S_TSS16_C, 0, 0x85);
	assert_int_equal(deliver(EXC_GP, 0x1234), NO_FAULT);
	assert_int_equal(c->tr.sel, S_TSS16_C);
	assert_int_equal(c->gpr[ESP], 0xffff87feu);
	assert_int_equal(get16(0x87fe), 0x1234);
	assert_int_equal(get16(TSS_C), S_TSS_A);
}

static void test_task_gate_errors_carry_ext(void **state)
{
	(void)state;
	desc_put(GDT, S_TSS_B, TSS_B, 0x67, 0x8b, 0x0);
	assert_fault(deliver(EXC_GP, 0), EXC_GP, S_TSS_B | 1);
	desc_put(GDT, S_TSS_B, TSS_B, 0x67, 0x89, 0x0);
	put16(TSS_B + T_CS, S_DATA0);
	assert_fault(deliver(EXC_GP, 0), EXC_TS, S_DATA0 | 1);
}

/* ---- the 16-bit TSS ---- */

static void test_16bit_tss_loads_words_with_upper_halves_set_and_null_fs_gs(void **state)
{
	(void)state;
	assert_int_equal(jmp_far(S_TSS16_C), NO_FAULT);
	assert_int_equal(c->tr.sel, S_TSS16_C);
	assert_int_equal(SEG_TYPE(c->tr.attr), SYS_TSS16_BUSY);
	assert_int_equal(c->eip, 0x3000);
	assert_int_equal(c->eflags, 0x2 | F_SF);
	assert_int_equal(c->gpr[EAX], 0xffff00c0u);
	assert_int_equal(c->gpr[EDI], 0xffff00c7u);
	assert_int_equal(c->gpr[ESP], 0xffff8800u);
	assert_int_equal(c->seg[SR_FS].sel, 0);
	assert_int_equal(c->seg[SR_GS].sel, 0);
	assert_int_equal(c->seg[SR_DS].sel, S_DATA0);

	c->gpr[EBX] = 0x12345678;
	assert_int_equal(jmp_far(S_TSS_A), NO_FAULT);
	assert_int_equal(c->tr.sel, S_TSS_A);
	assert_int_equal(get16(TSS_C + 0x0e), 0x3007);
	assert_int_equal(get16(TSS_C + 0x18), 0x5678);
	assert_int_equal(get16(TSS_C + 0x1a), 0x8800);
	assert_int_equal(get16(TSS_C + 0x24), S_CODE0);
	assert_int_equal(gdt_access(S_TSS16_C), 0x81);
}

/* ---- CR0, DR7, CR3, the T bit ---- */

static void test_switch_sets_ts_and_clears_local_breakpoint_enables(void **state)
{
	(void)state;
	c->dr[7] = 0x4ff;
	assert_int_equal(jmp_far(S_TSS_B), NO_FAULT);
	assert_true(c->cr0 & CR0_TS);
	assert_int_equal(c->dr[7], 0x4aa);
}

#define PD_A 0x100000u
#define PD_B 0x102000u
#define PT_LOW 0x101000u
#define PT_A 0x103000u
#define PT_B 0x104000u

/* Both directories map the low 4 MiB 1:1; 0x400000 differs. */
static void paging_two_directories(void)
{
	for (uint32_t k = 0; k < 1024; k++)
		put32(PT_LOW + 4 * k, (k << 12) | 3);
	put32(PD_A, PT_LOW | 3);
	put32(PD_B, PT_LOW | 3);
	put32(PD_A + 4, PT_A | 3);
	put32(PD_B + 4, PT_B | 3);
	put32(PT_A, 0x200000 | 3);
	put32(PT_B, 0x201000 | 3);
	put32(0x200000, 0xaaaa);
	put32(0x201000, 0xbbbb);
	c->cr3 = PD_A;
	c->cr0 |= CR0_PG;
}

static void test_cr3_comes_from_the_new_32bit_tss_with_paging(void **state)
{
	(void)state;
	paging_two_directories();
	put32(TSS_B + T_CR3, PD_B);
	assert_int_equal(lin_read(c, 0x400000, 4, true), 0xaaaa);
	assert_int_equal(jmp_far(S_TSS_B), NO_FAULT);
	assert_int_equal(c->cr3, PD_B);
	assert_int_equal(lin_read(c, 0x400000, 4, true), 0xbbbb);
	assert_int_equal(get32(TSS_A + T_CR3), 0);
}

static void test_cr3_is_not_loaded_without_paging_or_from_a_16bit_tss(void **state)
{
	(void)state;
	put32(TSS_B + T_CR3, PD_B);
	c->cr3 = PD_A;
	assert_int_equal(jmp_far(S_TSS_B), NO_FAULT);
	assert_int_equal(c->cr3, PD_A);
	paging_two_directories();
	assert_int_equal(jmp_far(S_TSS16_C), NO_FAULT);
	assert_int_equal(c->cr3, PD_A);
}

static void test_page_fault_on_the_old_tss_changes_nothing(void **state)
{
	(void)state;
	paging_two_directories();
	put32(PT_LOW + 4 * (TSS_A >> 12), TSS_A | 1); /* read-only */
	c->cr0 |= CR0_WP;
	assert_fault(jmp_far(S_TSS_B), EXC_PF, PF_P | PF_W);
	assert_int_equal(c->tr.sel, S_TSS_A);
	assert_int_equal(gdt_access(S_TSS_A), 0x8b);
	assert_int_equal(gdt_access(S_TSS_B), 0x89);
	assert_false(c->cr0 & CR0_TS);
}

static void test_t_bit_raises_a_debug_trap_in_the_new_task(void **state)
{
	(void)state;
	put16(TSS_B + T_TRAP, 1);
	assert_int_equal(jmp_far(S_TSS_B), NO_FAULT);
	assert_int_equal(c->tr.sel, S_TSS_B);
	assert_int_equal(c->eip, DB_HANDLER);
	assert_int_equal(get32(B_ESP - 12), B_EIP);
	assert_int_equal(c->dr[6] & 0x8000, 0x8000);
}

/* ---- faults after the commit point: the new task's ---- */

static void assert_committed_to_b(void)
{
	assert_int_equal(c->tr.sel, S_TSS_B);
	assert_int_equal(c->eip, B_EIP);
	assert_int_equal(gdt_access(S_TSS_A), 0x89);
	assert_int_equal(gdt_access(S_TSS_B), 0x8b);
	assert_int_equal(get32(TSS_A + T_EIP), CODE + 7);
}

static void test_bad_new_cs_is_ts_in_the_new_task(void **state)
{
	(void)state;
	put16(TSS_B + T_CS, S_DATA0);
	assert_fault(jmp_far(S_TSS_B), EXC_TS, S_DATA0);
	assert_committed_to_b();
	assert_int_equal(c->seg[SR_CS].sel, S_DATA0);
}

static void test_new_cs_rpl_must_match_its_dpl_and_be_present(void **state)
{
	(void)state;
	put16(TSS_B + T_CS, S_CODE3);
	assert_fault(jmp_far(S_TSS_B), EXC_TS, S_CODE3);
	again();
	put16(TSS_B + T_CS, S_NPCODE0);
	assert_fault(jmp_far(S_TSS_B), EXC_NP, S_NPCODE0);
	assert_committed_to_b();
}

static void test_bad_new_ss_is_ts_or_ss(void **state)
{
	(void)state;
	put16(TSS_B + T_SS, 0);
	assert_fault(jmp_far(S_TSS_B), EXC_TS, 0);
	assert_committed_to_b();
	again();
	put16(TSS_B + T_SS, S_DATA3 | 3);
	assert_fault(jmp_far(S_TSS_B), EXC_TS, S_DATA3);
	again();
	put16(TSS_B + T_SS, S_NPDATA0);
	assert_fault(jmp_far(S_TSS_B), EXC_SS, S_NPDATA0);
}

static void test_bad_new_ldt_is_ts_and_the_ldt_serves_cs(void **state)
{
	(void)state;
	put16(TSS_B + T_LDT, S_DATA0);
	assert_fault(jmp_far(S_TSS_B), EXC_TS, S_DATA0);
	assert_committed_to_b();
	again();
	put16(TSS_B + T_LDT, S_LDT);
	put16(TSS_B + T_CS, 0x08 | SEL_TI);
	assert_int_equal(jmp_far(S_TSS_B), NO_FAULT);
	assert_int_equal(c->ldtr.sel, S_LDT);
	assert_int_equal(c->seg[SR_CS].sel, 0x0c);
	again();
	desc_put(GDT, S_LDT, LDT, 0xff, 0x02, 0x0);
	put16(TSS_B + T_LDT, S_LDT);
	assert_fault(jmp_far(S_TSS_B), EXC_TS, S_LDT);
}

static void test_new_data_segments_are_checked_against_the_new_cpl(void **state)
{
	(void)state;
	put16(TSS_B + T_CS, S_CODE3 | 3);
	put16(TSS_B + T_SS, S_DATA3 | 3);
	put16(TSS_B + T_ES, S_DATA3 | 3);
	put16(TSS_B + T_FS, 0);
	put16(TSS_B + T_GS, S_DATA3 | 3);
	assert_fault(jmp_far(S_TSS_B), EXC_TS, S_DATA0);
	assert_int_equal(c->cpl, 3);
	again();
	put16(TSS_B + T_CS, S_CODE3 | 3);
	put16(TSS_B + T_SS, S_DATA3 | 3);
	for (int k = SR_DS; k <= SR_GS; k++)
		put16(TSS_B + T_SREG(k), S_DATA3 | 3);
	put16(TSS_B + T_ES, 0);
	assert_int_equal(jmp_far(S_TSS_B), NO_FAULT);
	assert_int_equal(c->cpl, 3);
	assert_int_equal(c->seg[SR_ES].sel, 0);
	assert_int_equal(c->seg[SR_GS].attr, 0xc0f3);
}

static void test_new_eip_beyond_cs_limit_is_gp_in_the_new_task(void **state)
{
	(void)state;
	desc_put(GDT, S_CODE0, 0, 0x0fff, 0x9a, 0x4);
	assert_fault(jmp_far(S_TSS_B), EXC_GP, 0);
	assert_int_equal(c->tr.sel, S_TSS_B);
	assert_int_equal(c->eip, B_EIP);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_jmp_to_tss_saves_old_state_and_moves_the_busy_bit),
		T(test_jmp_keeps_nt_of_the_new_task),
		T(test_call_through_a_task_gate_nests_and_iret_returns),
		T(test_call_to_tss_directly_checks_dpl_against_cpl_and_rpl),
		T(test_a_busy_target_is_gp_and_changes_nothing),
		T(test_tss_not_present_or_too_small),
		T(test_task_gate_checks_its_dpl_and_not_the_tss_dpl),
		T(test_iret_needs_a_busy_back_link),
		T(test_int_n_through_a_task_gate_pushes_nothing),
		T(test_int_n_from_ring3_checks_the_task_gate_dpl),
		T(test_fault_through_a_task_gate_pushes_its_error_code_and_saves_rf),
		T(test_a_16bit_new_task_gets_a_word_error_code),
		T(test_task_gate_errors_carry_ext),
		T(test_16bit_tss_loads_words_with_upper_halves_set_and_null_fs_gs),
		T(test_switch_sets_ts_and_clears_local_breakpoint_enables),
		T(test_cr3_comes_from_the_new_32bit_tss_with_paging),
		T(test_cr3_is_not_loaded_without_paging_or_from_a_16bit_tss),
		T(test_page_fault_on_the_old_tss_changes_nothing),
		T(test_t_bit_raises_a_debug_trap_in_the_new_task),
		T(test_bad_new_cs_is_ts_in_the_new_task),
		T(test_new_cs_rpl_must_match_its_dpl_and_be_present),
		T(test_bad_new_ss_is_ts_or_ss),
		T(test_bad_new_ldt_is_ts_and_the_ldt_serves_cs),
		T(test_new_data_segments_are_checked_against_the_new_cpl),
		T(test_new_eip_beyond_cs_limit_is_gp_in_the_new_task),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
