/*
 * Specifications of COM1's input side in the monitor core
 * (vmm/machine_irq.c): a file or pipe feeds the UART on the virtual
 * clock, only while the guest holds RTS up; at an interactive terminal a
 * halted CPU lets the host sleep through the halted time, or until input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/devices.h"
#include "vmm/machine.h"

#define RBR 0x3f8
#define MCR 0x3fc
#define LSR 0x3fd
#define MCR_RTS 0x02

static struct machine m;
static int fds[2];

static int setup(void **state)
{
	(void)state;
	if (machine_init(&m, 1u << 20) < 0 || pipe(fds) < 0)
		return -1;
	machine_reset(&m);
	machine_serial_input(&m, fds[0]);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(fds[0]);
	close(fds[1]);
	machine_free(&m);
	return 0;
}

static uint8_t in8(uint16_t port) { return (uint8_t)machine_io_in(&m, port, 1); }

static void input_waits_until_the_guest_raises_rts(void **state)
{
	(void)state;
	assert_int_equal(write(fds[1], "ab", 2), 2);
	machine_input_poll(&m);
	assert_int_equal(in8(LSR) & 1, 0);
	machine_io_out(&m, MCR, 1, MCR_RTS);
	machine_input_poll(&m);
	assert_int_equal(in8(LSR) & 1, 1);
	assert_int_equal(in8(RBR), 'a');
}

static void input_is_polled_on_the_virtual_clock(void **state)
{
	(void)state;
	machine_io_out(&m, MCR, 1, MCR_RTS);
	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_true(m.timers.next <= 1000000);     /* within 1 ms of virtual time */
	m.icount = m.timers.next;
	timer_run_due(&m);
	assert_int_equal(in8(RBR), 'x');
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Halted until `ns` of virtual time have passed; the host seconds it took. */
static double halt_for(uint64_t ns)
{
	double t0 = now();
	while (m.icount < ns)
		machine_halt_wait(&m, UINT64_MAX);
	return now() - t0;
}

static void halted_time_passes_at_once_without_a_terminal(void **state)
{
	(void)state;
	assert_true(halt_for(1000000000) < 0.5);   /* 1 s */
	assert_int_equal(m.halted_ticks, m.icount);
}

static void halted_time_takes_host_time_at_a_terminal(void **state)
{
	(void)state;
	m.halt_paced = true;
	assert_true(halt_for(30000000) >= 0.030);
	assert_int_equal(m.halted_ticks, m.icount);
}

static void ignore(void *opaque, uint64_t t) { (void)opaque; (void)t; }

/* Input COM1 can take ends the sleep; the clock still lands on the deadline. */
static void input_ends_the_sleep_but_not_the_jump(void **state)
{
	static struct timer far;
	(void)state;
	m.halt_paced = true;
	machine_io_out(&m, MCR, 1, MCR_RTS);
	timer_cancel(&m, &m.input_timer);
	assert_int_equal(timer_init(&m, &far, "far", ignore, NULL), 0);
	timer_arm(&m, &far, 10000000000ull);         /* 10 s */
	assert_int_equal(write(fds[1], "k", 1), 1);
	double t0 = now();
	machine_halt_wait(&m, UINT64_MAX);
	assert_true(now() - t0 < 5.0);
	assert_int_equal(m.icount, 10000000000ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(input_waits_until_the_guest_raises_rts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(input_is_polled_on_the_virtual_clock, setup,
						teardown),
		cmocka_unit_test_setup_teardown(halted_time_passes_at_once_without_a_terminal,
						setup, teardown),
		cmocka_unit_test_setup_teardown(halted_time_takes_host_time_at_a_terminal,
						setup, teardown),
		cmocka_unit_test_setup_teardown(input_ends_the_sleep_but_not_the_jump, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
