/*
 * Specifications of the P6 performance counters (vmm/pmu.c): PerfEvtSel0/1
 * and PerfCtr0/1 through RDMSR/WRMSR and RDPMC, counting retired
 * instructions exactly on the virtual clock, never halted time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/engine.h"
#include "vmm/interp.h"
#include "vmm/machine.h"
#include "vmm/pmu.h"
#include "fixture_machine.h"

#define CODE 0x1000u
#define EN (1u << 22)
#define OS (1u << 17)
#define USR (1u << 16)
#define INV (1u << 23)
#define CMASK(n) ((uint32_t)(n) << 24)
#define INST_RETIRED 0xc0u
#define CLK_UNHALTED 0x79u

static struct machine m;
static struct cpu *c = &m.cpu;

static int setup(void **state)
{
	(void)state;
	if (fixture_machine_init_flat32(&m) < 0)
		return -1;
	c->m = &m;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	machine_free(&m);
	return 0;
}

/* Run code at CODE up to its HLT (IF=0: the run stops there). */
static void run(const uint8_t *code, unsigned n)
{
	fixture_machine_load_hlt(&m, CODE, code, n);
	assert_int_equal(engine_interp.run(&m, 1000000), STOP_HLT);
}
#define RUN(...) run((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* The vector a PMU call raised, or -1. */
static int raised(void (*fn)(void))
{
	jmp_buf env;
	jmp_buf *outer = c->exc_jmp;
	int v = -1;

	c->exc.vector = -1;
	c->exc_jmp = &env;
	if (setjmp(env) == 0)
		fn();
	else
		v = c->exc.vector;
	c->exc_jmp = outer;
	return v;
}

static void counters_read_zero_after_reset(void **state)
{
	(void)state;
	for (unsigned n = 0; n < PMU_COUNTERS; n++) {
		assert_int_equal(pmu_read_counter(c, n), 0);
		assert_int_equal(pmu_read_evtsel(c, n), 0);
	}
}

/*
 * WRMSR that enables counting is counted; RDPMC reads before it retires.
 * Between them: three NOPs and the MOV that names the counter.
 */
static void inst_retired_counts_each_instruction_exactly(void **state)
{
	(void)state;
	c->gpr[ECX] = MSR_PERFEVTSEL0;
	c->gpr[EAX] = EN | OS | USR | INST_RETIRED;
	c->gpr[EDX] = 0;
	RUN(0x0f, 0x30,                   /* wrmsr */
	    0x90, 0x90, 0x90,             /* nop x3 */
	    0xb9, 0x00, 0x00, 0x00, 0x00, /* mov ecx, 0 */
	    0x0f, 0x33);                  /* rdpmc */
	assert_int_equal(c->gpr[EAX], 5);
	assert_int_equal(c->gpr[EDX], 0);
}

/* A loop of 1000 iterations of two instructions, read by RDMSR. */
static void rdmsr_reads_the_count_of_a_loop(void **state)
{
	(void)state;
	c->msr.perfevtsel[0] = 0;
	pmu_write_counter(c, 1, 0);
	pmu_write_evtsel(c, 1, OS | CLK_UNHALTED);
	c->gpr[ECX] = MSR_PERFEVTSEL0;
	c->gpr[EAX] = EN;                 /* counter 0 selects nothing */
	c->gpr[EDX] = 0;
	RUN(0x0f, 0x30,                   /* wrmsr */
	    0xbb, 0xe8, 0x03, 0x00, 0x00, /* mov ebx, 1000 */
	    0x4b, 0x75, 0xfd,             /* dec ebx; jnz */
	    0xb9, 0xc2, 0x00, 0x00, 0x00, /* mov ecx, 0xc2 */
	    0x0f, 0x32);                  /* rdmsr */
	assert_int_equal(c->gpr[EAX], 1 + 1 + 2000 + 1);
	assert_int_equal(pmu_read_counter(c, 0), 0);
}

static void timer_ignore(void *opaque, uint64_t now) { (void)opaque; (void)now; }

/* HLT's jump of the clock to the next deadline retires nothing. */
static void halted_time_is_not_counted(void **state)
{
	static struct timer t;
	(void)state;
	assert_int_equal(timer_init(&m, &t, "test", timer_ignore, NULL), 0);
	pmu_write_evtsel(c, 0, EN | OS | CLK_UNHALTED);
	pmu_write_evtsel(c, 1, OS | INST_RETIRED);
	m.icount += 7;                    /* seven instructions */
	timer_arm(&m, &t, m.icount + 1000000);
	machine_halt_wait(&m, UINT64_MAX);
	assert_int_equal(m.icount, 1000007);
	assert_int_equal(pmu_read_counter(c, 0), 7);
	assert_int_equal(pmu_read_counter(c, 1), 7);
}

static void only_perfevtsel0_en_enables_both(void **state)
{
	(void)state;
	pmu_write_evtsel(c, 1, EN | OS | INST_RETIRED);
	m.icount += 10;
	assert_int_equal(pmu_read_counter(c, 1), 0);
	pmu_write_evtsel(c, 0, EN);
	m.icount += 10;
	assert_int_equal(pmu_read_counter(c, 1), 10);
	assert_int_equal(pmu_read_counter(c, 0), 0);
	pmu_write_evtsel(c, 0, 0);
	m.icount += 10;
	assert_int_equal(pmu_read_counter(c, 1), 10);
}

