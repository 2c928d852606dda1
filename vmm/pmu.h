/*
 * The P6 performance-monitoring counters (vmm/pmu.c): PerfEvtSel0/1 and
 * PerfCtr0/1 behind RDMSR/WRMSR, and RDPMC.
 */
#ifndef DOPPEL_PMU_H
#define DOPPEL_PMU_H

#include <stdint.h>

#include "cpu.h"

#define MSR_PERFCTR0 0xc1u
#define MSR_PERFCTR1 0xc2u
#define MSR_PERFEVTSEL0 0x186u
#define MSR_PERFEVTSEL1 0x187u

#define PMU_COUNTERS 2
#define PMU_CTR_MASK 0xffffffffffull /* 40-bit counters */

/* Counter n (0 or 1) as it stands now, 40 bits. */
uint64_t pmu_read_counter(struct cpu *c, unsigned n);
/* WRMSR to PerfCtr n: bits 31:0 written, 39:32 copies of bit 31. */
void pmu_write_counter(struct cpu *c, unsigned n, uint64_t v);
uint64_t pmu_read_evtsel(struct cpu *c, unsigned n);
/* WRMSR to PerfEvtSel n; bits 63:32 reserved (#GP). */
void pmu_write_evtsel(struct cpu *c, unsigned n, uint64_t v);
/* Called before CPL becomes new_cpl: the counts so far belong to the old one. */
void pmu_cpl_change(struct cpu *c, unsigned new_cpl);

#endif
