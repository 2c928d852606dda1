/* Specifications of the MC146818A RTC and CMOS on the virtual clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "devices/devices.h"
#include "fixture_devices.h"

#define SEC 1000000000ull

static struct machine mach;

static uint8_t cmos(uint8_t i)
{
	machine_io_out(&mach, 0x70, 1, i);
	return (uint8_t)machine_io_in(&mach, 0x71, 1);
}

static void cmos_set(uint8_t i, uint8_t v)
{
	machine_io_out(&mach, 0x70, 1, i);
	machine_io_out(&mach, 0x71, 1, v);
}

static void advance_to(uint64_t t) { fixture_advance_to(&mach, t); }

static int setup(void **state)
{
	(void)state;
	if (machine_init(&mach, 128u << 20) < 0)
		return -1;
	mach.rtc_base = 1767225600 + 23 * 3600 + 59 * 60 + 58; /* 2026-01-01 23:59:58 */
	machine_reset(&mach);
	/* PIC pair with the slave at 0x28, auto-EOI, everything unmasked. */
	fixture_pic_init_master(&mach);
	fixture_pic_init_slave(&mach);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	machine_free(&mach);
	return 0;
}

static bool irq8(void)
{
	bool r = mach.cpu.pending.irq_line;
	if (r)
		assert_int_equal(machine_irq_ack(&mach), 0x28);
	return r;
}

static void time_starts_at_the_machine_start_time_in_bcd(void **state)
{
	(void)state;
	assert_int_equal(cmos(0x0a), 0x26);
	assert_int_equal(cmos(0x0b), 0x02);
	assert_int_equal(cmos(0x0d), 0x80);
	assert_int_equal(cmos(0), 0x58);
	assert_int_equal(cmos(2), 0x59);
	assert_int_equal(cmos(4), 0x23);
	assert_int_equal(cmos(6), 0x05);   /* Thursday */
	assert_int_equal(cmos(7), 0x01);
	assert_int_equal(cmos(8), 0x01);
	assert_int_equal(cmos(9), 0x26);
	assert_int_equal(cmos(0x32), 0x20);
}

static void time_advances_with_the_virtual_clock_across_midnight(void **state)
{
	(void)state;
	mach.icount = 2 * SEC;
	assert_int_equal(cmos(0), 0x00);
	assert_int_equal(cmos(2), 0x00);
	assert_int_equal(cmos(4), 0x00);
	assert_int_equal(cmos(7), 0x02);
	assert_int_equal(cmos(6), 0x06);   /* Friday */
	mach.icount = 2 * SEC - 1;
	assert_int_equal(cmos(0), 0x59);
}

static void binary_and_12_hour_modes(void **state)
{
	(void)state;
	cmos_set(0x0b, 0x04);              /* binary, 12 hours */
	assert_int_equal(cmos(4), 0x80 | 11);
	assert_int_equal(cmos(0), 58);
	mach.icount = 2 * SEC;
	assert_int_equal(cmos(4), 12);     /* midnight is 12 AM */
	cmos_set(0x0b, 0x06);
	assert_int_equal(cmos(4), 0);
}

static void set_bit_freezes_time_and_written_time_runs_from_clear(void **state)
{
	(void)state;
	cmos_set(0x0b, 0x82);
	cmos_set(0, 0x30);
	cmos_set(2, 0x15);
	cmos_set(4, 0x10);
	cmos_set(7, 0x28);
	cmos_set(8, 0x02);
	cmos_set(9, 0x24);
	mach.icount = 5 * SEC;
	assert_int_equal(cmos(0), 0x30);   /* frozen */
	cmos_set(0x0b, 0x02);
	mach.icount = 6 * SEC;
	assert_int_equal(cmos(0), 0x31);
	mach.icount = 6 * SEC + 24 * 3600 * SEC;
	assert_int_equal(cmos(7), 0x29);   /* 2024 is a leap year */
	assert_int_equal(cmos(8), 0x02);
}

static void uip_is_set_for_244us_before_each_update(void **state)
{
	(void)state;
	mach.icount = SEC - 250000;
	assert_int_equal(cmos(0x0a) & 0x80, 0);
	mach.icount = SEC - 244000;
	assert_int_equal(cmos(0x0a) & 0x80, 0x80);
	assert_int_equal(cmos(0), 0x58);
	mach.icount = SEC;
	assert_int_equal(cmos(0x0a) & 0x80, 0);
	assert_int_equal(cmos(0), 0x59);
}

