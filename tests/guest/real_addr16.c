/*
 * 16-bit addressing in real mode (SDM vol. 2 table 2-1): BX/BP + SI/DI +
 * disp8/disp16, computed modulo 64 KiB; BP-based forms default to SS, the
 * others to DS; segment overrides. DS = 0x0150 and a table of words
 * t[i] = 0x100 + i at linear 0x1500 + 2i; expected values by hand.
 */
#include "rt.h"

extern uint16_t r16_out[16];
extern char r16_run[];
__asm__(".pushsection .realmode, \"awx\"\n.code16\n"
	"r16_run:\n"
	"	mov $0x0150, %ax\n mov %ax, %ds\n"
	"	mov $0x10, %bx\n mov $0x04, %si\n mov (%bx,%si), %ax\n mov %ax, %es:r16_out+0\n"
	"	mov $0x08, %di\n mov (%bx,%di), %ax\n mov %ax, %es:r16_out+2\n"
	"	mov $0x1520 - 4, %bp\n mov (%bp,%si), %ax\n mov %ax, %es:r16_out+4\n"
	"	mov $0x1500, %bp\n mov -2(%bp,%di), %ax\n mov %ax, %es:r16_out+6\n"
	"	mov 0x0040, %ax\n mov %ax, %es:r16_out+8\n"
	"	mov $0xFFF0, %bx\n mov $0x0014, %si\n mov (%bx,%si), %ax\n mov %ax, %es:r16_out+10\n"
	"	mov $0xFFFF, %bx\n mov $2, %si\n lea (%bx,%si), %ax\n mov %ax, %es:r16_out+12\n"
	"	mov $0x10, %si\n mov 0x10(%si), %ax\n mov %ax, %es:r16_out+14\n"
	"	mov $0x1500, %bp\n mov 0(%bp), %ax\n mov %ax, %es:r16_out+16\n"
	"	mov $0x0004, %bp\n mov $0x0002, %si\n mov %ds:(%bp,%si), %ax\n mov %ax, %es:r16_out+18\n"
	"	mov $0x20, %di\n mov (%di), %ax\n mov %ax, %es:r16_out+20\n"
	"	mov $0x7F00 - 0x1500, %bx\n xor %ax, %ax\n mov %ax, %ds\n"
	"	ret\n"
	"	.balign 2\n.globl r16_out\nr16_out: .fill 16, 2, 0\n"
	".code32\n.popsection\n");

void test_main(void)
{
	volatile uint16_t *t = (volatile uint16_t *)0x1500;
	for (int i = 0; i < 128; i++)
		t[i] = (uint16_t)(0x100 + i);
	real_call((void (*)(void))r16_run);
	const uint16_t *r = r16_out;
	check_eq("bx_si", r[0], 0x10A);
	check_eq("bx_di", r[1], 0x10C);
	check_eq("bp_si.defaults_to_ss", r[2], 0x110);
	check_eq("bp_di_disp8.ss", r[3], 0x103);
	check_eq("disp16", r[4], 0x120);
	check_eq("bx_si.wraps_64k", r[5], 0x102);
	check_eq("lea.wraps_64k", r[6], 0x0001);
	check_eq("si_disp8", r[7], 0x110);
	check_eq("bp_disp0.ss", r[8], 0x100);
	check_eq("bp_si.ds_override", r[9], 0x103);
	check_eq("di", r[10], 0x110);
}
