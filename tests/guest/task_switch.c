/*
 * Hardware task switches between two tasks (SDM Vol. 3A 7.3, 7.4, Table
 * 7-2): task A is the runtime's TSS, task B a second 32-bit TSS with its
 * own page directory. Expected values are the SDM's:
 * - the old TSS receives only the dynamic fields: EIP (after the JMP or
 *   CALL), EFLAGS, the eight GPRs and the six selectors;
 * - the new task starts with exactly its TSS's registers, EFLAGS, CR3 and
 *   selectors, and CR0.TS set;
 * - JMP clears the old task's busy bit and sets the new one's, NT as in
 *   the new TSS; CALL (here through a task gate) keeps the old task busy,
 *   writes the back link and sets NT; IRET with NT=1 returns to the back
 *   link's task, clears the busy bit of the task it leaves and NT in the
 *   EFLAGS image it saves;
 * - JMP/CALL to a busy TSS is #GP(selector); IRET to a back link that is
 *   not busy is #TS(selector).
 */
#include "rt.h"

#define SEL_B_TSS 0x48
#define SEL_B_GATE 0x50
#define B_FLAGS 0x897u      /* OF SF AF PF CF and bit 1 */
#define B_EXIT_FLAGS 0xC3u  /* SF ZF CF and bit 1: what B leaves with */
#define A_FLAGS 0x8D7u      /* OF SF ZF AF PF CF and bit 1 */
#define SCRATCH_MAGIC 0x5CA7C4u

struct tss32 b_tss __attribute__((aligned(128)));
static uint8_t b_stack[4096] __attribute__((aligned(16)));
uint32_t b_regs[8], b_eflags, b_mode;
uint16_t b_fs;
uint32_t a_esp, a_flags_back, a_back_regs[8];
static uint32_t b_tr, b_cr0, b_cr3, b_scratch, b_link, b_access_a, b_access_b;

void b_entry(void);
void b_observe(void);
void a_jmp_b(void);
void a_call_b(void);
extern char a_after_jmp[], a_after_call[], b_after_jmp[], b_after_iret[];

static const uint32_t a_regs[8] = { 0xA0000000, 0xA0111111, 0xA0222222, 0xA0333333,
				    0, 0xA0555555, 0xA0666666, 0xA0777777 };
static const uint32_t b_init[8] = { 0xB0000000, 0xB1111111, 0xB2222222, 0xB3333333,
				    0, 0xB5555555, 0xB6666666, 0xB7777777 };
static const uint32_t b_exit[8] = { 0xBE000000, 0xBE111111, 0xBE222222, 0xBE333333,
				    0, 0xBE555555, 0xBE666666, 0xBE777777 };

/* Task B records what it starts with, then leaves by JMP (b_mode 0) or IRET. */
__asm__(".text\n"
	".macro set_regs p\n"
	"	mov $\\p\\()000000, %eax\n mov $\\p\\()111111, %ecx\n mov $\\p\\()222222, %edx\n"
	"	mov $\\p\\()333333, %ebx\n mov $\\p\\()555555, %ebp\n mov $\\p\\()666666, %esi\n"
	"	mov $\\p\\()777777, %edi\n"
	".endm\n"
	".macro save_regs to\n"
	"	mov %eax, \\to\n mov %ecx, \\to+4\n mov %edx, \\to+8\n mov %ebx, \\to+12\n"
	"	mov %esp, \\to+16\n mov %ebp, \\to+20\n mov %esi, \\to+24\n mov %edi, \\to+28\n"
	".endm\n"
	".globl b_entry\nb_entry:\n"
	"	save_regs b_regs\n"
	"	pushf\n popl b_eflags\n movw %fs, b_fs\n"
	"	call b_observe\n"
	"	cmpl $0, b_mode\n jne 1f\n"
	"	set_regs 0xBE\n pushl $0xC3\n popfl\n"
	"	ljmp $0x28, $0\n"
	".globl b_after_jmp\nb_after_jmp:\n hlt\n"
	"1:	set_regs 0xBE\n pushl $0x40C3\n popfl\n"
	"	iret\n"
	".globl b_after_iret\nb_after_iret:\n hlt\n"
	/* Task A's side: known registers and flags, switch, record them back. */
	".macro a_switch how, sel, back\n"
	"	push %ebx\n push %esi\n push %edi\n push %ebp\n"
	"	set_regs 0xA0\n"
	"	mov %esp, a_esp\n pushl $0x8D7\n popfl\n"
	"	\\how $\\sel, $0\n"
	".globl \\back\n\\back:\n"
	"	pushf\n popl a_flags_back\n save_regs a_back_regs\n"
	"	pushl $2\n popfl\n"
	"	pop %ebp\n pop %edi\n pop %esi\n pop %ebx\n ret\n"
	".endm\n"
	".globl a_jmp_b\na_jmp_b:\n a_switch ljmp, 0x48, a_after_jmp\n"
	".globl a_call_b\na_call_b:\n a_switch lcall, 0x50, a_after_call\n");

