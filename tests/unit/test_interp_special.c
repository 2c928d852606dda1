/*
 * Specifications of the handlers the interpreter makes at decode time
 * (interp_prepare: alu_specialize, move_specialize, ...) and of their
 * flagless forms: on random registers, flags and memory, a specialized
 * handler leaves exactly the state the row's general handler leaves,
 * faults included (same vector and error code, nothing changed), and a
 * flagless form differs from it only in the arithmetic flags, which it
 * leaves alone.
 *
 * Flat 32-bit protected mode at CPL 0 with paging: the data pages are
 * DATA (read/write), DATA + 0x1000 (not present) and DATA + 0x2000
 * (read-only, CR0.WP set); the stack lies in the same pages, and a
 * random DS or SS limit sometimes cuts them off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/interp.h"
#include "vmm/interp_block.h"
#include "vmm/machine.h"
#include "vmm/mem.h"
#include "fixture_machine.h"

#define FIXTURE_RNG_SEED 0x9e3779b97f4a7c15ull
#include "fixture_rng.h"

#define PD 0x200000u
#define PT 0x201000u
#define DATA 0x10000u
#define DATA_BYTES 0x3000u
#define CODE 0x1000u
#define TRIALS 400

static struct machine m;
static struct cpu *c = &m.cpu;

/* What one run of a handler left. */
struct outcome {
	struct cpu cpu;
	int vector;
	uint32_t err;
	uint8_t data[DATA_BYTES];
};

static void map_pages(void)
{
	uint32_t pde = PT | 3, pte;

	memcpy(m.ram + PD, &pde, 4);
	for (uint32_t p = 0; p < 1024; p++) {
		pte = p << 12 | 3;
		if (p << 12 == DATA + 0x1000)
			pte = 0;
		if (p << 12 == DATA + 0x2000)
			pte &= ~2u;
		memcpy(m.ram + PT + p * 4, &pte, 4);
	}
}

static int setup(void **state)
{
	(void)state;
	if (machine_init(&m, 4u << 20) < 0)
		return -1;
	machine_reset(&m);
	c->m = &m;
	fixture_cpu_set_flat32_segs(c);
	c->cr3 = PD;
	c->cr0 |= CR0_PE | CR0_PG | CR0_WP;
	map_pages();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	machine_free(&m);
	return 0;
}

/* A register value: often an address in or near the data pages. */
static uint32_t random_reg(void)
{
	switch (rnd() % 4) {
	case 0: return rnd();
	case 1: return rnd() % 8;
	default: return DATA + rnd() % (DATA_BYTES + 8) - 4;
	}
}

static void random_state(void)
{
	for (int r = 0; r < 8; r++)
		c->gpr[r] = random_reg();
	if (rnd() % 4)
		c->gpr[ESP] = DATA + 0x800 + rnd() % 0x800;
	c->eflags = F_FIXED1 | (rnd() & F_ARITH);
	c->seg[SR_DS].limit = rnd() % 8 ? 0xffffffffu : DATA + rnd() % DATA_BYTES;
	c->seg[SR_SS].limit = rnd() % 8 ? 0xffffffffu : DATA + rnd() % DATA_BYTES;
	c->seg[SR_CS].limit = rnd() % 8 ? 0xffffffffu : CODE + rnd() % 0x100;
	for (uint32_t k = 0; k < DATA_BYTES; k++)
		m.ram[DATA + k] = (uint8_t)rnd();
	map_pages();
	tlb_flush_all(c, true);
}

static void run_handler(insn_handler *h, const struct insn *i, const struct cpu *start,
			const uint8_t *data, struct outcome *out)
{
	jmp_buf env;

	*c = *start;
	memcpy(m.ram + DATA, data, DATA_BYTES);
	map_pages();
	tlb_flush_all(c, true);
	c->exc.vector = -1;
	c->exc_jmp = &env;
	c->insn_eip = i->eip;
	c->eip = i->eip + i->len;
	if (!setjmp(env))
		h(c, i);
	out->cpu = *c;
	out->vector = c->exc.vector;
	out->err = c->exc.err;
	memcpy(out->data, m.ram + DATA, DATA_BYTES);
}

static void expect_same(const char *what, const struct outcome *a, const struct outcome *b,
			uint32_t flag_mask)
{
	bool same = a->vector == b->vector && (a->vector < 0 || a->err == b->err) &&
		    !memcmp(a->cpu.gpr, b->cpu.gpr, sizeof(a->cpu.gpr)) &&
		    ((a->cpu.eflags ^ b->cpu.eflags) & flag_mask) == 0 &&
		    (a->vector >= 0 || a->cpu.eip == b->cpu.eip) &&
		    !memcmp(a->data, b->data, DATA_BYTES);

	if (!same)
		fail_msg("%s: vector %d/%d eflags %08x/%08x eip %08x/%08x", what, a->vector,
			 b->vector, a->cpu.eflags, b->cpu.eflags, a->cpu.eip, b->cpu.eip);
}

