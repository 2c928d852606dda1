/*
 * x87 probe "round" (common/fpu_probes.c): every result word against the
 * values this host CPU produced natively (tables/fpu_expect.h, from
 * gen/fpugen.c).
 */
#include "common/fpu_check.h"

void test_main(void)
{
	fpu_check("fpu.round", fp_round, fexp_round, (int)(sizeof(fexp_round) / sizeof(fexp_round[0])));
	fpu_check("fpu.round.repeat", fp_round, fexp_round, (int)(sizeof(fexp_round) / sizeof(fexp_round[0])));
}
