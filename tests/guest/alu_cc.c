/*
 * Integer probes, group "cc" (common/ops.h OPS_CC): results and the
 * flags the SDM defines, against tables/ops_cc.h, which gen/hostgen.c
 * produced by running the same probe code natively on this host CPU.
 */
#include "common/ops_check.h"
#include "tables/ops_cc.h"

void test_main(void)
{
	OPS_CC(OPS_CHECK_DEFINED)
}
