/*
 * EFLAGS helpers against the host CPU: ADD/ADC/SUB/SBB/logic/INC/DEC/NEG
 * results and all six status flags, for edge cases and a fixed random
 * stream, with randomized incoming flags; conditions against SETcc.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "vmm/alu.h"
#include "vmm/interp.h"

#define FIXTURE_RNG_SEED 0x9e3779b97f4a7c15ull
#include "fixture_rng.h"

static uint32_t flags_in(void)
{
	return (rnd() & F_ARITH) | F_FIXED1;
}

#define NATIVE_BIN(fn, mnem, T)                                                        \
	static uint32_t fn(uint32_t a, uint32_t b, uint32_t *fl)                        \
	{                                                                              \
		uint64_t f = *fl;                                                      \
		T x = (T)a, y = (T)b;                                                  \
		__asm__("lea -128(%%rsp), %%rsp; pushq %[f]; popfq; " mnem " %[y], %[x]; pushfq; popq %[f]; lea 128(%%rsp), %%rsp"    \
			: [x] "+r"(x), [f] "+r"(f) : [y] "r"(y) : "cc");               \
		*fl = (uint32_t)f;                                                     \
		return x;                                                              \
	}
#define NATIVE_BIN3(name, mnem)                                                        \
	NATIVE_BIN(name##8, mnem "b", uint8_t)                                         \
	NATIVE_BIN(name##16, mnem "w", uint16_t)                                       \
	NATIVE_BIN(name##32, mnem "l", uint32_t)

NATIVE_BIN3(n_add, "add")
NATIVE_BIN3(n_adc, "adc")
NATIVE_BIN3(n_sub, "sub")
NATIVE_BIN3(n_sbb, "sbb")
NATIVE_BIN3(n_and, "and")
NATIVE_BIN3(n_or, "or")
NATIVE_BIN3(n_xor, "xor")

#define NATIVE_UN(fn, mnem, T)                                                         \
	static uint32_t fn(uint32_t a, uint32_t b, uint32_t *fl)                        \
	{                                                                              \
		uint64_t f = *fl;                                                      \
		T x = (T)a;                                                            \
		(void)b;                                                               \
		__asm__("lea -128(%%rsp), %%rsp; pushq %[f]; popfq; " mnem " %[x]; pushfq; popq %[f]; lea 128(%%rsp), %%rsp"          \
			: [x] "+r"(x), [f] "+r"(f) : : "cc");                          \
		*fl = (uint32_t)f;                                                     \
		return x;                                                              \
	}
#define NATIVE_UN3(name, mnem)                                                         \
	NATIVE_UN(name##8, mnem "b", uint8_t)                                          \
	NATIVE_UN(name##16, mnem "w", uint16_t)                                        \
	NATIVE_UN(name##32, mnem "l", uint32_t)

NATIVE_UN3(n_inc, "inc")
NATIVE_UN3(n_dec, "dec")
NATIVE_UN3(n_neg, "neg")

enum { OP_ADD, OP_ADC, OP_SUB, OP_SBB, OP_AND, OP_OR, OP_XOR, OP_INC, OP_DEC, OP_NEG };

static uint32_t model(struct cpu *c, int op, uint32_t a, uint32_t b, int size)
{
	uint32_t cf = c->eflags & F_CF;

	switch (op) {
	case OP_ADD: return flags_add(c, a, b, 0, size);
	case OP_ADC: return flags_add(c, a, b, cf, size);
	case OP_SUB: return flags_sub(c, a, b, 0, size);
	case OP_SBB: return flags_sub(c, a, b, cf, size);
	case OP_AND: flags_logic(c, a & b, size); return (a & b) & alu_mask(size);
	case OP_OR: flags_logic(c, a | b, size); return (a | b) & alu_mask(size);
	case OP_XOR: flags_logic(c, a ^ b, size); return (a ^ b) & alu_mask(size);
	case OP_INC: return alu_inc(c, a, size);
	case OP_DEC: return alu_dec(c, a, size);
	default: return alu_neg(c, a, size);
	}
}

typedef uint32_t native_fn(uint32_t a, uint32_t b, uint32_t *fl);

static native_fn *const natives[][3] = {
	{ n_add8, n_add16, n_add32 }, { n_adc8, n_adc16, n_adc32 },
	{ n_sub8, n_sub16, n_sub32 }, { n_sbb8, n_sbb16, n_sbb32 },
	{ n_and8, n_and16, n_and32 }, { n_or8, n_or16, n_or32 },
	{ n_xor8, n_xor16, n_xor32 }, { n_inc8, n_inc16, n_inc32 },
	{ n_dec8, n_dec16, n_dec32 }, { n_neg8, n_neg16, n_neg32 },
};
static const char *const names[] = { "add", "adc", "sub", "sbb", "and", "or", "xor", "inc", "dec", "neg" };

static int size_of(int k)
{
	return k == 0 ? 1 : k == 1 ? 2 : 4;
}

static void check_op(int op, int k, uint32_t a, uint32_t b, uint32_t fin)
{
	struct cpu c = { .eflags = fin };
	uint32_t nf = fin;
	uint32_t want = natives[op][k](a, b, &nf);
	uint32_t got = model(&c, op, a, b, size_of(k));

	if (got != want || (c.eflags & F_ARITH) != (nf & F_ARITH))
		fail_msg("%s%d a=%#x b=%#x flags=%#x: got %#x/%#x want %#x/%#x", names[op],
			 size_of(k) * 8, a, b, fin, got, c.eflags & F_ARITH, want, nf & F_ARITH);
}

static void test_arith_matches_host(void **state)
{
	(void)state;
	for (int op = 0; op <= OP_NEG; op++)
		for (int k = 0; k < 3; k++) {
			for (unsigned x = 0; x < N_EDGES; x++)
				for (unsigned y = 0; y < N_EDGES; y++)
					for (uint32_t cf = 0; cf < 2; cf++)
						check_op(op, k, edges[x], edges[y], cf | F_FIXED1);
			for (int n = 0; n < 20000; n++)
				check_op(op, k, operand(), operand(), flags_in());
		}
}

/* Every 8-bit pair, both carries: the byte forms exhaustively. */
static void test_byte_arith_exhaustive(void **state)
{
	(void)state;
	for (int op = 0; op <= OP_SBB; op++)
		for (uint32_t a = 0; a < 256; a++)
			for (uint32_t b = 0; b < 256; b++)
				check_op(op, 0, a, b, (a & 1) | F_FIXED1 | ((b & 2) ? F_AF : 0));
}

