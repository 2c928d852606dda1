/*
 * COM1 (0x3F8-0x3FF, IRQ 4): a National Semiconductor 16550A UART. The
 * transmitter sends a THR byte to machine.serial_out at once, so THRE and
 * TEMT are set again before the guest's next instruction and a polling
 * guest proceeds; the receiver takes bytes from the machine's input
 * (machine_input_poll) or, in loopback, from the transmitter. Register
 * semantics follow the 16550A datasheet: 16-byte receive FIFO with trigger
 * levels and the character timeout (four character times at the
 * programmed rate, on the virtual clock), every interrupt source in its
 * priority, LSR/MSR with their deltas, divisor latch, scratch, loopback.
 * The PC board gates the interrupt pin with OUT2, and loopback forces OUT2
 * inactive, so IRQ 4 is asserted only with MCR.OUT2 set and loopback off.
 */
#include "devices/devices.h"

#include <stddef.h>
#include <string.h>

#define LCR_DLAB 0x80
#define MCR_RTS 0x02
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_ERRORS 0x1e     /* OE, PE, FE, BI: the line status interrupt */
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define IER_RDI 0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI 0x08
#define IIR_NONE 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_CTI 0x0c
#define IIR_FIFO 0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define MSR_IDLE 0xb0       /* DCD, DSR, CTS: a terminal is attached */
#define UART_CLOCK_BAUD 115200u  /* 1.8432 MHz / 16: the rate with divisor 1 */

static const uint8_t uart_trigger[4] = { 1, 4, 8, 14 };

static bool uart_fifo_on(const struct uart *u)
{
	return u->r.fcr & FCR_ENABLE;
}

static uint8_t uart_compute_iir(const struct uart *u)
{
	const struct uart_regs *r = &u->r;
	uint8_t fifo = uart_fifo_on(u) ? IIR_FIFO : 0;
	bool data = r->rx_count && (!uart_fifo_on(u) || r->rx_count >= uart_trigger[r->fcr >> 6]);

	if ((r->ier & IER_RLSI) && (r->lsr & LSR_ERRORS))
		return fifo | IIR_RLSI;
	if ((r->ier & IER_RDI) && r->timeout_ipending)
		return fifo | IIR_CTI;
	if ((r->ier & IER_RDI) && data)
		return fifo | IIR_RDI;
	if ((r->ier & IER_THRI) && r->thr_ipending)
		return fifo | IIR_THRI;
	if ((r->ier & IER_MSI) && (r->msr & 0x0f))
		return fifo | IIR_MSI;
	return fifo | IIR_NONE;
}

