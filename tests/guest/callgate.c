/*
 * Far CALL through a 32-bit call gate from ring 3 to ring 0 (SDM vol. 3
 * 5.8.5-5.8.6): the CPU switches to SS0:ESP0, pushes the caller's SS and
 * ESP, copies the gate's parameter count of dwords, pushes CS and EIP; RETF
 * imm16 pops them all and releases imm16 bytes on both stacks. Through a
 * DPL-0 gate, a not-present gate or to a non-code target: #GP/#NP. A JMP
 * through a gate to a more privileged non-conforming segment: #GP.
 */
#include "rt.h"

uint32_t gate_frame[6], gate_esp, gate_cs, gate_ss;
uint32_t user_esp_before, user_esp_after;
struct __attribute__((packed)) { uint32_t off; uint16_t sel; } far_ptr;
uint32_t u_callgate(uint32_t sel);
uint32_t u_jmpgate(uint32_t sel);
uint32_t k_callgate(uint32_t sel);

__asm__(".text\n"
	"gate_target:\n"
	"	mov %esp, %ss:gate_esp\n"
	"	push %eax\n push %ecx\n"
	"	xor %ecx, %ecx\n"
	"1:	mov %ss:8(%esp,%ecx,4), %eax\n"
	"	mov %eax, %ss:gate_frame(,%ecx,4)\n"
	"	inc %ecx\n cmp $6, %ecx\n jne 1b\n"
	"	mov %cs, %eax\n mov %eax, %ss:gate_cs\n"
	"	mov %ss, %eax\n mov %eax, %ss:gate_ss\n"
	"	pop %ecx\n pop %eax\n"
	"	lret $8\n"
	".globl u_callgate\n"
	"u_callgate:\n"
	"	mov 4(%esp), %eax\n"
	"	movl $0, far_ptr\n mov %ax, far_ptr+4\n"
	"	mov %esp, user_esp_before\n"
	"	push $0x2222\n push $0x1111\n"
	"	lcall *far_ptr\n"
	"	mov %esp, user_esp_after\n"
	"	mov %cs, %eax\n"
	"	ret\n"
	".globl u_jmpgate\n"
	"u_jmpgate:\n"
	"	mov 4(%esp), %eax\n"
	"	movl $0, far_ptr\n mov %ax, far_ptr+4\n"
	"	ljmp *far_ptr\n"
	".globl k_callgate\n"
	"k_callgate:\n"
	"	mov 4(%esp), %eax\n"
	"	movl $0, far_ptr\n mov %ax, far_ptr+4\n"
	"	mov %esp, user_esp_before\n"
	"	push $0x2222\n push $0x1111\n"
	"	lcall *far_ptr\n"
	"	mov %esp, user_esp_after\n"
	"	ret\n");
extern char gate_target[];

static uint16_t set_gate(int idx, uint16_t target_sel, int dpl, int present, int params)
{
	uint32_t off = (uint32_t)gate_target;
	uint32_t lo = (off & 0xFFFF) | ((uint32_t)target_sel << 16);
	uint32_t hi = (off & 0xFFFF0000) | ((uint32_t)present << 15) | ((uint32_t)dpl << 13) |
		      (0xC << 8) | (uint32_t)params;
	gdt_set_raw(idx, lo, hi);
	return (uint16_t)(idx << 3);
}

static void user_call(const char *name, user_fn fn, uint16_t sel, int vec, uint32_t err)
{
	struct fault f;
	if (catch_fault(&f) == 0) {
		run_user(fn, sel);
		catch_end();
	}
	check_fault(name, &f, vec, err);
}

void test_main(void)
{
	uint16_t g3 = set_gate(9, SEL_KCODE, 3, 1, 2);
	uint32_t cs = run_user((user_fn)u_callgate, g3 | 3);
	check_eq("callgate.back_in_ring3", cs & 0xFFFF, SEL_UCODE);
	check_eq("callgate.target_cs", gate_cs & 0xFFFF, SEL_KCODE);
	check_eq("callgate.target_ss", gate_ss & 0xFFFF, SEL_KDATA);
	check_eq("callgate.esp0_minus_24", gate_esp, (uint32_t)ring0_stack_top - 24);
	check_eq("callgate.pushed_cs", gate_frame[1] & 0xFFFF, SEL_UCODE);
	check_eq("callgate.param1", gate_frame[2], 0x1111);
	check_eq("callgate.param2", gate_frame[3], 0x2222);
	check_eq("callgate.pushed_esp", gate_frame[4], user_esp_before - 8);
	check_eq("callgate.pushed_ss", gate_frame[5] & 0xFFFF, SEL_UDATA);
	check_eq("callgate.retf_releases_params", user_esp_after, user_esp_before);

	uint16_t g0 = set_gate(10, SEL_KCODE, 0, 1, 2);
	user_call("callgate.dpl0_from_ring3", (user_fn)u_callgate, g0 | 3, 13, g0);
	uint16_t gnp = set_gate(11, SEL_KCODE, 3, 0, 2);
	user_call("callgate.not_present", (user_fn)u_callgate, gnp | 3, 11, gnp);
	uint16_t gdata = set_gate(12, SEL_KDATA, 3, 1, 2);
	user_call("callgate.target_not_code", (user_fn)u_callgate, gdata | 3, 13, SEL_KDATA);
	user_call("jmpgate.to_ring0_nonconforming", (user_fn)u_jmpgate, g3 | 3, 13, SEL_KCODE);

	k_callgate(g0);
	check_eq("callgate.same_level.no_switch", gate_esp, user_esp_before - 16);
	check_eq("callgate.same_level.params_in_place", gate_frame[2], 0x1111);
	check_eq("callgate.same_level.retf", user_esp_after, user_esp_before);
}
