/*
 * Integer probes, group "bcd" (common/ops.h OPS_BCD): results and the
 * flags the SDM defines, against tables/ops_bcd.h, which gen/hostgen.c
 * produced by running the same probe code natively on this host CPU.
 */
#include "common/ops_check.h"
#include "tables/ops_bcd.h"

void test_main(void)
{
	OPS_BCD(OPS_CHECK_DEFINED)
}
