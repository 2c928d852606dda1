/*
 * COM1 (0x3F8-0x3FF), the transmit side of a 16550A: THR writes go to
 * machine.serial_out at once, so LSR always reports THRE|TEMT and a
 * polling guest proceeds. The other registers hold their reset values
 * and are readable and writable, with the DLAB latch and the loopback
 * mode that drivers use to detect the chip. IIR reports the THR-empty and
 * received-data conditions; no interrupt line is raised yet.
 */
#include "devices/devices.h"

#include <stddef.h>
#include <string.h>

#define LCR_DLAB 0x80
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define IER_RDI 0x01
#define IER_THRI 0x02
#define IIR_NONE 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO 0xc0
#define FCR_ENABLE 0x01
#define MSR_IDLE 0xb0 /* DCD, DSR, CTS: a terminal is attached */

/* Whether the THR-empty interrupt condition is pending (cleared by
 * reading IIR while it is the highest source). Kept in iir's bit 1. */
static uint8_t serial_compute_iir(const struct serial *s)
{
	uint8_t fifo = (s->fcr & FCR_ENABLE) ? IIR_FIFO : 0;
	if ((s->ier & IER_RDI) && (s->lsr & LSR_DR))
		return fifo | IIR_RDI;
	if ((s->ier & IER_THRI) && (s->iir & IIR_THRI))
		return fifo | IIR_THRI;
	return fifo | IIR_NONE;
}

static uint8_t serial_loop_msr(const struct serial *s)
{
	/* Loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
	uint8_t m = s->mcr;
	return (uint8_t)(((m & 1) << 5) | ((m & 2) << 3) | ((m & 4) << 4) | ((m & 8) << 4));
}

static void serial_transmit(struct serial *s, uint8_t byte)
{
	if (s->mcr & MCR_LOOP) {
		if (s->lsr & LSR_DR)
			s->lsr |= LSR_OE;
		s->rbr = byte;
		s->lsr |= LSR_DR;
	} else if (s->m->serial_out) {
		fputc(byte, s->m->serial_out);
		fflush(s->m->serial_out);
	}
	s->iir |= IIR_THRI; /* the byte left at once: THR is empty again */
}

/* ---- reads, one per register offset ---- */

static uint8_t serial_rd_rbr(struct serial *s)
{
	if (s->lcr & LCR_DLAB)
		return s->dll;
	s->lsr &= (uint8_t)~LSR_DR;
	return s->rbr;
}

static uint8_t serial_rd_ier(struct serial *s)
{
	return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
}

static uint8_t serial_rd_iir(struct serial *s)
{
	uint8_t v = serial_compute_iir(s);
	if ((v & 0x0f) == IIR_THRI)
		s->iir &= (uint8_t)~IIR_THRI;
	return v;
}

static uint8_t serial_rd_lcr(struct serial *s) { return s->lcr; }
static uint8_t serial_rd_mcr(struct serial *s) { return s->mcr; }
static uint8_t serial_rd_scr(struct serial *s) { return s->scr; }

static uint8_t serial_rd_lsr(struct serial *s)
{
	uint8_t v = s->lsr | LSR_THRE | LSR_TEMT;
	s->lsr &= (uint8_t)~LSR_OE;
	return v;
}

static uint8_t serial_rd_msr(struct serial *s)
{
	return (s->mcr & MCR_LOOP) ? serial_loop_msr(s) : s->msr;
}

static uint8_t (*const serial_reads[8])(struct serial *) = {
	serial_rd_rbr, serial_rd_ier, serial_rd_iir, serial_rd_lcr,
	serial_rd_mcr, serial_rd_lsr, serial_rd_msr, serial_rd_scr,
};

/* ---- writes ---- */

static void serial_wr_thr(struct serial *s, uint8_t v)
{
	if (s->lcr & LCR_DLAB)
		s->dll = v;
	else
		serial_transmit(s, v);
}

static void serial_wr_ier(struct serial *s, uint8_t v)
{
	if (s->lcr & LCR_DLAB) {
		s->dlm = v;
		return;
	}
	/* Enabling the THR-empty interrupt with THR empty raises it at once. */
	if ((v & IER_THRI) && !(s->ier & IER_THRI))
		s->iir |= IIR_THRI;
	s->ier = v & 0x0f;
}

static void serial_wr_fcr(struct serial *s, uint8_t v)
{
	/* Bits 1-2 clear the FIFOs and clear themselves. */
	s->fcr = v & 0xc9;
	if (v & 0x02)
		s->lsr &= (uint8_t)~(LSR_DR | LSR_OE);
}

static void serial_wr_lcr(struct serial *s, uint8_t v) { s->lcr = v; }
static void serial_wr_mcr(struct serial *s, uint8_t v) { s->mcr = v & 0x1f; }
static void serial_wr_scr(struct serial *s, uint8_t v) { s->scr = v; }
/* LSR and MSR are status registers: writes are ignored. */
static void serial_wr_none(struct serial *s, uint8_t v) { (void)s, (void)v; }

static void (*const serial_writes[8])(struct serial *, uint8_t) = {
	serial_wr_thr, serial_wr_ier, serial_wr_fcr, serial_wr_lcr,
	serial_wr_mcr, serial_wr_none, serial_wr_none, serial_wr_scr,
};

/* A 16- or 32-bit access is a run of byte accesses, as on the ISA bus. */
static uint32_t serial_read(void *dev, uint16_t port, int size)
{
	uint32_t v = 0;
	for (int k = 0; k < size; k++)
		v |= (uint32_t)serial_reads[(port + k - COM1_PORT) & 7](dev) << (8 * k);
	return v;
}

static void serial_write(void *dev, uint16_t port, int size, uint32_t val)
{
	for (int k = 0; k < size; k++)
		serial_writes[(port + k - COM1_PORT) & 7](dev, (uint8_t)(val >> (8 * k)));
}

static int serial_create(struct machine *m, void *st)
{
	struct serial *s = st;
	s->m = m;
	return machine_io_register(m, COM1_PORT, 8, serial_read, serial_write, s);
}

/* Reset values of the 16550A (divisor 12: 9600 baud, as QEMU resets it). */
static void serial_reset(void *st)
{
	struct serial *s = st;
	struct machine *m = s->m;
	*s = (struct serial){ .m = m, .iir = IIR_NONE, .lsr = LSR_THRE | LSR_TEMT,
			      .msr = MSR_IDLE, .dll = 0x0c };
}

/* The blob is the registers from ier to rbr, in struct order. */
#define SERIAL_BLOB (offsetof(struct serial, rbr) + 1 - offsetof(struct serial, ier))

static void serial_save(const void *st, uint8_t *blob)
{
	memcpy(blob, (const uint8_t *)st + offsetof(struct serial, ier), SERIAL_BLOB);
}

static void serial_load(void *st, const uint8_t *blob)
{
	memcpy((uint8_t *)st + offsetof(struct serial, ier), blob, SERIAL_BLOB);
}

const struct device_ops serial_ops = {
	.name = "com1",
	.state_size = sizeof(struct serial),
	.blob_size = SERIAL_BLOB,
	.create = serial_create,
	.reset = serial_reset,
	.save = serial_save,
	.load = serial_load,
};
