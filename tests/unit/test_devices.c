/* Specifications of the port I/O bus and the debug-exit, COM1 and POST devices
 * (COM1's full 16550A behaviour is in test_uart.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "devices/devices.h"
#include "fixture_devices.h"

static struct machine mach;
static char out[256];
static FILE *out_f;

static int setup(void **state)
{
	(void)state;
	if (machine_init(&mach, 1u << 20) < 0)
		return -1;
	out_f = fixture_serial_capture(&mach, out, sizeof(out));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fclose(out_f);
	machine_free(&mach);
	return 0;
}

static void debug_exit_write_stops_with_status_v_shl_1_or_1(void **state)
{
	(void)state;
	machine_io_out(&mach, 0xf4, 1, 0x10);
	assert_int_equal(mach.stop, STOP_DEBUG_EXIT);
	assert_int_equal(mach.exit_status, 0x21);
}

static void debug_exit_first_stop_wins(void **state)
{
	(void)state;
	machine_io_out(&mach, 0xf4, 4, 0);
	machine_io_out(&mach, 0xf4, 4, 5);
	assert_int_equal(mach.exit_status, 1);
}

static void debug_exit_reads_zero_on_all_four_ports(void **state)
{
	(void)state;
	assert_int_equal(machine_io_in(&mach, 0xf4, 4), 0);
	assert_int_equal(machine_io_in(&mach, 0xf7, 1), 0);
	assert_int_equal(mach.stop, STOP_NONE);
}

static void com1_lsr_always_reports_transmitter_empty(void **state)
{
	(void)state;
	assert_int_equal(machine_io_in(&mach, 0x3fd, 1), 0x60);
	machine_io_out(&mach, 0x3f8, 1, 'h');
	assert_int_equal(machine_io_in(&mach, 0x3fd, 1), 0x60);
}

static void com1_thr_writes_reach_serial_out(void **state)
{
	(void)state;
	machine_io_out(&mach, 0x3f8, 1, 'o');
	machine_io_out(&mach, 0x3f8, 1, 'k');
	fflush(out_f);
	assert_string_equal(out, "ok");
}

static void com1_dlab_latches_the_divisor(void **state)
{
	(void)state;
	assert_int_equal(machine_io_in(&mach, 0x3fb, 1), 0);
	machine_io_out(&mach, 0x3fb, 1, 0x80);
	assert_int_equal(machine_io_in(&mach, 0x3f8, 1), 0x0c); /* reset divisor */
	machine_io_out(&mach, 0x3f8, 1, 0x01);
	machine_io_out(&mach, 0x3f9, 1, 0x00);
	machine_io_out(&mach, 0x3fb, 1, 0x03);
	machine_io_out(&mach, 0x3f8, 1, 'x');
	fflush(out_f);
	assert_string_equal(out, "x");
	machine_io_out(&mach, 0x3fb, 1, 0x83);
	assert_int_equal(machine_io_in(&mach, 0x3f8, 1), 0x01);
}

static void com1_registers_have_16550_reset_values(void **state)
{
	(void)state;
	assert_int_equal(machine_io_in(&mach, 0x3f9, 1), 0x00); /* IER */
	assert_int_equal(machine_io_in(&mach, 0x3fa, 1), 0x01); /* IIR */
	assert_int_equal(machine_io_in(&mach, 0x3fc, 1), 0x00); /* MCR */
	assert_int_equal(machine_io_in(&mach, 0x3fe, 1), 0xb0); /* MSR */
	machine_io_out(&mach, 0x3ff, 1, 0x5a);
	assert_int_equal(machine_io_in(&mach, 0x3ff, 1), 0x5a); /* SCR */
	machine_io_out(&mach, 0x3fa, 1, 0x07);
	assert_int_equal(machine_io_in(&mach, 0x3fa, 1), 0xc1); /* FIFOs on */
}

static void com1_loopback_returns_sent_bytes(void **state)
{
	(void)state;
	machine_io_out(&mach, 0x3fc, 1, 0x1a); /* loop, OUT2, RTS */
	machine_io_out(&mach, 0x3f8, 1, 0xa5);
	assert_int_equal(machine_io_in(&mach, 0x3fd, 1), 0x61);
	assert_int_equal(machine_io_in(&mach, 0x3f8, 1), 0xa5);
	assert_int_equal(machine_io_in(&mach, 0x3fe, 1) & 0xf0, 0x90);
	fflush(out_f);
	assert_string_equal(out, "");
}

