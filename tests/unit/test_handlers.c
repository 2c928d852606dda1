/*
 * Every row of the instruction table has an interpreter handler. That a
 * row names a handler of INTERP_HANDLERS or FPU_HANDLERS holds by
 * construction (insn_table.c only compiles against those declarations);
 * whether the handler exists is known at link time, where a missing one
 * is a NULL exec. This test lists those rows by mnemonic.
 *
 * The table refers to handlers weakly, and a weak reference does not pull
 * a member out of libdoppel.a: the test links the interpreter engine, as
 * doppel does, so it sees the handlers the program gets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "vmm/engine.h"
#include "vmm/insn.h"

static void test_every_table_row_has_a_handler(void **state)
{
	unsigned missing = 0;

	(void)state;
	assert_non_null(engine_interp.run);
	for (unsigned r = 0; r < insn_table_len; r++) {
		const struct insn_desc *d = &insn_table[r];
		if (d->exec)
			continue;
		print_message("no handler: %-10s %s%02x ext %d\n", d->mnemonic,
			      d->map ? "0f " : "", d->opcode, d->ext);
		missing++;
	}
	print_message("%u of %u rows without a handler\n", missing, insn_table_len);
	assert_int_equal(missing, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_table_row_has_a_handler),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
