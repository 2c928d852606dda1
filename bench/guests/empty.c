/* No work: measures how long QEMU takes to start and stop. */
#include "bench.h"

int bench_main(const uint32_t *mbi)
{
	(void)mbi;
	return bench_report("empty", 0);
}
