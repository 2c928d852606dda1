/*
 * Page protection (SDM vol. 3 4.6): U/S and R/W combine over the PDE and
 * PTE (both must allow); a CPL-3 access to a supervisor page or a CPL-3
 * write to a read-only page gives #PF with P=1 and U, W bits as accessed;
 * supervisor writes to read-only pages are allowed with CR0.WP=0 and
 * fault with CR0.WP=1.
 */
#include "rt.h"

static uint32_t u_read(uint32_t va) { return *(volatile uint32_t *)va; }
static uint32_t u_write(uint32_t va) { *(volatile uint32_t *)va = 7; return 1; }

static void user_access(const char *name, user_fn fn, uint32_t va, int vec, uint32_t err)
{
	struct fault f;
	if (catch_fault(&f) == 0) {
		run_user(fn, va);
		catch_end();
	}
	if (vec < 0) {
		check(f.vector == NO_FAULT, name, "vector %d error 0x%x", f.vector, f.error);
		return;
	}
	check(f.vector == vec && f.error == err && f.cr2 == va, name,
	      "vector %d error 0x%x cr2 0x%x", f.vector, f.error, f.cr2);
}

static int kernel_write(uint32_t va, struct fault *f)
{
	if (catch_fault(f) == 0) {
		*(volatile uint32_t *)va = 0x55;
		catch_end();
	}
	return f->vector;
}

void test_main(void)
{
	uint32_t va = SCRATCH_VA + 0x5000;
	uint32_t frame = (uint32_t)alloc_page();
	struct fault f;

	map_page(va, frame, 0);
	user_access("user_reads_supervisor", u_read, va, 14, 5);
	user_access("user_writes_supervisor", u_write, va + 4, 14, 7);
	map_page(va, frame, PTE_U);
	user_access("user_reads_ro_user", u_read, va + 8, -1, 0);
	user_access("user_writes_ro_user", u_write, va + 12, 14, 7);
	map_page(va, frame, PTE_U | PTE_W);
	user_access("user_writes_rw_user", u_write, va + 16, -1, 0);

	uint32_t pde = page_dir[va >> 22];
	page_dir[va >> 22] = pde & ~PTE_U;
	invlpg(va);
	user_access("pde_supervisor_wins", u_read, va, 14, 5);
	page_dir[va >> 22] = pde & ~PTE_W;
	invlpg(va);
	user_access("pde_readonly_wins", u_write, va, 14, 7);
	user_access("pde_readonly_read_ok", u_read, va, -1, 0);
	page_dir[va >> 22] = pde;
	invlpg(va);

	uint32_t cr0 = read_cr0();
	map_page(va, frame, PTE_U);
	write_cr0(cr0 & ~0x10000u);
	check_eq("wp0.supervisor_writes_ro", kernel_write(va, &f), NO_FAULT);
	write_cr0(cr0 | 0x10000u);
	kernel_write(va + 0x20, &f);
	check(f.vector == 14 && f.error == 3 && f.cr2 == va + 0x20, "wp1.supervisor_write_faults",
	      "vector %d error 0x%x cr2 0x%x", f.vector, f.error, f.cr2);
	map_page(va, frame, 0);
	kernel_write(va + 0x24, &f);
	check_fault("wp1.supervisor_ro_page", &f, 14, 3);
	write_cr0(cr0);
	check_eq("wp0.again", kernel_write(va + 0x28, &f), NO_FAULT);
}
