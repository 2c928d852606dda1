/*
 * Shared unit-test fixture for descriptor tables in guest RAM: segment
 * descriptors and gates written in the architectural layout, the segment
 * cache a load of one would leave, and one instruction executed as the
 * interpreter does, with the vector of the fault it raises. Include after
 * <cmocka.h>: the instruction runner asserts its decode.
 */
#ifndef DOPPEL_TESTS_FIXTURE_DESC_H
#define DOPPEL_TESTS_FIXTURE_DESC_H

#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cpu.h"
#include "vmm/insn.h"
#include "vmm/machine.h"
#include "vmm/seg.h"

#define NO_FAULT (-1)

static inline void fixture_put32(uint8_t *ram, uint32_t pa, uint32_t v)
{
	memcpy(ram + pa, &v, 4);
}

static inline uint32_t fixture_get32(const uint8_t *ram, uint32_t pa)
{
	uint32_t v;

	memcpy(&v, ram + pa, 4);
	return v;
}

/* The descriptor for selector sel in the table at physical address table. */
static inline void fixture_desc_put(uint8_t *ram, uint32_t table, uint16_t sel, uint32_t base,
				    uint32_t limit, uint8_t access, uint8_t flags)
{
	uint32_t lo = (limit & 0xffff) | (base << 16);
	uint32_t hi = ((base >> 16) & 0xff) | ((uint32_t)access << 8) | (limit & 0xf0000) |
		      ((uint32_t)(flags & 0xf) << 20) | (base & 0xff000000u);
	fixture_put32(ram, table + (sel & 0xfff8u), lo);
	fixture_put32(ram, table + (sel & 0xfff8u) + 4, hi);
}

/* A call, task, interrupt or trap gate at physical address addr. */
static inline void fixture_gate_put(uint8_t *ram, uint32_t addr, uint16_t sel, uint32_t off,
				    uint8_t access, uint8_t params)
{
	fixture_put32(ram, addr, (off & 0xffff) | ((uint32_t)sel << 16));
	fixture_put32(ram, addr + 4, (off & 0xffff0000u) | ((uint32_t)access << 8) | params);
}

/* A machine on the heap with its CPU just reset (the caller frees both). */
static inline struct machine *fixture_machine_new(uint32_t ram_size)
{
	struct machine *m = calloc(1, sizeof(*m));

	assert_int_equal(machine_init(m, ram_size), 0);
	cpu_reset(&m->cpu);
	return m;
}

/* The flat 4 GiB segments every test GDT starts with: ring-0 code 0x08 and
 * data 0x10, ring-3 data 0x18 and code 0x20. */
static inline void fixture_gdt_put_flat(uint8_t *ram, uint32_t gdt)
{
	fixture_desc_put(ram, gdt, 0x08, 0, 0xfffff, 0x9a, 0xc);
	fixture_desc_put(ram, gdt, 0x10, 0, 0xfffff, 0x92, 0xc);
	fixture_desc_put(ram, gdt, 0x18, 0, 0xfffff, 0xf2, 0xc);
	fixture_desc_put(ram, gdt, 0x20, 0, 0xfffff, 0xfa, 0xc);
}

/* A segment cache as a load of the table's entry for sel would leave it. */
static inline struct seg fixture_seg_from_table(const uint8_t *ram, uint32_t table, uint16_t sel)
{
	uint32_t at = table + (sel & 0xfff8u);
	struct desc d = { fixture_get32(ram, at), fixture_get32(ram, at + 4), 0 };
	struct seg s;

	desc_to_seg(&d, sel, &s);
	return s;
}

/* Execute one instruction at CS:EIP as the interpreter does (EIP already
 * past it when the handler runs); on a fault EIP goes to insn_eip, which a
 * task switch may have moved. The vector raised, or NO_FAULT. */
static inline int fixture_run_insn(struct cpu *c, const uint8_t *bytes, unsigned n)
{
	struct insn i;
	jmp_buf env;

	assert_int_equal(decode_bytes(&i, cpu_code32(c), bytes, n, c->eip), DECODE_OK);
	assert_non_null(i.desc->exec);
	c->insn_eip = c->eip;
	c->exc_jmp = &env;
	c->exc.vector = -1;
	if (setjmp(env)) {
		c->eip = c->insn_eip;
		return c->exc.vector;
	}
	c->eip = i.eip + i.len;
	i.desc->exec(c, &i);
	return NO_FAULT;
}

#endif
