/*
 * System-register instructions at CPL 0: LGDT/SGDT, LIDT/SIDT, SLDT, STR,
 * SMSW/LMSW (LMSW cannot clear PE), MOV to and from CR0/CR2/CR3/CR4 and
 * DR0-DR7 (DR7 bit 10 and DR6 bits 4-11, 16-31 read as 1 per the SDM),
 * CLTS, INVD, WBINVD. Values from the SDM vol. 3 2.5, 17.2 and the
 * instruction pages.
 */
#include "rt.h"

struct __attribute__((packed)) dtr48 {
	uint16_t limit;
	uint32_t base;
};

static void check_dtr(void)
{
	struct dtr48 g, i, g2 = { 0x1FF, 0x12345678 }, back;
	__asm__ volatile("sgdt %0; sidt %1" : "=m"(g), "=m"(i));
	check_eq("sgdt.limit", g.limit, GDT_ENTRIES * 8 - 1);
	check_eq("sidt.limit", i.limit, 256 * 8 - 1);
	__asm__ volatile("lgdt %1; sgdt %0; lgdt %2" : "=m"(back) : "m"(g2), "m"(g));
	check(back.limit == 0x1FF && back.base == 0x12345678, "lgdt.roundtrip",
	      "limit 0x%x base 0x%x", back.limit, back.base);
	__asm__ volatile("lidt %1; sidt %0; lidt %2" : "=m"(back) : "m"(g2), "m"(i));
	check(back.limit == 0x1FF && back.base == 0x12345678, "lidt.roundtrip",
	      "limit 0x%x base 0x%x", back.limit, back.base);
}

static void check_ldtr_tr(void)
{
	uint32_t ldt = 0xFFFFFFFF, tr = 0xFFFFFFFF;
	__asm__ volatile("sldt %0; str %1" : "+r"(ldt), "+r"(tr));
	check_eq("sldt.null", ldt, 0);
	check_eq("str.tss", tr, SEL_TSS);
	uint16_t m = 0xFFFF;
	__asm__ volatile("sldt %0" : "+m"(m));
	check_eq("sldt.mem16", m, 0);
}

static void check_msw(void)
{
	uint32_t cr0 = read_cr0(), msw;
	__asm__ volatile("smsw %0" : "=r"(msw));
	check_eq("smsw.low_cr0", msw & 0xFFFF, cr0 & 0xFFFF);
	__asm__ volatile("lmsw %w0" ::"r"(0x0000));
	check_eq("lmsw.cannot_clear_pe", read_cr0() & 1, 1);
	__asm__ volatile("lmsw %w0" ::"r"(0x000B));
	check_eq("lmsw.sets_mp_ts", read_cr0() & 0xF, 0xB);
	__asm__ volatile("clts");
	check_eq("clts.clears_ts", read_cr0() & 0xF, 0x3);
	write_cr0(cr0);
}

static void check_crs(void)
{
	uint32_t v;
	__asm__ volatile("mov %1, %%cr2; mov %%cr2, %0" : "=r"(v) : "r"(0xCAFEF00D));
	check_eq("cr2.roundtrip", v, 0xCAFEF00D);
	check_eq("cr3.is_page_dir", read_cr3(), (uint32_t)page_dir);
	uint32_t cr4 = read_cr4();
	write_cr4(cr4 | 0x80);
	check_eq("cr4.pge_set", read_cr4() & 0x90, 0x90);
	write_cr4(cr4);
	check_eq("cr4.restored", read_cr4(), cr4);
	write_cr0(read_cr0() | 0x8);
	check_eq("cr0.ts_set", read_cr0() & 0x8, 0x8);
	__asm__ volatile("clts");
	check_eq("cr0.ts_cleared", read_cr0() & 0x8, 0);
}

static void check_drs(void)
{
	uint32_t d0, d1, d2, d3, d6, d7;
	__asm__ volatile("mov %2, %%dr0; mov %3, %%dr1; mov %%dr0, %0; mov %%dr1, %1"
			 : "=&r"(d0), "=&r"(d1) : "r"(0x11111111), "r"(0x22222222));
	__asm__ volatile("mov %2, %%dr2; mov %3, %%dr3; mov %%dr2, %0; mov %%dr3, %1"
			 : "=&r"(d2), "=&r"(d3) : "r"(0x33333333), "r"(0x44444444));
	check(d0 == 0x11111111 && d1 == 0x22222222 && d2 == 0x33333333 && d3 == 0x44444444,
	      "dr0_3.roundtrip", "%x %x %x %x", d0, d1, d2, d3);
	__asm__ volatile("mov %2, %%dr6; mov %2, %%dr7; mov %%dr6, %0; mov %%dr7, %1"
			 : "=&r"(d6), "=&r"(d7) : "r"(0));
	check_eq("dr6.reserved_ones", d6 & 0xFFFF0FF0, 0xFFFF0FF0);
	check_eq("dr6.status_clear", d6 & 0x600F, 0);
	check_eq("dr7.bit10_one", d7, 0x400);
	__asm__ volatile("mov %1, %%dr7; mov %%dr7, %0" : "=r"(d7) : "r"(0x00000002));
	check_eq("dr7.g0_roundtrip", d7, 0x402);
	__asm__ volatile("mov %0, %%dr7" ::"r"(0));
}

void test_main(void)
{
	check_dtr();
	check_ldtr_tr();
	check_msw();
	check_crs();
	check_drs();
	__asm__ volatile("invd; wbinvd" ::: "memory");
	check(1, "invd_wbinvd.execute", "");
}
