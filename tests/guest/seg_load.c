/*
 * Loading segment registers with wrong descriptors (SDM vol. 3 5.4-5.6 and
 * the MOV/POP/LDS pages): #GP(selector) for a selector beyond the table, a
 * system descriptor, an execute-only code segment, a privilege mismatch;
 * #NP(selector) for a not-present data segment; SS: #GP(0) for null,
 * #GP(sel) for read-only/code/DPL or RPL mismatch, #SS(sel) for not
 * present. The error code is the selector with its RPL bits replaced by
 * EXT=0, IDT=0.
 */
#include "rt.h"

static int load(int which, uint16_t sel, struct fault *f)
{
	if (catch_fault(f) == 0) {
		if (which == 0)
			__asm__ volatile("mov %0, %%ds; mov %1, %%ds" ::"r"(sel), "r"(SEL_KDATA));
		else if (which == 1)
			__asm__ volatile("mov %0, %%ss; mov %1, %%ss" ::"r"(sel), "r"(SEL_KDATA));
		else if (which == 2)
			__asm__ volatile("mov %0, %%fs; mov %1, %%fs" ::"r"(sel), "r"(SEL_KDATA));
		else
			__asm__ volatile("push %0; pop %%gs; mov %1, %%gs" ::"r"((uint32_t)sel), "r"(SEL_KDATA));
		catch_end();
	}
	return f->vector;
}

static void expect(const char *name, int which, uint16_t sel, int vec, uint32_t err)
{
	struct fault f;
	load(which, sel, &f);
	if (vec < 0)
		check(f.vector == NO_FAULT, name, "vector %d error 0x%x", f.vector, f.error);
	else
		check_fault(name, &f, vec, err);
}

static uint16_t u_sel;
static uint32_t u_load_ds(uint32_t sel)
{
	__asm__ volatile("mov %0, %%ds" ::"r"(sel));
	return 1;
}

static void far_jump(const char *name, uint16_t sel, int vec)
{
	struct fault f;
	static struct __attribute__((packed)) { uint32_t off; uint16_t sel; } target;
	target.off = 0;
	target.sel = sel;
	if (catch_fault(&f) == 0) {
		__asm__ volatile("ljmp *%0" ::"m"(target));
		catch_end();
	}
	check_fault(name, &f, vec, sel & 0xFFFC);
}

void test_main(void)
{
	uint16_t xo = gdt_set(9, 0, 0xFFFFF, ACC_CODE_X, FLG_G | FLG_DB);
	uint16_t xr = gdt_set(10, 0, 0xFFFFF, ACC_CODE_XR, FLG_G | FLG_DB);
	uint16_t np = gdt_set(11, 0, 0xFFFFF, ACC_DATA_RW & ACC_NOTPRESENT_MASK, FLG_G | FLG_DB);
	uint16_t ro = gdt_set(12, 0, 0xFFFFF, ACC_DATA_RO, FLG_G | FLG_DB);
	uint16_t d3 = gdt_set(13, 0, 0xFFFFF, ACC_DATA_RW | ACC_DPL(3), FLG_G | FLG_DB);
	uint16_t beyond = GDT_ENTRIES * 8;

	expect("ds.null_ok", 0, 0, -1, 0);
	expect("ds.null_rpl3_ok", 0, 3, -1, 0);
	expect("ds.beyond_gdt", 0, beyond, 13, beyond);
	expect("ds.system_tss", 0, SEL_TSS, 13, SEL_TSS);
	expect("ds.exec_only_code", 0, xo, 13, xo);
	expect("ds.readable_code_ok", 0, xr, -1, 0);
	expect("ds.not_present", 0, np, 11, np);
	expect("ds.rpl3_beats_not_present", 0, np | 3, 13, np);
	expect("ds.ldt_without_ldtr", 0, 0x0C, 13, 0x0C);
	expect("ds.dpl3_from_cpl0_ok", 0, d3, -1, 0);
	expect("fs.not_present", 2, np, 11, np);
	expect("gs.pop_exec_only", 3, xo, 13, xo);
	expect("ss.null", 1, 0, 13, 0);
	expect("ss.read_only", 1, ro, 13, ro);
	expect("ss.code", 1, xr, 13, xr);
	expect("ss.dpl3_at_cpl0", 1, d3 | 0, 13, d3);
	expect("ss.rpl_mismatch", 1, SEL_KDATA | 3, 13, SEL_KDATA);
	expect("ss.not_present", 1, np, 12, np);
	expect("ss.beyond_gdt", 1, beyond, 13, beyond);

	struct fault f;
	u_sel = SEL_KDATA;
	if (catch_fault(&f) == 0) {
		run_user(u_load_ds, SEL_KDATA | 3);
		catch_end();
	}
	check_fault("ds.dpl0_from_cpl3", &f, 13, SEL_KDATA);
	if (catch_fault(&f) == 0) {
		check_eq("ds.dpl3_from_cpl3_ok", run_user(u_load_ds, d3 | 3), 1);
		catch_end();
	}
	far_jump("cs.jmp_to_data", SEL_KDATA, 13);
	uint16_t npc = gdt_set(14, 0, 0xFFFFF, ACC_CODE_XR & ACC_NOTPRESENT_MASK, FLG_G | FLG_DB);
	far_jump("cs.jmp_not_present", npc, 11);
	far_jump("cs.jmp_dpl3_code", SEL_UCODE & 0xFFFC, 13);
}
