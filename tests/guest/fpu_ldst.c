/*
 * x87 probe "ldst" (common/fpu_probes.c): every result word against the
 * values this host CPU produced natively (tables/fpu_expect.h, from
 * gen/fpugen.c).
 */
#include "common/fpu_check.h"

void test_main(void)
{
	fpu_check("fpu.ldst", fp_ldst, fexp_ldst, (int)(sizeof(fexp_ldst) / sizeof(fexp_ldst[0])));
	fpu_check("fpu.ldst.repeat", fp_ldst, fexp_ldst, (int)(sizeof(fexp_ldst) / sizeof(fexp_ldst[0])));
}
