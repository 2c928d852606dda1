/* Specifications of COM1, a 16550A: FIFOs, interrupt sources and their
 * priority, LSR/MSR, divisor latch, scratch, loopback, external input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/devices.h"
#include "fixture_devices.h"

#define RBR 0x3f8
#define IER 0x3f9
#define IIR 0x3fa
#define FCR 0x3fa
#define LCR 0x3fb
#define MCR 0x3fc
#define LSR 0x3fd
#define MSR 0x3fe
#define SCR 0x3ff

static struct machine mach;
static struct uart *uart;
static char out[256];
static FILE *out_f;

static void out8(uint16_t port, uint8_t v) { machine_io_out(&mach, port, 1, v); }
static uint8_t in8(uint16_t port) { return (uint8_t)machine_io_in(&mach, port, 1); }

static void advance_to(uint64_t t) { fixture_advance_to(&mach, t); }

/* A fake line in place of the PIC's IR4: the level the UART drives. */
static int irq4_level;
static void fake_set(void *opaque, int n, int level) { (void)opaque, (void)n; irq4_level = level; }
static const struct irq_line fake_irq4 = { fake_set, NULL, 4 };
static bool irq4(void) { return irq4_level; }

static int setup(void **state)
{
	(void)state;
	if (machine_init(&mach, 1u << 20) < 0)
		return -1;
	machine_reset(&mach);
	out_f = fixture_serial_capture(&mach, out, sizeof(out));
	uart = devices_state(&mach, &uart_ops);
	uart->irq = &fake_irq4;
	irq4_level = 0;
	/* PIC master at 0x20, auto-EOI. */
	fixture_pic_init_master(&mach);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fclose(out_f);
	machine_free(&mach);
	return 0;
}

static void receive(const char *s) { uart_receive(uart, (const uint8_t *)s, strlen(s)); }


static void reset_values_of_the_16550a(void **state)
{
	(void)state;
	assert_int_equal(in8(IER), 0x00);
	assert_int_equal(in8(IIR), 0x01);
	assert_int_equal(in8(LCR), 0x00);
	assert_int_equal(in8(MCR), 0x00);
	assert_int_equal(in8(LSR), 0x60);
	assert_int_equal(in8(MSR), 0xb0);
	out8(LCR, 0x80);
	assert_int_equal(in8(RBR), 0x0c);
	assert_int_equal(in8(IER), 0x00);
}

static void thr_bytes_reach_serial_out_and_thre_stays_set(void **state)
{
	(void)state;
	out8(RBR, 'o');
	out8(RBR, 'k');
	assert_int_equal(in8(LSR), 0x60);
	fflush(out_f);
	assert_string_equal(out, "ok");
}

static void divisor_latch_and_scratch(void **state)
{
	(void)state;
	out8(LCR, 0x83);
	out8(RBR, 0x01);
	out8(IER, 0x00);
	assert_int_equal(in8(RBR), 0x01);
	out8(LCR, 0x03);
	out8(SCR, 0x5a);
	assert_int_equal(in8(SCR), 0x5a);
	out8(RBR, 'x');
	fflush(out_f);
	assert_string_equal(out, "x");
}

static void received_byte_sets_dr_and_rdi_on_irq4_with_out2(void **state)
{
	(void)state;
	out8(IER, 0x01);
	receive("a");
	assert_int_equal(in8(LSR) & 0x01, 0x01);
	assert_int_equal(in8(IIR), 0x04);
	assert_false(irq4());                        /* OUT2 gates the IRQ */
	out8(MCR, 0x08);
	assert_true(irq4());
	assert_int_equal(in8(RBR), 'a');
	assert_int_equal(in8(IIR), 0x01);
	assert_false(irq4());
}

static void non_fifo_overrun_sets_oe_and_line_status_interrupt(void **state)
{
	(void)state;
	out8(IER, 0x05);
	receive("ab");
	assert_int_equal(in8(IIR), 0x06);            /* line status first */
	assert_int_equal(in8(LSR) & 0x03, 0x03);
	assert_int_equal(in8(LSR) & 0x02, 0x00);     /* OE cleared by the read */
	assert_int_equal(in8(IIR), 0x04);
	assert_int_equal(in8(RBR), 'b');             /* the new byte overwrote RBR */
}

static void fifo_trigger_level_and_character_timeout(void **state)
{
	(void)state;
	out8(FCR, 0x87);                             /* FIFO on, trigger 8 */
	out8(IER, 0x01);
	receive("1234");
	assert_int_equal(in8(IIR), 0xc1);            /* below the trigger */
	advance_to(mach.icount + 4 * 10 * 12 * 1000000000ull / 115200 + 1);
	assert_int_equal(in8(IIR), 0xcc);            /* timeout: 4 chars at 9600 baud */
	assert_int_equal(in8(RBR), '1');
	assert_int_equal(in8(IIR), 0xc1);            /* the read restarted it */
	receive("56789");
	assert_int_equal(in8(IIR), 0xc4);            /* 8 bytes: trigger reached */
	out8(FCR, 0x83);                             /* clear the receive FIFO */
	assert_int_equal(in8(LSR) & 0x01, 0);
	assert_int_equal(in8(IIR), 0xc1);
}

