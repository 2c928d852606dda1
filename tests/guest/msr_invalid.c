/*
 * RDMSR/WRMSR of an MSR the model does not implement raise #GP(0) (SDM
 * RDMSR: "If the value in ECX specifies a reserved or unimplemented MSR
 * address"). Addresses used: 0x12345678 and 0xC0000080 (EFER: absent
 * without long mode / NX in the model's CPUID). (QEMU returns 0 for
 * unknown MSRs: QEMU-KNOWN.md.)
 */
#include "rt.h"

static struct fault try_msr(uint32_t msr, int write)
{
	struct fault f;
	uint32_t lo = 0, hi = 0;
	if (catch_fault(&f) == 0) {
		if (write)
			__asm__ volatile("wrmsr" ::"c"(msr), "a"(lo), "d"(hi));
		else
			__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
		catch_end();
	}
	return f;
}

void test_main(void)
{
	struct fault f = try_msr(0x12345678, 0);
	check_fault("rdmsr.unimplemented", &f, 13, 0);
	f = try_msr(0x12345678, 1);
	check_fault("wrmsr.unimplemented", &f, 13, 0);
	f = try_msr(0xC0000080, 0);
	check_fault("rdmsr.efer_absent", &f, 13, 0);
}
