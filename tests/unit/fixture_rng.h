/*
 * Shared unit-test fixture: a fixed xorshift64 stream and the 32-bit edge
 * values that arithmetic tests mix into it, so a failure reproduces from
 * the same inputs on every run. A test picks its stream by defining
 * FIXTURE_RNG_SEED before including this header.
 */
#ifndef DOPPEL_TESTS_FIXTURE_RNG_H
#define DOPPEL_TESTS_FIXTURE_RNG_H

#include <stdint.h>

#ifndef FIXTURE_RNG_SEED
#define FIXTURE_RNG_SEED 0x2545f4914f6cdd1dull
#endif

static uint64_t rng_state = FIXTURE_RNG_SEED;

static inline uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static const uint32_t edges[] = {
	0, 1, 2, 0xf, 0x10, 0x7f, 0x80, 0x81, 0xff, 0x100, 0x7fff, 0x8000,
	0x8001, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,
};
#define N_EDGES (sizeof(edges) / sizeof(edges[0]))

/* Mostly random words, often an edge case, sometimes an edge case +- noise. */
static inline uint32_t operand(void)
{
	uint32_t k = rnd() % 8;

	if (k == 0)
		return edges[rnd() % N_EDGES];
	if (k == 1)
		return edges[rnd() % N_EDGES] ^ (rnd() & 0xf);
	return rnd() >> (rnd() % 32);
}

#endif
