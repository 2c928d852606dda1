/*
 * Integer probes, group "misc" (common/ops.h OPS_MISC): results and the
 * flags the SDM defines, against tables/ops_misc.h, which gen/hostgen.c
 * produced by running the same probe code natively on this host CPU.
 */
#include "common/ops_check.h"
#include "tables/ops_misc.h"

void test_main(void)
{
	OPS_MISC(OPS_CHECK_DEFINED)
}
