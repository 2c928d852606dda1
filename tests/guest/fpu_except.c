/*
 * x87 state and exception delivery from the SDM (vol. 1 8.1, 8.7; vol. 3
 * 2.5 table 2-2): FNINIT leaves FCW=0x037F, FSW=0, all tags empty; an
 * unmasked exception sets FSW.ES and B and is reported as #MF (CR0.NE=1)
 * at FWAIT, with EIP at it, not at no-wait instructions (fpu_mf_next has
 * the #MF at the next x87 arithmetic instruction); CR0.TS/EM/MP select #NM for x87 instructions and WAIT.
 */
#include "rt.h"

extern char mf_wait[];

static struct fault x87_then(void (*fn)(void))
{
	struct fault f;
	if (catch_fault(&f) == 0) {
		fn();
		catch_end();
	}
	return f;
}

static void do_fld1(void) { __asm__ volatile("fld1; fstp %%st(0)" ::: "memory"); }
static void do_wait(void) { __asm__ volatile("fwait"); }

static void raise_ze(void)
{
	static const uint16_t cw = 0x037B;
	__asm__ volatile("fninit; fldcw %0; fld1; fldz; fdivrp" ::"m"(cw));
}

void test_main(void)
{
	uint8_t env[28];
	uint16_t sw, cw;
	__asm__ volatile("fninit; fnstenv %0; fnstsw %1; fnstcw %2" : "=m"(env), "=m"(sw), "=m"(cw));
	check_eq("fninit.fcw", cw, 0x037F);
	check_eq("fninit.fsw", sw, 0);
	check_eq("fninit.ftw_empty", (uint32_t)env[8] | (uint32_t)env[9] << 8, 0xFFFF);

	struct fault f;
	raise_ze();
	__asm__ volatile("fnstsw %0" : "=m"(sw));
	check_eq("unmasked.fsw_es_b_ze", sw & 0x80FF, 0x8084);
	if (catch_fault(&f) == 0) {
		__asm__ volatile("fnstsw %%ax; fnstcw %0\n.globl mf_wait\nmf_wait: fwait" : "=m"(cw)::"eax");
		catch_end();
	}
	check(f.vector == 16 && f.eip == (uint32_t)mf_wait, "mf.at_fwait", "vector %d eip %x",
	      f.vector, f.eip);
	__asm__ volatile("fnclex; fninit");
	if (catch_fault(&f) == 0) {
		__asm__ volatile("fwait");
		catch_end();
	}
	check_eq("fnclex.no_mf", (uint32_t)f.vector, (uint32_t)NO_FAULT);

	uint32_t cr0 = read_cr0();
	struct { uint32_t bits; int fp_nm, wait_nm; const char *name; } rows[] = {
		{ 0x8, 1, 0, "nm.ts" }, { 0xA, 1, 1, "nm.ts_mp" }, { 0x4, 1, 0, "nm.em" },
		{ 0xC, 1, 0, "nm.em_ts" }, { 0xE, 1, 1, "nm.em_mp_ts" }, { 0x2, 0, 0, "nm.mp_only" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		write_cr0((cr0 & ~0xEu) | rows[i].bits);
		struct fault a = x87_then(do_fld1), b = x87_then(do_wait);
		write_cr0(cr0);
		check((a.vector == 7) == rows[i].fp_nm && (b.vector == 7) == rows[i].wait_nm &&
		      (a.vector == 7 || a.vector == NO_FAULT) && (b.vector == 7 || b.vector == NO_FAULT),
		      rows[i].name, "fld1 vector %d, fwait vector %d", a.vector, b.vector);
	}
	write_cr0(cr0 | 0x8);
	__asm__ volatile("clts");
	check_eq("clts.x87_usable", (uint32_t)x87_then(do_fld1).vector, (uint32_t)NO_FAULT);
}
