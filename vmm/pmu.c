/*
 * The P6 performance-monitoring counters on the virtual clock. The model
 * is a CPU that retires one instruction per cycle at 1 GHz (vmm/timer.h),
 * so the two events doppel can count exactly are the same number:
 * INST_RETIRED (0xC0) and CPU_CLK_UNHALTED (0x79) both count retired
 * instructions, machine_retired() (the clock less HLT's jumps). Every
 * other event counts nothing (docs/cpu-model.md). There is no overflow
 * interrupt: the model has no local APIC.
 *
 * Counting is not done per instruction: each counter holds its value as
 * of pmu_mark, and a read adds the instructions retired since then if the
 * counter is counting now. Whatever changes whether it counts (a
 * PerfEvtSel write, a counter write, a CPL change for USR/OS) first folds
 * the elapsed count into the counters, so a value read at any RDPMC or
 * RDMSR is exact.
 */
#include "pmu.h"

#include "machine.h"

#define EVTSEL_USR (1u << 16)
#define EVTSEL_OS (1u << 17)
#define EVTSEL_EDGE (1u << 18)
#define EVTSEL_EN (1u << 22)    /* PerfEvtSel0 only: enables both counters */
#define EVTSEL_INV (1u << 23)
#define EVTSEL_CMASK(v) ((v) >> 24)

#define EV_INST_RETIRED 0xc0u
#define EV_CPU_CLK_UNHALTED 0x79u

/*
 * Does counter n count now? Each cycle of the model has exactly one
 * event of either kind, so a counter mask compares 1 with CMASK (INV
 * inverts that), and edge detection sees no edges in a steady condition.
 */
static bool pmu_counting(const struct cpu *c, unsigned n)
{
	uint32_t sel = c->msr.perfevtsel[n], cmask = EVTSEL_CMASK(sel);
	uint8_t ev = (uint8_t)sel;

	if (!(c->msr.perfevtsel[0] & EVTSEL_EN) || !(sel & (c->cpl ? EVTSEL_USR : EVTSEL_OS)))
		return false;
	if (ev != EV_INST_RETIRED && ev != EV_CPU_CLK_UNHALTED)
		return false;
	if (!cmask)
		return true;
	return !(sel & EVTSEL_EDGE) && ((cmask <= 1) != !!(sel & EVTSEL_INV));
}

static uint64_t pmu_elapsed(const struct cpu *c)
{
	return machine_retired(c->m) - c->msr.pmu_mark;
}

/* Bring both counters up to now under the conditions that held so far. */
static void pmu_fold(struct cpu *c)
{
	uint64_t d = pmu_elapsed(c);

	for (unsigned n = 0; n < PMU_COUNTERS; n++)
		if (pmu_counting(c, n))
			c->msr.perfctr[n] = (c->msr.perfctr[n] + d) & PMU_CTR_MASK;
	c->msr.pmu_mark += d;
}

uint64_t pmu_read_counter(struct cpu *c, unsigned n)
{
	uint64_t v = c->msr.perfctr[n];

	if (pmu_counting(c, n))
		v += pmu_elapsed(c);
	return v & PMU_CTR_MASK;
}

void pmu_write_counter(struct cpu *c, unsigned n, uint64_t v)
{
	pmu_fold(c);
	c->msr.perfctr[n] = (uint64_t)(int64_t)(int32_t)(uint32_t)v & PMU_CTR_MASK;
}

uint64_t pmu_read_evtsel(struct cpu *c, unsigned n)
{
	return c->msr.perfevtsel[n];
}

void pmu_write_evtsel(struct cpu *c, unsigned n, uint64_t v)
{
	if (v >> 32)
		cpu_raise(c, EXC_GP, 0);
	pmu_fold(c);
	c->msr.perfevtsel[n] = (uint32_t)v;
}

void pmu_cpl_change(struct cpu *c, unsigned new_cpl)
{
	if ((c->msr.perfevtsel[0] & EVTSEL_EN) && (new_cpl == 0) != (c->cpl == 0))
		pmu_fold(c);
}
