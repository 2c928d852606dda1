/*
 * x87 probe "transc" (common/fpu_probes.c): every result word against the
 * values this host CPU produced natively (tables/fpu_expect.h, from
 * gen/fpugen.c).
 */
#include "common/fpu_check.h"

void test_main(void)
{
	fpu_check("fpu.transc", fp_transc, fexp_transc, (int)(sizeof(fexp_transc) / sizeof(fexp_transc[0])));
	fpu_check("fpu.transc.repeat", fp_transc, fexp_transc, (int)(sizeof(fexp_transc) / sizeof(fexp_transc[0])));
}