static void com1_state_survives_save_and_load(void **state)
{
	(void)state;
	machine_io_out(&mach, 0x3ff, 1, 0x77);
	uint8_t *blob = malloc(devices_blob_size());
	devices_save(&mach, blob);
	devices_reset(&mach);
	assert_int_equal(machine_io_in(&mach, 0x3ff, 1), 0);
	devices_load(&mach, blob);
	assert_int_equal(machine_io_in(&mach, 0x3ff, 1), 0x77);
	free(blob);
}

static void post_port_keeps_the_last_code(void **state)
{
	(void)state;
	machine_io_out(&mach, 0x80, 1, 0x42);
	struct post *p = devices_state(&mach, &post_ops);
	assert_int_equal(p->last, 0x42);
	assert_int_equal(mach.stop, STOP_NONE);
}

static void unclaimed_ports_read_all_ones_per_size(void **state)
{
	(void)state;
	assert_int_equal(machine_io_in(&mach, 0x300, 1), 0xff);
	assert_int_equal(machine_io_in(&mach, 0x300, 2), 0xffff);
	assert_int_equal(machine_io_in(&mach, 0x300, 4), 0xffffffffu);
	machine_io_out(&mach, 0x300, 4, 0);
	assert_int_equal(mach.stop, STOP_NONE);
}

static void access_straddling_a_device_edge_is_split_into_bytes(void **state)
{
	(void)state;
	machine_io_out(&mach, 0x3ff, 1, 0x12);
	assert_int_equal(machine_io_in(&mach, 0x3ff, 2), 0xff12);
}

static uint32_t dummy_read(void *dev, uint16_t port, int size)
{
	(void)dev, (void)port, (void)size;
	return 0;
}

static void dummy_write(void *dev, uint16_t port, int size, uint32_t val)
{
	(void)dev, (void)port, (void)size, (void)val;
}

static void bus_rejects_overlapping_ranges(void **state)
{
	(void)state;
	assert_int_equal(machine_io_register(&mach, 0x3fc, 8, dummy_read, dummy_write, NULL), -1);
	assert_int_equal(machine_io_register(&mach, 0xf0, 5, dummy_read, dummy_write, NULL), -1);
	assert_int_equal(machine_io_register(&mach, 0xf8, 8, dummy_read, dummy_write, NULL), 0);
	assert_int_equal(machine_io_register(&mach, 0xfff0, 0x20, dummy_read, dummy_write, NULL), -1);
}

static void trace_io_logs_every_access(void **state)
{
	(void)state;
	char buf[256] = { 0 };
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	mach.trace = TRACE_IO;
	mach.trace_out = f;
	machine_io_out(&mach, 0x80, 1, 0x42);
	machine_io_in(&mach, 0x3fd, 1);
	fclose(f);
	assert_non_null(strstr(buf, "io: out 0080/1 = 42"));
	assert_non_null(strstr(buf, "post: code 0x42"));
	assert_non_null(strstr(buf, "io: in  03fd/1 = 60"));
}

static void ram_size_out_of_range_is_refused(void **state)
{
	(void)state;
	struct machine m2;
	assert_int_equal(machine_init(&m2, 512u << 10), -1);
	assert_int_equal(machine_init(&m2, (1u << 20) + 100), -1);
	assert_int_equal(machine_init(&m2, RAM_MAX + 4096u), -1);
}

static void machine_fail_stops_with_a_message(void **state)
{
	(void)state;
	machine_fail(&mach, "no %s", "handler");
	assert_int_equal(mach.stop, STOP_ERROR);
	assert_string_equal(mach.error, "no handler");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(debug_exit_write_stops_with_status_v_shl_1_or_1),
		T(debug_exit_first_stop_wins),
		T(debug_exit_reads_zero_on_all_four_ports),
		T(com1_lsr_always_reports_transmitter_empty),
		T(com1_thr_writes_reach_serial_out),
		T(com1_dlab_latches_the_divisor),
		T(com1_registers_have_16550_reset_values),
		T(com1_loopback_returns_sent_bytes),
		T(com1_state_survives_save_and_load),
		T(post_port_keeps_the_last_code),
		T(unclaimed_ports_read_all_ones_per_size),
		T(access_straddling_a_device_edge_is_split_into_bytes),
		T(bus_rejects_overlapping_ranges),
		T(trace_io_logs_every_access),
		T(ram_size_out_of_range_is_refused),
		T(machine_fail_stops_with_a_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
