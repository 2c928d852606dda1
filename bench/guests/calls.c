/* Call- and branch-bound: recursive Fibonacci and indirect calls through
 * a table, with data-dependent branches. */
#include "bench.h"

static uint32_t fib(uint32_t n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static uint32_t op_add(uint32_t a, uint32_t b) { return a + b; }
static uint32_t op_xor(uint32_t a, uint32_t b) { return a ^ (b << 1); }
static uint32_t op_mul(uint32_t a, uint32_t b) { return a * (b | 1); }
static uint32_t op_rot(uint32_t a, uint32_t b) { return (a << (b & 15)) | (a >> (32 - (b & 15) - 1)); }

static uint32_t (*volatile const ops[4])(uint32_t, uint32_t) = { op_add, op_xor, op_mul, op_rot };

static uint32_t indirect(uint32_t rounds)
{
	uint32_t acc = 1;
	for (uint32_t i = 0; i < rounds; i++)
		acc = ops[(acc ^ i) & 3](acc, i);
	return acc;
}

int bench_main(const uint32_t *mbi)
{
	uint32_t n = bench_arg(mbi, 40), r = 0;
	for (uint32_t i = 0; i < n; i++)
		r += fib(27) + indirect(1u << 20);
	return bench_report("calls", r);
}
