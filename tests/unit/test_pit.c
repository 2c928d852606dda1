/* Specifications of the 8254 and port 0x61 on the virtual clock
 * (1 instruction = 1 ns; the PIT counts at 1.193182 MHz). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "devices/devices.h"
#include "fixture_devices.h"
#include "vmm/engine.h"

#define PIT_HZ 1193182u

static struct machine mach;

static void out8(uint16_t port, uint8_t v) { machine_io_out(&mach, port, 1, v); }
static uint8_t in8(uint16_t port) { return (uint8_t)machine_io_in(&mach, port, 1); }

/* The clock at which the PIT has counted `ticks` ticks. */
static uint64_t at_tick(uint64_t ticks) { return timer_scale_up(ticks, PIT_HZ, VCLOCK_HZ); }

/* Let the virtual clock reach t, running timers as the engines do. */
static void advance_to(uint64_t t) { fixture_advance_to(&mach, t); }

static int setup(void **state)
{
	(void)state;
	if (machine_init(&mach, 1u << 20) < 0)
		return -1;
	machine_reset(&mach);
	/* PIC: master at 0x20, auto-EOI so each IRQ 0 edge can be counted. */
	fixture_pic_init_master(&mach);
	out8(0x21, 0xfe);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	machine_free(&mach);
	return 0;
}

static uint16_t read_word(uint16_t port)
{
	uint8_t lo = in8(port);
	return (uint16_t)(lo | in8(port) << 8);
}

static uint16_t latch_read(int ch)
{
	out8(0x43, (uint8_t)(ch << 6));
	return read_word((uint16_t)(0x40 + ch));
}

static void program(int ch, int mode, uint16_t count)
{
	out8(0x43, (uint8_t)(ch << 6 | 0x30 | mode << 1));
	out8((uint16_t)(0x40 + ch), (uint8_t)count);
	out8((uint16_t)(0x40 + ch), (uint8_t)(count >> 8));
}

static bool irq0_requested(void)
{
	bool r = mach.cpu.pending.irq_line;
	if (r)
		assert_int_equal(machine_irq_ack(&mach), 0x20);
	return r;
}

static void mode2_rate_generator_interrupts_once_per_period(void **state)
{
	(void)state;
	program(0, 2, 1193);
	assert_true(irq0_requested());       /* OUT goes high when programmed */
	/* Loaded one PIT clock after the write; period of 1193 ticks. */
	advance_to(at_tick(1 + 1193) - 1);
	assert_false(irq0_requested());
	advance_to(at_tick(1 + 1193));
	assert_true(irq0_requested());
	advance_to(at_tick(1 + 10 * 1193));
	assert_true(irq0_requested());       /* edges coalesce while unserved */
	advance_to(at_tick(1 + 11 * 1193) - 1);
	assert_false(irq0_requested());
	advance_to(at_tick(1 + 11 * 1193));
	assert_true(irq0_requested());
}

static void latched_count_follows_the_virtual_clock(void **state)
{
	(void)state;
	program(0, 2, 10000);
	advance_to(at_tick(1 + 100));
	assert_int_equal(latch_read(0), 10000 - 100);
	out8(0x43, 0x00);                    /* latch now ... */
	advance_to(at_tick(1 + 300));
	out8(0x43, 0x00);                    /* ... a second latch is ignored */
	assert_int_equal(read_word(0x40), 10000 - 100);
	assert_int_equal(latch_read(0), 10000 - 300);
}

static void lsb_and_msb_only_access_modes(void **state)
{
	(void)state;
	out8(0x43, 0x14);                    /* channel 0, LSB only, mode 2 */
	out8(0x40, 200);
	advance_to(at_tick(1 + 50));
	assert_int_equal(in8(0x40), 150);
	out8(0x43, 0x24);                    /* MSB only */
	out8(0x40, 0x02);                    /* count 0x200 */
	advance_to(at_tick(1 + 50) + at_tick(1 + 0x100) - at_tick(0));
	assert_int_equal(in8(0x40), 0x01);
}

static void mode0_out_rises_after_n_plus_one_clocks(void **state)
{
	(void)state;
	program(0, 0, 100);
	assert_false(irq0_requested());
	advance_to(at_tick(100));
	assert_false(irq0_requested());
	advance_to(at_tick(101));
	assert_true(irq0_requested());
	advance_to(at_tick(100000));
	assert_false(irq0_requested());      /* one shot: OUT stays high */
}

