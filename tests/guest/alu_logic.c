/*
 * Integer probes, group "logic" (common/ops.h OPS_LOGIC): results and the
 * flags the SDM defines, against tables/ops_logic.h, which gen/hostgen.c
 * produced by running the same probe code natively on this host CPU.
 */
#include "common/ops_check.h"
#include "tables/ops_logic.h"

void test_main(void)
{
	OPS_LOGIC(OPS_CHECK_DEFINED)
}
