/*
 * Accessed and dirty bits (SDM vol. 3 4.8): the processor sets A in the
 * PDE and PTE on any access through them and D in the PTE (or in the PDE of
 * a 4 MiB page) on a write; it does not set D on a read. After clearing
 * the bits software must INVLPG to see them set again.
 */
#include "rt.h"

void test_main(void)
{
	uint32_t va = SCRATCH_VA + 0x7000;
	uint32_t frame = (uint32_t)alloc_page();
	map_page(va, frame, PTE_W);
	uint32_t *pte = pte_of(va), *pde = &page_dir[va >> 22];
	*pde &= ~(PTE_A | PTE_D);
	check_eq("pte.fresh_clean", *pte & (PTE_A | PTE_D), 0);
	(void)*(volatile uint32_t *)va;
	check_eq("pte.read_sets_a", *pte & (PTE_A | PTE_D), PTE_A);
	check_eq("pde.read_sets_a", *pde & PTE_A, PTE_A);
	*(volatile uint32_t *)va = 1;
	check_eq("pte.write_sets_d", *pte & (PTE_A | PTE_D), PTE_A | PTE_D);
	check_eq("pde.4k_table_d_untouched", *pde & PTE_D, 0);

	*pte &= ~(PTE_A | PTE_D);
	invlpg(va);
	*(volatile uint32_t *)(va + 4) = 2;
	check_eq("pte.write_first_sets_a_and_d", *pte & (PTE_A | PTE_D), PTE_A | PTE_D);

	uint32_t big = 0xC0000000u;
	page_dir[big >> 22] = (12u << 20) | PTE_P | PTE_W | PTE_PS;
	invlpg(big);
	(void)*(volatile uint32_t *)(big + 0x1000);
	check_eq("4m.read_sets_a", page_dir[big >> 22] & (PTE_A | PTE_D), PTE_A);
	*(volatile uint32_t *)(big + 0x2000) = 3;
	check_eq("4m.write_sets_d", page_dir[big >> 22] & (PTE_A | PTE_D), PTE_A | PTE_D);
	page_dir[big >> 22] = 0;
	invlpg(big);

	struct fault f;
	map_page(va, frame, 0);
	*pte &= ~(PTE_A | PTE_D);
	invlpg(va);
	uint32_t cr0 = read_cr0();
	write_cr0(cr0 | 0x10000u);
	if (catch_fault(&f) == 0) {
		*(volatile uint32_t *)va = 4;
		catch_end();
	}
	write_cr0(cr0);
	check_fault("ro_write_fault", &f, 14, 3);
	check_eq("ro_write_fault.no_d", *pte & PTE_D, 0);
}
