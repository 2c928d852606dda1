/*
 * x87 probe "arith" (common/fpu_probes.c): every result word against the
 * values this host CPU produced natively (tables/fpu_expect.h, from
 * gen/fpugen.c).
 */
#include "common/fpu_check.h"

void test_main(void)
{
	fpu_check("fpu.arith", fp_arith, fexp_arith, (int)(sizeof(fexp_arith) / sizeof(fexp_arith[0])));
	fpu_check("fpu.arith.repeat", fp_arith, fexp_arith, (int)(sizeof(fexp_arith) / sizeof(fexp_arith[0])));
}
