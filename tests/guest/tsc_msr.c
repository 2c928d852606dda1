/*
 * Time stamp counter (SDM vol. 3 17.17): RDTSC never goes backwards; at
 * CPL 3 it faults only with CR4.TSD=1; CPL 0 is unaffected by TSD.
 * (WRMSR/RDMSR of the TSC are in msr_tsc.)
 */
#include "rt.h"

static uint32_t u_rdtsc(uint32_t a) { (void)rdtsc(); return a; }

void test_main(void)
{
	uint64_t prev = rdtsc();
	int mono = 1;
	for (int i = 0; i < 200; i++) {
		uint64_t t = rdtsc();
		mono &= t >= prev;
		prev = t;
	}
	check(mono, "rdtsc.monotonic", "went backwards");
	check_eq("cpl3.rdtsc_tsd0", run_user(u_rdtsc, 9), 9);
	struct fault f;
	write_cr4(read_cr4() | 0x4);
	if (catch_fault(&f) == 0) {
		run_user(u_rdtsc, 9);
		catch_end();
	}
	write_cr4(read_cr4() & ~0x4u);
	check_fault("cpl3.rdtsc_tsd1_gp", &f, 13, 0);
	check_eq("cpl0.rdtsc_tsd1_ok", (write_cr4(read_cr4() | 0x4), (uint32_t)(rdtsc() > 0)), 1);
	write_cr4(read_cr4() & ~0x4u);
}
