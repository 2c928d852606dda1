/*
 * Specifications of direct execution's undo journal (vmm/de_journal.c),
 * without a stub: undo puts back every page and page-table word it kept,
 * as they were before the run, and the CPU as it was at the run's entry;
 * a page kept twice keeps its first bytes; the journal holds 1024 pages,
 * says so before it is full, and refuses to undo a run it could not keep
 * whole; a new run starts empty.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/de_host.h"
#include "vmm/machine.h"

#define RAM_SIZE (8u << 20)
#define PAGES 1024u /* the journal's capacity, vmm/de_journal.c */

static struct machine *m;

static int setup(void **state)
{
	(void)state;
	m = calloc(1, sizeof(*m));
	if (!m || machine_init(m, RAM_SIZE) < 0)
		return -1;
	machine_reset(m);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	machine_free(m);
	free(m);
	return 0;
}

static void fill_page(uint32_t pa, uint8_t v)
{
	memset(m->ram + pa, v, DE_PAGE);
}

static void undo_restores_pages_words_and_the_cpu(void **state)
{
	(void)state;
	fill_page(0x10000, 0x11);
	memset(m->ram + 0x20000, 0x22, 8);
	m->cpu.gpr[EAX] = 1;
	m->cpu.eip = 0x1000;
	de_journal_begin(&m->cpu);
	assert_true(de_journal_room());
	de_journal_page(m, 0x10000);
	de_journal_word(m, 0x20004);
	fill_page(0x10000, 0x99);
	memset(m->ram + 0x20004, 0x77, 4);
	m->cpu.gpr[EAX] = 2;
	m->cpu.eip = 0x2000;
	assert_true(de_journal_wrote(0x10123));
	assert_false(de_journal_wrote(0x30000));
	assert_true(de_journal_undo(m));
	for (uint32_t k = 0; k < DE_PAGE; k++)
		assert_int_equal(m->ram[0x10000 + k], 0x11);
	for (uint32_t k = 0; k < 8; k++)
		assert_int_equal(m->ram[0x20000 + k], 0x22);
	assert_int_equal(m->cpu.gpr[EAX], 1);
	assert_int_equal(m->cpu.eip, 0x1000);
	assert_ptr_equal(m->cpu.m, m);
}

/* A page kept again later in the run keeps its first (oldest) bytes. */
static void a_page_kept_twice_goes_back_to_its_first_bytes(void **state)
{
	(void)state;
	fill_page(0x40000, 0x01);
	de_journal_begin(&m->cpu);
	de_journal_page(m, 0x40000);
	fill_page(0x40000, 0x02);
	de_journal_page(m, 0x40000);
	fill_page(0x40000, 0x03);
	assert_true(de_journal_undo(m));
	assert_int_equal(m->ram[0x40000], 0x01);
	assert_int_equal(m->ram[0x40fff], 0x01);
}

/* A word inside a page kept later: newest first, so the oldest bytes win. */
static void a_word_and_its_page_go_back_in_order(void **state)
{
	(void)state;
	memset(m->ram + 0x50000, 0xaa, DE_PAGE);
	de_journal_begin(&m->cpu);
	de_journal_word(m, 0x50010);
	memset(m->ram + 0x50010, 0xbb, 4);
	de_journal_page(m, 0x50000);
	fill_page(0x50000, 0xcc);
	assert_true(de_journal_undo(m));
	assert_int_equal(m->ram[0x50010], 0xaa);
	assert_int_equal(m->ram[0x50800], 0xaa);
}

static void the_journal_holds_1024_pages_and_refuses_to_undo_past_them(void **state)
{
	(void)state;
	de_journal_begin(&m->cpu);
	for (uint32_t p = 0; p < PAGES; p++) {
		assert_true(de_journal_room());
		de_journal_page(m, p * DE_PAGE);
	}
	assert_false(de_journal_room());
	de_journal_page(m, 5 * DE_PAGE); /* kept already: nothing lost */
	de_journal_page(m, PAGES * DE_PAGE);
	fill_page(0, 0x5a);
	assert_false(de_journal_undo(m)); /* a page it could not keep: no undo at all */
	assert_int_equal(m->ram[0], 0x5a);
	de_journal_begin(&m->cpu); /* a new run: empty, nothing seen */
	assert_true(de_journal_room());
	assert_false(de_journal_wrote(0));
}

/* Nothing is kept of addresses that are not RAM, and undo touches none. */
static void addresses_outside_ram_are_not_kept(void **state)
{
	(void)state;
	de_journal_begin(&m->cpu);
	de_journal_page(m, RAM_SIZE);
	de_journal_word(m, 0xfffffffc);
	assert_false(de_journal_wrote(RAM_SIZE));
	assert_true(de_journal_undo(m));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(undo_restores_pages_words_and_the_cpu),
		cmocka_unit_test(a_page_kept_twice_goes_back_to_its_first_bytes),
		cmocka_unit_test(a_word_and_its_page_go_back_in_order),
		cmocka_unit_test(the_journal_holds_1024_pages_and_refuses_to_undo_past_them),
		cmocka_unit_test(addresses_outside_ram_are_not_kept),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
