/*
 * Specifications of the interpreter's run loop and flow handlers
 * (vmm/interp.c, interp_stack.c, interp_string.c, interp_branch.c): small
 * programs in flat 32-bit protected mode run on engine_interp, plus its
 * speed on a compute loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "vmm/engine.h"
#include "vmm/interp.h"
#include "vmm/machine.h"
#include "fixture_machine.h"

#define CODE 0x1000u

static struct machine m;
static struct cpu *c = &m.cpu;

static int setup(void **state)
{
	(void)state;
	if (fixture_machine_init_flat32(&m) < 0)
		return -1;
	c->eip = CODE;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	machine_free(&m);
	return 0;
}

/* Load code at CODE followed by HLT, run it, and expect the HLT stop. */
static void run(const uint8_t *code, unsigned n)
{
	fixture_machine_load_hlt(&m, CODE, code, n);
	assert_int_equal(engine_interp.run(&m, 100000000), STOP_HLT);
	assert_int_equal(c->eip, CODE + n + 1);
}
#define RUN(...) run((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void engine_find_knows_interp_only(void **state)
{
	(void)state;
	assert_ptr_equal(engine_find("interp"), &engine_interp);
	assert_null(engine_find("bt"));
}

static void push_esp_pushes_the_old_value_and_pop_esp_loads(void **state)
{
	(void)state;
	RUN(0x54,             /* push esp */
	    0x5b,             /* pop ebx */
	    0x68, 0x44, 0x33, 0x22, 0x11, /* push 0x11223344 */
	    0x5c);            /* pop esp */
	assert_int_equal(c->gpr[EBX], 0x80000);
	assert_int_equal(c->gpr[ESP], 0x11223344);
}

static void pop_to_esp_based_memory_uses_the_incremented_esp(void **state)
{
	(void)state;
	RUN(0x6a, 0x07,       /* push 7 */
	    0x6a, 0x00,       /* push 0 */
	    0x8f, 0x04, 0x24); /* pop dword [esp]: stores 0 at the new top */
	assert_int_equal(c->gpr[ESP], 0x80000 - 4);
	assert_int_equal(m.ram[0x80000 - 4], 0);
}

static void push_sreg_with_32bit_size_writes_a_word_and_moves_four(void **state)
{
	(void)state;
	memset(m.ram + 0x80000 - 4, 0xaa, 4);
	RUN(0x1e);            /* push ds */
	assert_int_equal(c->gpr[ESP], 0x80000 - 4);
	assert_int_equal(m.ram[0x80000 - 4], 0x10);
	assert_int_equal(m.ram[0x80000 - 3], 0x00);
	assert_int_equal(m.ram[0x80000 - 2], 0xaa);
}

static void call_ret_and_loop(void **state)
{
	(void)state;
	RUN(0xb9, 0x05, 0x00, 0x00, 0x00, /* mov ecx,5 */
	    0x31, 0xc0,                   /* xor eax,eax */
	    0xe8, 0x04, 0x00, 0x00, 0x00, /* call the subroutine */
	    0xe2, 0xf9,                   /* loop back to the call */
	    0xeb, 0x02,                   /* jmp over the subroutine */
	    0x40,                         /* inc eax */
	    0xc3);                        /* ret */
	assert_int_equal(c->gpr[EAX], 5);
	assert_int_equal(c->gpr[ECX], 0);
}

static void enter_with_nesting_copies_frame_pointers(void **state)
{
	(void)state;
	c->gpr[EBP] = 0x70000;
	memcpy(m.ram + 0x70000 - 4, (const uint8_t[]){ 0x11, 0x11, 0x11, 0x11 }, 4);
	RUN(0xc8, 0x08, 0x00, 0x02, /* enter 8,2 */
	    0x89, 0xee,             /* mov esi,ebp */
	    0xc9);                  /* leave */
	assert_int_equal(c->gpr[ESI], 0x80000 - 4);
	assert_int_equal(c->gpr[EBP], 0x70000);
	assert_int_equal(c->gpr[ESP], 0x80000);
	/* the copied outer frame pointer and the new frame pointer */
	assert_int_equal(m.ram[0x80000 - 8], 0x11);
	assert_int_equal(m.ram[0x80000 - 12], 0xfc);
}

static void rep_movsb_copies_and_counts_down(void **state)
{
	(void)state;
	memcpy(m.ram + 0x20000, "doppel", 6);
	c->gpr[ESI] = 0x20000;
	c->gpr[EDI] = 0x30000;
	c->gpr[ECX] = 6;
	RUN(0xfc, 0xf3, 0xa4); /* cld; rep movsb */
	assert_memory_equal(m.ram + 0x30000, "doppel", 6);
	assert_int_equal(c->gpr[ECX], 0);
	assert_int_equal(c->gpr[ESI], 0x20006);
	assert_int_equal(c->gpr[EDI], 0x30006);
}