static void uart_update_irq(struct uart *u)
{
	bool pending = !(uart_compute_iir(u) & IIR_NONE);

	irq_set(u->irq, pending && (u->r.mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2);
}

/* Bits on the line per character: start, data, parity, stop. */
static uint64_t uart_char_ticks(const struct uart *u)
{
	uint8_t lcr = u->r.lcr;
	unsigned bits = 1 + 5 + (lcr & 3) + ((lcr >> 3) & 1) + 1 + ((lcr >> 2) & 1);
	unsigned div = (unsigned)u->r.dlm << 8 | u->r.dll;

	return timer_scale((uint64_t)bits * (div ? div : 0x10000u), VCLOCK_HZ, UART_CLOCK_BAUD);
}

/* The character timeout restarts whenever the receive FIFO is touched. */
static void uart_restart_timeout(struct uart *u)
{
	u->r.timeout_ipending = 0;
	if (uart_fifo_on(u) && u->r.rx_count)
		timer_arm(u->m, &u->timer, u->m->icount + 4 * uart_char_ticks(u));
	else
		timer_cancel(u->m, &u->timer);
}

static void uart_timeout_fire(void *opaque, uint64_t now)
{
	struct uart *u = opaque;

	(void)now;
	if (u->r.rx_count)
		u->r.timeout_ipending = 1;
	uart_update_irq(u);
}

static void uart_rx_push(struct uart *u, uint8_t byte)
{
	struct uart_regs *r = &u->r;
	unsigned cap = uart_fifo_on(u) ? UART_FIFO_SIZE : 1;

	if (r->rx_count == cap) {
		r->lsr |= LSR_OE;
		if (cap == 1)   /* without FIFO the new character overwrites RBR */
			r->rx_fifo[r->rx_head] = byte;
		return;
	}
	r->rx_fifo[(r->rx_head + r->rx_count) % UART_FIFO_SIZE] = byte;
	r->rx_count++;
}

size_t uart_rx_room(const struct uart *u)
{
	if (u->r.mcr & MCR_LOOP)
		return 0;       /* loopback disconnects the serial input */
	return (uart_fifo_on(u) ? UART_FIFO_SIZE : 1) - u->r.rx_count;
}

bool uart_rts(const struct uart *u)
{
	return u->r.mcr & MCR_RTS;
}

void uart_receive(struct uart *u, const uint8_t *bytes, size_t n)
{
	for (size_t k = 0; k < n; k++)
		uart_rx_push(u, bytes[k]);
	uart_restart_timeout(u);
	uart_update_irq(u);
}

static void uart_transmit(struct uart *u, uint8_t byte)
{
	if (u->r.mcr & MCR_LOOP) {
		uart_rx_push(u, byte);
		uart_restart_timeout(u);
	} else if (u->m->serial_out) {
		fputc(byte, u->m->serial_out);
		fflush(u->m->serial_out);
	}
	u->r.thr_ipending = 1;  /* the byte left at once: THR is empty again */
}

/* Loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
static uint8_t uart_msr_lines(const struct uart *u)
{
	uint8_t m = u->r.mcr;

	if (!(m & MCR_LOOP))
		return MSR_IDLE;
	return (uint8_t)(((m & 1) << 5) | ((m & 2) << 3) | ((m & 4) << 4) | ((m & 8) << 4));
}

/* New modem lines: delta bits for changes, TERI for RI's trailing edge. */
static void uart_set_msr_lines(struct uart *u, uint8_t lines)
{
	uint8_t old = u->r.msr, changed = (uint8_t)((old ^ lines) & 0xf0);
	uint8_t delta = (uint8_t)((changed & 0xb0) >> 4);

	if ((old & 0x40) && !(lines & 0x40))
		delta |= 0x04;
	u->r.msr = (uint8_t)(lines | (old & 0x0f) | delta);
}

/* ---- reads ---- */

static uint8_t uart_rd_rbr(struct uart *u)
{
	struct uart_regs *r = &u->r;
	uint8_t v;

	if (r->lcr & LCR_DLAB)
		return r->dll;
	v = r->rx_fifo[r->rx_head];
	if (r->rx_count) {
		r->rx_head = (r->rx_head + 1) % UART_FIFO_SIZE;
		r->rx_count--;
	}
	uart_restart_timeout(u);
	return v;
}

static uint8_t uart_rd_ier(struct uart *u)
{
	return (u->r.lcr & LCR_DLAB) ? u->r.dlm : u->r.ier;
}

static uint8_t uart_rd_iir(struct uart *u)
{
	uint8_t v = uart_compute_iir(u);

	if ((v & 0x0f) == IIR_THRI)
		u->r.thr_ipending = 0;
	return v;
}

static uint8_t uart_rd_lcr(struct uart *u) { return u->r.lcr; }
static uint8_t uart_rd_mcr(struct uart *u) { return u->r.mcr; }
static uint8_t uart_rd_scr(struct uart *u) { return u->r.scr; }

static uint8_t uart_rd_lsr(struct uart *u)
{
	uint8_t v = (uint8_t)(u->r.lsr | LSR_THRE | LSR_TEMT | (u->r.rx_count ? LSR_DR : 0));

	u->r.lsr &= (uint8_t)~LSR_ERRORS;
	return v;
}

static uint8_t uart_rd_msr(struct uart *u)
{
	uint8_t v = u->r.msr;

	u->r.msr &= 0xf0;
	return v;
}

static uint8_t (*const uart_reads[8])(struct uart *) = {
	uart_rd_rbr, uart_rd_ier, uart_rd_iir, uart_rd_lcr,
	uart_rd_mcr, uart_rd_lsr, uart_rd_msr, uart_rd_scr,
};

/* ---- writes ---- */

static void uart_wr_thr(struct uart *u, uint8_t v)
{
	if (u->r.lcr & LCR_DLAB)
		u->r.dll = v;
	else
		uart_transmit(u, v);
}

static void uart_wr_ier(struct uart *u, uint8_t v)
{
	if (u->r.lcr & LCR_DLAB) {
		u->r.dlm = v;
		return;
	}
	/* Enabling the THR-empty interrupt with THR empty raises it at once. */
	if ((v & IER_THRI) && !(u->r.ier & IER_THRI))
		u->r.thr_ipending = 1;
	u->r.ier = v & 0x0f;
}

/* FCR bits other than the enable are written only with the enable set;
 * changing the enable empties both FIFOs. */
static void uart_wr_fcr(struct uart *u, uint8_t v)
{
	struct uart_regs *r = &u->r;

	if ((v ^ r->fcr) & FCR_ENABLE)
		v |= FCR_CLEAR_RX;
	if (v & FCR_CLEAR_RX) {
		r->rx_count = r->rx_head = 0;
		r->timeout_ipending = 0;
	}
	r->fcr = (v & FCR_ENABLE) ? v & 0xc9 : 0;
	uart_restart_timeout(u);
}

static void uart_wr_lcr(struct uart *u, uint8_t v) { u->r.lcr = v; }
static void uart_wr_scr(struct uart *u, uint8_t v) { u->r.scr = v; }

static void uart_wr_mcr(struct uart *u, uint8_t v)
{
	u->r.mcr = v & 0x1f;
	uart_set_msr_lines(u, uart_msr_lines(u));
}

/* LSR and MSR are status registers: writes are ignored. */
static void uart_wr_none(struct uart *u, uint8_t v) { (void)u, (void)v; }

static void (*const uart_writes[8])(struct uart *, uint8_t) = {
	uart_wr_thr, uart_wr_ier, uart_wr_fcr, uart_wr_lcr,
	uart_wr_mcr, uart_wr_none, uart_wr_none, uart_wr_scr,
};

/* A 16- or 32-bit access is a run of byte accesses, as on the ISA bus. */
static uint32_t uart_read(void *dev, uint16_t port, int size)
{
	uint32_t v = 0;

	for (int k = 0; k < size; k++)
		v |= (uint32_t)uart_reads[(port + k - COM1_PORT) & 7](dev) << (8 * k);
	uart_update_irq(dev);
	return v;
}

static void uart_write(void *dev, uint16_t port, int size, uint32_t val)
{
	for (int k = 0; k < size; k++)
		uart_writes[(port + k - COM1_PORT) & 7](dev, (uint8_t)(val >> (8 * k)));
	uart_update_irq(dev);
}

static int uart_create(struct machine *m, void *st)
{
	struct uart *u = st;

	u->m = m;
	u->irq = &m->isa_irq[COM1_IRQ];
	if (timer_init(m, &u->timer, "com1-timeout", uart_timeout_fire, u) < 0)
		return -1;
	return machine_io_register(m, COM1_PORT, 8, uart_read, uart_write, u);
}

/* Reset values of the 16550A (divisor 12: 9600 baud, as QEMU resets it). */
static void uart_reset(void *st)
{
	struct uart *u = st;

	u->r = (struct uart_regs){ .lsr = LSR_THRE | LSR_TEMT, .msr = MSR_IDLE, .dll = 0x0c };
	timer_cancel(u->m, &u->timer);
	uart_update_irq(u);
}

struct uart_blob {
	struct uart_regs r;
	uint64_t deadline;
};

static void uart_save(const void *st, uint8_t *blob)
{
	const struct uart *u = st;
	struct uart_blob b;

	memset(&b, 0, sizeof(b));
	b.r = u->r;
	b.deadline = u->timer.deadline;

	memcpy(blob, &b, sizeof(b));
}

static void uart_load(void *st, const uint8_t *blob)
{
	struct uart *u = st;
	struct uart_blob b;

	memcpy(&b, blob, sizeof(b));
	u->r = b.r;
	timer_arm(u->m, &u->timer, b.deadline);
	uart_update_irq(u);
}

const struct device_ops uart_ops = {
	.name = "com1",
	.state_size = sizeof(struct uart),
	.blob_size = sizeof(struct uart_blob),
	.create = uart_create,
	.reset = uart_reset,
	.save = uart_save,
	.load = uart_load,
};
