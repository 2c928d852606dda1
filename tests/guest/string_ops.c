/*
 * String instructions (SDM MOVS/STOS/LODS/CMPS/SCAS, REP prefixes):
 * expected values computed in the guest from the SDM's definitions: each
 * iteration moves one element and steps ESI/EDI by the element size (down
 * with DF=1); REP decrements ECX to 0; REPE/REPNE also stop on ZF; ECX=0
 * does nothing; with a 0x67 prefix the counters are CX, SI, DI.
 */
#include "rt.h"

static uint8_t src[256], dst[256];

static void fill(void)
{
	for (int i = 0; i < 256; i++)
		src[i] = (uint8_t)(i * 7 + 3), dst[i] = 0xEE;
}

void test_main(void)
{
	uint32_t c, s, d, a;
	fill();
	c = 10, s = (uint32_t)src + 5, d = (uint32_t)dst + 9;
	__asm__ volatile("rep movsb" : "+c"(c), "+S"(s), "+D"(d)::"memory");
	check(c == 0 && s == (uint32_t)src + 15 && d == (uint32_t)dst + 19, "rep_movsb.regs",
	      "c %u s %x d %x", c, s, d);
	check_mem("rep_movsb.data", dst + 9, src + 5, 10);
	check(dst[8] == 0xEE && dst[19] == 0xEE, "rep_movsb.bounds", "");

	fill();
	c = 4, s = (uint32_t)src + 12, d = (uint32_t)dst + 40;
	__asm__ volatile("std; rep movsl; cld" : "+c"(c), "+S"(s), "+D"(d)::"memory");
	check(c == 0 && s == (uint32_t)src - 4 && d == (uint32_t)dst + 24, "rep_movsd_down.regs",
	      "c %u s %x d %x", c, s, d);
	check_mem("rep_movsd_down.data", dst + 28, src, 16);

	fill();
	c = 0, s = (uint32_t)src, d = (uint32_t)dst;
	__asm__ volatile("rep movsw" : "+c"(c), "+S"(s), "+D"(d)::"memory");
	check(c == 0 && s == (uint32_t)src && d == (uint32_t)dst && dst[0] == 0xEE,
	      "rep_ecx0.nothing", "s %x d %x", s, d);

	c = 5, d = (uint32_t)dst, a = 0x1234ABCD;
	__asm__ volatile("rep stosw" : "+c"(c), "+D"(d) : "a"(a) : "memory");
	check(c == 0 && d == (uint32_t)dst + 10 && dst[0] == 0xCD && dst[1] == 0xAB &&
	      dst[8] == 0xCD && dst[10] == 0xEE, "rep_stosw", "d %x", d);

	s = (uint32_t)src + 3, a = 0xFFFFFFFF;
	__asm__ volatile("lodsb" : "+S"(s), "+a"(a));
	check(a == (0xFFFFFF00u | src[3]) && s == (uint32_t)src + 4, "lodsb", "a %x", a);
	s = (uint32_t)src + 8;
	__asm__ volatile("std; lodsl; cld" : "+S"(s), "=a"(a));
	uint32_t want;
	memcpy(&want, src + 8, 4);
	check(a == want && s == (uint32_t)src + 4, "lodsd_down", "a %x s %x", a, s);

	fill();
	memcpy(dst, src, 256);
	dst[20] ^= 1;
	c = 100, s = (uint32_t)src, d = (uint32_t)dst;
	uint32_t fl;
	__asm__ volatile("repe cmpsb; pushf; pop %3" : "+c"(c), "+S"(s), "+D"(d), "=r"(fl)::"memory");
	check(c == 79 && s == (uint32_t)src + 21 && d == (uint32_t)dst + 21 && !(fl & EFL_ZF),
	      "repe_cmpsb.stops_after_mismatch", "c %u s %x fl %x", c, s, fl);
	c = 20, s = (uint32_t)src, d = (uint32_t)dst;
	__asm__ volatile("repe cmpsb; pushf; pop %3" : "+c"(c), "+S"(s), "+D"(d), "=r"(fl)::"memory");
	check(c == 0 && (fl & EFL_ZF), "repe_cmpsb.all_equal", "c %u fl %x", c, fl);
	/* CMPS compares [ESI] - [EDI]: src[20] = 143 (0x8F), dst[20] = 0x8E */
	c = 1, s = (uint32_t)src + 20, d = (uint32_t)dst + 20;
	__asm__ volatile("cmpsb; pushf; pop %3" : "+c"(c), "+S"(s), "+D"(d), "=r"(fl)::"memory");
	check_eq("cmpsb.flags_src_minus_dst", fl & EFL_STATUS, 0);

	for (int i = 0; i < 64; i++)
		dst[i] = (uint8_t)i;
	c = 64, d = (uint32_t)dst, a = 37;
	__asm__ volatile("repne scasb; pushf; pop %2" : "+c"(c), "+D"(d), "=r"(fl) : "a"(a) : "memory");
	check(c == 26 && d == (uint32_t)dst + 38 && (fl & EFL_ZF), "repne_scasb.finds",
	      "c %u d %x fl %x", c, d, fl);
	c = 10, d = (uint32_t)dst, a = 200;
	__asm__ volatile("repne scasb; pushf; pop %2" : "+c"(c), "+D"(d), "=r"(fl) : "a"(a) : "memory");
	check(c == 0 && d == (uint32_t)dst + 10 && !(fl & EFL_ZF), "repne_scasb.not_found",
	      "c %u d %x", c, d);

	/* 16-bit address size: CX, SI, DI count; upper halves are untouched */
	fill();
	uint32_t base = (uint32_t)src & 0xFFFF0000u;
	if (((uint32_t)dst & 0xFFFF0000u) == base && (((uint32_t)src + 16) & 0xFFFF0000u) == base) {
		c = 0xABCD0003, s = (uint32_t)src, d = (uint32_t)dst;
		__asm__ volatile("addr16 rep movsb" : "+c"(c), "+S"(s), "+D"(d)::"memory");
		check(c == 0xABCD0000 && s == (uint32_t)src + 3 && d == (uint32_t)dst + 3,
		      "addr16.rep_movsb", "c %x s %x d %x", c, s, d);
	} else {
		check(0, "addr16.rep_movsb", "buffers straddle a 64 KiB boundary (test layout)");
	}
	c = 0x10000, d = (uint32_t)dst, a = 0x55;
	__asm__ volatile("addr16 rep stosb" : "+c"(c), "+D"(d) : "a"(a) : "memory");
	check(c == 0x10000 && d == (uint32_t)dst && dst[0] != 0x55, "addr16.cx0_with_ecx_nonzero",
	      "c %x d %x", c, d);
}