static bool native_cond(int cc, uint32_t fl)
{
	uint64_t f = fl;
	uint8_t r;

	switch (cc) {
#define SETCC(n, m) case n: __asm__("lea -128(%%rsp), %%rsp; pushq %[f]; popfq; set" m " %[r]; lea 128(%%rsp), %%rsp" : [r] "=r"(r) : [f] "r"(f) : "cc"); break;
		SETCC(0, "o") SETCC(1, "no") SETCC(2, "b") SETCC(3, "ae")
		SETCC(4, "e") SETCC(5, "ne") SETCC(6, "be") SETCC(7, "a")
		SETCC(8, "s") SETCC(9, "ns") SETCC(10, "p") SETCC(11, "np")
		SETCC(12, "l") SETCC(13, "ge") SETCC(14, "le") default: SETCC(15, "g")
#undef SETCC
	}
	return r;
}

static void test_conditions_match_setcc(void **state)
{
	(void)state;
	for (int cc = 0; cc < 16; cc++)
		for (uint32_t bits = 0; bits < 64; bits++) {
			uint32_t fl = F_FIXED1 | (bits & 1 ? F_CF : 0) | (bits & 2 ? F_PF : 0) |
				      (bits & 4 ? F_AF : 0) | (bits & 8 ? F_ZF : 0) |
				      (bits & 16 ? F_SF : 0) | (bits & 32 ? F_OF : 0);
			struct cpu c = { .eflags = fl };

			assert_int_equal(cond_holds(&c, cc), native_cond(cc, fl));
		}
}

static void test_flags_write_honours_mask_and_reserved_bits(void **state)
{
	struct cpu c = { .eflags = F_FIXED1 | F_IF | F_CF };

	(void)state;
	flags_write(&c, 0xffffffff, F_ARITH);
	assert_int_equal(c.eflags, F_FIXED1 | F_IF | F_ARITH);
	flags_write(&c, 0, F_ARITH | F_IF);
	assert_int_equal(c.eflags, F_FIXED1);
	flags_write(&c, 0xffffffff, 0xffffffff);
	assert_int_equal(c.eflags, 0x003f7fd7u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arith_matches_host),
		cmocka_unit_test(test_byte_arith_exhaustive),
		cmocka_unit_test(test_conditions_match_setcc),
		cmocka_unit_test(test_flags_write_honours_mask_and_reserved_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
