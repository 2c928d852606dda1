/*
 * Single-stepping a software interrupt (SDM vol. 3 17.3.1.4): INT n, INT3
 * and INT1 with TF=1 deliver their event, which clears TF, and then the
 * single-step trap of the INT instruction itself: a #DB whose frame is
 * the handler's first instruction ("to single step an interrupt handler,
 * single step an INT n instruction that calls the interrupt handler").
 * From ring 3, where direct execution runs the POPF that sets TF natively
 * and the host faults on the INT.
 */
#include "rt.h"

static uint32_t db_eip[4], db_cs[4], n_db, dr6_seen, n_soft;

static int on_db(struct frame *fr)
{
	uint32_t dr6;
	__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
	dr6_seen |= dr6;
	if (n_db < 4) {
		db_eip[n_db] = fr->eip;
		db_cs[n_db] = fr->cs;
	}
	n_db++;
	fr->eflags &= ~EFL_TF;
	return 1;
}

/* The software interrupt's handler: back to ring 3 without TF. */
static int on_soft(struct frame *fr)
{
	n_soft++;
	fr->eflags &= ~EFL_TF;
	return 1;
}

static uint32_t user_int40(uint32_t arg)
{
	__asm__ volatile("pushf; orl $0x100, (%%esp); popf; int $0x40" ::: "memory", "cc");
	return arg;
}

static uint32_t user_int3(uint32_t arg)
{
	__asm__ volatile("pushf; orl $0x100, (%%esp); popf; int3" ::: "memory", "cc");
	return arg;
}

static uint32_t user_int1(uint32_t arg)
{
	__asm__ volatile("pushf; orl $0x100, (%%esp); popf; .byte 0xf1" ::: "memory", "cc");
	return arg;
}

/* The names of one INT's three checks. */
struct step_checks {
	const char *at_entry, *handler_ran, *dr6_bs;
};

/* One INT from ring 3 with TF set: a #DB at the handler's entry, once. */
static void check_stepped_int(const struct step_checks *name, int vector, uint32_t (*fn)(uint32_t))
{
	n_db = n_soft = dr6_seen = 0;
	__asm__ volatile("mov %0, %%dr6" ::"r"(0));
	set_handler(vector, on_soft);
	run_user(fn, 0);
	check(n_db == 1 && db_eip[0] == stub_address(vector) && db_cs[0] == SEL_KCODE,
	      name->at_entry, "%u #DB, first at %x:%x", n_db, db_cs[0], db_eip[0]);
	check_eq(name->handler_ran, n_soft, 1);
	check_eq(name->dr6_bs, dr6_seen & 0x4000, 0x4000);
}

static const struct step_checks int40_checks = {
	"tf.int_0x40.one_db_at_handler_entry", "tf.int_0x40.handler_ran", "tf.int_0x40.dr6_bs"
};
static const struct step_checks int3_checks = {
	"tf.int3.one_db_at_handler_entry", "tf.int3.handler_ran", "tf.int3.dr6_bs"
};

void test_main(void)
{
	idt_set_gate(0x40, stub_address(0x40), SEL_KCODE, 0xEE);
	set_handler(1, on_db);
	check_stepped_int(&int40_checks, 0x40, user_int40);
	check_stepped_int(&int3_checks, 3, user_int3);
	set_handler(1, 0);
	/* INT1 delivers #DB itself: its handler is on_db, whose entry is stepped */
	n_db = dr6_seen = 0;
	set_handler(1, on_db);
	__asm__ volatile("mov %0, %%dr6" ::"r"(0));
	run_user(user_int1, 0);
	/* the step's #DB (at the handler's entry) is taken before the handler
	 * runs for INT1's own #DB (from ring 3) */
	check(n_db == 2 && db_eip[0] == stub_address(1) && db_cs[0] == SEL_KCODE &&
	      db_cs[1] == SEL_UCODE, "tf.int1.step_then_int1",
	      "%u #DB: %x:%x then %x:%x", n_db, db_cs[0], db_eip[0], db_cs[1], db_eip[1]);
	set_handler(1, 0);
}
