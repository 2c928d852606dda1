/*
 * Integer probes, group "bcd": every flag and result, including those the
 * SDM leaves undefined, against the values this host's Intel CPU produced
 * natively (tables/ops_bcd.h). doppel reproduces the host CPU there.
 */
#include "common/ops_check.h"
#include "tables/ops_bcd.h"


void test_main(void)
{
	OPS_BCD(OPS_CHECK_FULL)
}
