/*
 * Real mode (entered from protected mode through a 16-bit segment and
 * CR0.PE=0, see real_call): 16-bit arithmetic and flags, MUL/DIV/IMUL with
 * DX:AX, 32-bit operands through the 0x66 prefix, CBW, LOOP, and far
 * CALL/RET to another code segment. Expected values worked out by hand
 * from the SDM's definitions (in the comments).
 */
#include "rt.h"

extern uint16_t ra_out[32];
extern char ra_run[];
__asm__(".pushsection .realmode, \"awx\"\n.code16\n"
	"ra_run:\n"
	"	mov $0x7FFF, %ax\n add $1, %ax\n pushf\n pop %bx\n"
	"	mov %ax, ra_out+0\n mov %bx, ra_out+2\n"
	"	xor %ax, %ax\n sub $1, %ax\n pushf\n pop %bx\n"
	"	mov %ax, ra_out+4\n mov %bx, ra_out+6\n"
	"	mov $0x1234, %ax\n mov $0x0100, %bx\n mul %bx\n pushf\n pop %cx\n"
	"	mov %ax, ra_out+8\n mov %dx, ra_out+10\n mov %cx, ra_out+12\n"
	"	mov $1, %dx\n xor %ax, %ax\n mov $3, %bx\n div %bx\n"
	"	mov %ax, ra_out+14\n mov %dx, ra_out+16\n"
	"	mov $0x12345678, %eax\n add $0x0FFFFFFF, %eax\n mov %eax, ra_out+18\n"
	"	mov $-3, %ax\n mov $7, %bx\n imul %bx\n"
	"	mov %ax, ra_out+22\n mov %dx, ra_out+24\n"
	"	mov $0x80, %al\n cbw\n mov %ax, ra_out+26\n"
	"	mov $0x1234, %ax\n shl $4, %ax\n mov %ax, ra_out+28\n"
	"	mov $5, %cx\n xor %ax, %ax\n"
	"1:	add %cx, %ax\n loop 1b\n mov %ax, ra_out+30\n"
	"	lcall $0x0000, $ra_far0\n"
	"	lcall $0x0700, $ra_far7 - 0x7000\n"
	"	ret\n"
	"ra_far0:\n"
	"	mov %sp, %bp\n mov 2(%bp), %ax\n mov %ax, ra_out+32\n lret\n"
	"ra_far7:\n"
	"	mov %cs, %ax\n mov %ax, ra_out+34\n mov %sp, %bp\n mov 2(%bp), %ax\n"
	"	mov %ax, ra_out+36\n lret\n"
	"	.balign 2\n.globl ra_out\nra_out: .fill 32, 2, 0\n"
	".code32\n.popsection\n");

void test_main(void)
{
	real_call((void (*)(void))ra_run);
	const uint16_t *r = ra_out;
	check_eq("add.7fff_plus_1", r[0], 0x8000);
	check_eq("add.flags_of_sf_af_pf", r[1] & 0x8D5, 0x894); /* CF0 PF1 AF1 ZF0 SF1 OF1 */
	check_eq("sub.0_minus_1", r[2], 0xFFFF);
	check_eq("sub.flags_cf_pf_af_sf", r[3] & 0x8D5, 0x095);
	check(r[4] == 0x3400 && r[5] == 0x0012, "mul16.dx_ax", "ax %x dx %x", r[4], r[5]);
	check_eq("mul16.cf_of", r[6] & 0x801, 0x801);
	check(r[7] == 0x5555 && r[8] == 0x0001, "div16.q_r", "ax %x dx %x", r[7], r[8]);
	check_eq("op32.add", (uint32_t)r[9] | (uint32_t)r[10] << 16, 0x22345677);
	check(r[11] == 0xFFEB && r[12] == 0xFFFF, "imul16.neg", "ax %x dx %x", r[11], r[12]);
	check_eq("cbw", r[13], 0xFF80);
	check_eq("shl4", r[14], 0x2340);
	check_eq("loop.sum_5_to_1", r[15], 15);
	check_eq("far_call.pushed_cs0", r[16], 0);
	check_eq("far_call.cs_0700", r[17], 0x0700);
	check_eq("far_call.pushed_cs_from_0", r[18], 0);
}
