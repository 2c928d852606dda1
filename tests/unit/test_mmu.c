/*
 * Specifications of the page walk and the software TLB (vmm/mmu.c) and of
 * the segment checks in front of them (vmm/mem.c), on a hand-built
 * machine: 4 KiB and 4 MiB pages, U/S, R/W and CR0.WP, accessed and dirty
 * bits in guest RAM, page-fault error codes and CR2, a stale TLB entry
 * surviving until INVLPG or a CR3 load, global pages, page tables outside
 * RAM, and faults that leave memory untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/machine.h"
#include "vmm/interp.h"
#include "vmm/mem.h"

/* Test-local exception raising for when vmm/cpu.c is not linked in. */
__attribute__((weak)) _Noreturn void cpu_raise(struct cpu *c, int vector, uint32_t err)
{
	c->exc.vector = vector;
	c->exc.err = err;
	longjmp(*c->exc_jmp, 1);
}

__attribute__((weak)) _Noreturn void cpu_raise_pf(struct cpu *c, uint32_t lin, uint32_t err)
{
	c->exc.fault_lin = lin;
	cpu_raise(c, EXC_PF, err);
}

#define RAM_SIZE (16u << 20)
#define PD 0x1000u
#define PT 0x2000u
#define P 0x001u
#define RW 0x002u
#define US 0x004u
#define ACC 0x020u
#define DIRTY 0x040u
#define PS 0x080u
#define G 0x100u

static struct machine *m;
static struct cpu *c;

static int setup(void **state)
{
	(void)state;
	m = calloc(1, sizeof *m);
	m->ram = calloc(1, RAM_SIZE);
	m->ram_size = RAM_SIZE;
	m->a20_mask = 0xffffffffu;
	c = &m->cpu;
	c->m = m;
	for (int s = 0; s < 6; s++)
		c->seg[s] = (struct seg){ .attr = 0xc093, .limit = 0xffffffffu };
	c->seg[SR_CS].attr = 0xc09b;
	c->cr0 = CR0_PE | CR0_PG | CR0_ET;
	c->cr3 = PD;
	c->exc.vector = -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(m->ram);
	free(m);
	return 0;
}

static uint32_t phys32(uint32_t pa)
{
	uint32_t v;
	memcpy(&v, m->ram + pa, 4);
	return v;
}

static void set_phys32(uint32_t pa, uint32_t v)
{
	memcpy(m->ram + pa, &v, 4);
}

static void set_pde(uint32_t lin, uint32_t v) { set_phys32(PD + (lin >> 22) * 4, v); }
static void set_pte(uint32_t lin, uint32_t v) { set_phys32(PT + ((lin >> 12) & 0x3ff) * 4, v); }
static uint32_t pde_of(uint32_t lin) { return phys32(PD + (lin >> 22) * 4); }
static uint32_t pte_of(uint32_t lin) { return phys32(PT + ((lin >> 12) & 0x3ff) * 4); }

/* Map one 4 KiB page through the page table at PT. */
static void map4k(uint32_t lin, uint32_t pa, uint32_t pde_bits, uint32_t pte_bits)
{
	set_pde(lin, PT | P | pde_bits);
	set_pte(lin, pa | P | pte_bits);
}

