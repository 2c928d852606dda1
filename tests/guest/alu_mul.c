/*
 * Integer probes, group "mul" (common/ops.h OPS_MUL): results and the
 * flags the SDM defines, against tables/ops_mul.h, which gen/hostgen.c
 * produced by running the same probe code natively on this host CPU.
 */
#include "common/ops_check.h"
#include "tables/ops_mul.h"

void test_main(void)
{
	OPS_MUL(OPS_CHECK_DEFINED)
}