/* Linux's pit_calibrate_tsc: channel 2, mode 0, gate from port 0x61,
 * polling OUT2 in bit 5 of port 0x61. */
static void channel2_gated_by_port61_shows_out2_in_bit5(void **state)
{
	(void)state;
	out8(0x61, (uint8_t)((in8(0x61) & ~0x02) | 0x01));
	program(2, 0, 11932);                /* 10 ms */
	uint64_t t0 = mach.icount;
	assert_int_equal(in8(0x61) & 0x20, 0);
	advance_to(t0 + at_tick(11932));
	assert_int_equal(in8(0x61) & 0x20, 0);
	advance_to(t0 + at_tick(11933) + 1);
	assert_int_equal(in8(0x61) & 0x20, 0x20);
	/* The TSC (the clock) measured 10 ms: 1 GHz within one PIT tick. */
	assert_in_range(mach.icount - t0, 10000000 - 1000, 10000000 + 1000);
	assert_int_equal(in8(0x61) & 0x0f, 0x01);
}

static void channel2_gate_low_pauses_mode0(void **state)
{
	(void)state;
	out8(0x61, 0x01);
	program(2, 0, 1000);
	advance_to(at_tick(1 + 200));
	out8(0x61, 0x00);
	advance_to(at_tick(5000));
	assert_int_equal(latch_read(2), 800);
	out8(0x61, 0x01);
	uint64_t t = mach.icount;
	advance_to(t + at_tick(100));
	assert_in_range(latch_read(2), 699, 700);
}

static void mode1_starts_on_the_gate_rising_edge(void **state)
{
	(void)state;
	out8(0x61, 0x01);
	program(2, 1, 500);
	advance_to(at_tick(1000));
	assert_int_equal(in8(0x61) & 0x20, 0x20);  /* no trigger yet: OUT high */
	out8(0x61, 0x00);
	out8(0x61, 0x01);                    /* trigger */
	uint64_t t = mach.icount;
	advance_to(t + at_tick(10));
	assert_int_equal(in8(0x61) & 0x20, 0);
	advance_to(t + at_tick(502));
	assert_int_equal(in8(0x61) & 0x20, 0x20);
}

static void mode3_square_wave_is_high_half_the_period(void **state)
{
	(void)state;
	out8(0x61, 0x01);
	program(2, 3, 1000);
	advance_to(at_tick(1 + 100));
	assert_int_equal(in8(0x61) & 0x20, 0x20);
	advance_to(at_tick(1 + 600));
	assert_int_equal(in8(0x61) & 0x20, 0);
	advance_to(at_tick(1 + 1100));
	assert_int_equal(in8(0x61) & 0x20, 0x20);
	assert_int_equal(latch_read(2), 1000 - 200); /* counts down by two */
}

static void mode4_strobe_pulses_low_once(void **state)
{
	(void)state;
	out8(0x61, 0x01);
	program(2, 4, 50);
	advance_to(at_tick(1 + 49));
	assert_int_equal(in8(0x61) & 0x20, 0x20);
	advance_to(at_tick(1 + 50));
	assert_int_equal(in8(0x61) & 0x20, 0);
	advance_to(at_tick(1 + 51));
	assert_int_equal(in8(0x61) & 0x20, 0x20);
}

static void mode5_strobe_waits_for_a_gate_trigger(void **state)
{
	(void)state;
	program(2, 5, 50);
	advance_to(at_tick(200));
	assert_int_equal(in8(0x61) & 0x20, 0x20);
	out8(0x61, 0x01);
	uint64_t t = mach.icount;
	advance_to(t + at_tick(1 + 50));
	assert_int_equal(in8(0x61) & 0x20, 0);
}

static void read_back_latches_status_then_count(void **state)
{
	(void)state;
	out8(0x43, 0xb4);                    /* channel 2, word, mode 2 */
	out8(0x43, 0xe8);                    /* read-back status of channel 2 */
	assert_int_equal(in8(0x42), 0xf4);   /* OUT high (mode 2), null count */
	out8(0x42, 0x10);
	out8(0x42, 0x00);
	out8(0x61, 0x01);
	advance_to(at_tick(5));
	out8(0x43, 0xc8);                    /* count and status of channel 2 */
	assert_int_equal(in8(0x42), 0xb4);   /* OUT high, count loaded, word, mode 2 */
	assert_int_equal(read_word(0x42), 0x10 - 4);
}

