/*
 * Events through IDT task gates (SDM Vol. 3A 6.11.2, 7.3, INT n
 * pseudo-code TASK-GATE): the handler is a task of its own (TSS T), so it
 * starts with T's registers and stack, TR = T, NT = 1 and the back link
 * naming the interrupted task; the interrupted task's state is saved in
 * its TSS (EIP after INT n, or the faulting instruction for a fault;
 * RF in the saved EFLAGS is task_gate_rf's); an exception with an error code pushes
 * it on T's stack (4 bytes: T is a 32-bit TSS), so T sees ESP one slot
 * below its TSS.ESP with the error code there. #DF (from #NP while
 * delivering #GP) pushes 0. The gate's DPL is checked for INT n (from
 * ring 3 through a DPL-0 gate: #GP(vector * 8 + 2)), and a ring-3 task is
 * saved with its ring-3 selectors. IRET in T (NT = 1) resumes the saved
 * task.
 */
#include "rt.h"

#define SEL_T_TSS 0x48
#define A_FLAGS 0x8D7u
#define EFL_RF 0x10000u

struct tss32 t_tss __attribute__((aligned(128)));
static uint8_t t_stack[4096] __attribute__((aligned(16)));
uint32_t t_esp, t_top, t_eflags, a_flags_back, t_fix_eip;
static uint32_t t_tr, t_link, t_a_eip, t_a_eflags, t_a_cs, t_a_ss;

void t_entry(void);
void t_observe(void);
void a_int41(void);
void a_gp(void);
extern char a_after_int41[], a_gp_insn[], a_gp_resume[];

/* Task T: record the stack and flags it starts with, then return by IRET. */
__asm__(".text\n.globl t_entry\nt_entry:\n"
	"	mov %esp, t_esp\n mov (%esp), %eax\n mov %eax, t_top\n"
	"	pushf\n popl t_eflags\n"
	"	call t_observe\n"
	"	iret\n"
	"	jmp t_entry\n"
	".globl a_int41\na_int41:\n"
	"	pushl $0x8D7\n popfl\n int $0x41\n"
	".globl a_after_int41\na_after_int41:\n"
	"	pushf\n popl a_flags_back\n pushl $2\n popfl\n ret\n"
	".globl a_gp\na_gp:\n"
	"	mov $0x1000, %eax\n pushl $0x8D7\n popfl\n"
	".globl a_gp_insn\na_gp_insn:\n"
	"	mov %eax, %ds\n"
	".globl a_gp_resume\na_gp_resume:\n"
	"	pushf\n popl a_flags_back\n pushl $2\n popfl\n"
	"	mov $0x10, %eax\n mov %eax, %ds\n ret\n");

void t_observe(void)
{
	uint32_t tr;

	__asm__ volatile("str %0" : "=r"(tr));
	t_tr = tr & 0xFFFF;
	t_link = t_tss.link;
	t_a_eip = tss.eip;
	t_a_eflags = tss.eflags;
	t_a_cs = tss.cs;
	t_a_ss = tss.ss;
	if (t_fix_eip)
		tss.eip = t_fix_eip;
	idt_restore(13);
}

static void t_reset(uint32_t fix_eip)
{
	memset(&t_tss, 0, 104);
	t_tss.cr3 = read_cr3();
	t_tss.eip = (uint32_t)t_entry;
	t_tss.eflags = 0x2;
	t_tss.esp = (uint32_t)t_stack + sizeof(t_stack);
	t_tss.cs = SEL_KCODE;
	t_tss.ss = t_tss.ds = t_tss.es = t_tss.fs = t_tss.gs = SEL_KDATA;
	t_tss.iomap = 104;
	gdt_set(SEL_T_TSS >> 3, (uint32_t)&t_tss, 103, 0x89, 0);
	t_fix_eip = fix_eip;
	t_esp = t_top = t_eflags = 0;
	t_tr = t_link = t_a_eip = t_a_eflags = t_a_cs = t_a_ss = 0;
}