static uint8_t access_byte(int index)
{
	return (uint8_t)(gdt_get(index) >> 40);
}

void b_observe(void)
{
	uint32_t tr;

	__asm__ volatile("str %0" : "=r"(tr));
	b_tr = tr & 0xFFFF;
	b_cr0 = read_cr0();
	b_cr3 = read_cr3();
	b_scratch = *(volatile uint32_t *)SCRATCH_VA;
	b_link = b_tss.link;
	b_access_a = access_byte(SEL_TSS >> 3);
	b_access_b = access_byte(SEL_B_TSS >> 3);
}

/* B's page directory: A's, plus SCRATCH_VA mapped to a page of its own. */
static uint32_t b_page_dir(void)
{
	uint32_t *pd = alloc_page(), *pt = alloc_page(), *data = alloc_page();

	memcpy(pd, page_dir, 4096);
	data[0] = SCRATCH_MAGIC;
	pt[0] = (uint32_t)data | PTE_P | PTE_W;
	pd[SCRATCH_VA >> 22] = (uint32_t)pt | PTE_P | PTE_W;
	return (uint32_t)pd;
}

static void b_reset(uint32_t cr3, uint32_t mode)
{
	memset(&b_tss, 0, 104);
	b_tss.cr3 = cr3;
	b_tss.eip = (uint32_t)b_entry;
	b_tss.eflags = B_FLAGS;
	b_tss.eax = b_init[0], b_tss.ecx = b_init[1], b_tss.edx = b_init[2], b_tss.ebx = b_init[3];
	b_tss.ebp = b_init[5], b_tss.esi = b_init[6], b_tss.edi = b_init[7];
	b_tss.esp = (uint32_t)b_stack + sizeof(b_stack);
	b_tss.cs = SEL_KCODE;
	b_tss.ss = b_tss.ds = b_tss.es = b_tss.gs = SEL_KDATA;
	b_tss.fs = 0;
	b_tss.iomap = 104;
	b_mode = mode;
	gdt_set(SEL_B_TSS >> 3, (uint32_t)&b_tss, 103, 0x89, 0);
}

static void check_regs(const char *name, const uint32_t *got, const uint32_t *want, uint32_t esp)
{
	for (int k = 0; k < 8; k++) {
		if (got[k] != (k == 4 ? esp : want[k])) {
			check(0, name, "register %d: got 0x%x expected 0x%x", k, got[k], k == 4 ? esp : want[k]);
			return;
		}
	}
	check(1, name, "");
}

/* The dynamic fields of a TSS as an array in GPR order. */
static void tss_regs(const struct tss32 *t, uint32_t *r)
{
	r[0] = t->eax, r[1] = t->ecx, r[2] = t->edx, r[3] = t->ebx;
	r[4] = t->esp, r[5] = t->ebp, r[6] = t->esi, r[7] = t->edi;
}

/* "prefix.suffix" in a buffer that lives until the next call. */
static const char *join(const char *prefix, const char *suffix)
{
	static char name[64];
	size_t n = strlen(prefix);

	memcpy(name, prefix, n);
	memcpy(name + n, suffix, strlen(suffix) + 1);
	return name;
}

static void check_b_start(const char *what, uint32_t cr3, uint32_t flags)
{
	check_regs(join(what, ".regs"), b_regs, b_init, (uint32_t)b_stack + sizeof(b_stack));
	check_eq(join(what, ".eflags"), b_eflags, flags);
	check_eq(join(what, ".tr"), b_tr, SEL_B_TSS);
	check_eq(join(what, ".cr0_ts"), b_cr0 & 8, 8);
	check_eq(join(what, ".cr3"), b_cr3, cr3);
	check_eq(join(what, ".scratch"), b_scratch, SCRATCH_MAGIC);
	check_eq(join(what, ".fs_null"), b_fs, 0);
}

static void check_a_saved(const char *name, uint32_t eip)
{
	uint32_t r[8];

	tss_regs(&tss, r);
	check_regs(join(name, ".regs"), r, a_regs, a_esp);
	check(tss.eip == eip && tss.eflags == A_FLAGS && tss.cs == SEL_KCODE && tss.ss == SEL_KDATA &&
	      tss.ds == SEL_KDATA && tss.es == SEL_KDATA && tss.fs == SEL_KDATA && tss.gs == SEL_KDATA,
	      join(name, ".eip_eflags_selectors"), "eip 0x%x eflags 0x%x cs 0x%x ss 0x%x ds 0x%x fs 0x%x",
	      tss.eip, tss.eflags, tss.cs, tss.ss, tss.ds, tss.fs);
}

