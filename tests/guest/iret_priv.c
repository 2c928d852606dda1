/*
 * IRET across privilege levels (SDM IRET page): the checks on the CS and
 * SS images happen at the outer CPL before anything changes, so a bad
 * frame faults at CPL 0 with the selector as error code; IRET at CPL 3
 * cannot change IOPL or (with IOPL < 3) IF; IRET at CPL 0 restores them.
 */
#include "rt.h"

static struct fault iret_to(uint32_t cs, uint32_t ss)
{
	struct fault f;
	if (catch_fault(&f) == 0) {
		__asm__ volatile("push %0; push %1; push $2; push %2; push $0; iret"
				 ::"r"(ss), "r"((uint32_t)user_stack_top), "r"(cs) : "memory");
		catch_end();
	}
	return f;
}

static uint32_t u_iret_flags(uint32_t want)
{
	uint32_t after;
	__asm__ volatile("pushf; pop %%eax; or %1, %%eax;"
			 "push %%cs; pop %%ecx;"
			 "push %%eax; push %%ecx; push $1f; iret; 1: pushf; pop %0"
			 : "=r"(after) : "r"(want) : "eax", "ecx", "cc", "memory");
	return after;
}

void test_main(void)
{
	struct fault f = iret_to(SEL_UCODE, SEL_UDATA & ~3u);
	check_fault("iret.ss_rpl_mismatch", &f, 13, SEL_UDATA & ~3u);
	f = iret_to(SEL_KCODE | 3, SEL_UDATA);
	check_fault("iret.cs_dpl_not_rpl", &f, 13, SEL_KCODE);
	f = iret_to(SEL_UDATA, SEL_UDATA);
	check_fault("iret.cs_is_data", &f, 13, SEL_UDATA & ~3u);
	uint16_t npc = gdt_set(9, 0, 0xFFFFF, (ACC_CODE_XR | ACC_DPL(3)) & ACC_NOTPRESENT_MASK, FLG_G | FLG_DB);
	f = iret_to(npc | 3, SEL_UDATA);
	check_fault("iret.cs_not_present", &f, 11, npc);
	f = iret_to(SEL_UCODE, SEL_KDATA | 3);
	check_fault("iret.ss_dpl0", &f, 13, SEL_KDATA);
	f = iret_to(SEL_UCODE, 3);
	check_fault("iret.ss_null", &f, 13, 0);

	uint32_t fl = run_user(u_iret_flags, EFL_IOPL3 | EFL_IF);
	check_eq("iret.cpl3_keeps_iopl_if", fl & (EFL_IOPL3 | EFL_IF), 0);
	fl = run_user_flags(u_iret_flags, EFL_IF, 0x2 | EFL_IOPL3);
	check_eq("iret.cpl3_iopl3_sets_if", fl & (EFL_IOPL3 | EFL_IF), EFL_IOPL3 | EFL_IF);
	uint32_t out;
	__asm__ volatile("pushl $0x8D7; push %%cs; push $1f; iret; 1: pushf; pop %0"
			 : "=r"(out)::"memory", "cc");
	check_eq("iret.same_level", out & 0xFFFF, 0x08D7);
	__asm__ volatile("pushf; pushl %1; push %%cs; push $1f; iret; 1: pushf; pop %0; popf"
			 : "=r"(out) : "r"(0x2 | EFL_IOPL3 | EFL_CF) : "memory");
	check_eq("iret.cpl0_sets_iopl", out & (EFL_IOPL3 | EFL_CF), EFL_IOPL3 | EFL_CF);
}