/* Decode bytes at CODE as the block cache does; the handler must be a specialized one. */
static void decode(struct insn *i, const uint8_t *bytes, unsigned n)
{
	assert_int_equal(decode_bytes(i, true, bytes, n, CODE), DECODE_OK);
	interp_prepare(i);
	if (i->exec == i->desc->exec)
		fail_msg("%s %02x %02x: no specialized handler", i->desc->mnemonic, bytes[0],
			 bytes[1]);
}

/*
 * Specialized vs general on random states; a faulting run must leave
 * the state it started from. With `flagless`, that form too, which must
 * leave the flags as they were and agree on everything else.
 */
static void check(const uint8_t *bytes, unsigned n)
{
	static struct outcome general, special, nf;
	static uint8_t data[DATA_BYTES];
	struct insn i;
	struct cpu start;
	insn_handler *flagless;

	decode(&i, bytes, n);
	flagless = alu_flagless(&i) ? alu_flagless(&i)
		   : shift_flagless(&i) ? shift_flagless(&i) : muldiv_flagless(&i);
	for (int t = 0; t < TRIALS; t++) {
		random_state();
		start = *c;
		memcpy(data, m.ram + DATA, DATA_BYTES);
		run_handler(i.desc->exec, &i, &start, data, &general);
		run_handler(i.exec, &i, &start, data, &special);
		expect_same(i.desc->mnemonic, &general, &special, ~0u);
		if (general.vector >= 0)
			assert_memory_equal(general.cpu.gpr, start.gpr, sizeof(start.gpr));
		if (general.vector >= 0)
			assert_memory_equal(general.data, data, DATA_BYTES);
		if (!flagless)
			continue;
		run_handler(flagless, &i, &start, data, &nf);
		expect_same(i.desc->mnemonic, &general, &nf, ~F_ARITH);
		assert_int_equal(nf.cpu.eflags, start.eflags);
	}
}
#define CHECK(...) check((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void alu_register_forms_match_the_general_handler(void **state)
{
	(void)state;
	for (uint8_t op = 0x01; op < 0x40; op += 8) /* ADD OR ADC SBB AND SUB XOR CMP r/m32, r32 */
		CHECK(op, 0xd8 | (rnd() & 7));
	CHECK(0x85, 0xca);                            /* test edx, ecx */
	for (uint8_t reg = 0; reg < 8; reg++) {
		CHECK(0x81, 0xc0 | reg << 3 | 3, 0x78, 0x56, 0x34, 0x92); /* group 1, imm32 */
		CHECK(0x83, 0xc0 | reg << 3 | 6, 0x80);                    /* group 1, imm8 */
	}
	CHECK(0x40);       /* inc eax */
	CHECK(0x4f);       /* dec edi */
	CHECK(0xf7, 0xdb); /* neg ebx */
	CHECK(0xf7, 0xd1); /* not ecx */
}

static void shift_and_multiply_register_forms_match_the_general_handler(void **state)
{
	static const uint8_t counts[] = { 0, 1, 5, 13, 31, 32, 33 };

	(void)state;
	for (uint8_t reg = 0; reg < 8; reg++)
		for (unsigned k = 0; k < sizeof(counts); k++)
			CHECK(0xc1, 0xc0 | reg << 3 | 2, counts[k]);
	CHECK(0x0f, 0xaf, 0xc3);                      /* imul eax, ebx */
	CHECK(0x69, 0xfa, 0x93, 0x01, 0x00, 0x01);    /* imul edi, edx, 0x1000193 */
	CHECK(0x6b, 0xc8, 0xf9);                      /* imul ecx, eax, -7 */
}

static void move_forms_match_the_general_handler(void **state)
{
	(void)state;
	CHECK(0x89, 0xd8);                         /* mov eax, ebx */
	CHECK(0xbe, 0x11, 0x22, 0x33, 0x44);       /* mov esi, imm32 */
	CHECK(0x8b, 0x03);                         /* mov eax, [ebx] */
	CHECK(0x8b, 0x44, 0x24, 0x08);             /* mov eax, [esp + 8] */
	CHECK(0x89, 0x4e, 0xfc);                   /* mov [esi - 4], ecx */
	CHECK(0x0f, 0xb6, 0xc7);                   /* movzx eax, bh */
	CHECK(0x0f, 0xb7, 0xca);                   /* movzx ecx, dx */
	CHECK(0x0f, 0xbe, 0xd4);                   /* movsx edx, ah */
	CHECK(0x0f, 0xbf, 0xc1);                   /* movsx eax, cx */
}

static void branch_forms_match_the_general_handler(void **state)
{
	(void)state;
	for (uint8_t cc = 0; cc < 16; cc++)
		CHECK(0x70 | cc, 0x10);             /* jcc rel8 */
	CHECK(0x0f, 0x85, 0x00, 0x01, 0x00, 0x00); /* jnz rel32 */
	CHECK(0xeb, 0xfe);                         /* jmp rel8 */
	CHECK(0xe8, 0x00, 0x02, 0x00, 0x00);       /* call rel32 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(alu_register_forms_match_the_general_handler, setup, teardown),
		cmocka_unit_test_setup_teardown(shift_and_multiply_register_forms_match_the_general_handler, setup, teardown),
		cmocka_unit_test_setup_teardown(move_forms_match_the_general_handler, setup, teardown),
		cmocka_unit_test_setup_teardown(branch_forms_match_the_general_handler, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
