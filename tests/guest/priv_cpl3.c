/*
 * Privileged instructions at CPL 3 raise #GP(0) (SDM: each instruction's
 * "Protected Mode Exceptions": "If the current privilege level is not 0"),
 * and the IOPL-sensitive ones do so when CPL > IOPL. The unprivileged
 * store forms (SGDT SIDT SLDT STR SMSW) work at CPL 3 without UMIP, and
 * POPF at CPL 3 leaves IOPL and IF as they were.
 */
#include "rt.h"

#define USER_INSN(name, text) \
	static uint32_t u_##name(uint32_t a) \
	{ \
		__asm__ volatile("sub $8, %%esp;" text "; add $8, %%esp" ::: "memory", "eax", "ecx", "edx"); \
		return a; \
	}

USER_INSN(hlt, "hlt")
USER_INSN(cli, "cli")
USER_INSN(sti, "sti")
USER_INSN(lgdt, "lgdt (%%esp)")
USER_INSN(lidt, "lidt (%%esp)")
USER_INSN(lldt, "xor %%eax, %%eax; lldt %%ax")
USER_INSN(ltr, "mov $0x28, %%eax; ltr %%ax")
USER_INSN(mov_to_cr0, "mov %%cr0, %%eax")
USER_INSN(mov_cr0, "xor %%eax, %%eax; mov %%eax, %%cr0")
USER_INSN(mov_cr3, "mov %%cr3, %%eax")
USER_INSN(mov_cr4, "mov %%cr4, %%eax")
USER_INSN(mov_dr7, "mov %%dr7, %%eax")
USER_INSN(mov_to_dr0, "xor %%eax, %%eax; mov %%eax, %%dr0")
USER_INSN(clts, "clts")
USER_INSN(invd, "invd")
USER_INSN(wbinvd, "wbinvd")
USER_INSN(rdmsr, "mov $0x10, %%ecx; rdmsr")
USER_INSN(wrmsr, "mov $0x10, %%ecx; xor %%eax, %%eax; xor %%edx, %%edx; wrmsr")
USER_INSN(invlpg, "invlpg (%%esp)")
USER_INSN(lmsw, "xor %%eax, %%eax; lmsw %%ax")
USER_INSN(rdpmc, "xor %%ecx, %%ecx; rdpmc")
USER_INSN(in_port, "inb $0x80, %%al")
USER_INSN(out_port, "outb %%al, $0x80")
USER_INSN(ins, "mov %%esp, %%edi; mov $0x80, %%dx; insb")
USER_INSN(outs, "mov %%esp, %%esi; mov $0x80, %%dx; outsb")

struct priv_case {
	const char *name;
	user_fn fn;
};

static const struct priv_case cases[] = {
	{ "cpl3.hlt", u_hlt }, { "cpl3.cli", u_cli }, { "cpl3.sti", u_sti },
	{ "cpl3.lgdt", u_lgdt }, { "cpl3.lidt", u_lidt }, { "cpl3.lldt", u_lldt },
	{ "cpl3.ltr", u_ltr }, { "cpl3.mov_from_cr0", u_mov_to_cr0 },
	{ "cpl3.mov_to_cr0", u_mov_cr0 }, { "cpl3.mov_from_cr3", u_mov_cr3 },
	{ "cpl3.mov_from_cr4", u_mov_cr4 }, { "cpl3.mov_from_dr7", u_mov_dr7 },
	{ "cpl3.mov_to_dr0", u_mov_to_dr0 }, { "cpl3.clts", u_clts },
	{ "cpl3.invd", u_invd }, { "cpl3.wbinvd", u_wbinvd }, { "cpl3.rdmsr", u_rdmsr },
	{ "cpl3.wrmsr", u_wrmsr }, { "cpl3.invlpg", u_invlpg }, { "cpl3.lmsw", u_lmsw },
	{ "cpl3.rdpmc", u_rdpmc }, { "cpl3.in_iopl0", u_in_port },
	{ "cpl3.out_iopl0", u_out_port }, { "cpl3.ins_iopl0", u_ins },
	{ "cpl3.outs_iopl0", u_outs },
};

static uint32_t u_stores(uint32_t a)
{
	uint8_t buf[8];
	uint16_t ldt, tr, msw;
	__asm__ volatile("sgdt %0; sidt %0; sldt %1; str %2; smsw %3"
			 : "=m"(buf), "=r"(ldt), "=r"(tr), "=r"(msw));
	return a + tr;
}

static uint32_t u_popf(uint32_t a)
{
	uint32_t after;
	__asm__ volatile("pushf; pop %%eax; or %1, %%eax; push %%eax; popf; pushf; pop %0"
			 : "=r"(after) : "r"(a) : "eax", "cc");
	return after;
}

void test_main(void)
{
	struct fault f;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (catch_fault(&f) == 0) {
			run_user(cases[i].fn, 0);
			catch_end();
		}
		check(f.vector == 13 && f.error == 0 && f.cs == SEL_UCODE, cases[i].name,
		      "vector %d error 0x%x cs 0x%x", f.vector, f.error, f.cs);
	}
	if (catch_fault(&f) == 0) {
		check_eq("cpl3.store_insns_allowed", run_user(u_stores, 1), 1 + SEL_TSS);
		catch_end();
	} else {
		check(0, "cpl3.store_insns_allowed", "vector %d", f.vector);
	}
	uint32_t fl = run_user(u_popf, EFL_IOPL3 | EFL_IF);
	check_eq("cpl3.popf_keeps_iopl_if", fl & (EFL_IOPL3 | EFL_IF), 0);
	fl = run_user_flags(u_popf, EFL_IF, 0x2 | EFL_IOPL3);
	check_eq("cpl3.popf_if_with_iopl3", fl & (EFL_IOPL3 | EFL_IF), EFL_IOPL3 | EFL_IF);
}
