/*
 * LAR, LSL, VERR, VERW and ARPL (SDM instruction pages): ZF reports
 * validity; LAR gives the descriptor's high dword masked with 0x00F0FF00
 * (bits 16-19 are checked only by lar_limit_bits; the accessed bit, set by
 * the processor when a segment register is loaded, is not compared); LSL gives the byte limit
 * (G=1: limit << 12 | 0xFFF); system types are allowed per the LAR/LSL
 * tables; at CPL 3 a DPL-0 segment is invisible.
 */
#include "rt.h"

static uint32_t lar(uint32_t sel, int *zf)
{
	uint32_t v = 0xDEADBEEF;
	uint8_t z;
	__asm__ volatile("lar %2, %0; setz %1" : "+r"(v), "=q"(z) : "r"(sel));
	*zf = z;
	return v;
}

static uint32_t lsl(uint32_t sel, int *zf)
{
	uint32_t v = 0xDEADBEEF;
	uint8_t z;
	__asm__ volatile("lsl %2, %0; setz %1" : "+r"(v), "=q"(z) : "r"(sel));
	*zf = z;
	return v;
}

static int verr(uint16_t sel)
{
	uint8_t z;
	__asm__ volatile("verr %1; setz %0" : "=q"(z) : "r"(sel));
	return z;
}

static int verw(uint16_t sel)
{
	uint8_t z;
	__asm__ volatile("verw %1; setz %0" : "=q"(z) : "r"(sel));
	return z;
}

static uint32_t u_probe(uint32_t sel)
{
	return (uint32_t)verr((uint16_t)sel) | (uint32_t)verw((uint16_t)sel) << 1;
}

static void check_lar(const char *name, uint16_t sel, int zf_want, uint32_t want)
{
	int zf;
	uint32_t v = lar(sel, &zf);
	if (zf_want)
		check(zf && (v & 0x00F0FE00) == want, name, "zf %d value 0x%x want 0x%x", zf, v, want);
	else
		check(!zf && v == 0xDEADBEEF, name, "zf %d value 0x%x (must be unchanged)", zf, v);
}

void test_main(void)
{
	int zf;
	check_lar("lar.kcode", SEL_KCODE, 1, 0x00C09A00);
	check_lar("lar.udata", SEL_UDATA, 1, 0x00C0F200);
	check_lar("lar.tss_busy", SEL_TSS, 1, 0x00008A00);
	check_lar("lar.null", 0, 0, 0);
	check_lar("lar.beyond", GDT_ENTRIES * 8, 0, 0);
	uint16_t ig = gdt_set(9, 0, 0, 0x8E, 0);
	check_lar("lar.interrupt_gate_invalid", ig, 0, 0);
	uint16_t cg = gdt_set(9, 0x00080000, 0, 0xEC, 0);
	check_lar("lar.call_gate_valid", cg, 1, 0x0000EC00);
	uint16_t np = gdt_set(10, 0, 0x12345, ACC_DATA_RW & ACC_NOTPRESENT_MASK, FLG_DB);
	check_lar("lar.not_present_ok", np, 1, 0x00401200);
	uint16_t dn = gdt_set(11, 0, 0x12345, ACC_DATA_RW_DOWN, 0);
	check_eq("lsl.byte_granular", lsl(dn, &zf), 0x12345);
	check_eq("lsl.byte_granular.zf", zf, 1);
	check_eq("lsl.page_granular", lsl(SEL_KDATA, &zf), 0xFFFFFFFF);
	check_eq("lsl.tss", lsl(SEL_TSS, &zf), sizeof(tss) - 1);
	lsl(cg, &zf);
	check_eq("lsl.call_gate_invalid", zf, 0);
	check_eq("lsl.null_invalid", (lsl(0, &zf), zf), 0);
	uint16_t xo = gdt_set(12, 0, 0xFFFFF, ACC_CODE_X, FLG_G | FLG_DB);
	check_eq("verr.readable_code", verr(SEL_KCODE), 1);
	check_eq("verr.exec_only", verr(xo), 0);
	check_eq("verw.code", verw(SEL_KCODE), 0);
	check_eq("verw.rw_data", verw(SEL_KDATA), 1);
	uint16_t ro = gdt_set(13, 0, 0xFFFFF, ACC_DATA_RO, FLG_G | FLG_DB);
	check_eq("verr.ro_data", verr(ro), 1);
	check_eq("verw.ro_data", verw(ro), 0);
	check_eq("verr.system", verr(SEL_TSS), 0);
	check_eq("cpl3.verr_verw_dpl0_data", run_user(u_probe, SEL_KDATA | 3), 0);
	check_eq("cpl3.verr_verw_dpl3_data", run_user(u_probe, SEL_UDATA), 3);
	check_eq("rpl3.verr_dpl0_data", verr(SEL_KDATA | 3), 0);

	uint16_t dst = 0x0010, src = 0x0003;
	uint8_t z;
	__asm__ volatile("arpl %2, %0; setz %1" : "+r"(dst), "=q"(z) : "r"(src));
	check(dst == 0x0013 && z, "arpl.raises_rpl", "dst 0x%x zf %d", dst, z);
	dst = 0x0012, src = 0x0001;
	__asm__ volatile("arpl %2, %0; setz %1" : "+r"(dst), "=q"(z) : "r"(src));
	check(dst == 0x0012 && !z, "arpl.keeps_higher_rpl", "dst 0x%x zf %d", dst, z);
}