static void check_in_t(const char *name)
{
	check(t_tr == SEL_T_TSS && (t_eflags & EFL_NT) && t_link == SEL_TSS, name,
	      "tr 0x%x eflags 0x%x link 0x%x", t_tr, t_eflags, t_link);
}

static void check_back(const char *name)
{
	uint32_t tr;

	__asm__ volatile("str %0; clts" : "=r"(tr));
	check(tr == SEL_TSS && (uint8_t)(gdt_get(SEL_T_TSS >> 3) >> 40) == 0x89, name,
	      "tr 0x%x t access 0x%x", tr, (uint32_t)(uint8_t)(gdt_get(SEL_T_TSS >> 3) >> 40));
}

static void test_int_n(void)
{
	t_reset(0);
	idt_set_gate(0x41, 0, SEL_T_TSS, 0x85);
	a_int41();
	idt_restore(0x41);
	check_in_t("int41.in_task");
	check_eq("int41.no_error_code", t_esp, (uint32_t)t_stack + sizeof(t_stack));
	check_eq("int41.saved_eip_after_int", t_a_eip, (uint32_t)a_after_int41);
	check_eq("int41.saved_eflags", t_a_eflags, A_FLAGS);
	check_eq("int41.back.eflags", a_flags_back, A_FLAGS);
	check_back("int41.back");
}

static void test_gp_with_error_code(void)
{
	t_reset((uint32_t)a_gp_resume);
	idt_set_gate(13, 0, SEL_T_TSS, 0x85);
	a_gp();
	check_in_t("gp.in_task");
	check_eq("gp.error_code_pushed.esp", t_esp, (uint32_t)t_stack + sizeof(t_stack) - 4);
	check_eq("gp.error_code_pushed.value", t_top, 0x1000);
	check_eq("gp.saved_eip_faulting", t_a_eip, (uint32_t)a_gp_insn);
	check_eq("gp.saved_eflags", t_a_eflags & ~EFL_RF, A_FLAGS);
	check_back("gp.back");
}

static void test_double_fault(void)
{
	t_reset((uint32_t)a_gp_resume);
	idt_set_gate(13, stub_address(13), SEL_KCODE, 0x0E);
	idt_set_gate(8, 0, SEL_T_TSS, 0x85);
	a_gp();
	idt_restore(8);
	check_in_t("df.in_task");
	check_eq("df.error_code_pushed.esp", t_esp, (uint32_t)t_stack + sizeof(t_stack) - 4);
	check_eq("df.error_code_pushed.zero", t_top, 0);
	check_eq("df.saved_eip_faulting", t_a_eip, (uint32_t)a_gp_insn);
	check_back("df.back");
}

static uint32_t u_int42(uint32_t a)
{
	__asm__ volatile("int $0x42" ::: "memory");
	return a + 1;
}

static uint32_t u_int43(uint32_t a)
{
	__asm__ volatile("int $0x43" ::: "memory");
	return a;
}

static void test_from_ring3(void)
{
	struct fault f;

	t_reset(0);
	idt_set_gate(0x42, 0, SEL_T_TSS, 0xE5);
	check_eq("ring3_int42.returns", run_user(u_int42, 7), 8);
	idt_restore(0x42);
	check_in_t("ring3_int42.in_task");
	check_eq("ring3_int42.saved_cs", t_a_cs, SEL_UCODE);
	check_eq("ring3_int42.saved_ss", t_a_ss, SEL_UDATA);
	check_back("ring3_int42.back");

	t_reset(0);
	idt_set_gate(0x43, 0, SEL_T_TSS, 0x85);
	if (catch_fault(&f) == 0) {
		run_user(u_int43, 0);
		catch_end();
	}
	idt_restore(0x43);
	check_fault("ring3_int43_dpl0.gp", &f, 13, 0x43 * 8 + 2);
	check_eq("ring3_int43_dpl0.no_switch", t_tr, 0);
}

void test_main(void)
{
	tss.cr3 = read_cr3();
	test_int_n();
	test_gp_with_error_code();
	test_double_fault();
	test_from_ring3();
}
