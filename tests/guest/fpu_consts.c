/*
 * x87 probe "consts" (common/fpu_probes.c): every result word against the
 * values this host CPU produced natively (tables/fpu_expect.h, from
 * gen/fpugen.c).
 */
#include "common/fpu_check.h"

void test_main(void)
{
	fpu_check("fpu.consts", fp_consts, fexp_consts, (int)(sizeof(fexp_consts) / sizeof(fexp_consts[0])));
	fpu_check("fpu.consts.repeat", fp_consts, fexp_consts, (int)(sizeof(fexp_consts) / sizeof(fexp_consts[0])));
}
