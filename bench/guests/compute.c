/* Compute-bound: FNV-1a and xorshift over registers, plus a sieve of
 * Eratosthenes in a small (cache-resident) array. */
#include "bench.h"

static uint8_t sieve[65536];

static uint32_t count_primes(void)
{
	uint32_t count = 0;
	for (uint32_t i = 0; i < sizeof(sieve); i++)
		sieve[i] = 1;
	for (uint32_t i = 2; i < sizeof(sieve); i++) {
		if (!sieve[i])
			continue;
		count++;
		for (uint32_t j = i * 2; j < sizeof(sieve); j += i)
			sieve[j] = 0;
	}
	return count;
}

static uint32_t hash_rounds(uint32_t seed, uint32_t rounds)
{
	uint32_t h = 2166136261u, x = seed | 1;
	for (uint32_t i = 0; i < rounds; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		h = (h ^ (x & 0xff)) * 16777619u;
	}
	return h;
}

int bench_main(const uint32_t *mbi)
{
	uint32_t n = bench_arg(mbi, 300), r = 0;
	for (uint32_t i = 0; i < n; i++)
		r += count_primes() + hash_rounds(i, 1u << 20);
	return bench_report("compute", r);
}
