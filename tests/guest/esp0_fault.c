/*
 * A fault while switching to the ring-0 stack (SDM vol. 3 6.12.1, 6.15):
 * INT n from ring 3 with TSS.ESP0 in a not-present page faults on the first
 * push (#PF); delivering that #PF again switches to the same stack and
 * faults again, a #PF during #PF delivery, so #DF follows, which can only
 * be handled by a task gate (its own TSS and stack). The #DF task sees
 * error code 0, CR2 = ESP0 - 4, TR = its TSS, NT=1 and the back link; the
 * outgoing state saved in the old TSS is the ring-3 one.
 */
#include "rt.h"

extern struct fault *current_catch;
void fault_longjmp(struct fault *f) __attribute__((noreturn));
uint32_t df_err, df_cr2, df_tr, df_eflags;
static uint8_t df_stack[4096] __attribute__((aligned(16)));
void df_entry(void);
void df_recover(void);

__asm__(".text\n.globl df_entry\ndf_entry:\n"
	"	pop %eax\n mov %eax, df_err\n"
	"	mov %cr2, %eax\n mov %eax, df_cr2\n"
	"	str %eax\n mov %eax, df_tr\n"
	"	pushf\n pop %eax\n mov %eax, df_eflags\n"
	"	call df_recover\n");

void df_recover(void)
{
	gdt_set(5, (uint32_t)&tss, sizeof(tss) - 1, 0x89, 0);
	gdt_set(6, (uint32_t)&df_tss, 103, 0x89, 0);
	__asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
	tss.esp0 = (uint32_t)ring0_stack_top;
	idt_restore(8);
	struct fault *f = current_catch;
	current_catch = 0;
	f->vector = 8;
	f->error = df_err;
	f->cr2 = df_cr2;
	fault_longjmp(f);
}

static uint32_t u_ret(uint32_t a)
{
	return a + 1;
}

static uint32_t u_int40(uint32_t a)
{
	__asm__ volatile("int $0x40");
	return a;
}

void test_main(void)
{
	memset(&df_tss, 0, 104);
	df_tss.cr3 = read_cr3();
	df_tss.eip = (uint32_t)df_entry;
	df_tss.eflags = 0x2;
	df_tss.esp = (uint32_t)df_stack + sizeof(df_stack);
	df_tss.cs = SEL_KCODE;
	df_tss.ss = df_tss.ds = df_tss.es = df_tss.fs = df_tss.gs = SEL_KDATA;
	df_tss.iomap = 104;
	idt_set_gate(8, 0, SEL_DFTSS, 0x85);
	idt_set_gate(0x40, stub_address(0x40), SEL_KCODE, 0xEE);
	uint32_t esp0 = SCRATCH_VA + 0x2000;
	map_page(SCRATCH_VA + 0x1000, 0, 0);
	unmap_page(SCRATCH_VA + 0x1000);
	tss.esp0 = esp0;

	struct fault f;
	if (catch_fault(&f) == 0) {
		run_user(u_int40, 0);
		catch_end();
	}
	tss.esp0 = (uint32_t)ring0_stack_top;
	idt_restore(8);
	check_eq("esp0_np.double_fault", (uint32_t)f.vector, 8);
	check_eq("esp0_np.df_error_0", df_err, 0);
	check_eq("esp0_np.cr2_first_push", df_cr2, esp0 - 4);
	check_eq("esp0_np.tr_is_df_tss", df_tr & 0xFFFF, SEL_DFTSS);
	check_eq("esp0_np.nt_set", df_eflags & EFL_NT, EFL_NT);
	check_eq("esp0_np.back_link", df_tss.link, SEL_TSS);
	check_eq("esp0_np.saved_cs_ring3", tss.cs, SEL_UCODE);
	check_eq("esp0_np.saved_ss_ring3", tss.ss, SEL_UDATA);
	uint32_t tr;
	__asm__ volatile("str %0" : "=r"(tr));
	check_eq("recovered.tr", tr, SEL_TSS);
	check_eq("recovered.ring3_runs", run_user(u_ret, 5), 6);
}
