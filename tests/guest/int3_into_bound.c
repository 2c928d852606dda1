/*
 * INT3 (0xCC) and INT 3 (CD 03): #BP as a trap, EIP after the instruction;
 * INTO: #OF (vector 4) trap when OF=1, nothing when OF=0; BOUND: #BR
 * (vector 5) fault with EIP at the BOUND when the index is outside
 * [lower, upper] (signed, inclusive). From ring 3 through DPL-3 gates.
 */
#include "rt.h"

extern char bp1_after[], bp2_after[], of_after[], br_site[];
static int32_t bounds[2] = { -5, 10 };

static struct fault run(void (*fn)(void))
{
	struct fault f;
	if (catch_fault(&f) == 0) {
		fn();
		catch_end();
	}
	return f;
}

static __attribute__((noinline)) void do_int3(void) { __asm__ volatile("int3\n.globl bp1_after\nbp1_after:"); }
static void do_int_3(void) { __asm__ volatile(".byte 0xCD, 0x03\n.globl bp2_after\nbp2_after:"); }
static void do_into_of(void)
{
	__asm__ volatile("mov $0x7FFFFFFF, %%eax; add $1, %%eax; into\n.globl of_after\nof_after:"
			 ::: "eax", "cc");
}
static void do_into_no(void) { __asm__ volatile("xor %%eax, %%eax; into" ::: "eax", "cc"); }
static int32_t bound_index;
static void do_bound(void)
{
	__asm__ volatile(".globl br_site\nbr_site: bound %0, %1" ::"r"(bound_index), "m"(bounds));
}
static uint32_t u_int3(uint32_t a) { do_int3(); return a; }

void test_main(void)
{
	struct fault f = run(do_int3);
	check(f.vector == 3 && f.eip == (uint32_t)bp1_after, "int3.trap_eip", "vector %d eip %x",
	      f.vector, f.eip);
	f = run(do_int_3);
	check(f.vector == 3 && f.eip == (uint32_t)bp2_after, "int_3.trap_eip", "vector %d eip %x",
	      f.vector, f.eip);
	f = run(do_into_of);
	check(f.vector == 4 && f.eip == (uint32_t)of_after, "into.of1_traps", "vector %d eip %x",
	      f.vector, f.eip);
	f = run(do_into_no);
	check_eq("into.of0_nothing", (uint32_t)f.vector, (uint32_t)NO_FAULT);
	bound_index = 10;
	f = run(do_bound);
	check_eq("bound.upper_inclusive", (uint32_t)f.vector, (uint32_t)NO_FAULT);
	bound_index = -5;
	f = run(do_bound);
	check_eq("bound.lower_inclusive", (uint32_t)f.vector, (uint32_t)NO_FAULT);
	bound_index = 11;
	f = run(do_bound);
	check(f.vector == 5 && f.eip == (uint32_t)br_site, "bound.above_faults", "vector %d eip %x",
	      f.vector, f.eip);
	bound_index = -6;
	f = run(do_bound);
	check_fault("bound.below_faults", &f, 5, 0);
	if (catch_fault(&f) == 0) {
		run_user(u_int3, 0);
		catch_end();
	}
	check(f.vector == 3 && f.cs == SEL_UCODE && f.eip == (uint32_t)bp1_after,
	      "int3.from_ring3", "vector %d cs %x eip %x", f.vector, f.cs, f.eip);
}
