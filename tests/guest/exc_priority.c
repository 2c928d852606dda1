/*
 * Exception priorities (SDM vol. 3 6.9, table 6-2): a fault fetching the
 * next instruction (code #PF) comes before decoding it (#UD); privilege
 * checks (#GP) come before the memory operand is touched (#PF); an
 * instruction longer than 15 bytes is #GP(0) (lock_priority has LOCK #UD
 * before the CPL check); #UD comes before #NM; a divide's memory operand #PF comes before #DE.
 */
#include "rt.h"

static uint32_t u_lgdt_unmapped(uint32_t va)
{
	__asm__ volatile("lgdt (%0)" ::"r"(va));
	return 0;
}

static struct fault call_at(uint32_t at)
{
	struct fault f;
	if (catch_fault(&f) == 0) {
		__asm__ volatile("call *%0" ::"r"(at) : "memory", "eax", "ecx", "edx");
		catch_end();
	}
	return f;
}

void test_main(void)
{
	struct fault f;
	uint8_t *page = alloc_page();
	uint32_t p0 = SCRATCH_VA + 0x40000, p1 = p0 + 0x1000;
	map_page(p0, (uint32_t)page, PTE_W | PTE_U);
	unmap_page(p1);
	page[0xFFF] = 0x0F; /* UD2 = 0F 0B, second byte on the missing page */
	f = call_at(p0 + 0xFFF);
	check(f.vector == 14 && f.cr2 == p1 && f.eip == p0 + 0xFFF, "code_pf_before_ud",
	      "vector %d cr2 %x eip %x", f.vector, f.cr2, f.eip);

	if (catch_fault(&f) == 0) {
		run_user(u_lgdt_unmapped, p1);
		catch_end();
	}
	check_fault("cpl_gp_before_operand_pf", &f, 13, 0);

	memset(page, 0x66, 15);
	page[15] = 0x90; /* 15 prefixes + NOP = 16 bytes */
	page[16] = 0xC3;
	f = call_at(p0);
	check_fault("length_16_gp", &f, 13, 0);
	memset(page, 0x66, 14);
	page[14] = 0x90;
	page[15] = 0xC3;
	f = call_at(p0);
	check_eq("length_15_ok", (uint32_t)f.vector, (uint32_t)NO_FAULT);

	write_cr0(read_cr0() | 0x8);
	if (catch_fault(&f) == 0) {
		__asm__ volatile("ud2");
		catch_end();
	}
	check_fault("ud_before_nm", &f, 6, 0);
	if (catch_fault(&f) == 0) {
		__asm__ volatile("fnop");
		catch_end();
	}
	__asm__ volatile("clts");
	check_fault("fpu_with_ts_nm", &f, 7, 0);

	if (catch_fault(&f) == 0) {
		__asm__ volatile("xor %%edx, %%edx; divl (%0)" ::"r"(p1) : "eax", "edx");
		catch_end();
	}
	check(f.vector == 14 && f.cr2 == p1, "div_operand_pf_before_de", "vector %d cr2 %x",
	      f.vector, f.cr2);
}
