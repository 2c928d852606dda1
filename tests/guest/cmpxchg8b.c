/*
 * CMPXCHG8B m64 (SDM page): compares EDX:EAX with m64; equal: ZF=1 and
 * m64 = ECX:EBX; else ZF=0 and EDX:EAX = m64; the other flags keep their
 * values. A register operand is #UD. Also LOCK CMPXCHG and LOCK XADD on
 * memory and XCHG with memory.
 */
#include "rt.h"

static uint64_t mem8 __attribute__((aligned(8)));

static int cx8(uint32_t *eax, uint32_t *edx, uint32_t ebx, uint32_t ecx, uint32_t *fl)
{
	uint8_t z;
	__asm__ volatile("push %6; popf; lock cmpxchg8b %2; setz %3; pushf; pop %5"
			 : "+a"(*eax), "+d"(*edx), "+m"(mem8), "=q"(z), "+b"(ebx), "=r"(*fl)
			 : "r"(0x8D7 & ~EFL_ZF), "c"(ecx) : "cc", "memory");
	return z;
}

void test_main(void)
{
	uint32_t a = 0x11111111, d = 0x22222222, fl;
	mem8 = 0x2222222211111111ull;
	int z = cx8(&a, &d, 0x33333333, 0x44444444, &fl);
	check(z && mem8 == 0x4444444433333333ull, "cx8.equal_stores", "z %d mem %llx", z, mem8);
	check_eq("cx8.equal_other_flags_kept", fl & (EFL_STATUS & ~EFL_ZF), EFL_STATUS & ~EFL_ZF);
	a = 1, d = 2;
	z = cx8(&a, &d, 5, 6, &fl);
	check(!z && a == 0x33333333 && d == 0x44444444 && mem8 == 0x4444444433333333ull,
	      "cx8.differ_loads", "z %d a %x d %x", z, a, d);

	struct fault f;
	if (catch_fault(&f) == 0) {
		__asm__ volatile(".byte 0x0F, 0xC7, 0xC8");
		catch_end();
	}
	check_fault("cx8.register_operand_ud", &f, 6, 0);

	uint32_t m = 10, acc = 10, nv = 99;
	__asm__ volatile("lock cmpxchgl %2, %0" : "+m"(m), "+a"(acc) : "r"(nv) : "cc");
	check(m == 99 && acc == 10, "lock_cmpxchg.equal", "m %u a %u", m, acc);
	acc = 7;
	__asm__ volatile("lock cmpxchgl %2, %0" : "+m"(m), "+a"(acc) : "r"(nv) : "cc");
	check(m == 99 && acc == 99, "lock_cmpxchg.differ", "m %u a %u", m, acc);
	uint32_t x = 5;
	m = 100;
	__asm__ volatile("lock xaddl %1, %0" : "+m"(m), "+r"(x) :: "cc");
	check(m == 105 && x == 100, "lock_xadd.mem", "m %u x %u", m, x);
	x = 1;
	__asm__ volatile("xchgl %1, %0" : "+m"(m), "+r"(x));
	check(m == 1 && x == 105, "xchg.mem", "m %u x %u", m, x);
	if (catch_fault(&f) == 0) {
		__asm__ volatile(".byte 0xF0, 0x01, 0xC0");
		catch_end();
	}
	check_fault("lock_add_register_ud", &f, 6, 0);
	if (catch_fault(&f) == 0) {
		__asm__ volatile(".byte 0xF0, 0x90");
		catch_end();
	}
	check_fault("lock_nop_ud", &f, 6, 0);
}