static void bcd_counts_in_decimal(void **state)
{
	(void)state;
	out8(0x43, 0x35);                    /* channel 0, word, mode 2, BCD */
	out8(0x40, 0x00);
	out8(0x40, 0x10);                    /* 1000 decimal */
	advance_to(at_tick(1 + 1));
	assert_int_equal(latch_read(0), 0x0999);
	advance_to(at_tick(1 + 1001));
	assert_int_equal(latch_read(0), 0x0999);
}

static void port61_refresh_bit_toggles_every_15us(void **state)
{
	(void)state;
	mach.icount = 100;
	uint8_t a = in8(0x61) & 0x10;
	mach.icount = 100 + 15085;
	assert_int_not_equal(in8(0x61) & 0x10, a);
}

static void state_survives_save_and_load(void **state)
{
	(void)state;
	program(0, 2, 1193);
	assert_true(irq0_requested());
	advance_to(at_tick(300));
	uint8_t *blob = malloc(devices_blob_size());
	devices_save(&mach, blob);
	devices_reset(&mach);
	assert_int_equal(mach.timers.next, TIMER_NEVER);
	devices_load(&mach, blob);
	assert_int_equal(latch_read(0), 1193 - 299);
	advance_to(at_tick(1 + 1193));
	assert_true(irq0_requested());
	free(blob);
}

/* A real-mode guest: sti; hlt; jmp back, and an IRQ 0 handler counting
 * ticks at 0x500. Each HLT jumps the clock to the next PIT deadline. */
static void irq0_wakes_hlt_on_the_interpreter(void **state)
{
	(void)state;
	static const uint8_t main_loop[] = { 0xfb, 0xf4, 0xeb, 0xfc };
	static const uint8_t handler[] = { 0xff, 0x06, 0x00, 0x05, 0xb0, 0x20, 0xe6, 0x20, 0xcf };
	struct cpu *c = &mach.cpu;

	out8(0x21, 0x03);                    /* normal EOI now: ICW4 = 8086 mode */
	out8(0x20, 0x11); out8(0x21, 0x20); out8(0x21, 0x04); out8(0x21, 0x01);
	out8(0x21, 0xfe);
	memcpy(mach.ram + 0x1000, main_loop, sizeof(main_loop));
	memcpy(mach.ram + 0x2000, handler, sizeof(handler));
	memcpy(mach.ram + 0x20 * 4, (const uint8_t[]){ 0x00, 0x20, 0x00, 0x00 }, 4);
	c->seg[SR_CS] = (struct seg){ .sel = 0, .base = 0, .limit = 0xffff, .attr = 0x9b };
	c->seg[SR_SS] = (struct seg){ .sel = 0, .base = 0, .limit = 0xffff, .attr = 0x93 };
	c->eip = 0x1000;
	c->gpr[ESP] = 0x7000;
	program(0, 2, 11932);                /* 10 ms */
	assert_int_equal(engine_interp.run(&mach, 55000000), STOP_BUDGET);
	assert_int_equal(mach.ram[0x500], 6); /* the edge at programming, then 5 periods */
	assert_int_equal(mach.icount, 55000000);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(mode2_rate_generator_interrupts_once_per_period),
		T(latched_count_follows_the_virtual_clock),
		T(lsb_and_msb_only_access_modes),
		T(mode0_out_rises_after_n_plus_one_clocks),
		T(channel2_gated_by_port61_shows_out2_in_bit5),
		T(channel2_gate_low_pauses_mode0),
		T(mode1_starts_on_the_gate_rising_edge),
		T(mode3_square_wave_is_high_half_the_period),
		T(mode4_strobe_pulses_low_once),
		T(mode5_strobe_waits_for_a_gate_trigger),
		T(read_back_latches_status_then_count),
		T(bcd_counts_in_decimal),
		T(port61_refresh_bit_toggles_every_15us),
		T(state_survives_save_and_load),
		T(irq0_wakes_hlt_on_the_interpreter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
