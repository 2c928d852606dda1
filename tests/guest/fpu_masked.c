/*
 * x87 probe "masked" (common/fpu_probes.c): every result word against the
 * values this host CPU produced natively (tables/fpu_expect.h, from
 * gen/fpugen.c).
 */
#include "common/fpu_check.h"

void test_main(void)
{
	fpu_check("fpu.masked", fp_masked, fexp_masked, (int)(sizeof(fexp_masked) / sizeof(fexp_masked[0])));
	fpu_check("fpu.masked.repeat", fp_masked, fexp_masked, (int)(sizeof(fexp_masked) / sizeof(fexp_masked[0])));
}
