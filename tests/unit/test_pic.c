/* Specifications of the 8259A pair: initialization, priorities, EOI forms,
 * edge and level inputs, auto-EOI, special mask, poll, spurious IR7/IR15. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "devices/devices.h"

static struct machine mach;
static struct pic *pic;

static void out8(uint16_t port, uint8_t v) { machine_io_out(&mach, port, 1, v); }
static uint8_t in8(uint16_t port) { return (uint8_t)machine_io_in(&mach, port, 1); }

/* Linux's sequence: cascade, master at 0x20, slave at 0x28, 8086 mode. */
static void pic_init_pair(uint8_t icw4)
{
	out8(0x20, 0x11); out8(0x21, 0x20); out8(0x21, 0x04); out8(0x21, icw4);
	out8(0xa0, 0x11); out8(0xa1, 0x28); out8(0xa1, 0x02); out8(0xa1, icw4);
	out8(0x21, 0x00); out8(0xa1, 0x00);
}

static int setup(void **state)
{
	(void)state;
	if (machine_init(&mach, 1u << 20) < 0)
		return -1;
	machine_reset(&mach);
	pic = devices_state(&mach, &pic_ops);
	pic_init_pair(0x01);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	machine_free(&mach);
	return 0;
}

static bool intr(void) { return mach.cpu.pending.irq_line; }
static void line(int n, int level) { irq_set(&mach.isa_irq[n], level); }
static void pulse(int n) { line(n, 1); line(n, 0); }

static void edge_request_raises_intr_and_ack_gives_base_plus_irq(void **state)
{
	(void)state;
	assert_false(intr());
	pulse(0);
	assert_true(intr());
	assert_int_equal(in8(0x20), 0x01);           /* IRR */
	assert_int_equal(machine_irq_ack(&mach), 0x20);
	assert_false(intr());
	out8(0x20, 0x0b);                            /* OCW3: read ISR */
	assert_int_equal(in8(0x20), 0x01);
	out8(0x20, 0x20);                            /* non-specific EOI */
	assert_int_equal(in8(0x20), 0x00);
}

static void slave_request_cascades_through_ir2(void **state)
{
	(void)state;
	pulse(12);
	assert_true(intr());
	assert_int_equal(machine_irq_ack(&mach), 0x2c);
	out8(0xa0, 0x0b);
	assert_int_equal(in8(0xa0), 0x10);
	out8(0x20, 0x0b);
	assert_int_equal(in8(0x20), 0x04);
}

static void fully_nested_priority_blocks_lower_requests(void **state)
{
	(void)state;
	pulse(3);
	assert_int_equal(machine_irq_ack(&mach), 0x23);
	pulse(5);
	assert_false(intr());                        /* IR3 in service */
	pulse(1);
	assert_true(intr());
	assert_int_equal(machine_irq_ack(&mach), 0x21);
	out8(0x20, 0x20);                            /* ends IR1, the highest */
	assert_false(intr());
	out8(0x20, 0x63);                            /* specific EOI for IR3 */
	assert_true(intr());
	assert_int_equal(machine_irq_ack(&mach), 0x25);
}

static void imr_masks_requests_until_unmasked(void **state)
{
	(void)state;
	out8(0x21, 0x02);
	assert_int_equal(in8(0x21), 0x02);
	pulse(1);
	assert_false(intr());
	out8(0x21, 0x00);
	assert_true(intr());
}

static void edge_input_needs_a_new_rising_edge(void **state)
{
	(void)state;
	line(4, 1);
	assert_int_equal(machine_irq_ack(&mach), 0x24);
	out8(0x20, 0x20);
	assert_false(intr());                        /* still high: no new edge */
	line(4, 0);
	line(4, 1);
	assert_true(intr());
}

static void level_input_from_elcr_stays_requested_while_high(void **state)
{
	(void)state;
	machine_io_out(&mach, 0x4d1, 1, 0xff);
	assert_int_equal(machine_io_in(&mach, 0x4d1, 1), 0xde); /* IR8 and IR13 edge only */
	line(10, 1);
	assert_int_equal(machine_irq_ack(&mach), 0x2a);
	out8(0xa0, 0x20);
	out8(0x20, 0x20);
	assert_true(intr());                         /* still high: requested again */
	line(10, 0);
	out8(0xa0, 0x0a);
	assert_int_equal(in8(0xa0), 0x00);           /* the slave's request followed the line */
	/* The master's edge-latched IR2 stays (QEMU's model): IR15, spurious. */
	assert_int_equal(machine_irq_ack(&mach), 0x2f);
}

static void icw1_ltim_makes_every_input_level_triggered(void **state)
{
	(void)state;
	out8(0x20, 0x19); out8(0x21, 0x20); out8(0x21, 0x04); out8(0x21, 0x01);
	line(6, 1);
	assert_int_equal(machine_irq_ack(&mach), 0x26);
	out8(0x20, 0x20);
	assert_true(intr());
	line(6, 0);
	assert_false(intr());
}

