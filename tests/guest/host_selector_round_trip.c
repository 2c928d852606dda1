/*
 * The one kind of segment load direct execution cannot see (docs/
 * direct-execution.md, "What is left"): a load of a selector the host GDT
 * also answers (0x20-0x23, 0x28-0x2b, 0x30-0x33, 0x78-0x7b) that the
 * guest takes back before the next trap, so that at the trap every
 * segment register holds what the monitor loaded. The guest's GDT decides
 * here (SDM vol. 2 MOV, CALL): entry 5 is the TSS, so MOV DS,0x2b is
 * #GP(0x28); entry 4 is user data, so a far CALL to 0x23 is #GP(0x20).
 * interp and QEMU give those; de runs them with the host's descriptors
 * and sees nothing: listed in DE_KNOWN (tests/guest/run-de.sh).
 */
#include "rt.h"

uint32_t rt_esp;
extern char at_rt_mov_ds[], at_rt_lcall[];

/* Save DS, load 0x2b, read through it, restore DS: no trap in between. */
static uint32_t u_ds_round_trip(uint32_t arg)
{
	__asm__ volatile("push %%ds; mov %%esp, rt_esp; mov $0x2b, %%ax\n"
			 ".globl at_rt_mov_ds\nat_rt_mov_ds: mov %%ax, %%ds\n"
			 "mov (%%ebx), %%eax; pop %%ds"
			 : "+b"(arg) : : "eax", "memory");
	return arg;
}

/* A far CALL to 0x23 whose callee returns at once. */
static uint32_t u_far_call_round_trip(uint32_t arg)
{
	__asm__ volatile("mov %%esp, rt_esp\n"
			 ".globl at_rt_lcall\nat_rt_lcall: lcall $0x23, $rt_callee\n"
			 "jmp 1f\nrt_callee: lret\n1:" ::: "memory");
	return arg;
}

void test_main(void)
{
	struct fault f;

	if (catch_fault(&f) == 0) {
		run_user(u_ds_round_trip, (uint32_t)&rt_esp);
		catch_end();
	}
	check(f.vector == 13 && f.error == 0x28 && f.eip == (uint32_t)at_rt_mov_ds,
	      "round_trip.mov_ds_0x2b_gp", "vector %d error %x eip %s", f.vector, f.error,
	      f.eip == (uint32_t)at_rt_mov_ds ? "at the mov" : "elsewhere");
	if (catch_fault(&f) == 0) {
		run_user(u_far_call_round_trip, 0);
		catch_end();
	}
	check(f.vector == 13 && f.error == 0x20 && f.eip == (uint32_t)at_rt_lcall,
	      "round_trip.lcall_0x23_gp", "vector %d error %x eip %s", f.vector, f.error,
	      f.eip == (uint32_t)at_rt_lcall ? "at the call" : "elsewhere");
}
