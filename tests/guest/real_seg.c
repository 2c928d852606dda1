/*
 * Real-mode segmentation (SDM vol. 3 20.1.1): linear = selector * 16 +
 * offset, so different seg:off pairs alias one byte; LDS/LES load a far
 * pointer; PUSH/POP of segment registers; a 0x67 prefix gives 32-bit
 * addressing (offsets below 64 KiB). Expected values by hand.
 */
#include "rt.h"

extern uint16_t rs_out[16];
extern char rs_run[];
__asm__(".pushsection .realmode, \"awx\"\n.code16\n"
	"rs_run:\n"
	"	mov $0x0100, %ax\n mov %ax, %ds\n movw $0xBEEF, 0x0010\n"
	"	mov $0x0101, %ax\n mov %ax, %es\n mov %es:0x0000, %bx\n"
	"	mov $0x0FFF, %ax\n mov %ax, %fs\n movw $0x1234, %fs:0x0020\n"
	"	mov $0x1000, %ax\n mov %ax, %gs\n mov %gs:0x0010, %cx\n"
	"	xor %ax, %ax\n mov %ax, %ds\n"
	"	mov %bx, rs_out+0\n mov %cx, rs_out+2\n"
	"	lds rs_farptr, %si\n mov %ds, %ax\n"
	"	push %ds\n pop %dx\n"
	"	xor %bx, %bx\n mov %bx, %ds\n"
	"	mov %ax, rs_out+4\n mov %si, rs_out+6\n mov %dx, rs_out+8\n"
	"	les rs_farptr, %di\n mov %es, rs_out+10\n"
	"	mov $0x00001010, %esi\n addr32 mov (%esi), %ax\n mov %ax, rs_out+12\n"
	"	mov %sp, %dx\n mov $0x0080, %ax\n mov %ax, %ss\n mov $0x7000 - 0x800, %sp\n"
	"	push $0x5A5A\n mov %ss, %ax\n xor %bx, %bx\n mov %bx, %ss\n mov %dx, %sp\n"
	"	mov 0x7000 - 2, %ax\n mov %ax, rs_out+14\n"
	"	ret\n"
	"	.balign 2\nrs_farptr: .word 0x0030, 0x0200\n"
	".globl rs_out\nrs_out: .fill 16, 2, 0\n"
	".code32\n.popsection\n");

void test_main(void)
{
	real_call((void (*)(void))rs_run);
	const uint16_t *r = rs_out;
	check_eq("alias.0100_0010_is_0101_0000", r[0], 0xBEEF);
	check_eq("alias.linear_1010", *(volatile uint16_t *)0x1010, 0xBEEF);
	check_eq("alias.0fff_0020_is_1000_0010", r[1], 0x1234);
	check_eq("alias.linear_10010", *(volatile uint16_t *)0x10010, 0x1234);
	check(r[2] == 0x0200 && r[3] == 0x0030, "lds.far_pointer", "ds %x si %x", r[2], r[3]);
	check_eq("push_pop_ds", r[4], 0x0200);
	check_eq("les.es", r[5], 0x0200);
	check_eq("addr32.esi", r[6], 0xBEEF);
	check_eq("ss_base.push_lands_at_0800_plus_sp", r[7], 0x5A5A);
}
