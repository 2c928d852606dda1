/*
 * x87 probe "stackflt" (common/fpu_probes.c): stack underflow and overflow
 * status (IE, SF, C1) and C1 = "rounded up" after an inexact store, against
 * this host CPU's values (tables/fpu_expect.h). (QEMU does not detect these
 * stack faults nor set C1 on rounding up: QEMU-KNOWN.md.)
 */
#include "common/fpu_check.h"

void test_main(void)
{
	fpu_check("fpu.stackflt", fp_stackflt, fexp_stackflt, (int)(sizeof(fexp_stackflt) / sizeof(fexp_stackflt[0])));
}
