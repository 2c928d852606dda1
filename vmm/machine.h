/*
 * One PC: guest RAM (a memfd at guest-physical 0), the port I/O bus, the
 * virtual clock counted in retired instructions, and the CPU. The monitor
 * core is the only place that touches devices.
 */
#ifndef DOPPEL_MACHINE_H
#define DOPPEL_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu.h"
#include "mmu.h"
#include "timer.h"
#include "devices/irq.h"

#define RAM_MIN (1u << 20)          /* 1 MiB */
#define RAM_MAX (3584u << 20)       /* 3.5 GiB: leave room below 4 GiB for MMIO */

/* One handler signature for port I/O (kvmtool's idea): size 1, 2 or 4. */
typedef uint32_t io_read_fn(void *dev, uint16_t port, int size);
typedef void io_write_fn(void *dev, uint16_t port, int size, uint32_t val);

struct io_range {
	uint16_t base, len;
	io_read_fn *read;
	io_write_fn *write;
	void *dev;
};

#define IO_RANGES_MAX 32
#define DEVICES_MAX 16   /* device states, in devices/devices.c table order */

/* Trace categories (--trace=exec,io,int) */
#define TRACE_EXEC 1u
#define TRACE_IO 2u
#define TRACE_INT 4u

/* Why the machine stopped. */
enum stop_reason {
	STOP_NONE,
	STOP_BUDGET,     /* the instruction budget is spent */
	STOP_HLT,        /* HLT with interrupts disabled and nothing pending: never wakes */
	STOP_SHUTDOWN,   /* triple fault */
	STOP_DEBUG_EXIT, /* isa-debug-exit written */
	STOP_RESET,      /* the guest asked for a system reset */
	STOP_ERROR,      /* the monitor cannot go on (message in machine.error) */
	STOP_UNSUPPORTED, /* the guest used what doppel does not model yet (V86, task
			     switches, ...): named in machine.error */
};

struct block_cache; /* vmm/interp_block.c */

struct machine {
	struct cpu cpu;
	uint8_t *ram;          /* host mapping of the memfd */
	uint32_t ram_size;
	int ram_fd;
	uint32_t a20_mask;     /* 0xffffffff, or ~(1<<20) with A20 off */
	uint64_t icount;       /* the virtual clock: retired instructions and halted time */
	uint64_t halted_ticks; /* of which the CPU spent halted (HLT's jumps): the one
				* advance of the clock that retires nothing */
	struct tlb tlb;        /* the CPU's software TLB (vmm/mmu.h); all-zero is empty */
	struct block_cache *blocks; /* interp's decoded blocks; NULL until it runs */

	struct io_range io[IO_RANGES_MAX];
	int n_io;

	enum stop_reason stop;
	bool stop_at_cpl3;     /* interp returns (STOP_NONE) at the first boundary
				* after a step that left the CPU at CPL 3 (engine de) */
	int exit_status;       /* isa-debug-exit: (v << 1) | 1 */
	char error[256];       /* STOP_ERROR / STOP_SHUTDOWN detail */

	unsigned trace;        /* TRACE_* bits */
	FILE *trace_out;
	FILE *serial_out;      /* where COM1 transmits */

	void *dev_state[DEVICES_MAX]; /* owned by devices/devices.c */

	struct timer_queue timers;     /* deadlines on the virtual clock (vmm/timer.c) */
	struct irq_line isa_irq[ISA_IRQS]; /* the PIC pair's inputs, set up by devices/pic.c */
	struct irq_line cpu_intr;      /* the PIC's output: the CPU's INTR pin (vmm/machine_irq.c) */
	int64_t rtc_base;              /* the RTC's time at icount 0, Unix seconds (UTC) */
	int serial_in;                 /* fd COM1 receives from, -1 for none (vmm/machine_irq.c) */
	bool serial_in_eof;
	bool halt_paced;               /* an interactive terminal: halted time passes at the
					* host's pace (machine_halt_wait) instead of at once */
	uint64_t pace_clock, pace_host_ns; /* halt_paced's anchor: icount at a host time */
	struct timer input_timer;      /* polls serial_in on the virtual clock */
};

/* Create a machine with ram_size bytes of RAM; returns -1 and prints why. */
int machine_init(struct machine *m, uint32_t ram_size);
void machine_free(struct machine *m);
/* Power-on state: cpu_reset, every device reset, clock and stop cleared
 * (vmm/machine_reset.c). RAM keeps its contents, as on a PC. */
void machine_reset(struct machine *m);

/* Register a port range; returns -1 if it overlaps one already there. */
int machine_io_register(struct machine *m, uint16_t base, uint16_t len,
			io_read_fn *rd, io_write_fn *wr, void *dev);
/* Port I/O from an engine; unclaimed ports read all-ones, writes vanish. */
uint32_t machine_io_in(struct machine *m, uint16_t port, int size);
void machine_io_out(struct machine *m, uint16_t port, int size, uint32_t val);

/* Ask the run loop to stop with a reason (first reason wins). */
void machine_request_stop(struct machine *m, enum stop_reason why);
void machine_fail(struct machine *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Stop because the guest needs an architectural feature not modelled yet. */
void machine_unsupported(struct machine *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Interrupts, halts and external input (vmm/machine_irq.c). machine_init
 * calls machine_irq_init before creating devices; machine_reset calls
 * machine_irq_reset after resetting them.
 */
int machine_irq_init(struct machine *m);
void machine_irq_reset(struct machine *m);
/* The engine's INTA cycle (INTR set, IF=1, no shadow): the vector to deliver. */
int machine_irq_ack(struct machine *m);
/* HLT with IF=1: advance the clock to the next deadline (not past `end`)
 * and run the timers due; with no deadline at all, STOP_HLT. With
 * halt_paced the host first sleeps that long, or until input COM1 can
 * take arrives; the clock moves the same either way. */
void machine_halt_wait(struct machine *m, uint64_t end);
/* COM1 receives from fd (a terminal or a file), polled on the virtual clock. */
void machine_serial_input(struct machine *m, int fd);
void machine_input_poll(struct machine *m);

/* Instructions retired (the clock less halted time); modular, so a clock
 * reset without halted_ticks still gives exact differences. */
static inline uint64_t machine_retired(const struct machine *m)
{
	return m->icount - m->halted_ticks;
}

/* Guest-physical pointer for [pa, pa+len) or NULL if outside RAM. */
static inline uint8_t *machine_phys(struct machine *m, uint32_t pa, uint32_t len)
{
	if (pa >= m->ram_size || len > m->ram_size - pa)
		return NULL;
	return m->ram + pa;
}

#endif
