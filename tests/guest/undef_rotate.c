/*
 * Integer probes, group "rotate": every flag and result, including those the
 * SDM leaves undefined, against the values this host's Intel CPU produced
 * natively (tables/ops_rotate.h). doppel reproduces the host CPU there.
 */
#include "common/ops_check.h"
#include "tables/ops_rotate.h"


void test_main(void)
{
	OPS_ROTATE(OPS_CHECK_FULL)
}
