/* Specifications of the i8042 controller with its keyboard, and port 0x92:
 * self-test, command byte, keyboard reset, A20, system reset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "devices/devices.h"

static struct machine mach;

static void out8(uint16_t port, uint8_t v) { machine_io_out(&mach, port, 1, v); }
static uint8_t in8(uint16_t port) { return (uint8_t)machine_io_in(&mach, port, 1); }

static int level[16];
static void fake_set(void *opaque, int n, int lv) { (void)opaque; level[n] = lv; }
static const struct irq_line fake1 = { fake_set, NULL, 1 }, fake12 = { fake_set, NULL, 12 };

static int setup(void **state)
{
	(void)state;
	if (machine_init(&mach, 4u << 20) < 0)
		return -1;
	machine_reset(&mach);
	struct i8042 *k = devices_state(&mach, &i8042_ops);
	k->kbd_irq = &fake1;
	k->aux_irq = &fake12;
	memset(level, 0, sizeof(level));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	machine_free(&mach);
	return 0;
}

/* The byte the controller offers next, after checking OBF says so. */
static uint8_t next_byte(void)
{
	assert_int_equal(in8(0x64) & 0x01, 0x01);
	return in8(0x60);
}

static void reset_status_and_command_byte(void **state)
{
	(void)state;
	assert_int_equal(in8(0x64), 0x18);
	out8(0x64, 0x20);
	assert_int_equal(next_byte(), 0x03);
	assert_int_equal(in8(0x64) & 0x01, 0);
}

static void self_test_answers_55_and_sets_the_system_flag(void **state)
{
	(void)state;
	out8(0x64, 0xaa);
	assert_int_equal(in8(0x64) & 0x04, 0x04);
	assert_int_equal(next_byte(), 0x55);
	out8(0x64, 0xab);
	assert_int_equal(next_byte(), 0x00);
}

static void command_byte_write_sets_irq_enables_and_sys(void **state)
{
	(void)state;
	out8(0x64, 0x60);
	out8(0x60, 0x44);                    /* translate, SYS, no interrupts */
	assert_int_equal(in8(0x64) & 0x0c, 0x04);  /* SYS; last write was data */
	out8(0x64, 0x20);
	assert_false(level[1]);
	assert_int_equal(next_byte(), 0x44);
	out8(0x64, 0x60);
	out8(0x60, 0x01);
	out8(0x64, 0x20);
	assert_true(level[1]);               /* OBF with keyboard interrupts on */
	in8(0x60);
	assert_false(level[1]);
}

static void keyboard_reset_acks_and_passes_bat(void **state)
{
	(void)state;
	out8(0x60, 0xff);
	assert_true(level[1]);
	assert_int_equal(next_byte(), 0xfa);
	assert_int_equal(next_byte(), 0xaa);
	assert_false(level[1]);
}

static void keyboard_identify_leds_and_scan_code_set(void **state)
{
	(void)state;
	out8(0x60, 0xf2);
	assert_int_equal(next_byte(), 0xfa);
	assert_int_equal(next_byte(), 0xab);
	assert_int_equal(next_byte(), 0x83);
	out8(0x60, 0xed);
	assert_int_equal(next_byte(), 0xfa);
	out8(0x60, 0x07);
	assert_int_equal(next_byte(), 0xfa);
	out8(0x60, 0xf0);
	out8(0x60, 0x00);
	assert_int_equal(next_byte(), 0xfa);
	assert_int_equal(next_byte(), 0xfa);
	assert_int_equal(next_byte(), 0x02);
	out8(0x60, 0xee);
	assert_int_equal(next_byte(), 0xee);
	out8(0x60, 0x42);
	assert_int_equal(next_byte(), 0xfe);  /* unknown: resend */
}

static void aux_output_buffer_write_raises_irq12(void **state)
{
	(void)state;
	out8(0x64, 0xd3);
	out8(0x60, 0x5a);
	assert_int_equal(in8(0x64) & 0x21, 0x21);
	assert_true(level[12]);
	assert_int_equal(in8(0x60), 0x5a);
	assert_false(level[12]);
}

static void output_port_controls_a20(void **state)
{
	(void)state;
	out8(0x64, 0xd0);
	assert_int_equal(next_byte(), 0xcf);
	out8(0x64, 0xd1);
	out8(0x60, 0xcd);                    /* A20 off, reset line high */
	assert_int_equal(mach.a20_mask, ~(1u << 20));
	assert_int_equal(mach.stop, STOP_NONE);
	out8(0x64, 0xdf);
	assert_int_equal(mach.a20_mask, 0xffffffffu);
	out8(0x64, 0xdd);
	assert_int_equal(mach.a20_mask, ~(1u << 20));
}

static void command_fe_resets_the_system(void **state)
{
	(void)state;
	out8(0x64, 0xff);                    /* pulses nothing */
	assert_int_equal(mach.stop, STOP_NONE);
	out8(0x64, 0xfe);
	assert_int_equal(mach.stop, STOP_RESET);
}

static void unknown_controller_command_is_ignored(void **state)
{
	(void)state;
	uint8_t before = in8(0x64);
	out8(0x64, 0xb1);
	assert_int_equal(mach.stop, STOP_NONE);
	assert_int_equal(in8(0x64) & 0x01, before & 0x01); /* nothing queued */
}

static void port92_gates_a20_and_bit0_rising_resets(void **state)
{
	(void)state;
	assert_int_equal(in8(0x92), 0x02);
	out8(0x92, 0x00);
	assert_int_equal(mach.a20_mask, ~(1u << 20));
	out8(0x92, 0x02);
	assert_int_equal(mach.a20_mask, 0xffffffffu);
	assert_int_equal(mach.stop, STOP_NONE);
	out8(0x92, 0x03);
	assert_int_equal(mach.stop, STOP_RESET);
	assert_int_equal(in8(0x92), 0x03);
}

static void state_survives_save_and_load(void **state)
{
	(void)state;
	out8(0x64, 0x60);
	out8(0x60, 0x45);
	out8(0x60, 0xff);
	uint8_t *blob = malloc(devices_blob_size());
	devices_save(&mach, blob);
	devices_reset(&mach);
	devices_load(&mach, blob);
	assert_int_equal(next_byte(), 0xfa);
	out8(0x64, 0x20);
	assert_int_equal(in8(0x60), 0xaa);
	assert_int_equal(next_byte(), 0x45);
	free(blob);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(reset_status_and_command_byte),
		T(self_test_answers_55_and_sets_the_system_flag),
		T(command_byte_write_sets_irq_enables_and_sys),
		T(keyboard_reset_acks_and_passes_bat),
		T(keyboard_identify_leds_and_scan_code_set),
		T(aux_output_buffer_write_raises_irq12),
		T(output_port_controls_a20),
		T(command_fe_resets_the_system),
		T(unknown_controller_command_is_ignored),
		T(port92_gates_a20_and_bit0_rising_resets),
		T(state_survives_save_and_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
