/*
 * Guest side of the x87 probes: run one and compare every word with what
 * the host CPU produced (tables/fpu_expect.h).
 */
#ifndef GUEST_FPU_CHECK_H
#define GUEST_FPU_CHECK_H

#include "rt.h"
#include "common/fpu_probes.h"
#include "tables/fpu_expect.h"

static void fpu_check(const char *name, void (*fn)(uint32_t *), const uint32_t *exp, int n)
{
	uint32_t out[64];
	memset(out, 0, sizeof(out));
	fn(out);
	int bad = 0, first = -1;
	for (int i = 0; i < n; i++)
		if (out[i] != exp[i] && !bad++)
			first = i;
	check(bad == 0, name, "%d of %d words differ; first: word %d got 0x%x expected 0x%x", bad, n,
	      first, first >= 0 ? out[first] : 0, first >= 0 ? exp[first] : 0);
}

#define FPU_CHECK(name, n) fpu_check("fpu." #name, fp_##name, fexp_##name, n);

#endif