static void check_b_saved(const char *name, uint32_t eip)
{
	uint32_t r[8];

	tss_regs(&b_tss, r);
	check_regs(join(name, ".regs"), r, b_exit, (uint32_t)b_stack + sizeof(b_stack));
	check(b_tss.eip == eip && b_tss.eflags == B_EXIT_FLAGS && b_tss.cs == SEL_KCODE &&
	      b_tss.ss == SEL_KDATA && b_tss.fs == 0 && b_tss.gs == SEL_KDATA,
	      join(name, ".eip_eflags_selectors"), "eip 0x%x eflags 0x%x cs 0x%x ss 0x%x fs 0x%x",
	      b_tss.eip, b_tss.eflags, b_tss.cs, b_tss.ss, b_tss.fs);
}

static void check_back_in_a(const char *what)
{
	uint32_t tr;

	__asm__ volatile("str %0" : "=r"(tr));
	check_eq(join(what, ".tr"), tr & 0xFFFF, SEL_TSS);
	check_eq(join(what, ".cr3"), read_cr3(), (uint32_t)page_dir);
	check_regs(join(what, ".regs"), a_back_regs, a_regs, a_esp);
	check_eq(join(what, ".eflags"), a_flags_back, A_FLAGS);
	check_eq(join(what, ".a_busy"), access_byte(SEL_TSS >> 3), 0x8B);
	check_eq(join(what, ".b_available"), access_byte(SEL_B_TSS >> 3), 0x89);
	__asm__ volatile("clts");
}

static void test_jmp(uint32_t cr3)
{
	b_reset(cr3, 0);
	a_jmp_b();
	check_b_start("jmp.b", cr3, B_FLAGS);
	check_eq("jmp.a_not_busy_in_b", b_access_a, 0x89);
	check_eq("jmp.b_busy_in_b", b_access_b, 0x8B);
	check_eq("jmp.no_back_link", b_link, 0);
	check_a_saved("jmp.a_saved", (uint32_t)a_after_jmp);
	check_b_saved("jmp.b_saved", (uint32_t)b_after_jmp);
	check_back_in_a("jmp.back_in_a");
}

static void test_call_iret(uint32_t cr3)
{
	b_reset(cr3, 1);
	gdt_set_raw(SEL_B_GATE >> 3, (uint32_t)SEL_B_TSS << 16, 0x8500);
	a_call_b();
	check_b_start("call.b", cr3, B_FLAGS | EFL_NT);
	check_eq("call.a_still_busy", b_access_a, 0x8B);
	check_eq("call.b_busy", b_access_b, 0x8B);
	check_eq("call.back_link", b_link, SEL_TSS);
	check_a_saved("call.a_saved", (uint32_t)a_after_call);
	check_b_saved("iret.b_saved", (uint32_t)b_after_iret);
	check_back_in_a("iret.back_in_a");
}

static void test_busy_and_link_faults(uint32_t cr3)
{
	struct fault f;

	b_reset(cr3, 0);
	if (catch_fault(&f) == 0) {
		__asm__ volatile("ljmp $0x28, $0");
		catch_end();
	}
	check_fault("jmp_to_busy_self.gp", &f, 13, SEL_TSS);
	gdt_set(SEL_B_TSS >> 3, (uint32_t)&b_tss, 103, 0x8B, 0);
	if (catch_fault(&f) == 0) {
		__asm__ volatile("lcall $0x48, $0");
		catch_end();
	}
	check_fault("call_to_busy_tss.gp", &f, 13, SEL_B_TSS);
	b_reset(cr3, 0);
	tss.link = SEL_B_TSS;
	if (catch_fault(&f) == 0) {
		__asm__ volatile("pushf; orl $0x4000, (%%esp); popf; iret" ::: "memory");
		catch_end();
	}
	tss.link = 0;
	check_fault("iret_to_available_tss.ts", &f, 10, SEL_B_TSS);
	check_eq("iret_to_available_tss.b_unchanged", access_byte(SEL_B_TSS >> 3), 0x89);
}

void test_main(void)
{
	uint32_t cr3 = b_page_dir();

	tss.cr3 = read_cr3();
	test_jmp(cr3);
	test_call_iret(cr3);
	test_busy_and_link_faults(cr3);
}
