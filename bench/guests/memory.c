/* Memory-bound: copies and strided walks over 8 MiB arrays, more than
 * any cache level and many pages of the software TLB. */
#include "bench.h"

#define WORDS (2u << 20) /* 8 MiB of uint32_t */

static uint32_t a[WORDS], b[WORDS];

static void fill(uint32_t seed)
{
	for (uint32_t i = 0; i < WORDS; i++)
		a[i] = seed += 0x9e3779b9u;
}

static void copy(void)
{
	for (uint32_t i = 0; i < WORDS; i++)
		b[i] = a[i];
}

/* One word per 4 KiB page first, then the rest: a TLB-hostile order. */
static uint32_t walk(void)
{
	uint32_t s = 0;
	for (uint32_t off = 0; off < 1024; off += 16)
		for (uint32_t i = off; i < WORDS; i += 1024)
			s += b[i] ^ i;
	return s;
}

int bench_main(const uint32_t *mbi)
{
	uint32_t n = bench_arg(mbi, 12), r = 0;
	for (uint32_t i = 0; i < n; i++) {
		fill(i);
		copy();
		r += walk();
	}
	return bench_report("memory", r);
}
