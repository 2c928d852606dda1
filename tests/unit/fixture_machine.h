/*
 * Shared unit-test fixture: a machine in flat 32-bit protected mode (4 MiB
 * of RAM, ring-0 segments of base 0 and limit 4 GiB, ESP 0x80000) and a
 * helper that loads a program followed by HLT, so that a run on an engine
 * ends at a known stop.
 */
#ifndef DOPPEL_TESTS_FIXTURE_MACHINE_H
#define DOPPEL_TESTS_FIXTURE_MACHINE_H

#include <stdint.h>
#include <string.h>

#include "vmm/machine.h"

/* Ring-0 flat segment caches (CS 0x08, the others 0x10), as a GDT with
 * those two descriptors would load them. CR0.PE is the caller's. */
static inline void fixture_cpu_set_flat32_segs(struct cpu *c)
{
	for (int s = 0; s < 6; s++)
		c->seg[s] = (struct seg){ .sel = 0x10, .attr = 0xc093, .limit = 0xffffffffu };
	c->seg[SR_CS] = (struct seg){ .sel = 0x08, .attr = 0xc09b, .limit = 0xffffffffu };
}

/* 0 on success, -1 when the machine's memory cannot be had. */
static inline int fixture_machine_init_flat32(struct machine *m)
{
	if (machine_init(m, 4u << 20) < 0)
		return -1;
	machine_reset(m);
	fixture_cpu_set_flat32_segs(&m->cpu);
	m->cpu.cr0 |= CR0_PE;
	m->cpu.gpr[ESP] = 0x80000;
	return 0;
}

/* Copy code to physical address at and point a running CPU's EIP there. */
static inline void fixture_machine_load(struct machine *m, uint32_t at, const uint8_t *code, unsigned n)
{
	memcpy(m->ram + at, code, n);
	m->cpu.eip = at;
	m->cpu.halted = false;
}

/* The same with HLT after the code, where an IF=0 run stops. */
static inline void fixture_machine_load_hlt(struct machine *m, uint32_t at, const uint8_t *code, unsigned n)
{
	fixture_machine_load(m, at, code, n);
	m->ram[at + n] = 0xf4;
}

#endif
