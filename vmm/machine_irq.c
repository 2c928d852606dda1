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
#include <time.h>
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

/* Is there an input that COM1 would take now (machine_input_read)? */
static bool machine_input_wanted(struct machine *m)
{
	struct uart *u = devices_state(m, &uart_ops);

	return m->serial_in >= 0 && !m->serial_in_eof && uart_rx_room(u) && uart_rts(u);
}

static uint64_t machine_host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * An idle guest at an interactive terminal: instead of spinning through
 * halted time, the host sleeps until its own clock reaches the virtual
 * time the jump lands on (measured from an anchor), or until the user
 * types something COM1 can take. A guest that fell behind the host's
 * time by more than PACE_SLACK_NS (it was busy: interp is slower than
 * real time) gets a new anchor instead of a burst. The jump itself is
 * the same as without the sleep, so the host only changes when things
 * happen, never what the guest sees; when input arrives is an external
 * input anyway.
 */
#define PACE_SLACK_NS 20000000u /* 20 ms */

static void machine_halt_pace(struct machine *m, uint64_t to)
{
	uint64_t now = machine_host_ns(), host = now - m->pace_host_ns;
	uint64_t virt = timer_scale(to - m->pace_clock, 1000000000u, VCLOCK_HZ);

	if (virt + PACE_SLACK_NS < host) {
		m->pace_clock = m->icount;
		m->pace_host_ns = now;
		host = 0;
		virt = timer_scale(to - m->icount, 1000000000u, VCLOCK_HZ);
	}
	if (virt <= host)
		return;
	struct timespec ts = { (time_t)((virt - host) / 1000000000u),
			       (long)((virt - host) % 1000000000u) };
	struct pollfd pfd = { .fd = machine_input_wanted(m) ? m->serial_in : -1,
			      .events = POLLIN };
	ppoll(&pfd, 1, &ts, NULL);
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
		if (m->halt_paced)
			machine_halt_pace(m, to);
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
