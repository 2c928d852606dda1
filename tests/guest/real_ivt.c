/*
 * Real-mode interrupts through the IVT at 0 (SDM vol. 3 20.1.4): INT n
 * pushes FLAGS, CS, IP (6 bytes) and jumps to the vector's seg:off; IRET
 * pops them; #DE from DIV is a fault with the saved IP at the DIV; INT3 is
 * a trap with IP after it; a handler in another segment sees its own CS.
 */
#include "rt.h"

extern uint16_t ri_out[16];
extern char ri_run[], ri_h60[], ri_h0[], ri_h3[], ri_after60[], ri_div[], ri_after3[];
__asm__(".pushsection .realmode, \"awx\"\n.code16\n"
	"ri_run:\n"
	"	mov %sp, ri_out+0\n"
	"	stc\n"
	"	int $0x60\n"
	".globl ri_after60\nri_after60:\n"
	"	setc %al\n mov %al, ri_out+12\n"
	"	mov $0x0100, %ax\n xor %bl, %bl\n"
	".globl ri_div\nri_div:\n"
	"	div %bl\n"
	"	int3\n"
	".globl ri_after3\nri_after3:\n"
	"	ret\n"
	".globl ri_h60\nri_h60:\n"
	"	mov %sp, %bp\n mov %sp, %cs:ri_out+2 - 0x7000\n"
	"	mov 0(%bp), %ax\n mov %ax, %cs:ri_out+4 - 0x7000\n"
	"	mov 2(%bp), %ax\n mov %ax, %cs:ri_out+6 - 0x7000\n"
	"	mov 4(%bp), %ax\n mov %ax, %cs:ri_out+8 - 0x7000\n"
	"	mov %cs, %ax\n mov %ax, %cs:ri_out+10 - 0x7000\n"
	"	clc\n iret\n"
	".globl ri_h0\nri_h0:\n"
	"	mov %sp, %bp\n mov 0(%bp), %ax\n mov %ax, ri_out+14\n"
	"	addw $2, 0(%bp)\n iret\n"
	".globl ri_h3\nri_h3:\n"
	"	mov %sp, %bp\n mov 0(%bp), %ax\n mov %ax, ri_out+16\n iret\n"
	"	.balign 2\n.globl ri_out\nri_out: .fill 16, 2, 0\n"
	".code32\n.popsection\n");

/* the IVT lives at linear 0: hide the null pointer from the optimizer */
static volatile uint32_t *ivt_base(void)
{
	uint32_t p = 0;
	__asm__("" : "+r"(p));
	return (volatile uint32_t *)p;
}

static void set_vector(int v, uint16_t seg, uint16_t off)
{
	volatile uint16_t *ivt = (volatile uint16_t *)ivt_base();
	ivt[v * 2] = off;
	ivt[v * 2 + 1] = seg;
}

void test_main(void)
{
	uint32_t saved[3];
	volatile uint32_t *ivt = ivt_base();
	saved[0] = ivt[0], saved[1] = ivt[3], saved[2] = ivt[0x60];
	set_vector(0x60, 0x0700, (uint16_t)((uint32_t)ri_h60 - 0x7000));
	set_vector(0, 0, (uint16_t)(uint32_t)ri_h0);
	set_vector(3, 0, (uint16_t)(uint32_t)ri_h3);
	real_call((void (*)(void))ri_run);
	ivt[0] = saved[0], ivt[3] = saved[1], ivt[0x60] = saved[2];
	const uint16_t *r = ri_out;
	check_eq("int60.sp_minus_6", r[1], (uint16_t)(r[0] - 6));
	check_eq("int60.pushed_ip", r[2], (uint16_t)(uint32_t)ri_after60);
	check_eq("int60.pushed_cs", r[3], 0);
	check_eq("int60.pushed_flags_cf", r[4] & 0x0001, 1);
	check_eq("int60.handler_cs", r[5], 0x0700);
	check_eq("iret.restores_flags", r[6] & 0xFF, 1);
	check_eq("de.fault_ip_at_div", r[7], (uint16_t)(uint32_t)ri_div);
	check_eq("int3.trap_ip_after", r[8], (uint16_t)(uint32_t)ri_after3);
}
