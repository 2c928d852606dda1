/*
 * Integer probes, group "shxd" (common/ops.h OPS_SHXD): results and the
 * flags the SDM defines, against tables/ops_shxd.h, which gen/hostgen.c
 * produced by running the same probe code natively on this host CPU.
 */
#include "common/ops_check.h"
#include "tables/ops_shxd.h"

void test_main(void)
{
	OPS_SHXD(OPS_CHECK_DEFINED)
}
