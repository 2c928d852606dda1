/*
 * x87 probe "env" (common/fpu_probes.c): every result word against the
 * values this host CPU produced natively (tables/fpu_expect.h, from
 * gen/fpugen.c).
 */
#include "common/fpu_check.h"

void test_main(void)
{
	fpu_check("fpu.env", fp_env, fexp_env, (int)(sizeof(fexp_env) / sizeof(fexp_env[0])));
	fpu_check("fpu.env.repeat", fp_env, fexp_env, (int)(sizeof(fexp_env) / sizeof(fexp_env[0])));
}
