/* Specifications of PCI configuration mechanism #1 and the host bridge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "devices/devices.h"

static struct machine mach;

static int setup(void **state)
{
	(void)state;
	if (machine_init(&mach, 1u << 20) < 0)
		return -1;
	machine_reset(&mach);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	machine_free(&mach);
	return 0;
}

static uint32_t cfg_read(unsigned bus, unsigned dev, unsigned fn, unsigned reg, int size)
{
	machine_io_out(&mach, 0xcf8, 4, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc));
	return machine_io_in(&mach, (uint16_t)(0xcfc + (reg & 3)), size);
}

static void cfg_write(unsigned reg, int size, uint32_t v)
{
	machine_io_out(&mach, 0xcf8, 4, 0x80000000u | (reg & 0xfc));
	machine_io_out(&mach, (uint16_t)(0xcfc + (reg & 3)), size, v);
}

/* Linux's pci_check_type1: a byte write to 0xCFB, then CONFIG_ADDRESS
 * must hold a doubleword. */
static void config_address_is_a_doubleword_register(void **state)
{
	(void)state;
	machine_io_out(&mach, 0xcf8, 4, 0);
	machine_io_out(&mach, 0xcfb, 1, 0x01);
	assert_int_equal(machine_io_in(&mach, 0xcf8, 4), 0);
	machine_io_out(&mach, 0xcf8, 4, 0x80000003u);
	assert_int_equal(machine_io_in(&mach, 0xcf8, 4), 0x80000000u);
	assert_int_equal(machine_io_in(&mach, 0xcfa, 2), 0xffff);
}

static void host_bridge_is_an_i440fx_at_00_0(void **state)
{
	(void)state;
	assert_int_equal(cfg_read(0, 0, 0, 0x00, 4), 0x12378086u);
	assert_int_equal(cfg_read(0, 0, 0, 0x08, 4), 0x06000002u);
	assert_int_equal(cfg_read(0, 0, 0, 0x0e, 1), 0x00);
	assert_int_equal(cfg_read(0, 0, 0, 0x02, 2), 0x1237);
	assert_int_equal(cfg_read(0, 0, 0, 0x04, 2), 0x0006);
}

static void empty_slots_functions_and_buses_read_all_ones(void **state)
{
	(void)state;
	assert_int_equal(cfg_read(0, 1, 0, 0, 4), 0xffffffffu);
	assert_int_equal(cfg_read(0, 0, 1, 0, 2), 0xffff);
	assert_int_equal(cfg_read(1, 0, 0, 0, 4), 0xffffffffu);
	machine_io_out(&mach, 0xcf8, 4, 0);   /* enable bit clear */
	assert_int_equal(machine_io_in(&mach, 0xcfc, 4), 0xffffffffu);
}

static void only_writable_bits_change(void **state)
{
	(void)state;
	cfg_write(0x00, 4, 0);
	assert_int_equal(cfg_read(0, 0, 0, 0x00, 4), 0x12378086u);
	cfg_write(0x04, 2, 0xffff);
	assert_int_equal(cfg_read(0, 0, 0, 0x04, 2), 0x0046);
	cfg_write(0x59, 1, 0x30);            /* PAM0 */
	assert_int_equal(cfg_read(0, 0, 0, 0x59, 1), 0x30);
}

static void reset_control_register_resets_on_bit2(void **state)
{
	(void)state;
	machine_io_out(&mach, 0xcf9, 1, 0x02);
	assert_int_equal(machine_io_in(&mach, 0xcf9, 1), 0x02);
	assert_int_equal(mach.stop, STOP_NONE);
	machine_io_out(&mach, 0xcf9, 1, 0x06);
	assert_int_equal(mach.stop, STOP_RESET);
}

static void state_survives_save_and_load(void **state)
{
	(void)state;
	cfg_write(0x5a, 1, 0x11);
	uint8_t *blob = malloc(devices_blob_size());
	devices_save(&mach, blob);
	devices_reset(&mach);
	assert_int_equal(cfg_read(0, 0, 0, 0x5a, 1), 0);
	devices_load(&mach, blob);
	assert_int_equal(cfg_read(0, 0, 0, 0x5a, 1), 0x11);
	free(blob);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(config_address_is_a_doubleword_register),
		T(host_bridge_is_an_i440fx_at_00_0),
		T(empty_slots_functions_and_buses_read_all_ones),
		T(only_writable_bits_change),
		T(reset_control_register_resets_on_bit2),
		T(state_survives_save_and_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
