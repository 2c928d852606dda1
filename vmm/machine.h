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

struct machine {
	struct cpu cpu;
	uint8_t *ram;          /* host mapping of the memfd */
	uint32_t ram_size;
	int ram_fd;
	uint32_t a20_mask;     /* 0xffffffff, or ~(1<<20) with A20 off */
	uint64_t icount;       /* the virtual clock: retired guest instructions */
	struct tlb tlb;        /* the CPU's software TLB (vmm/mmu.h); all-zero is empty */

	struct io_range io[IO_RANGES_MAX];
	int n_io;

	enum stop_reason stop;
	int exit_status;       /* isa-debug-exit: (v << 1) | 1 */
	char error[256];       /* STOP_ERROR / STOP_SHUTDOWN detail */

	unsigned trace;        /* TRACE_* bits */
	FILE *trace_out;
	FILE *serial_out;      /* where COM1 transmits */

	void *dev_state[DEVICES_MAX]; /* owned by devices/devices.c */
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

/* Guest-physical pointer for [pa, pa+len) or NULL if outside RAM. */
static inline uint8_t *machine_phys(struct machine *m, uint32_t pa, uint32_t len)
{
	if (pa >= m->ram_size || len > m->ram_size - pa)
		return NULL;
	return m->ram + pa;
}

#endif
