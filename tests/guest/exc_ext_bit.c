/*
 * The EXT bit (bit 0) of an error code is set when the exception occurred
 * while delivering an event external to the program, "such as an interrupt
 * or an earlier exception" (SDM vol. 3 6.13): #UD whose gate is not present
 * gives #NP with error 6*8+2+1. (QEMU leaves EXT clear: QEMU-KNOWN.md.)
 */
#include "rt.h"

void test_main(void)
{
	struct fault f;
	idt_set_gate(6, stub_address(6), SEL_KCODE, 0x0E);
	if (catch_fault(&f) == 0) {
		__asm__ volatile("ud2");
		catch_end();
	}
	idt_restore(6);
	check_fault("ud_gate_absent.np_ext", &f, 11, 6 * 8 + 2 + 1);
	idt_set_gate(0, stub_address(0), SEL_KCODE, 0x0E);
	idt_set_gate(11, stub_address(11), SEL_KCODE, 0x8E);
	if (catch_fault(&f) == 0) {
		__asm__ volatile("xor %%edx, %%edx; xor %%eax, %%eax; divl %%edx" ::: "eax", "edx");
		catch_end();
	}
	idt_restore(0);
	check_fault("de_gate_absent.df", &f, 8, 0);
}