static void periodic_interrupt_at_the_selected_rate(void **state)
{
	(void)state;
	cmos_set(0x0a, 0x26);              /* 1024 Hz */
	cmos_set(0x0b, 0x42);              /* PIE */
	advance_to(976562 - 1);
	assert_false(irq8());
	advance_to(976563);
	assert_true(irq8());
	assert_int_equal(cmos(0x0c), 0xc0); /* IRQF | PF, cleared by the read */
	assert_int_equal(cmos(0x0c), 0x00);
	advance_to(2 * 976563);
	assert_true(irq8());
	cmos(0x0c);
	cmos_set(0x0a, 0x2f);              /* 2 Hz */
	advance_to(SEC / 2 + 10);
	assert_true(irq8());
}

static void pf_is_flagged_without_pie_but_no_interrupt(void **state)
{
	(void)state;
	advance_to(SEC / 100);
	assert_false(irq8());
	assert_int_equal(cmos(0x0c) & 0xf0, 0x40 | 0x00);
}

static void update_ended_interrupt_every_second(void **state)
{
	(void)state;
	cmos_set(0x0b, 0x12);              /* UIE */
	advance_to(SEC - 1);
	assert_false(irq8());
	advance_to(SEC);
	assert_true(irq8());
	assert_int_equal(cmos(0x0c) & 0xb0, 0x90); /* PF runs at 1024 Hz too */
}

static void alarm_interrupt_with_dont_care_hours(void **state)
{
	(void)state;
	cmos_set(1, 0x05);
	cmos_set(3, 0x00);
	cmos_set(5, 0xc0);                 /* any hour */
	cmos_set(0x0b, 0x22);              /* AIE */
	advance_to(6 * SEC);
	assert_false(irq8());              /* 00:00:04 */
	advance_to(7 * SEC);
	assert_true(irq8());               /* 00:00:05 */
	assert_int_equal(cmos(0x0c) & 0xa0, 0xa0);
}

static void divider_reset_holds_time_and_restarts_half_a_second_later(void **state)
{
	(void)state;
	cmos_set(0x0a, 0x76);
	mach.icount = 10 * SEC;
	assert_int_equal(cmos(0), 0x58);
	cmos_set(0x0a, 0x26);
	mach.icount = 10 * SEC + SEC / 2 - 1;
	assert_int_equal(cmos(0), 0x58);
	mach.icount = 10 * SEC + SEC / 2;
	assert_int_equal(cmos(0), 0x59);
}

static void port70_bit7_masks_nmi_and_index_reads_back_ff(void **state)
{
	(void)state;
	struct rtc *r = devices_state(&mach, &rtc_ops);
	machine_io_out(&mach, 0x70, 1, 0x8f);
	assert_int_equal(r->r.nmi_disabled, 1);
	assert_int_equal(r->r.index, 0x0f);
	assert_int_equal(machine_io_in(&mach, 0x70, 1), 0xff);
}

static void cmos_holds_memory_sizes_and_ram(void **state)
{
	(void)state;
	assert_int_equal(cmos(0x15) | cmos(0x16) << 8, 640);
	assert_int_equal(cmos(0x17) | cmos(0x18) << 8, 0xffff);   /* 127 MiB, capped */
	assert_int_equal(cmos(0x30) | cmos(0x31) << 8, 0xffff);
	assert_int_equal(cmos(0x34) | cmos(0x35) << 8, (112u << 20) >> 16);
	cmos_set(0x40, 0xa5);
	assert_int_equal(cmos(0x40), 0xa5);
	cmos_set(0x0d, 0x00);
	assert_int_equal(cmos(0x0d), 0x80);
}

static void state_survives_save_and_load(void **state)
{
	(void)state;
	cmos_set(0x0b, 0x42);
	cmos_set(0x50, 0x11);
	uint8_t *blob = malloc(devices_blob_size());
	devices_save(&mach, blob);
	devices_reset(&mach);
	assert_int_equal(cmos(0x50), 0);
	devices_load(&mach, blob);
	assert_int_equal(cmos(0x50), 0x11);
	advance_to(976563);
	assert_true(irq8());
	free(blob);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(time_starts_at_the_machine_start_time_in_bcd),
		T(time_advances_with_the_virtual_clock_across_midnight),
		T(binary_and_12_hour_modes),
		T(set_bit_freezes_time_and_written_time_runs_from_clear),
		T(uip_is_set_for_244us_before_each_update),
		T(periodic_interrupt_at_the_selected_rate),
		T(pf_is_flagged_without_pie_but_no_interrupt),
		T(update_ended_interrupt_every_second),
		T(alarm_interrupt_with_dont_care_hours),
		T(divider_reset_holds_time_and_restarts_half_a_second_later),
		T(port70_bit7_masks_nmi_and_index_reads_back_ff),
		T(cmos_holds_memory_sizes_and_ram),
		T(state_survives_save_and_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
