/*
 * Integer probes, group "bitops" (common/ops.h OPS_BITOPS): results and the
 * flags the SDM defines, against tables/ops_bitops.h, which gen/hostgen.c
 * produced by running the same probe code natively on this host CPU.
 */
#include "common/ops_check.h"
#include "tables/ops_bitops.h"

void test_main(void)
{
	OPS_BITOPS(OPS_CHECK_DEFINED)
}
