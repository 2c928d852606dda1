/*
 * TLB maintenance that the architecture guarantees (SDM vol. 3 4.10.4):
 * after a PTE change, INVLPG of the page or a CR3 load makes the new
 * translation visible; a global page (PTE.G with CR4.PGE=1) is flushed by
 * INVLPG and by toggling CR4.PGE. (Whether a stale entry survives without
 * a flush is not architecturally guaranteed and is not tested.)
 */
#include "rt.h"

static uint32_t rd(uint32_t va) { return *(volatile uint32_t *)va; }

void test_main(void)
{
	uint32_t va = SCRATCH_VA + 0x9000;
	uint32_t *a = alloc_page(), *b = alloc_page(), *c = alloc_page();
	a[0] = 0xAAAA0000, b[0] = 0xBBBB0000, c[0] = 0xCCCC0000;
	map_page(va, (uint32_t)a, PTE_W);
	check_eq("map.a", rd(va), 0xAAAA0000);
	*pte_of(va) = (uint32_t)b | PTE_P | PTE_W;
	invlpg(va);
	check_eq("invlpg.sees_b", rd(va), 0xBBBB0000);
	*pte_of(va) = (uint32_t)c | PTE_P | PTE_W;
	cr3_reload();
	check_eq("cr3.sees_c", rd(va), 0xCCCC0000);

	uint32_t cr4 = read_cr4();
	write_cr4(cr4 | 0x80);
	*pte_of(va) = (uint32_t)a | PTE_P | PTE_W | PTE_G;
	invlpg(va);
	check_eq("global.a", rd(va), 0xAAAA0000);
	*pte_of(va) = (uint32_t)b | PTE_P | PTE_W | PTE_G;
	invlpg(va);
	check_eq("global.invlpg_sees_b", rd(va), 0xBBBB0000);
	*pte_of(va) = (uint32_t)c | PTE_P | PTE_W | PTE_G;
	write_cr4(cr4 & ~0x80u);
	write_cr4(cr4 | 0x80);
	check_eq("global.pge_toggle_sees_c", rd(va), 0xCCCC0000);
	write_cr4(cr4);
	*pte_of(va) = (uint32_t)a | PTE_P | PTE_W;
	write_cr0(read_cr0() & ~0x80000000u);
	write_cr0(read_cr0() | 0x80000000u);
	check_eq("paging_toggle_sees_a", rd(va), 0xAAAA0000);

	/* INVLPG of one page leaves the translation of another page valid */
	uint32_t va2 = va + 0x1000;
	map_page(va2, (uint32_t)b, PTE_W);
	invlpg(va);
	check_eq("invlpg.other_page_intact", rd(va2), 0xBBBB0000);
	struct fault f;
	unmap_page(va2);
	if (catch_fault(&f) == 0) {
		rd(va2);
		catch_end();
	}
	check_fault("unmap.faults", &f, 14, 0);
}
