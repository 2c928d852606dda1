/*
 * IRET to an outer level whose SS descriptor is not present: the SDM's
 * IRET pseudo-code (RETURN-TO-OUTER-PRIVILEGE-LEVEL) raises #SS(SS
 * selector), not #NP. (QEMU raises #NP: see QEMU-KNOWN.md.)
 */
#include "rt.h"

void test_main(void)
{
	struct fault f;
	uint16_t nps = gdt_set(10, 0, 0xFFFFF, (ACC_DATA_RW | ACC_DPL(3)) & ACC_NOTPRESENT_MASK,
			       FLG_G | FLG_DB);
	if (catch_fault(&f) == 0) {
		__asm__ volatile("push %0; push %1; push $2; push %2; push $0; iret"
				 ::"r"((uint32_t)nps | 3), "r"((uint32_t)user_stack_top),
				 "r"((uint32_t)SEL_UCODE) : "memory");
		catch_end();
	}
	check_fault("iret.ss_not_present", &f, 12, nps);
}
