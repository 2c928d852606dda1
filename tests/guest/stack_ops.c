/*
 * Stack instructions, expected values from the SDM's pseudo-code: PUSHA
 * stores EAX ECX EDX EBX (original) ESP EBP ESI EDI, POPA skips the ESP
 * slot; PUSH ESP pushes the value before the push; POP ESP loads the popped
 * value; ENTER with nesting levels 0, 1 and 3 copies level-1 frame pointers
 * and pushes the new frame pointer; LEAVE undoes it; RET imm16 releases.
 * The probes are in stack_ops.S.
 */
#include "rt.h"

uint32_t st_area[64], st_out[8], st_saved;
void st_pusha(void), st_popa(void), st_enter3(void), st_enter1(void);
void st_enter0_leave(void), st_push_pop_esp(void);
#define A(i) ((uint32_t)&st_area[i])

void test_main(void)
{
	st_pusha();
	check_eq("pusha.esp", st_out[0], A(40) - 32);
	uint32_t *p = &st_area[32];
	check(p[7] == 1 && p[6] == 2 && p[5] == 3 && p[4] == 4 && p[3] == A(40) && p[2] == 6 &&
	      p[1] == 7 && p[0] == 8, "pusha.order", "%x %x %x %x %x %x %x %x", p[7], p[6], p[5],
	      p[4], p[3], p[2], p[1], p[0]);

	for (int i = 0; i < 8; i++)
		st_area[8 + i] = 0x100 + i;
	st_popa();
	check(st_out[0] == 0x107 && st_out[1] == 0x104 && st_out[2] == 0x106 &&
	      st_out[3] == 0x105 && st_out[4] == 0x101 && st_out[5] == 0x100 && st_out[6] == 0x102,
	      "popa.regs", "%x %x %x %x %x %x %x", st_out[0], st_out[1], st_out[2], st_out[3],
	      st_out[4], st_out[5], st_out[6]);
	check_eq("popa.esp_slot_skipped", st_out[7], A(16));

	st_push_pop_esp();
	check_eq("push_esp.old_value", st_out[0], A(50));
	check_eq("pop_esp.loads_value", st_out[1], A(25));

	for (int i = 0; i < 64; i++)
		st_area[i] = 0xA0 + i;
	st_enter3();
	uint32_t fp = A(59);
	check_eq("enter3.ebp", st_out[0], fp);
	check_eq("enter3.esp", st_out[1], fp - 12 - 16);
	check_eq("enter3.saved_ebp", st_area[59], A(20));
	check(st_area[58] == 0xA0 + 19 && st_area[57] == 0xA0 + 18 && st_area[56] == fp,
	      "enter3.display", "%x %x %x", st_area[58], st_area[57], st_area[56]);
	st_enter1();
	check(st_out[0] == A(39) && st_out[1] == A(38) - 8 && st_area[38] == A(39) &&
	      st_area[39] == A(10), "enter1", "ebp %x esp %x", st_out[0], st_out[1]);
	st_enter0_leave();
	check(st_out[0] == A(63) && st_out[1] == A(64) && st_out[2] == 0x1234, "enter0_leave",
	      "ebp %x esp %x ebp after %x", st_out[0], st_out[1], st_out[2]);

	uint32_t s0, s1;
	__asm__ volatile("mov %%esp, %0; push $5; push $6; call 1f; jmp 2f;"
			 "1: ret $8; 2: mov %%esp, %1" : "=r"(s0), "=r"(s1));
	check_eq("ret_imm16.releases", s1, s0);
	uint32_t cs_seen;
	__asm__ volatile("mov %%esp, %0; lcall %3, $1f; jmp 2f; 1: mov 4(%%esp), %%eax; lret;"
			 "2: mov %%esp, %1" : "=&r"(s0), "=&r"(s1), "=a"(cs_seen) : "i"(SEL_KCODE));
	check(s0 == s1 && (cs_seen & 0xFFFF) == SEL_KCODE, "far_call_ret.same_level", "cs %x", cs_seen);
}