static void fifo_overrun_keeps_the_fifo(void **state)
{
	(void)state;
	out8(FCR, 0x01);
	assert_int_equal(uart_rx_room(uart), 16);
	receive("0123456789abcdefX");
	assert_int_equal(in8(LSR) & 0x02, 0x02);
	for (int k = 0; k < 15; k++)
		in8(RBR);
	assert_int_equal(in8(RBR), 'f');
	assert_int_equal(in8(LSR) & 0x01, 0);
}

static void thre_interrupt_on_enable_and_after_each_write(void **state)
{
	(void)state;
	out8(MCR, 0x08);
	out8(IER, 0x02);
	assert_true(irq4());
	assert_int_equal(in8(IIR), 0x02);            /* reading IIR clears it */
	assert_int_equal(in8(IIR), 0x01);
	out8(RBR, 'z');
	assert_int_equal(in8(IIR), 0x02);
}

static void modem_status_interrupt_and_deltas_in_loopback(void **state)
{
	(void)state;
	out8(IER, 0x08);
	out8(MCR, 0x10);                             /* loopback, all outputs off */
	in8(MSR);
	out8(MCR, 0x1f);
	assert_int_equal(in8(IIR), 0x00);
	assert_int_equal(in8(MSR), 0xfb);            /* lines up, DCTS DDSR DDCD */
	out8(MCR, 0x1b);                             /* RI (OUT1) falls */
	assert_int_equal(in8(MSR), 0xb4);            /* TERI */
	assert_int_equal(in8(IIR), 0x01);
}

static void loopback_returns_sent_bytes_and_ignores_input(void **state)
{
	(void)state;
	out8(MCR, 0x1a);
	out8(RBR, 0xa5);
	assert_int_equal(in8(LSR), 0x61);
	assert_int_equal(in8(RBR), 0xa5);
	assert_int_equal(uart_rx_room(uart), 0);
	fflush(out_f);
	assert_string_equal(out, "");
	assert_false(irq4());                        /* loopback disconnects the IRQ */
}

static void input_file_feeds_the_receiver_on_the_virtual_clock(void **state)
{
	(void)state;
	char path[] = "/tmp/doppel-uart-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello", 5), 5);
	lseek(fd, 0, SEEK_SET);
	unlink(path);
	machine_serial_input(&mach, fd);
	out8(MCR, 0x02);                             /* RTS: the guest is ready */
	assert_int_equal(in8(LSR) & 0x01, 0);        /* nothing before the first poll */
	advance_to(mach.timers.next);
	assert_int_equal(in8(RBR), 'h');             /* no FIFO: one byte per poll */
	advance_to(mach.timers.next);
	assert_int_equal(in8(RBR), 'e');
	out8(FCR, 0x01);
	advance_to(mach.timers.next);
	assert_int_equal(in8(RBR), 'l');
	assert_int_equal(in8(RBR), 'l');
	assert_int_equal(in8(RBR), 'o');
	advance_to(mach.timers.next);
	assert_true(mach.serial_in_eof);
	close(fd);
}

static void state_survives_save_and_load(void **state)
{
	(void)state;
	out8(FCR, 0x01);
	out8(SCR, 0x77);
	receive("xy");
	uint8_t *blob = malloc(devices_blob_size());
	devices_save(&mach, blob);
	devices_reset(&mach);
	assert_int_equal(in8(SCR), 0);
	devices_load(&mach, blob);
	assert_int_equal(in8(SCR), 0x77);
	assert_int_equal(in8(RBR), 'x');
	assert_int_equal(in8(RBR), 'y');
	free(blob);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(reset_values_of_the_16550a),
		T(thr_bytes_reach_serial_out_and_thre_stays_set),
		T(divisor_latch_and_scratch),
		T(received_byte_sets_dr_and_rdi_on_irq4_with_out2),
		T(non_fifo_overrun_sets_oe_and_line_status_interrupt),
		T(fifo_trigger_level_and_character_timeout),
		T(fifo_overrun_keeps_the_fifo),
		T(thre_interrupt_on_enable_and_after_each_write),
		T(modem_status_interrupt_and_deltas_in_loopback),
		T(loopback_returns_sent_bytes_and_ignores_input),
		T(input_file_feeds_the_receiver_on_the_virtual_clock),
		T(state_survives_save_and_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
