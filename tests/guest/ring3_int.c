/*
 * Events from ring 3: INT n through a DPL-3 gate switches to SS0:ESP0 from
 * the TSS and pushes SS, ESP, EFLAGS, CS, EIP (SDM vol. 3 6.12.1); a DPL-0
 * gate gives #GP with error code vector*8+2; exceptions from ring 3 land on
 * the ring-0 stack too; IRET back to ring 3 resumes after the INT.
 */
#include "rt.h"

static struct frame seen;
static uint32_t seen_at; /* address of the frame's EIP slot */

static int on_int40(struct frame *fr)
{
	seen = *fr;
	seen_at = (uint32_t)&fr->eip;
	fr->eax = 0x1234;
	return 1;
}

extern char int40_after[], ud_site[];

static uint32_t user_int40(uint32_t arg)
{
	uint32_t esp, eax = arg;
	__asm__ volatile("mov %%esp, %0; int $0x40\n.globl int40_after\nint40_after:"
			 : "=&r"(esp), "+a"(eax)::"memory");
	return eax == 0x1234 ? esp : 0;
}

static uint32_t user_ret(uint32_t arg)
{
	return arg + 1;
}

static uint32_t user_int41(uint32_t arg)
{
	__asm__ volatile("int $0x41" ::: "memory");
	return arg;
}

static uint32_t user_ud(uint32_t arg)
{
	__asm__ volatile(".globl ud_site\nud_site: ud2" ::: "memory");
	return arg;
}

static uint32_t user_cpl(uint32_t arg)
{
	uint16_t cs, ss;
	__asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
	return arg ? ss : cs;
}

void test_main(void)
{
	struct fault f;
	check_eq("ring3.return_value", run_user(user_ret, 41), 42);
	check_eq("ring3.cs", run_user(user_cpl, 0), SEL_UCODE);
	check_eq("ring3.ss", run_user(user_cpl, 1), SEL_UDATA);
	check_eq("ring3.iret_nulls_ds", user_entry_ds & 0xFFFF, 0);

	idt_set_gate(0x40, stub_address(0x40), SEL_KCODE, 0xEE);
	set_handler(0x40, on_int40);
	uint32_t user_esp = run_user(user_int40, 7);
	check(user_esp != 0, "int40.resumed", "handler's EAX not seen after IRET");
	check_eq("int40.pushed_eip", seen.eip, (uint32_t)int40_after);
	check_eq("int40.pushed_cs", seen.cs & 0xFFFF, SEL_UCODE);
	check_eq("int40.pushed_ss", seen.ss & 0xFFFF, SEL_UDATA);
	check_eq("int40.pushed_esp", seen.esp, user_esp);
	check_eq("int40.pushed_eflags", seen.eflags & 0x3FFFFF, 0x2);
	check_eq("int40.on_esp0_stack", seen_at, (uint32_t)ring0_stack_top - 20);
	set_handler(0x40, 0);

	if (catch_fault(&f) == 0) {
		run_user(user_int41, 0);
		catch_end();
	}
	check_fault("int_dpl0_gate.gp", &f, 13, 0x41 * 8 + 2);
	check_eq("int_dpl0_gate.cs", f.cs, SEL_UCODE);

	if (catch_fault(&f) == 0) {
		run_user(user_ud, 0);
		catch_end();
	}
	check_fault("ud_from_ring3", &f, 6, 0);
	check_eq("ud_from_ring3.eip", f.eip, (uint32_t)ud_site);
	check_eq("ud_from_ring3.ss", f.ss, SEL_UDATA);
	check(f.esp > (uint32_t)user_stack_top - 64 && f.esp < (uint32_t)user_stack_top,
	      "ud_from_ring3.esp", "esp 0x%x", f.esp);
}
