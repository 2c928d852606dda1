/*
 * #DE from DIV/IDIV (divide by zero, quotient too large) and AAM 0: the
 * fault is precise (EIP at the instruction, EDX:EAX unchanged, no error
 * code). Expected behaviour from the SDM's DIV, IDIV and AAM pages.
 */
#include "rt.h"

static uint32_t de_div(uint32_t hi, uint32_t lo, uint32_t d, struct fault *f)
{
	uint32_t a = lo, dx = hi;
	if (catch_fault(f) == 0) {
		__asm__ volatile(".globl div_site\ndiv_site: divl %2" : "+a"(a), "+d"(dx) : "r"(d));
		catch_end();
	}
	return a;
}

static void idiv_case(const char *name, uint32_t hi, uint32_t lo, uint32_t d, int faults)
{
	struct fault f;
	uint32_t a = lo, dx = hi;
	if (catch_fault(&f) == 0) {
		__asm__ volatile("idivl %2" : "+a"(a), "+d"(dx) : "r"(d));
		catch_end();
	}
	check(faults ? f.vector == 0 && f.eax == lo && f.edx == hi : f.vector == NO_FAULT,
	      name, "vector %d eax 0x%x edx 0x%x", f.vector, f.eax, f.edx);
}

extern char div_site[];

void test_main(void)
{
	struct fault f;
	de_div(0, 100, 0, &f);
	check_fault("div.zero.vector", &f, 0, 0);
	check_eq("div.zero.eip", f.eip, (uint32_t)div_site);
	check(f.eax == 100 && f.edx == 0, "div.zero.regs", "eax 0x%x edx 0x%x", f.eax, f.edx);
	de_div(5, 0, 5, &f);
	check_fault("div.overflow", &f, 0, 0);
	check(f.eax == 0 && f.edx == 5, "div.overflow.regs", "eax 0x%x edx 0x%x", f.eax, f.edx);
	uint32_t q = de_div(4, 0, 5, &f);
	check(f.vector == NO_FAULT && q == 0xCCCCCCCC, "div.max_quotient", "q 0x%x", q);
	idiv_case("idiv.min_by_minus1", 0xFFFFFFFF, 0x80000000, 0xFFFFFFFF, 1);
	idiv_case("idiv.zero", 0, 7, 0, 1);
	idiv_case("idiv.pos_overflow", 0, 0x80000000, 1, 1);
	idiv_case("idiv.neg_ok", 0xFFFFFFFF, 0x80000000, 1, 0);
	uint16_t ax = 0x1234;
	if (catch_fault(&f) == 0) {
		__asm__ volatile(".byte 0xD4, 0x00" : "+a"(ax));
		catch_end();
	}
	check_fault("aam0.de", &f, 0, 0);
	uint8_t al = 0x12, r8 = 0;
	if (catch_fault(&f) == 0) {
		__asm__ volatile("movb $0, %%ah; divb %1" : "+a"(al) : "q"(r8));
		catch_end();
	}
	check_fault("div8.zero", &f, 0, 0);
	uint16_t dx16 = 1, a16 = 0, d16 = 1;
	if (catch_fault(&f) == 0) {
		__asm__ volatile("divw %2" : "+a"(a16), "+d"(dx16) : "r"(d16));
		catch_end();
	}
	check_fault("div16.overflow", &f, 0, 0);
}
