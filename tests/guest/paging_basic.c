/*
 * Paging basics (SDM vol. 3 4.3): a 4 KiB PTE maps a linear page to a
 * frame; a 4 MiB PDE (PS=1, CR4.PSE=1) maps bits 21:0 straight through;
 * a not-present access gives #PF with CR2 = the linear address and error
 * code P=0, W/R and U/S per the access; unmapping and INVLPG make the page
 * fault again; CR3 reload makes PTE changes visible.
 */
#include "rt.h"

static int touch(uint32_t va, int write, struct fault *f)
{
	if (catch_fault(f) == 0) {
		if (write)
			*(volatile uint32_t *)va = 0x600DF00D;
		else
			(void)*(volatile uint32_t *)va;
		catch_end();
	}
	return f->vector;
}

static uint32_t u_read(uint32_t va) { return *(volatile uint32_t *)va; }

void test_main(void)
{
	struct fault f;
	uint32_t *frame = alloc_page(), *frame2 = alloc_page();
	uint32_t va = SCRATCH_VA + 0x3000;
	map_page(va, (uint32_t)frame, PTE_W);
	*(volatile uint32_t *)(va + 8) = 0x12345678;
	check_eq("4k.write_through_mapping", frame[2], 0x12345678);
	frame[3] = 0xABCDEF01;
	check_eq("4k.read_through_mapping", *(volatile uint32_t *)(va + 12), 0xABCDEF01);

	unmap_page(va);
	touch(va + 0x10, 0, &f);
	check_fault("notpresent.read", &f, 14, 0);
	check_eq("notpresent.read.cr2", f.cr2, va + 0x10);
	touch(va + 0x24, 1, &f);
	check_fault("notpresent.write", &f, 14, 2);
	check_eq("notpresent.write.cr2", f.cr2, va + 0x24);
	if (catch_fault(&f) == 0) {
		run_user(u_read, va + 0x30);
		catch_end();
	}
	check_fault("notpresent.user_read", &f, 14, 4);
	check_eq("notpresent.user_read.cr2", f.cr2, va + 0x30);

	map_page(va, (uint32_t)frame, PTE_W);
	*pte_of(va) = (uint32_t)frame2 | PTE_P | PTE_W;
	cr3_reload();
	frame2[0] = 0x22222222;
	check_eq("cr3_reload.sees_new_frame", *(volatile uint32_t *)va, 0x22222222);

	/* 4 MiB page at 0x80000000 -> physical 8 MiB */
	page_dir[0x80000000u >> 22] = (8u << 20) | PTE_P | PTE_W | PTE_PS;
	invlpg(0x80000000u + 0x123454);
	*(volatile uint32_t *)(0x80000000u + 0x123454) = 0x4B1C4B1C;
	check_eq("4m.offset_bits_21_0", *(volatile uint32_t *)((8u << 20) + 0x123454), 0x4B1C4B1C);
	page_dir[0x80000000u >> 22] = 0;
	invlpg(0x80000000u + 0x123454);
	touch(0x80000000u + 0x3FFFFC, 0, &f);
	check_fault("4m.unmapped", &f, 14, 0);
	check_eq("4m.unmapped.cr2", f.cr2, 0x80000000u + 0x3FFFFC);

	/* a page-table entry with P=0 but other bits set is still not present */
	*pte_of(va) = (uint32_t)frame | PTE_W | PTE_U;
	invlpg(va);
	touch(va, 0, &f);
	check_fault("pte_p0_other_bits", &f, 14, 0);
	/* the PDE's P bit counts too */
	map_page(va, (uint32_t)frame, PTE_W);
	uint32_t pde = page_dir[va >> 22];
	page_dir[va >> 22] = pde & ~PTE_P;
	invlpg(va);
	touch(va, 1, &f);
	check_fault("pde_not_present", &f, 14, 2);
	page_dir[va >> 22] = pde;
	invlpg(va);
	check_eq("pde_restored", touch(va, 0, &f), NO_FAULT);
}
