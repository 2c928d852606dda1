/*
 * A REP MOVS interrupted by a page fault (SDM vol. 1 7.3.9.3 and vol. 3
 * 6.6): the fault is taken at the element that touches the missing page,
 * with EIP at the REP MOVS, ECX the remaining count and ESI/EDI at that
 * element; elements before it are done. The handler maps the page and
 * returns: the instruction resumes and completes.
 */
#include "rt.h"

static uint32_t dst_frame, pf_count;
static struct frame at_fault;

static int map_on_pf(struct frame *fr)
{
	if (pf_count++)
		return 0;
	at_fault = *fr;
	map_page(read_cr2() & ~0xFFFu, dst_frame, PTE_W);
	return 1;
}

extern char rep_site[];

void test_main(void)
{
	static uint8_t src[600];
	uint8_t *f0 = alloc_page(), *f1 = alloc_page();
	uint32_t p0 = SCRATCH_VA + 0x20000, p1 = p0 + 0x1000;
	for (int i = 0; i < 600; i++)
		src[i] = (uint8_t)(i ^ 0x5A);
	map_page(p0, (uint32_t)f0, PTE_W);
	unmap_page(p1);
	dst_frame = (uint32_t)f1;
	set_handler(14, map_on_pf);
	uint32_t c = 300, s = (uint32_t)src, d = p1 - 100;
	__asm__ volatile(".globl rep_site\nrep_site: rep movsb" : "+c"(c), "+S"(s), "+D"(d)::"memory");
	set_handler(14, 0);
	check_eq("pf.count", pf_count, 1);
	check_eq("pf.error", at_fault.error, 2);
	check_eq("pf.eip_at_rep_movs", at_fault.eip, (uint32_t)rep_site);
	check_eq("pf.ecx_remaining", at_fault.ecx, 200);
	check_eq("pf.esi_at_element", at_fault.esi, (uint32_t)src + 100);
	check_eq("pf.edi_at_page", at_fault.edi, p1);
	check(c == 0 && s == (uint32_t)src + 300 && d == p1 + 200, "resume.regs",
	      "c %u s %x d %x", c, s, d);
	check_mem("resume.first_part", f0 + 0xF9C, src, 100);
	check_mem("resume.second_part", f1, src + 100, 200);

	/* dword elements with DF=1 walking down into a missing page */
	pf_count = 0;
	unmap_page(p0);
	dst_frame = (uint32_t)f0;
	set_handler(14, map_on_pf);
	c = 8, s = (uint32_t)src + 28, d = p1 + 8;
	__asm__ volatile("std; rep movsl; cld" : "+c"(c), "+S"(s), "+D"(d)::"memory");
	set_handler(14, 0);
	check_eq("down.ecx_remaining", at_fault.ecx, 5);
	check_eq("down.edi_at_element", at_fault.edi, p1 - 4);
	check(c == 0 && d == p1 - 24, "down.resume", "c %u d %x", c, d);
	check_mem("down.data", f0 + 0xFEC, src, 20);
	check_mem("down.data_first_page", f1, src + 20, 12);
}
