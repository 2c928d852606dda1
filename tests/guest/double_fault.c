/*
 * Double faults (SDM vol. 3 6.15, interrupt 8, table 6-5): a contributory
 * exception or #PF raised while delivering a contributory exception, or a
 * #PF/contributory one while delivering #PF, becomes #DF with error code 0;
 * a benign first exception is just followed by the second. A fault during
 * delivery of INT n has EXT (bit 0) clear (exc_ext_bit checks the set case).
 */
#include "rt.h"

static struct fault with_gate_absent(int vector, void (*trigger)(void))
{
	struct fault f;
	uint64_t saved = idt_get(vector);
	idt_set_gate(vector, stub_address(vector), SEL_KCODE, 0x0E);
	if (catch_fault(&f) == 0) {
		trigger();
		catch_end();
	}
	idt_set_gate(vector, (uint32_t)(saved & 0xFFFF) | (uint32_t)(saved >> 48) << 16, SEL_KCODE,
		     (uint8_t)(saved >> 40));
	return f;
}

static void do_gp(void) { __asm__ volatile("mov %0, %%ds" ::"r"(0x1000) : "memory"); }
static void do_ud(void) { __asm__ volatile("ud2"); }
static void do_de(void) { __asm__ volatile("xor %%edx, %%edx; divl %%edx" ::: "eax", "edx"); }
static void do_pf(void) { __asm__ volatile("movl (%0), %%eax" ::"r"(SCRATCH_VA) : "eax"); }
static void do_np(void)
{
	uint16_t np = gdt_set(9, 0, 0xFFFFF, ACC_DATA_RW & ACC_NOTPRESENT_MASK, FLG_G | FLG_DB);
	__asm__ volatile("mov %0, %%fs; mov %1, %%fs" ::"r"(np), "r"(SEL_KDATA));
}
static void do_int60(void) { __asm__ volatile("int $0x60"); }
static void do_int3(void) { __asm__ volatile("int3"); }

void test_main(void)
{
	struct fault f = with_gate_absent(13, do_gp);
	check_fault("gp_then_np.df", &f, 8, 0);
	f = with_gate_absent(0, do_de);
	check_fault("de_then_np.df", &f, 8, 0);
	f = with_gate_absent(14, do_pf);
	check_fault("pf_then_np.df", &f, 8, 0);
	f = with_gate_absent(11, do_np);
	check_fault("np_then_np.df", &f, 8, 0);
	f = with_gate_absent(6, do_ud);
	check(f.vector == 11 && (f.error & ~1u) == 6 * 8 + 2, "ud_then_np.benign",
	      "vector %d error 0x%x", f.vector, f.error);
	f = with_gate_absent(0x60, do_int60);
	check_fault("int60_absent.np_no_ext", &f, 11, 0x60 * 8 + 2);
	f = with_gate_absent(3, do_int3);
	check_fault("int3_absent.np_no_ext", &f, 11, 3 * 8 + 2);

	/* #PF while delivering #PF: the IDT's entry 14 lies in a page that is
	 * not present (entries 0-13 are in the mapped page before it) */
	uint8_t *page = alloc_page();
	uint32_t base = SCRATCH_VA + 0x1000 - 14 * 8;
	map_page(SCRATCH_VA, (uint32_t)page, PTE_W);
	unmap_page(SCRATCH_VA + 0x1000);
	for (int v = 0; v < 14; v++) {
		uint64_t g = idt_get(v);
		memcpy(page + 0x1000 - 14 * 8 + v * 8, &g, 8);
	}
	struct __attribute__((packed)) { uint16_t lim; uint32_t base; } moved = { 0x7FF, base }, orig;
	__asm__ volatile("sidt %0" : "=m"(orig));
	if (catch_fault(&f) == 0) {
		__asm__ volatile("lidt %0; movl (%1), %%eax" ::"m"(moved), "r"(SCRATCH_VA + 0x5000)
				 : "eax", "memory");
		catch_end();
	}
	__asm__ volatile("lidt %0" ::"m"(orig));
	check_fault("pf_reading_idt.df", &f, 8, 0);
	check_eq("pf_reading_idt.cr2", f.cr2, SCRATCH_VA + 0x1000);
}
