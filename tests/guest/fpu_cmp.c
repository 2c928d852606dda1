/*
 * x87 probe "cmp" (common/fpu_probes.c): every result word against the
 * values this host CPU produced natively (tables/fpu_expect.h, from
 * gen/fpugen.c).
 */
#include "common/fpu_check.h"

void test_main(void)
{
	fpu_check("fpu.cmp", fp_cmp, fexp_cmp, (int)(sizeof(fexp_cmp) / sizeof(fexp_cmp[0])));
	fpu_check("fpu.cmp.repeat", fp_cmp, fexp_cmp, (int)(sizeof(fexp_cmp) / sizeof(fexp_cmp[0])));
}