static void auto_eoi_leaves_isr_clear(void **state)
{
	(void)state;
	pic_init_pair(0x03);
	pulse(3);
	assert_int_equal(machine_irq_ack(&mach), 0x23);
	out8(0x20, 0x0b);
	assert_int_equal(in8(0x20), 0x00);
	pulse(5);
	assert_true(intr());                         /* nothing in service blocks it */
}

static void rotate_on_non_specific_eoi_makes_served_irq_lowest(void **state)
{
	(void)state;
	pulse(1);
	assert_int_equal(machine_irq_ack(&mach), 0x21);
	out8(0x20, 0xa0);                            /* rotate on non-specific EOI */
	pulse(0);
	pulse(1);
	pulse(2 + 1);
	assert_int_equal(machine_irq_ack(&mach), 0x23); /* IR2.. now above IR0 */
	out8(0x20, 0x20);
	assert_int_equal(machine_irq_ack(&mach), 0x20);
	out8(0x20, 0x20);
	assert_int_equal(machine_irq_ack(&mach), 0x21);
}

static void set_priority_command_picks_the_lowest(void **state)
{
	(void)state;
	out8(0x20, 0xc4);                            /* IR4 lowest: IR5 highest */
	pulse(4);
	pulse(6);
	assert_int_equal(machine_irq_ack(&mach), 0x26);
}

static void special_mask_mode_lets_lower_levels_in(void **state)
{
	(void)state;
	pulse(2 + 1);
	assert_int_equal(machine_irq_ack(&mach), 0x23);
	out8(0x21, 0x08);                            /* mask IR3, in service */
	out8(0x20, 0x68);                            /* set special mask */
	pulse(5);
	assert_true(intr());
	assert_int_equal(machine_irq_ack(&mach), 0x25);
	out8(0x20, 0x48);                            /* reset special mask */
	pulse(6);
	assert_false(intr());
}

static void poll_command_acknowledges_on_read(void **state)
{
	(void)state;
	pulse(5);
	out8(0x20, 0x0c);
	assert_int_equal(in8(0x20), 0x85);
	assert_false(intr());
	out8(0x20, 0x0b);
	assert_int_equal(in8(0x20), 0x20);           /* the read was the acknowledge */
	out8(0x20, 0x20);
	out8(0x20, 0x0c);
	assert_int_equal(in8(0x20), 0x00);           /* nothing requesting */
}

static void vanished_request_gives_spurious_ir7_and_ir15(void **state)
{
	(void)state;
	line(5, 1);
	out8(0x21, 0x20);                            /* masked before INTA */
	assert_int_equal(machine_irq_ack(&mach), 0x27);
	out8(0x20, 0x0b);
	assert_int_equal(in8(0x20), 0x00);           /* no IS bit for a spurious IR7 */
	out8(0x21, 0x00);
	out8(0x20, 0x20);
	line(11, 1);
	out8(0xa1, 0x08);
	pic->chip[0].irr |= 0x04;                    /* the cascade already latched */
	assert_int_equal(machine_irq_ack(&mach), 0x2f);
	out8(0x20, 0x0b);
	assert_int_equal(in8(0x20), 0x04);           /* the master's IS2 stays set */
}

static void special_fully_nested_lets_slave_interrupt_again(void **state)
{
	(void)state;
	out8(0x20, 0x11); out8(0x21, 0x20); out8(0x21, 0x04); out8(0x21, 0x11);
	pulse(12);
	assert_int_equal(machine_irq_ack(&mach), 0x2c);
	pulse(9);
	assert_true(intr());
	assert_int_equal(machine_irq_ack(&mach), 0x29);
}

static void state_survives_save_and_load(void **state)
{
	(void)state;
	uint8_t *blob = malloc(devices_blob_size());
	out8(0x21, 0x5a);
	pulse(0);
	devices_save(&mach, blob);
	devices_reset(&mach);
	assert_false(intr());
	devices_load(&mach, blob);
	assert_int_equal(in8(0x21), 0x5a);
	assert_true(intr());
	free(blob);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(edge_request_raises_intr_and_ack_gives_base_plus_irq),
		T(slave_request_cascades_through_ir2),
		T(fully_nested_priority_blocks_lower_requests),
		T(imr_masks_requests_until_unmasked),
		T(edge_input_needs_a_new_rising_edge),
		T(level_input_from_elcr_stays_requested_while_high),
		T(icw1_ltim_makes_every_input_level_triggered),
		T(auto_eoi_leaves_isr_clear),
		T(rotate_on_non_specific_eoi_makes_served_irq_lowest),
		T(set_priority_command_picks_the_lowest),
		T(special_mask_mode_lets_lower_levels_in),
		T(poll_command_acknowledges_on_read),
		T(vanished_request_gives_spurious_ir7_and_ir15),
		T(special_fully_nested_lets_slave_interrupt_again),
		T(state_survives_save_and_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