static void repne_scasb_stops_at_the_match(void **state)
{
	(void)state;
	memcpy(m.ram + 0x30000, "abcdef", 6);
	c->gpr[EDI] = 0x30000;
	c->gpr[ECX] = 100;
	c->gpr[EAX] = 'd';
	RUN(0xf2, 0xae); /* repne scasb */
	assert_int_equal(c->gpr[EDI], 0x30004);
	assert_int_equal(c->gpr[ECX], 96);
	assert_true(c->eflags & F_ZF);
}

/* Intel commits CMPS/SCAS flags only with the iteration that ends a REPE/REPNE. */
static void repne_scasb_keeps_flags_between_iterations(void **state)
{
	(void)state;
	memcpy(m.ram + 0x30000, "abcd", 4);
	memcpy(m.ram + CODE, (const uint8_t[]){ 0xf2, 0xae, 0xf4 }, 3); /* repne scasb; hlt */
	c->gpr[EDI] = 0x30000;
	c->gpr[ECX] = 100;
	c->gpr[EAX] = 'c';
	c->eflags = F_FIXED1 | F_CF | F_SF;
	c->eip = CODE;
	assert_int_equal(engine_interp.run(&m, 2), STOP_BUDGET);
	assert_int_equal(c->gpr[ECX], 98);
	assert_int_equal(c->eflags, F_FIXED1 | F_CF | F_SF);
	assert_int_equal(engine_interp.run(&m, 1), STOP_BUDGET);
	assert_int_equal(c->eip, CODE + 2);
	assert_int_equal(c->eflags & F_ARITH, F_ZF | F_PF);
}

static void popf_at_cpl3_keeps_if_and_iopl(void **state)
{
	(void)state;
	c->eflags = F_FIXED1 | F_IF;
	c->cpl = 3;
	c->seg[SR_CS].attr = 0xc0fb;
	c->seg[SR_SS].attr = 0xc0f3;
	memcpy(m.ram + CODE, (const uint8_t[]){ 0x68, 0x01, 0x30, 0x00, 0x00, 0x9d }, 6);
	c->eip = CODE;
	assert_int_equal(engine_interp.run(&m, 2), STOP_BUDGET);
	assert_int_equal(c->eflags, F_FIXED1 | F_IF | F_CF);
}

static void ud2_without_an_idt_shuts_down(void **state)
{
	(void)state;
	memcpy(m.ram + CODE, (const uint8_t[]){ 0x0f, 0x0b }, 2); /* ud2 */
	c->eip = CODE;
	c->idtr.limit = 0;
	enum stop_reason r = engine_interp.run(&m, 1000);

	assert_int_equal(c->eip, CODE);
	assert_int_equal(r, STOP_SHUTDOWN);
}

/* dec ecx; jnz: two instructions per iteration. */
static void compute_loop_speed(void **state)
{
	(void)state;
	static const uint8_t loop[] = { 0xb9, 0x00, 0x00, 0x00, 0x01, /* mov ecx,0x1000000 */
					0x01, 0xc8,                   /* add eax,ecx */
					0x49, 0x75, 0xfb, 0xf4 };     /* dec ecx; jnz; hlt */
	struct timespec t0, t1;

	memcpy(m.ram + CODE, loop, sizeof(loop));
	c->eip = CODE;
	uint64_t before = m.icount;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(engine_interp.run(&m, UINT64_MAX), STOP_HLT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("interp: %.1f million instructions/s\n", (m.icount - before) / s / 1e6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(engine_find_knows_interp_only, setup, teardown),
		cmocka_unit_test_setup_teardown(push_esp_pushes_the_old_value_and_pop_esp_loads, setup, teardown),
		cmocka_unit_test_setup_teardown(pop_to_esp_based_memory_uses_the_incremented_esp, setup, teardown),
		cmocka_unit_test_setup_teardown(push_sreg_with_32bit_size_writes_a_word_and_moves_four, setup, teardown),
		cmocka_unit_test_setup_teardown(call_ret_and_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(enter_with_nesting_copies_frame_pointers, setup, teardown),
		cmocka_unit_test_setup_teardown(rep_movsb_copies_and_counts_down, setup, teardown),
		cmocka_unit_test_setup_teardown(repne_scasb_stops_at_the_match, setup, teardown),
		cmocka_unit_test_setup_teardown(repne_scasb_keeps_flags_between_iterations, setup, teardown),
		cmocka_unit_test_setup_teardown(popf_at_cpl3_keeps_if_and_iopl, setup, teardown),
		cmocka_unit_test_setup_teardown(ud2_without_an_idt_shuts_down, setup, teardown),
		cmocka_unit_test_setup_teardown(compute_loop_speed, setup, teardown),
	};

	return cmocka_run_group_tests_name("interp", tests, NULL, NULL);
}
