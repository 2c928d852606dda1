/*
 * Integer probes, group "arith" (common/ops.h OPS_ARITH): results and the
 * flags the SDM defines, against tables/ops_arith.h, which gen/hostgen.c
 * produced by running the same probe code natively on this host CPU.
 */
#include "common/ops_check.h"
#include "tables/ops_arith.h"

void test_main(void)
{
	OPS_ARITH(OPS_CHECK_DEFINED)
}
