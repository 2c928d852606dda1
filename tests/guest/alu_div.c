/*
 * Integer probes, group "div" (common/ops.h OPS_DIV): quotients, remainders
 * and #DE against tables/ops_div.h, which gen/hostgen.c produced by running
 * the same probe code natively on this host CPU. IDIV of EDX:EAX =
 * 0x80000000:00000000 by -1 is left to idiv_int64min (QEMU crashes on it).
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
	OPS_DIV(OPS_CHECK_DEFINED)
}
