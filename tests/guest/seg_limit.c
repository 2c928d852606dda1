/*
 * Segment limit checks (SDM vol. 3 5.3): every byte of an access must lie
 * within the limit. Expand-up: offsets 0..limit; expand-down: limit+1 ..
 * 0xFFFF (B=0) or 0xFFFFFFFF (B=1); G=1 scales the limit to 4 KiB units
 * with the low 12 bits set. A violation through DS/ES is #GP(0), through
 * SS #SS(0).
 */
#include "rt.h"

static uint8_t buf[0x3000] __attribute__((aligned(4096)));

/* access through ES at offset off with size 1, 2 or 4; returns the vector */
static int es_access(uint16_t sel, uint32_t off, int size, int write)
{
	struct fault f;
	if (catch_fault(&f) == 0) {
		__asm__ volatile("mov %0, %%es" ::"r"(sel));
		if (size == 1 && write)
			__asm__ volatile("movb $0x5A, %%es:(%0)" ::"r"(off) : "memory");
		else if (size == 1)
			__asm__ volatile("movb %%es:(%0), %%al" ::"r"(off) : "eax");
		else if (size == 2)
			__asm__ volatile("movw %%es:(%0), %%ax" ::"r"(off) : "eax");
		else
			__asm__ volatile("movl %%es:(%0), %%eax" ::"r"(off) : "eax");
		catch_end();
	}
	__asm__ volatile("mov %0, %%es" ::"r"(SEL_KDATA));
	return f.vector == NO_FAULT ? -1 : f.vector * 0x10000 + (int)f.error;
}

static void expect(const char *name, uint16_t sel, uint32_t off, int size, int write, int vec)
{
	int got = es_access(sel, off, size, write);
	int want = vec < 0 ? -1 : vec * 0x10000;
	check(got == want, name, "got %x (vector<<16|error) expected %x", (uint32_t)got, (uint32_t)want);
}

static void ss_limit(void)
{
	struct fault f;
	uint32_t esp;
	__asm__ volatile("mov %%esp, %0" : "=r"(esp));
	/* a flat stack segment whose limit (G=1) ends a few KiB above ESP */
	uint16_t sel = gdt_set(10, 0, (esp >> 12) + 1, ACC_DATA_RW, FLG_G | FLG_DB);
	uint32_t beyond = ((esp >> 12) + 2) << 12;
	if (catch_fault(&f) == 0) {
		__asm__ volatile("mov %0, %%ss; movl %%ss:(%1), %%eax" ::"r"(sel), "r"(beyond)
				 : "eax");
		__asm__ volatile("mov %0, %%ss" ::"r"(SEL_KDATA));
		catch_end();
	}
	check_fault("ss.limit.ss_fault", &f, 12, 0);
}

void test_main(void)
{
	uint32_t b = (uint32_t)buf;
	uint16_t up = gdt_set(9, b, 0x100, ACC_DATA_RW, FLG_DB);
	expect("up.byte_at_limit", up, 0x100, 1, 0, -1);
	expect("up.byte_past_limit", up, 0x101, 1, 0, 13);
	expect("up.word_at_limit", up, 0x100, 2, 0, 13);
	expect("up.word_at_limit_minus1", up, 0xFF, 2, 0, -1);
	expect("up.dword_at_limit_minus3", up, 0xFD, 4, 0, -1);
	expect("up.dword_at_limit_minus2", up, 0xFE, 4, 0, 13);
	expect("up.dword_wraps_4g", up, 0xFFFFFFFF, 4, 0, 13);
	uint16_t g = gdt_set(9, b, 0, ACC_DATA_RW, FLG_G | FLG_DB);
	expect("granular.byte_at_fff", g, 0xFFF, 1, 0, -1);
	expect("granular.byte_at_1000", g, 0x1000, 1, 0, 13);
	expect("granular.dword_at_ffd", g, 0xFFD, 4, 0, 13);
	uint16_t ro = gdt_set(9, b, 0xFFF, ACC_DATA_RO, FLG_DB);
	expect("readonly.read_ok", ro, 0x10, 1, 0, -1);
	expect("readonly.write_gp", ro, 0x10, 1, 1, 13);
	/* expand-down, B=1: valid offsets limit+1 .. 0xFFFFFFFF */
	uint16_t dn = gdt_set(9, b - 0x1000, 0xFFF, ACC_DATA_RW_DOWN, FLG_DB);
	expect("down32.at_limit", dn, 0xFFF, 1, 0, 13);
	expect("down32.at_limit_plus1", dn, 0x1000, 1, 0, -1);
	expect("down32.word_straddles_limit", dn, 0xFFF, 2, 0, 13);
	expect("down32.dword_at_top", dn, 0xFFFFFFFC, 4, 0, -1);
	expect("down32.dword_past_top", dn, 0xFFFFFFFD, 4, 0, 13);
	expect("down32.offset_zero", dn, 0, 1, 0, 13);
	/* expand-down, B=0: valid offsets limit+1 .. 0xFFFF */
	uint16_t dn16 = gdt_set(9, b - 0x1000, 0xFFF, ACC_DATA_RW_DOWN, 0);
	expect("down16.at_ffff", dn16, 0xFFFF, 1, 0, -1);
	expect("down16.dword_at_fffc", dn16, 0xFFFC, 4, 0, -1);
	expect("down16.dword_at_fffd", dn16, 0xFFFD, 4, 0, 13);
	expect("down16.at_10000", dn16, 0x10000, 1, 0, 13);
	expect("down16.at_1000", dn16, 0x1000, 1, 0, -1);
	ss_limit();
}
