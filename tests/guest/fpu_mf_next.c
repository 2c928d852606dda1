/*
 * A pending unmasked x87 exception is reported as #MF at the next waiting
 * x87 instruction, not only at FWAIT (SDM vol. 1 8.6): checked natively on
 * this host, FLD1 after an unmasked divide by zero gets SIGFPE with the
 * saved EIP at the FLD1. (QEMU reports it only at FWAIT: QEMU-KNOWN.md.)
 */
#include "rt.h"

extern char mf_fld[];

void test_main(void)
{
	struct fault f;
	static const uint16_t cw = 0x037B;
	__asm__ volatile("fninit; fldcw %0; fld1; fldz; fdivrp" ::"m"(cw));
	if (catch_fault(&f) == 0) {
		__asm__ volatile(".globl mf_fld\nmf_fld: fld1" ::: "memory");
		catch_end();
	}
	__asm__ volatile("fnclex; fninit");
	check(f.vector == 16 && f.eip == (uint32_t)mf_fld, "mf.at_next_x87", "vector %d eip %x",
	      f.vector, f.eip);
}
