/*
 * Specifications of the interpreter's decoded blocks (vmm/interp_block.c):
 * code that changes under them runs as it is now, the budget stops inside
 * a block at the exact count with exact flags, and chained blocks count
 * every instruction.
 * Small programs in flat 32-bit protected mode on engine_interp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/engine.h"
#include "vmm/machine.h"
#include "fixture_machine.h"

#define CODE 0x1000u

static struct machine m;
static struct cpu *c = &m.cpu;

static int setup(void **state)
{
	(void)state;
	return fixture_machine_init_flat32(&m);
}

static int teardown(void **state)
{
	(void)state;
	machine_free(&m);
	return 0;
}

/* Put code at CODE and run it from there with a budget. */
static enum stop_reason run(const uint8_t *code, unsigned n, uint64_t budget)
{
	fixture_machine_load(&m, CODE, code, n);
	return engine_interp.run(&m, budget);
}
#define BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

static void store_into_the_next_instruction_runs_the_new_one(void **state)
{
	(void)state;
	/* mov byte [CODE+7], 0x40 turns the NOP after it into INC EAX. */
	assert_int_equal(run(BYTES(0xc6, 0x05, 0x07, 0x10, 0x00, 0x00, 0x40,
				   0x90, 0xf4), 1000), STOP_HLT);
	assert_int_equal(c->gpr[EAX], 1);
}

static void rep_stos_over_later_instructions_runs_the_new_ones(void **state)
{
	(void)state;
	/* mov edi, CODE+16; mov al, 0x40; mov ecx, 2; rep stosb; nop; nop; hlt */
	assert_int_equal(run(BYTES(0xbf, 0x10, 0x10, 0x00, 0x00, 0xb0, 0x40,
				   0xb9, 0x02, 0x00, 0x00, 0x00, 0xf3, 0xaa, 0x90, 0x90,
				   0x90, 0x90, 0xf4), 1000), STOP_HLT);
	assert_int_equal(c->gpr[EAX], 0x42);
}

static void code_rewritten_by_the_monitor_between_runs_runs_as_written(void **state)
{
	(void)state;
	assert_int_equal(run(BYTES(0xb8, 0x01, 0x00, 0x00, 0x00, 0xf4), 1000), STOP_HLT);
	assert_int_equal(c->gpr[EAX], 1);
	assert_int_equal(run(BYTES(0xb8, 0x02, 0x00, 0x00, 0x00, 0xf4), 1000), STOP_HLT);
	assert_int_equal(c->gpr[EAX], 2);
}

static void budget_stops_inside_a_block_at_the_exact_count(void **state)
{
	(void)state;
	/* five INC EAX, HLT */
	assert_int_equal(run(BYTES(0x40, 0x40, 0x40, 0x40, 0x40, 0xf4), 3), STOP_BUDGET);
	assert_int_equal(m.icount, 3);
	assert_int_equal(c->gpr[EAX], 3);
	assert_int_equal(c->eip, CODE + 3);
	assert_int_equal(engine_interp.run(&m, 1000), STOP_HLT);
	assert_int_equal(c->gpr[EAX], 5);
	assert_int_equal(m.icount, 6);
}

static void a_loop_of_chained_blocks_counts_every_instruction(void **state)
{
	(void)state;
	/* mov ecx, 1000; l: dec ecx; jnz l; hlt */
	assert_int_equal(run(BYTES(0xb9, 0xe8, 0x03, 0x00, 0x00, 0x49, 0x75, 0xfd, 0xf4),
			     100000), STOP_HLT);
	assert_int_equal(c->gpr[ECX], 0);
	assert_int_equal(m.icount, 1 + 2 * 1000 + 1);
}

static void a_fault_inside_a_block_leaves_the_count_at_the_faulting_instruction(void **state)
{
	(void)state;
	/* inc eax; inc eax; ud2 -- no IDT, so the #UD ends in a triple fault */
	assert_int_equal(run(BYTES(0x40, 0x40, 0x0f, 0x0b), 1000), STOP_SHUTDOWN);
	assert_int_equal(c->gpr[EAX], 2);
	assert_int_equal(m.icount, 2);
}

static void flags_overwritten_later_in_the_block_are_still_exact_at_a_budget_stop(void **state)
{
	(void)state;
	/* add eax, 1 (CF, ZF); mov ecx, edx; xor ebx, ebx; hlt -- the ADD's flags are
	 * dead in the whole block, not when the budget stops right after it. */
	c->gpr[EAX] = 0xffffffffu;
	assert_int_equal(run(BYTES(0x83, 0xc0, 0x01, 0x89, 0xd1, 0x31, 0xdb, 0xf4), 1), STOP_BUDGET);
	assert_int_equal(c->eflags & (F_CF | F_ZF), F_CF | F_ZF);
	assert_int_equal(engine_interp.run(&m, 1000), STOP_HLT);
	assert_int_equal(c->eflags & (F_CF | F_ZF), F_ZF);
	c->gpr[EAX] = 0xffffffffu;
	assert_int_equal(run(BYTES(0x83, 0xc0, 0x01, 0x89, 0xd1, 0x31, 0xdb, 0xf4), 1000), STOP_HLT);
	assert_int_equal(c->eflags & (F_CF | F_ZF), F_ZF);
}

static void flags_before_a_checked_instruction_that_faults_are_exact(void **state)
{
	(void)state;
	/* nop (runs alone: the code page enters the TLB); then a block: add eax, 1
	 * (CF, ZF); fld1 with CR0.TS (#NM, then a triple fault: no IDT); xor ebx,
	 * ebx would overwrite the flags, but the fault shows them first. */
	c->gpr[EAX] = 0xffffffffu;
	c->cr0 |= CR0_TS;
	assert_int_equal(run(BYTES(0x90, 0x83, 0xc0, 0x01, 0xd9, 0xe8, 0x31, 0xdb, 0xf4), 1000),
			 STOP_SHUTDOWN);
	assert_int_equal(m.icount, 2);
	assert_int_equal(c->eflags & (F_CF | F_ZF), F_CF | F_ZF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(store_into_the_next_instruction_runs_the_new_one, setup, teardown),
		cmocka_unit_test_setup_teardown(rep_stos_over_later_instructions_runs_the_new_ones, setup, teardown),
		cmocka_unit_test_setup_teardown(code_rewritten_by_the_monitor_between_runs_runs_as_written, setup, teardown),
		cmocka_unit_test_setup_teardown(budget_stops_inside_a_block_at_the_exact_count, setup, teardown),
		cmocka_unit_test_setup_teardown(a_loop_of_chained_blocks_counts_every_instruction, setup, teardown),
		cmocka_unit_test_setup_teardown(a_fault_inside_a_block_leaves_the_count_at_the_faulting_instruction, setup, teardown),
		cmocka_unit_test_setup_teardown(flags_overwritten_later_in_the_block_are_still_exact_at_a_budget_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(flags_before_a_checked_instruction_that_faults_are_exact, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
