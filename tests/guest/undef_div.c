/*
 * Integer probes, group "div": every flag and result, including those the
 * SDM leaves undefined, against the values this host's Intel CPU produced
 * natively (tables/ops_div.h). doppel reproduces the host CPU there.
 */
#include "common/ops_check.h"
#include "tables/ops_div.h"

static int skip_int64min(const struct op *op, const uint32_t in[4])
{
	return op->fn == op_idiv_l && in[2] == 0x80000000 && in[0] == 0 && in[1] == 0xFFFFFFFF;
}

void test_main(void)
{
	ops_skip = skip_int64min;
	OPS_DIV(OPS_CHECK_FULL)
}
