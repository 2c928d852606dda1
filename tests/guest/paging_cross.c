/*
 * Accesses that cross a page boundary (SDM vol. 3 4.7): when the second
 * page is not present, the fault reports CR2 = the first byte of the second
 * page; an instruction whose bytes run into a not-present page faults on
 * the fetch with EIP at the instruction's start and no part executed; a
 * crossing store that faults on the second page writes nothing.
 */
#include "rt.h"

void test_main(void)
{
	struct fault f;
	uint32_t p0 = SCRATCH_VA + 0x10000, p1 = p0 + 0x1000;
	uint8_t *code = alloc_page(), *code2 = alloc_page();
	map_page(p0, (uint32_t)code, PTE_W);
	unmap_page(p1);

	/* mov $0x11223344, %eax (B8 44 33 22 11) with 2 bytes in page 0, then ret */
	uint32_t insn = p0 + 0xFFE;
	static const uint8_t movret[6] = { 0xB8, 0x44, 0x33, 0x22, 0x11, 0xC3 };
	memcpy(code + 0xFFE, movret, 2);
	memcpy(code2, movret + 2, 4);
	uint32_t eax = 0;
	if (catch_fault(&f) == 0) {
		__asm__ volatile("call *%1" : "+a"(eax) : "r"(insn) : "memory");
		catch_end();
	}
	check_fault("insn_cross.pf", &f, 14, 0);
	check_eq("insn_cross.cr2", f.cr2, p1);
	check_eq("insn_cross.eip", f.eip, insn);
	check_eq("insn_cross.eax_untouched", f.eax, 0);
	map_page(p1, (uint32_t)code2, PTE_W);
	__asm__ volatile("call *%1" : "+a"(eax) : "r"(insn) : "memory");
	check_eq("insn_cross.runs_when_mapped", eax, 0x11223344);

	unmap_page(p1);
	if (catch_fault(&f) == 0) {
		(void)*(volatile uint32_t *)(p0 + 0xFFE);
		catch_end();
	}
	check_fault("load_cross.pf", &f, 14, 0);
	check_eq("load_cross.cr2", f.cr2, p1);

	code[0xFFD] = 0x99, code[0xFFE] = 0x77, code[0xFFF] = 0x66;
	if (catch_fault(&f) == 0) {
		*(volatile uint32_t *)(p0 + 0xFFD) = 0xDDCCBBAA;
		catch_end();
	}
	check_fault("store_cross.pf", &f, 14, 2);
	check_eq("store_cross.cr2", f.cr2, p1);
	check(code[0xFFD] == 0x99 && code[0xFFE] == 0x77 && code[0xFFF] == 0x66,
	      "store_cross.first_page_unwritten", "%x %x %x", code[0xFFD], code[0xFFE], code[0xFFF]);
	map_page(p1, (uint32_t)code2, PTE_W);
	*(volatile uint32_t *)(p0 + 0xFFD) = 0xDDCCBBAA;
	check(code[0xFFF] == 0xCC && code2[0] == 0xDD, "store_cross.when_mapped", "%x %x",
	      code[0xFFF], code2[0]);
	/* a crossing word read whose first page is read-only but readable is fine */
	map_page(p0, (uint32_t)code, 0);
	check_eq("load_cross.both_present", *(volatile uint16_t *)(p0 + 0xFFF), 0xDDCC);
}
