/*
 * The monitor core's side of interrupts and time: the CPU's INTR pin (the
 * PIC's output line), the interrupt acknowledge an engine performs at an
 * instruction boundary, HLT as a jump of the virtual clock to the next
 * deadline, and the one entry point of external input (COM1's receive
 * side), polled on the virtual clock so a recording has one place to
 * capture it.
 */
#define _GNU_SOURCE
#include "vmm/machine.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "devices/devices.h"

/* 2026-01-01 00:00:00 UTC: every run starts at the same wall-clock time. */
#define RTC_DEFAULT_BASE 1767225600LL
/* How often the input source is polled: 1 ms of virtual time. */
#define INPUT_POLL_TICKS (VCLOCK_HZ / 1000)

static void machine_cpu_intr_set(void *opaque, int n, int level)
{
	struct machine *m = opaque;

	(void)n;
	m->cpu.pending.irq_line = level;
}

int machine_irq_ack(struct machine *m)
{
	return pic_ack(devices_state(m, &pic_ops));
}

void machine_halt_wait(struct machine *m, uint64_t end)
{
	uint64_t next = m->timers.next;

	if (next == TIMER_NEVER) {
		machine_request_stop(m, STOP_HLT);
		return;
	}
	uint64_t to = next < end ? next : end;

	if (to > m->icount) {
		m->halted_ticks += to - m->icount;
		m->icount = to;
	}
	if (next <= end)
		timer_run_due(m);
}

/*
 * Read what the input has ready, no more than COM1 can take now, and
 * only while the guest holds RTS up: the input is a terminal with
 * hardware flow control, so what is typed (or piped) before the guest's
 * driver opens the port waits instead of being lost.
 */
static void machine_input_read(struct machine *m, struct uart *u)
{
	uint8_t buf[UART_FIFO_SIZE];
	size_t room = uart_rx_room(u);
	struct pollfd pfd = { .fd = m->serial_in, .events = POLLIN };
	ssize_t n;

	if (!room || !uart_rts(u) || poll(&pfd, 1, 0) <= 0)
		return;
	n = read(m->serial_in, buf, room);
	if (n > 0)
		uart_receive(u, buf, (size_t)n);
	else if (n == 0 || (errno != EAGAIN && errno != EINTR))
		m->serial_in_eof = true;
}

void machine_input_poll(struct machine *m)
{
	struct uart *u = devices_state(m, &uart_ops);

	if (m->serial_in < 0 || m->serial_in_eof)
		return;
	machine_input_read(m, u);
	if (!m->serial_in_eof)
		timer_arm(m, &m->input_timer, m->icount + INPUT_POLL_TICKS);
}

static void machine_input_fire(void *opaque, uint64_t now)
{
	(void)now;
	machine_input_poll(opaque);
}

void machine_serial_input(struct machine *m, int fd)
{
	m->serial_in = fd;
	m->serial_in_eof = false;
	machine_irq_reset(m);
}

void machine_irq_reset(struct machine *m)
{
	if (m->serial_in >= 0 && !m->serial_in_eof)
		timer_arm(m, &m->input_timer, m->icount + INPUT_POLL_TICKS);
	else
		timer_cancel(m, &m->input_timer);
}

int machine_irq_init(struct machine *m)
{
	m->cpu_intr = (struct irq_line){ machine_cpu_intr_set, m, 0 };
	m->serial_in = -1;
	m->rtc_base = RTC_DEFAULT_BASE;
	return timer_init(m, &m->input_timer, "serial-input", machine_input_fire, m);
}
