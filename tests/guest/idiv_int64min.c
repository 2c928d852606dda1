/*
 * IDIV r/m32 with EDX:EAX = 0x8000000000000000 and divisor -1: the quotient
 * 2^63 does not fit, so the SDM's IDIV raises #DE with EDX:EAX unchanged.
 * (QEMU 7.2 divides on the host and dies with SIGFPE: see QEMU-KNOWN.md.)
 */
#include "rt.h"

void test_main(void)
{
	struct fault f;
	uint32_t a = 0, d = 0x80000000, div = 0xFFFFFFFF;
	if (catch_fault(&f) == 0) {
		__asm__ volatile("idivl %2" : "+a"(a), "+d"(d) : "r"(div));
		catch_end();
	}
	check_fault("idiv.int64min.de", &f, 0, 0);
	check(f.eax == 0 && f.edx == 0x80000000, "idiv.int64min.regs", "eax 0x%x edx 0x%x",
	      f.eax, f.edx);
}
