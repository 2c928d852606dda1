/*
 * LOCK on an instruction that cannot be locked is #UD, found when the
 * instruction is decoded, before the execution-time privilege check (SDM
 * vol. 3 table 6-2: decode faults before execution faults). Obtained on
 * this host natively: LOCK HLT (F0 F4) in a 32-bit user process gets
 * SIGILL (#UD), not SIGSEGV (#GP); so does LOCK CLI (F0 FA). (QEMU raises #GP: QEMU-KNOWN.md.)
 */
#include "rt.h"

static uint32_t u_lock_hlt(uint32_t a)
{
	__asm__ volatile(".byte 0xF0, 0xF4");
	return a;
}

static uint32_t u_lock_cli(uint32_t a)
{
	__asm__ volatile(".byte 0xF0, 0xFA");
	return a;
}

void test_main(void)
{
	struct fault f;
	if (catch_fault(&f) == 0) {
		run_user(u_lock_hlt, 0);
		catch_end();
	}
	check_fault("cpl3.lock_hlt_ud", &f, 6, 0);
	if (catch_fault(&f) == 0) {
		run_user(u_lock_cli, 0);
		catch_end();
	}
	check_fault("cpl3.lock_cli_ud", &f, 6, 0);
}
