/*
 * Integer probes, group "logic": every flag and result, including those the
 * SDM leaves undefined, against the values this host's Intel CPU produced
 * natively (tables/ops_logic.h). doppel reproduces the host CPU there.
 */
#include "common/ops_check.h"
#include "tables/ops_logic.h"


void test_main(void)
{
	OPS_LOGIC(OPS_CHECK_FULL)
}
