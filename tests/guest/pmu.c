/*
 * The P6 performance-monitoring MSRs exist (SDM Vol. 3 Table "MSRs in the
 * P6 Family Processors": PerfCtr0/1 at 0xC1/0xC2, PerfEvtSel0/1 at
 * 0x186/0x187) and read 0 after reset; RDPMC at CPL 3 with CR4.PCE clear
 * raises #GP(0). What QEMU's TCG also does; counting is pmu_count.
 */
#include "rt.h"

static struct fault try_rdmsr(uint32_t msr, uint64_t *v)
{
	struct fault f;
	uint32_t lo = 0, hi = 0;
	if (catch_fault(&f) == 0) {
		__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
		catch_end();
	}
	*v = (uint64_t)hi << 32 | lo;
	return f;
}

static uint32_t u_rdpmc(uint32_t ctr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(ctr));
	return lo;
}

void test_main(void)
{
	static const struct { uint32_t msr; const char *name, *value; } msrs[] = {
		{ 0xc1, "pmu.rdmsr_perfctr0", "pmu.perfctr0_reset" },
		{ 0xc2, "pmu.rdmsr_perfctr1", "pmu.perfctr1_reset" },
		{ 0x186, "pmu.rdmsr_perfevtsel0", "pmu.perfevtsel0_reset" },
		{ 0x187, "pmu.rdmsr_perfevtsel1", "pmu.perfevtsel1_reset" },
	};
	for (unsigned k = 0; k < sizeof(msrs) / sizeof(msrs[0]); k++) {
		uint64_t v;
		struct fault f = try_rdmsr(msrs[k].msr, &v);
		check_fault(msrs[k].name, &f, NO_FAULT, -1);
		check_eq64(msrs[k].value, v, 0);
	}
	write_cr4(read_cr4() & ~0x100u);
	struct fault f;
	if (catch_fault(&f) == 0) {
		run_user(u_rdpmc, 0);
		catch_end();
	}
	check_fault("pmu.rdpmc_cpl3_without_pce", &f, 13, 0);
}
