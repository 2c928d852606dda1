/*
 * Integer probes, group "shift" (common/ops.h OPS_SHIFT): results and the
 * flags the SDM defines, against tables/ops_shift.h, which gen/hostgen.c
 * produced by running the same probe code natively on this host CPU.
 */
#include "common/ops_check.h"
#include "tables/ops_shift.h"

void test_main(void)
{
	OPS_SHIFT(OPS_CHECK_DEFINED)
}
