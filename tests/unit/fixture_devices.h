/*
 * Shared unit-test fixture for device tests on a machine without a running
 * CPU: the virtual clock moved forward as the engines move it (each timer
 * run at its own deadline), the 8259 pair initialised through its ports,
 * and COM1's output caught in a buffer.
 */
#ifndef DOPPEL_TESTS_FIXTURE_DEVICES_H
#define DOPPEL_TESTS_FIXTURE_DEVICES_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "devices/devices.h"

/* Let the virtual clock reach t, running timers as the engines do. */
static inline void fixture_advance_to(struct machine *m, uint64_t t)
{
	while (m->timers.next <= t) {
		m->icount = m->timers.next;
		timer_run_due(m);
	}
	m->icount = t;
}

/* ICW1-4 to one 8259 at port base: edge-triggered, cascaded, vectors from
 * vec, cascade word icw3, 8086 mode with auto-EOI so that every edge can be
 * counted without an EOI. */
static inline void fixture_pic_init_one(struct machine *m, uint16_t base, uint8_t vec, uint8_t icw3)
{
	machine_io_out(m, base, 1, 0x11);
	machine_io_out(m, (uint16_t)(base + 1), 1, vec);
	machine_io_out(m, (uint16_t)(base + 1), 1, icw3);
	machine_io_out(m, (uint16_t)(base + 1), 1, 0x03);
}

/* The master at vector 0x20 with the slave on IRQ 2. */
static inline void fixture_pic_init_master(struct machine *m)
{
	fixture_pic_init_one(m, 0x20, 0x20, 0x04);
}

/* The slave at vector 0x28, cascade identity 2. */
static inline void fixture_pic_init_slave(struct machine *m)
{
	fixture_pic_init_one(m, 0xa0, 0x28, 0x02);
}

/* COM1's output into buf (zeroed); the stream is the caller's to close. */
static inline FILE *fixture_serial_capture(struct machine *m, char *buf, size_t n)
{
	memset(buf, 0, n);
	m->serial_out = fmemopen(buf, n, "w");
	return m->serial_out;
}

#endif
