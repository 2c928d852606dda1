/*
 * x87 probe "prec" (common/fpu_probes.c): every result word against the
 * values this host CPU produced natively (tables/fpu_expect.h, from
 * gen/fpugen.c).
 */
#include "common/fpu_check.h"

void test_main(void)
{
	fpu_check("fpu.prec", fp_prec, fexp_prec, (int)(sizeof(fexp_prec) / sizeof(fexp_prec[0])));
	fpu_check("fpu.prec.repeat", fp_prec, fexp_prec, (int)(sizeof(fexp_prec) / sizeof(fexp_prec[0])));
}