/* Run stmt and expect it to raise vector with err; nothing else may happen. */
#define EXPECT_RAISE(vec, code, stmt)                                            \
	do {                                                                         \
		jmp_buf jb_;                                                             \
		c->exc_jmp = &jb_;                                                       \
		c->exc.vector = -1;                                                      \
		if (setjmp(jb_) == 0) {                                                  \
			stmt;                                                                \
			fail_msg("%s did not raise", #stmt);                                 \
		}                                                                        \
		assert_int_equal(c->exc.vector, (vec));                                  \
		assert_int_equal(c->exc.err, (code));                                    \
	} while (0)

/* Run stmt with exc_jmp armed; a raise fails the test. */
#define NO_RAISE(stmt)                                                           \
	do {                                                                         \
		jmp_buf jb_;                                                             \
		c->exc_jmp = &jb_;                                                       \
		if (setjmp(jb_) != 0)                                                    \
			fail_msg("%s raised vector %d err %#x", #stmt, c->exc.vector,        \
				 (unsigned)c->exc.err);                                          \
		stmt;                                                                    \
	} while (0)

static void test_4k_page_maps_and_sets_accessed_then_dirty(void **state)
{
	(void)state;
	map4k(0x00400000, 0x5000, RW | US, RW | US);
	set_phys32(0x5010, 0xdeadbeef);
	uint32_t v = 0;
	NO_RAISE(v = mem_read32(c, SR_DS, 0x00400010));
	assert_int_equal(v, 0xdeadbeef);
	assert_true(pde_of(0x00400000) & ACC);
	assert_int_equal(pte_of(0x00400000) & (ACC | DIRTY), ACC);
	assert_false(pde_of(0x00400000) & DIRTY);
	NO_RAISE(mem_write32(c, SR_DS, 0x00400020, 0x12345678));
	assert_int_equal(phys32(0x5020), 0x12345678);
	assert_int_equal(pte_of(0x00400000) & (ACC | DIRTY), ACC | DIRTY);
	assert_false(pde_of(0x00400000) & DIRTY);
}

static void test_4m_page_needs_cr4_pse(void **state)
{
	(void)state;
	c->cr4 = CR4_PSE;
	set_pde(0x00800000, 0x00400000 | PS | P | RW);
	NO_RAISE(mem_write8(c, SR_DS, 0x00923456, 0x5a));
	assert_int_equal(m->ram[0x00523456], 0x5a);
	assert_int_equal(pde_of(0x00800000) & (ACC | DIRTY), ACC | DIRTY);
	/* Without CR4.PSE the PS bit is ignored: the PDE names a page table. */
	c->cr4 = 0;
	tlb_flush_all(c, true);
	set_phys32(0x00400000 + 0x123 * 4, 0x7000 | P);
	m->ram[0x7456] = 0xa5;
	uint8_t v = 0;
	NO_RAISE(v = mem_read8(c, SR_DS, 0x00923456));
	assert_int_equal(v, 0xa5);
}

static void test_4m_page_reserved_bits_fault_with_rsvd(void **state)
{
	(void)state;
	c->cr4 = CR4_PSE;
	set_pde(0x00800000, 0x00400000 | PS | P | RW | 0x2000);
	EXPECT_RAISE(EXC_PF, PF_P | PF_RSVD, mem_read8(c, SR_DS, 0x00800000));
	assert_int_equal(c->exc.fault_lin, 0x00800000);
	assert_false(pde_of(0x00800000) & ACC);
	set_pde(0x00800000, 0x00400000 | PS | P | RW | 0x200000);
	c->cpl = 3;
	EXPECT_RAISE(EXC_PF, PF_P | PF_RSVD | PF_W | PF_U, mem_write8(c, SR_DS, 0x00800004, 1));
}

static void test_not_present_error_codes_and_cr2(void **state)
{
	(void)state;
	EXPECT_RAISE(EXC_PF, 0, mem_read32(c, SR_DS, 0x00c01234));
	assert_int_equal(c->exc.fault_lin, 0x00c01234);
	map4k(0x00c00000, 0x5000, RW | US, 0);
	set_pte(0x00c00000, 0x5000); /* P clear */
	EXPECT_RAISE(EXC_PF, PF_W, mem_write16(c, SR_DS, 0x00c00ffe, 1));
	assert_int_equal(c->exc.fault_lin, 0x00c00ffe);
	assert_true(pde_of(0x00c00000) & ACC); /* the PDE was used to find the table */
	c->cpl = 3;
	EXPECT_RAISE(EXC_PF, PF_W | PF_U, mem_write8(c, SR_DS, 0x00c00001, 1));
	EXPECT_RAISE(EXC_PF, PF_U, mem_read8(c, SR_DS, 0x00c00001));
}

static void test_user_access_to_supervisor_page_faults(void **state)
{
	(void)state;
	map4k(0x00400000, 0x5000, RW | US, RW); /* PTE without U/S */
	NO_RAISE(mem_read8(c, SR_DS, 0x00400000));
	c->cpl = 3;
	EXPECT_RAISE(EXC_PF, PF_P | PF_U, mem_read8(c, SR_DS, 0x00400000));
	map4k(0x00400000, 0x5000, RW, RW | US); /* PDE without U/S */
	EXPECT_RAISE(EXC_PF, PF_P | PF_U, mem_read8(c, SR_DS, 0x00400000));
	/* System accesses at CPL 3 are supervisor accesses. */
	NO_RAISE(lin_read(c, 0x00400000, 4, true));
	EXPECT_RAISE(EXC_PF, PF_P | PF_U, lin_read(c, 0x00400000, 4, false));
}

static void test_read_only_pages_and_cr0_wp(void **state)
{
	(void)state;
	map4k(0x00400000, 0x5000, US, RW | US); /* PDE read-only */
	c->cpl = 3;
	NO_RAISE(mem_read8(c, SR_DS, 0x00400000));
	EXPECT_RAISE(EXC_PF, PF_P | PF_W | PF_U, mem_write8(c, SR_DS, 0x00400000, 1));
	c->cpl = 0;
	NO_RAISE(mem_write8(c, SR_DS, 0x00400000, 0x77));
	assert_int_equal(m->ram[0x5000], 0x77);
	assert_true(pte_of(0x00400000) & DIRTY);
	c->cr0 |= CR0_WP;
	tlb_flush_all(c, true);
	EXPECT_RAISE(EXC_PF, PF_P | PF_W, mem_write8(c, SR_DS, 0x00400000, 1));
	assert_int_equal(m->ram[0x5000], 0x77);
}

static void test_first_write_through_clean_cached_page_sets_dirty(void **state)
{
	(void)state;
	map4k(0x00400000, 0x5000, RW, RW);
	NO_RAISE(mem_read32(c, SR_DS, 0x00400000));
	NO_RAISE(mem_read32(c, SR_DS, 0x00400000));
	assert_false(pte_of(0x00400000) & DIRTY);
	NO_RAISE(mem_write32(c, SR_DS, 0x00400000, 1));
	assert_true(pte_of(0x00400000) & DIRTY);
}

static void test_tlb_keeps_stale_entry_until_invlpg(void **state)
{
	(void)state;
	map4k(0x00400000, 0x5000, RW, RW);
	set_phys32(0x5000, 0x1111);
	set_phys32(0x6000, 0x2222);
	assert_int_equal(mem_read32(c, SR_DS, 0x00400000), 0x1111);
	set_pte(0x00400000, 0x6000 | P | RW);
	assert_int_equal(mem_read32(c, SR_DS, 0x00400000), 0x1111);
	assert_int_equal(mmu_translate(c, 0x00400004, ACC_READ, false), 0x5004);
	tlb_flush_page(c, 0x00400abc);
	assert_int_equal(mem_read32(c, SR_DS, 0x00400000), 0x2222);
	/* A stale mapping also survives the PTE going away, until a flush. */
	set_pte(0x00400000, 0);
	assert_int_equal(mem_read32(c, SR_DS, 0x00400000), 0x2222);
	tlb_flush_all(c, false);
	EXPECT_RAISE(EXC_PF, 0, mem_read32(c, SR_DS, 0x00400000));
}

static void test_global_pages_survive_cr3_load_with_pge(void **state)
{
	(void)state;
	c->cr4 = CR4_PGE;
	map4k(0x00400000, 0x5000, RW, RW | G);
	set_pte(0x00401000, 0x6000 | P | RW);
	set_phys32(0x5000, 0x1111);
	set_phys32(0x6000, 0x2222);
	assert_int_equal(mem_read32(c, SR_DS, 0x00400000), 0x1111);
	assert_int_equal(mem_read32(c, SR_DS, 0x00401000), 0x2222);
	set_pte(0x00400000, 0);
	set_pte(0x00401000, 0);
	tlb_flush_all(c, false); /* a CR3 load */
	assert_int_equal(mem_read32(c, SR_DS, 0x00400000), 0x1111);
	EXPECT_RAISE(EXC_PF, 0, mem_read32(c, SR_DS, 0x00401000));
	tlb_flush_all(c, true);
	EXPECT_RAISE(EXC_PF, 0, mem_read32(c, SR_DS, 0x00400000));
}

/* Read the first word of the page at lin, expecting a not-present #PF or none. */
static void expect_read(uint32_t lin, bool faults)
{
	if (faults)
		EXPECT_RAISE(EXC_PF, 0, mem_read32(c, SR_DS, lin));
	else
		NO_RAISE(mem_read32(c, SR_DS, lin));
}

/* Fill `fills` pages, odd ones not global, unmap them all, flush: only globals stay. */
static void fill_unmap_and_flush(unsigned fills)
{
	for (uint32_t p = 0; p < fills; p++)
		map4k(0x00400000 + p * 0x1000, 0x400000 + p * 0x1000, RW, RW | (p & 1 ? 0 : G));
	for (uint32_t p = 0; p < fills; p++)
		expect_read(0x00400000 + p * 0x1000, false);
	for (uint32_t p = 0; p < fills; p++)
		set_pte(0x00400000 + p * 0x1000, 0);
	tlb_flush_all(c, false);
	for (uint32_t p = 0; p < fills; p++)
		expect_read(0x00400000 + p * 0x1000, p & 1);
	tlb_flush_all(c, true);
	for (uint32_t p = 0; p < fills; p += 2)
		expect_read(0x00400000 + p * 0x1000, true);
}

/* Flushes visit only the filled slots while few are; with more, every one. */
static void test_flushes_drop_every_entry_however_many_were_filled(void **state)
{
	(void)state;
	c->cr4 = CR4_PGE;
	fill_unmap_and_flush(2);
	fill_unmap_and_flush(1024);
	fill_unmap_and_flush(3);
}

static void test_g_bit_without_cr4_pge_is_not_global(void **state)
{
	(void)state;
	map4k(0x00400000, 0x5000, RW, RW | G);
	NO_RAISE(mem_read32(c, SR_DS, 0x00400000));
	set_pte(0x00400000, 0);
	tlb_flush_all(c, false);
	EXPECT_RAISE(EXC_PF, 0, mem_read32(c, SR_DS, 0x00400000));
}

static void test_invlpg_drops_whole_4m_page(void **state)
{
	(void)state;
	c->cr4 = CR4_PSE;
	set_pde(0x00800000, 0x00400000 | PS | P | RW);
	NO_RAISE(mem_read8(c, SR_DS, 0x00800000));
	NO_RAISE(mem_read8(c, SR_DS, 0x00bff000));
	set_pde(0x00800000, 0);
	NO_RAISE(mem_read8(c, SR_DS, 0x00bff000));
	tlb_flush_page(c, 0x00812345);
	EXPECT_RAISE(EXC_PF, 0, mem_read8(c, SR_DS, 0x00bff000));
}

static void test_page_tables_outside_ram_read_all_ones(void **state)
{
	(void)state;
	c->cr3 = 0xf0000000u;
	uint32_t v = 0;
	NO_RAISE(v = mem_read32(c, SR_DS, 0x00400000));
	assert_int_equal(v, 0xffffffffu);
	NO_RAISE(mem_write32(c, SR_DS, 0x00400000, 0));
	c->cr3 = PD;
	tlb_flush_all(c, true);
	map4k(0x00400000, 0xfff00000u, RW, RW); /* page beyond RAM */
	NO_RAISE(mem_write32(c, SR_DS, 0x00400ff0, 0x12345678));
	NO_RAISE(v = mem_read32(c, SR_DS, 0x00400ff0));
	assert_int_equal(v, 0xffffffffu);
	c->cr4 = CR4_PSE;
	tlb_flush_all(c, true);
	set_pde(0x00800000, 0xff800000u | PS | P | RW);
	NO_RAISE(v = mem_read16(c, SR_DS, 0x00800000));
	assert_int_equal(v, 0xffff);
}

static void test_page_crossing_write_faulting_on_second_page_writes_nothing(void **state)
{
	(void)state;
	map4k(0x00400000, 0x5000, RW, RW);
	set_pte(0x00401000, 0x6000 | P); /* read-only */
	c->cr0 |= CR0_WP;
	set_phys32(0x5ffc, 0xaaaaaaaa);
	EXPECT_RAISE(EXC_PF, PF_P | PF_W, mem_write32(c, SR_DS, 0x00400ffe, 0x11223344));
	assert_int_equal(c->exc.fault_lin, 0x00401000);
	assert_int_equal(phys32(0x5ffc), 0xaaaaaaaa);
	set_pte(0x00401000, 0x6000 | P | RW);
	tlb_flush_page(c, 0x00401000);
	NO_RAISE(mem_write32(c, SR_DS, 0x00400ffe, 0x11223344));
	assert_int_equal(phys32(0x5ffc), 0x3344aaaa);
	assert_int_equal(m->ram[0x6000], 0x22);
	assert_int_equal(m->ram[0x6001], 0x11);
	assert_int_equal(mem_read32(c, SR_DS, 0x00400ffe), 0x11223344);
}

static void test_paging_off_is_identity_with_a20(void **state)
{
	(void)state;
	c->cr0 = CR0_PE;
	set_phys32(0x00000100, 0x1111);
	set_phys32(0x00100100, 0x2222);
	assert_int_equal(mem_read32(c, SR_DS, 0x00100100), 0x2222);
	mmu_set_a20(m, false);
	assert_int_equal(mem_read32(c, SR_DS, 0x00100100), 0x1111);
	mmu_set_a20(m, true);
	assert_int_equal(mem_read32(c, SR_DS, 0x00100100), 0x2222);
}

static void test_segment_checks(void **state)
{
	(void)state;
	c->cr0 = CR0_PE;
	c->seg[SR_DS] = (struct seg){ .attr = 0x0091, .limit = 0xfff }; /* read-only data */
	NO_RAISE(mem_read32(c, SR_DS, 0xffc));
	EXPECT_RAISE(EXC_GP, 0, mem_read32(c, SR_DS, 0xffd));
	EXPECT_RAISE(EXC_GP, 0, mem_write8(c, SR_DS, 0, 1));
	c->seg[SR_ES] = (struct seg){ .attr = 0x0099, .limit = 0xfff }; /* execute-only code */
	EXPECT_RAISE(EXC_GP, 0, mem_read8(c, SR_ES, 0));
	c->seg[SR_ES].attr = 0x009b; /* readable code: reads yes, writes no */
	NO_RAISE(mem_read8(c, SR_ES, 0));
	EXPECT_RAISE(EXC_GP, 0, mem_write8(c, SR_ES, 0, 1));
	c->seg[SR_FS] = (struct seg){ .attr = 0 }; /* null selector loaded */
	EXPECT_RAISE(EXC_GP, 0, mem_read8(c, SR_FS, 0));
	c->seg[SR_SS] = (struct seg){ .attr = 0x0093, .limit = 0xffff };
	EXPECT_RAISE(EXC_SS, 0, mem_write16(c, SR_SS, 0xffff, 1));
}

static void test_expand_down_segment_limits(void **state)
{
	(void)state;
	c->cr0 = CR0_PE;
	c->seg[SR_DS] = (struct seg){ .attr = 0x0097, .limit = 0x0fff }; /* 16-bit expand-down */
	EXPECT_RAISE(EXC_GP, 0, mem_read8(c, SR_DS, 0x0fff));
	NO_RAISE(mem_read8(c, SR_DS, 0x1000));
	NO_RAISE(mem_read16(c, SR_DS, 0xfffe));
	EXPECT_RAISE(EXC_GP, 0, mem_read16(c, SR_DS, 0xffff));
	c->seg[SR_DS].attr = 0x4097; /* B set: up to 4 GiB - 1 */
	NO_RAISE(mem_read16(c, SR_DS, 0xffff));
}

static void test_real_mode_checks_limits_only(void **state)
{
	(void)state;
	c->cr0 = 0;
	c->seg[SR_DS] = (struct seg){ .attr = 0x0091, .limit = 0xffff };
	NO_RAISE(mem_write16(c, SR_DS, 0xfffe, 0x1234));
	EXPECT_RAISE(EXC_GP, 0, mem_write16(c, SR_DS, 0xffff, 0x1234));
}

static void test_alignment_check_at_cpl3_only(void **state)
{
	(void)state;
	map4k(0x00400000, 0x5000, RW | US, RW | US);
	c->cr0 |= CR0_AM;
	c->eflags = F_AC | F_FIXED1;
	NO_RAISE(mem_read32(c, SR_DS, 0x00400001));
	c->cpl = 3;
	EXPECT_RAISE(EXC_AC, 0, mem_read32(c, SR_DS, 0x00400001));
	EXPECT_RAISE(EXC_AC, 0, mem_write16(c, SR_DS, 0x00400003, 0));
	NO_RAISE(mem_read32(c, SR_DS, 0x00400004));
	NO_RAISE(mem_read8(c, SR_DS, 0x00400003));
	c->eflags = F_FIXED1;
	NO_RAISE(mem_read32(c, SR_DS, 0x00400001));
}

static void test_fetch_stops_before_an_untranslated_page(void **state)
{
	(void)state;
	map4k(0x00400000, 0x5000, RW, RW);
	set_pte(0x00401000, 0); /* not present */
	memcpy(m->ram + 0x5ffe, "\x90\x91", 2);
	uint8_t buf[15];
	unsigned n = 0;
	NO_RAISE(n = mem_fetch(c, 0x00400ffe, buf, 15));
	assert_int_equal(n, 2);
	assert_int_equal(buf[1], 0x91);
	EXPECT_RAISE(EXC_PF, 0, mem_fetch(c, 0x00401000, buf, 15));
	c->seg[SR_CS].limit = 0x00400fff;
	NO_RAISE(n = mem_fetch(c, 0x00400ff0, buf, 15));
	assert_int_equal(n, 15);
	NO_RAISE(n = mem_fetch(c, 0x00400ffa, buf, 15));
	assert_int_equal(n, 6);
	EXPECT_RAISE(EXC_GP, 0, mem_fetch(c, 0x00401000, buf, 15));
}

static void test_byte_strings_fault_before_writing(void **state)
{
	(void)state;
	map4k(0x00400000, 0x5000, RW, RW);
	set_pte(0x00401000, 0);
	uint8_t img[108];
	memset(img, 0x42, sizeof img);
	EXPECT_RAISE(EXC_PF, PF_W, mem_write_bytes(c, SR_DS, 0x00400fc0, img, sizeof img));
	assert_int_equal(m->ram[0x5fc0], 0);
	set_pte(0x00401000, 0x6000 | P | RW);
	tlb_flush_page(c, 0x00401000);
	NO_RAISE(mem_write_bytes(c, SR_DS, 0x00400fc0, img, sizeof img));
	assert_int_equal(m->ram[0x602b], 0x42);
	uint8_t back[108] = { 0 };
	NO_RAISE(mem_read_bytes(c, SR_DS, 0x00400fc0, back, sizeof back));
	assert_memory_equal(back, img, sizeof img);
}

/* ---- the system instructions that drive the MMU and the I/O bitmap ---- */

static void mov_to_cr(int cr, uint32_t v)
{
	struct insn i = { .reg = (uint8_t)cr, .rm = EAX, .mod = 3 };
	c->gpr[EAX] = v;
	op_mov_to_cr(c, &i);
}

static void test_mov_to_cr3_flushes_all_but_global_entries(void **state)
{
	(void)state;
	map4k(0x00400000, 0x5000, RW, RW | G);
	set_pte(0x00401000, 0x6000 | P | RW);
	NO_RAISE(mov_to_cr(4, CR4_PGE));
	NO_RAISE(mem_read8(c, SR_DS, 0x00400000));
	NO_RAISE(mem_read8(c, SR_DS, 0x00401000));
	set_pte(0x00400000, 0);
	set_pte(0x00401000, 0);
	NO_RAISE(mov_to_cr(3, PD));
	NO_RAISE(mem_read8(c, SR_DS, 0x00400000));
	EXPECT_RAISE(EXC_PF, 0, mem_read8(c, SR_DS, 0x00401000));
	NO_RAISE(mov_to_cr(4, 0)); /* clearing PGE drops global entries too */
	EXPECT_RAISE(EXC_PF, 0, mem_read8(c, SR_DS, 0x00400000));
}

static void test_invlpg_takes_a_linear_address_through_the_segment_base(void **state)
{
	(void)state;
	map4k(0x00400000, 0x5000, RW, RW);
	NO_RAISE(mem_read8(c, SR_DS, 0x00400000));
	set_pte(0x00400000, 0);
	c->seg[SR_ES].base = 0x00300000;
	struct insn i = { .mem = true, .seg = SR_ES, .adsize = 4, .mod = 0, .rm = 5,
			  .disp = 0x00100800 };
	NO_RAISE(op_invlpg(c, &i));
	EXPECT_RAISE(EXC_PF, 0, mem_read8(c, SR_DS, 0x00400000));
}

static void test_cr4_takes_only_the_bits_cpuid_advertises(void **state)
{
	(void)state;
	NO_RAISE(mov_to_cr(4, CR4_PSE | CR4_PGE | CR4_TSD | CR4_PCE));
	EXPECT_RAISE(EXC_GP, 0, mov_to_cr(4, CR4_VME));
	EXPECT_RAISE(EXC_GP, 0, mov_to_cr(4, CR4_PVI));
	EXPECT_RAISE(EXC_GP, 0, mov_to_cr(4, CR4_DE));
	EXPECT_RAISE(EXC_GP, 0, mov_to_cr(4, CR4_PAE));
	EXPECT_RAISE(EXC_GP, 0, mov_to_cr(4, CR4_MCE));
	EXPECT_RAISE(EXC_GP, 0, mov_to_cr(4, 0x200)); /* OSFXSR: no SSE in the model */
	assert_int_equal(c->cr4, CR4_PSE | CR4_PGE | CR4_TSD | CR4_PCE);
}

static void test_cr0_rules(void **state)
{
	(void)state;
	EXPECT_RAISE(EXC_GP, 0, mov_to_cr(0, CR0_PG));
	EXPECT_RAISE(EXC_GP, 0, mov_to_cr(0, CR0_PE | CR0_NW));
	NO_RAISE(mov_to_cr(0, CR0_PE | 0x0ff00000u));
	assert_int_equal(c->cr0, CR0_PE | CR0_ET); /* reserved bits ignored, ET hardwired */
	EXPECT_RAISE(EXC_UD, 0, mov_to_cr(1, 0));
	EXPECT_RAISE(EXC_UD, 0, mov_to_cr(5, 0));
}

static void test_cpuid_model(void **state)
{
	(void)state;
	uint32_t r[4];
	cpuid_query(0, r);
	assert_int_equal(r[0], 2);
	assert_memory_equal(&r[1], "Genu", 4);
	assert_memory_equal(&r[3], "ineI", 4); /* EBX, EDX, ECX */
	assert_memory_equal(&r[2], "ntel", 4);
	cpuid_query(1, r);
	assert_int_equal(r[0], CPU_SIGNATURE);
	assert_int_equal(r[3], 0x0000a139u); /* FPU PSE TSC MSR CX8 PGE CMOV */
	uint32_t top[4];
	cpuid_query(2, top);
	cpuid_query(0x80000000u, r);
	assert_memory_equal(r, top, sizeof r);
}

/* A 32-bit TSS at linear 0x10000 whose I/O map starts at 0x68. */
static void setup_tss(uint32_t limit)
{
	c->cr0 = CR0_PE;
	c->cpl = 3;
	c->eflags = F_FIXED1;
	c->tr = (struct seg){ .sel = 0x28, .attr = 0x008b, .base = 0x10000, .limit = limit };
	m->ram[0x10066] = 0x68;
	memset(m->ram + 0x10068, 0xff, 0x2001);
	memset(m->ram + 0x10068 + 0x70 / 8, 0, 2); /* ports 0x70-0x7f */
}

static void test_io_bitmap_decides_below_iopl(void **state)
{
	(void)state;
	setup_tss(0x68 + 0x2000);
	NO_RAISE(io_check_access(c, 0x70, 1));
	NO_RAISE(io_check_access(c, 0x7c, 4));
	EXPECT_RAISE(EXC_GP, 0, io_check_access(c, 0x7e, 4)); /* 0x80, 0x81 denied */
	EXPECT_RAISE(EXC_GP, 0, io_check_access(c, 0x6f, 2));
	c->eflags |= 3u << 12; /* IOPL 3: no bitmap outside V86 */
	NO_RAISE(io_check_access(c, 0x3f8, 1));
	c->eflags |= F_VM; /* V86 always consults it */
	EXPECT_RAISE(EXC_GP, 0, io_check_access(c, 0x3f8, 1));
	c->eflags &= ~F_VM;
	c->cr0 = 0; /* real mode: no checks */
	c->cpl = 0;
	NO_RAISE(io_check_access(c, 0x3f8, 1));
}

static void test_io_bitmap_bytes_must_lie_inside_the_tss_limit(void **state)
{
	(void)state;
	setup_tss(0x68 + 0x70 / 8); /* only the first byte of the pair */
	EXPECT_RAISE(EXC_GP, 0, io_check_access(c, 0x70, 1));
	setup_tss(0x68 + 0x70 / 8 + 1);
	NO_RAISE(io_check_access(c, 0x70, 1));
	setup_tss(0x60); /* shorter than a 32-bit TSS */
	EXPECT_RAISE(EXC_GP, 0, io_check_access(c, 0x70, 1));
	setup_tss(0x2068);
	c->tr.attr = 0x0083; /* 16-bit TSS: no bitmap */
	EXPECT_RAISE(EXC_GP, 0, io_check_access(c, 0x70, 1));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_4k_page_maps_and_sets_accessed_then_dirty),
		T(test_4m_page_needs_cr4_pse),
		T(test_4m_page_reserved_bits_fault_with_rsvd),
		T(test_not_present_error_codes_and_cr2),
		T(test_user_access_to_supervisor_page_faults),
		T(test_read_only_pages_and_cr0_wp),
		T(test_first_write_through_clean_cached_page_sets_dirty),
		T(test_tlb_keeps_stale_entry_until_invlpg),
		T(test_global_pages_survive_cr3_load_with_pge),
		T(test_flushes_drop_every_entry_however_many_were_filled),
		T(test_g_bit_without_cr4_pge_is_not_global),
		T(test_invlpg_drops_whole_4m_page),
		T(test_page_tables_outside_ram_read_all_ones),
		T(test_page_crossing_write_faulting_on_second_page_writes_nothing),
		T(test_paging_off_is_identity_with_a20),
		T(test_segment_checks),
		T(test_expand_down_segment_limits),
		T(test_real_mode_checks_limits_only),
		T(test_alignment_check_at_cpl3_only),
		T(test_fetch_stops_before_an_untranslated_page),
		T(test_byte_strings_fault_before_writing),
		T(test_mov_to_cr3_flushes_all_but_global_entries),
		T(test_invlpg_takes_a_linear_address_through_the_segment_base),
		T(test_cr4_takes_only_the_bits_cpuid_advertises),
		T(test_cr0_rules),
		T(test_cpuid_model),
		T(test_io_bitmap_decides_below_iopl),
		T(test_io_bitmap_bytes_must_lie_inside_the_tss_limit),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
