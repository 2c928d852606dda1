/*
 * Integer probes, group "rotate" (common/ops.h OPS_ROTATE): results and the
 * flags the SDM defines, against tables/ops_rotate.h, which gen/hostgen.c
 * produced by running the same probe code natively on this host CPU.
 */
#include "common/ops_check.h"
#include "tables/ops_rotate.h"

void test_main(void)
{
	OPS_ROTATE(OPS_CHECK_DEFINED)
}