static void usr_and_os_filter_by_cpl(void **state)
{
	(void)state;
	pmu_write_evtsel(c, 0, EN | USR | INST_RETIRED);
	pmu_write_evtsel(c, 1, OS | INST_RETIRED);
	m.icount += 3;                    /* CPL 0 */
	pmu_cpl_change(c, 3);
	c->cpl = 3;
	m.icount += 20;
	pmu_cpl_change(c, 0);
	c->cpl = 0;
	m.icount += 4;
	assert_int_equal(pmu_read_counter(c, 0), 20);
	assert_int_equal(pmu_read_counter(c, 1), 7);
}

static void other_events_count_nothing(void **state)
{
	(void)state;
	pmu_write_evtsel(c, 0, EN | OS | USR | 0x43); /* DATA_MEM_REFS */
	pmu_write_evtsel(c, 1, OS | USR | 0xc4);      /* BR_INST_RETIRED */
	m.icount += 100;
	assert_int_equal(pmu_read_counter(c, 0), 0);
	assert_int_equal(pmu_read_counter(c, 1), 0);
}

/* One event per cycle: CMASK 1 keeps it, CMASK 2 drops it, INV swaps. */
static void counter_mask_compares_one_event_per_cycle(void **state)
{
	(void)state;
	pmu_write_evtsel(c, 0, EN | OS | CMASK(2) | INST_RETIRED);
	pmu_write_evtsel(c, 1, OS | CMASK(2) | INV | INST_RETIRED);
	m.icount += 9;
	assert_int_equal(pmu_read_counter(c, 0), 0);
	assert_int_equal(pmu_read_counter(c, 1), 9);
	pmu_write_evtsel(c, 0, EN | OS | CMASK(1) | INST_RETIRED);
	m.icount += 9;
	assert_int_equal(pmu_read_counter(c, 0), 9);
}

/* Writes set bits 31:0; 39:32 copy bit 31; counting wraps at 40 bits. */
static void counters_are_40_bits_and_writes_sign_extend(void **state)
{
	(void)state;
	pmu_write_counter(c, 0, 0x1234580000000ull);
	assert_int_equal(pmu_read_counter(c, 0), 0xff80000000ull);
	pmu_write_counter(c, 1, 0x7ffffffe);
	assert_int_equal(pmu_read_counter(c, 1), 0x7ffffffe);
	pmu_write_counter(c, 0, 0xfffffffe);
	pmu_write_evtsel(c, 0, EN | OS | INST_RETIRED);
	m.icount += 3;
	assert_int_equal(pmu_read_counter(c, 0), 1);
}

static void write_reserved_high_bits(void) { pmu_write_evtsel(c, 0, 1ull << 32); }

static void perfevtsel_keeps_bits_31_0_and_rejects_63_32(void **state)
{
	(void)state;
	pmu_write_evtsel(c, 1, 0xfedcba98u);
	assert_int_equal(pmu_read_evtsel(c, 1), 0xfedcba98u);
	assert_int_equal(raised(write_reserved_high_bits), EXC_GP);
	assert_int_equal(pmu_read_evtsel(c, 0), 0);
}

static void rdpmc_at_cpl3(void) { c->cpl = 3; op_rdpmc(c, NULL); }

static void rdpmc_at_cpl3_needs_cr4_pce(void **state)
{
	(void)state;
	c->gpr[ECX] = 1;
	assert_int_equal(raised(rdpmc_at_cpl3), EXC_GP);
	c->cr4 |= CR4_PCE;
	pmu_write_counter(c, 1, 0x80000005u);
	assert_int_equal(raised(rdpmc_at_cpl3), -1);
	assert_int_equal(c->gpr[EAX], 0x80000005u);
	assert_int_equal(c->gpr[EDX], 0xff);
	c->gpr[ECX] = 2;
	assert_int_equal(raised(rdpmc_at_cpl3), EXC_GP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(counters_read_zero_after_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(inst_retired_counts_each_instruction_exactly,
						setup, teardown),
		cmocka_unit_test_setup_teardown(rdmsr_reads_the_count_of_a_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(halted_time_is_not_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(only_perfevtsel0_en_enables_both, setup, teardown),
		cmocka_unit_test_setup_teardown(usr_and_os_filter_by_cpl, setup, teardown),
		cmocka_unit_test_setup_teardown(other_events_count_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(counter_mask_compares_one_event_per_cycle,
						setup, teardown),
		cmocka_unit_test_setup_teardown(counters_are_40_bits_and_writes_sign_extend,
						setup, teardown),
		cmocka_unit_test_setup_teardown(perfevtsel_keeps_bits_31_0_and_rejects_63_32,
						setup, teardown),
		cmocka_unit_test_setup_teardown(rdpmc_at_cpl3_needs_cr4_pce, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
