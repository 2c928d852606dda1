/*
 * RF in the EFLAGS image a fault saves when it is delivered through a
 * task gate (SDM Vol. 3A 17.3.1.1: for any fault-class exception except
 * an instruction-breakpoint #DB, the saved RF is 1; a trap or INT n saves
 * it as it was, 0 here). The handler task records the interrupted task's
 * saved EFLAGS and resumes it past the faulting instruction.
 */
#include "rt.h"

#define SEL_T_TSS 0x48
#define EFL_RF 0x10000u

struct tss32 t_tss __attribute__((aligned(128)));
static uint8_t t_stack[4096] __attribute__((aligned(16)));
uint32_t saved_eflags, fix_eip;
void t_entry(void);
void t_observe(void);
void a_ud(void);
extern char a_ud_resume[];

__asm__(".text\n.globl t_entry\nt_entry:\n"
	"	call t_observe\n iret\n jmp t_entry\n"
	".globl a_ud\na_ud:\n ud2\n"
	".globl a_ud_resume\na_ud_resume:\n ret\n");

void t_observe(void)
{
	saved_eflags = tss.eflags;
	if (fix_eip)
		tss.eip = fix_eip;
}

static void t_reset(uint32_t resume)
{
	fix_eip = resume;
	memset(&t_tss, 0, 104);
	t_tss.cr3 = read_cr3();
	t_tss.eip = (uint32_t)t_entry;
	t_tss.eflags = 0x2;
	t_tss.esp = (uint32_t)t_stack + sizeof(t_stack);
	t_tss.cs = SEL_KCODE;
	t_tss.ss = t_tss.ds = t_tss.es = t_tss.fs = t_tss.gs = SEL_KDATA;
	t_tss.iomap = 104;
	gdt_set(SEL_T_TSS >> 3, (uint32_t)&t_tss, 103, 0x89, 0);
	saved_eflags = 0;
}

void test_main(void)
{
	tss.cr3 = read_cr3();
	t_reset((uint32_t)a_ud_resume);
	idt_set_gate(6, 0, SEL_T_TSS, 0x85);
	a_ud();
	idt_restore(6);
	__asm__ volatile("clts");
	check_eq("ud_fault.saved_rf", saved_eflags & EFL_RF, EFL_RF);

	t_reset(0);
	idt_set_gate(0x41, 0, SEL_T_TSS, 0x85);
	__asm__ volatile("int $0x41" ::: "memory");
	idt_restore(0x41);
	__asm__ volatile("clts");
	check_eq("int_n.saved_rf_clear", saved_eflags & EFL_RF, 0);
}
