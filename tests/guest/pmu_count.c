/*
 * The P6 performance counters count (SDM Vol. 3, "Performance Monitoring
 * Events for ... P6 Family Processors"): PerfEvtSel0.EN enables both
 * counters, INST_RETIRED (0xC0) counts retired instructions at the CPLs
 * USR/OS select, RDPMC reads 40 bits at CPL 3 once CR4.PCE is set, and a
 * counter write sets bits 31:0 with 39:32 copied from bit 31. QEMU's TCG
 * ignores these writes and raises #UD for RDPMC: QEMU-KNOWN.md.
 */
#include "rt.h"

#define EVTSEL0 0x186u
#define EVTSEL1 0x187u
#define PERFCTR0 0xc1u
#define PERFCTR1 0xc2u
#define EN (1u << 22)
#define OS (1u << 17)
#define USR (1u << 16)
#define INST_RETIRED 0xc0u
#define CR4_PCE 0x100u

static void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

/*
 * Counter ctr across RDPMC, MOV, MOV, and a loop of 1000 DEC/JNZ pairs:
 * the first RDPMC is read before it retires, the second one too, so the
 * difference is 3 + 2000 instructions.
 */
static uint32_t count_loop(uint32_t ctr)
{
	uint32_t delta;
	__asm__ volatile("rdpmc\n\t"
			 "mov %%eax, %%esi\n\t"
			 "mov $1000, %%ebx\n"
			 "1:\tdec %%ebx\n\t"
			 "jnz 1b\n\t"
			 "rdpmc\n\t"
			 "sub %%esi, %%eax"
			 : "=a"(delta)
			 : "c"(ctr)
			 : "ebx", "edx", "esi", "cc");
	return delta;
}

static uint32_t u_count_usr(uint32_t ctr) { return count_loop(ctr); }

static void check_writes(void)
{
	struct fault f;
	wrmsr(EVTSEL1, OS | USR | 0x79u);
	check_eq64("pmu.perfevtsel1_reads_back", rdmsr(EVTSEL1), OS | USR | 0x79u);
	wrmsr(PERFCTR1, 0x80000001u);
	check_eq64("pmu.perfctr_write_sign_extends", rdmsr(PERFCTR1), 0xff80000001ull);
	wrmsr(PERFCTR1, 0x123456789ull);
	check_eq64("pmu.perfctr_write_keeps_31_0", rdmsr(PERFCTR1), 0x23456789u);
	if (catch_fault(&f) == 0) {
		wrmsr(EVTSEL0, 1ull << 32);
		catch_end();
	}
	check_fault("pmu.perfevtsel_reserved_63_32", &f, 13, 0);
}

void test_main(void)
{
	check_writes();
	wrmsr(EVTSEL1, OS | INST_RETIRED);
	wrmsr(EVTSEL0, EN | USR | INST_RETIRED);
	check_eq("pmu.inst_retired_os_at_cpl0", count_loop(1), 2003);
	check_eq("pmu.usr_counter_still_at_cpl0", count_loop(0), 0);
	write_cr4(read_cr4() | CR4_PCE);
	check_eq("pmu.inst_retired_usr_at_cpl3", run_user(u_count_usr, 0), 2003);
	check_eq("pmu.os_counter_still_at_cpl3", run_user(u_count_usr, 1), 0);
	wrmsr(EVTSEL0, USR | INST_RETIRED);
	check_eq("pmu.counters_stop_without_en", count_loop(1), 0);
	write_cr4(read_cr4() & ~CR4_PCE);
}
