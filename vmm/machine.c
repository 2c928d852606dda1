/*
 * The monitor core's machine: guest RAM as a memfd mapped MAP_SHARED (so
 * later engines can map the same pages again, at other addresses and with
 * other protections), and the port I/O bus, kvmtool-style: devices claim
 * ranges, overlaps are refused, unclaimed ports answer like an empty ISA
 * bus (all ones) and swallow writes.
 */
#define _GNU_SOURCE
#include "vmm/machine.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/devices.h"
#include "vmm/interp_block.h"

#define PAGE_SIZE 4096u

static int machine_check_ram_size(uint32_t ram_size)
{
	if (ram_size < RAM_MIN || ram_size > RAM_MAX || ram_size % PAGE_SIZE) {
		fprintf(stderr, "doppel: RAM size %u bytes is invalid: it must be a "
			"multiple of 4 KiB between 1 MiB and 3584 MiB\n", ram_size);
		return -1;
	}
	return 0;
}

static int machine_map_ram(struct machine *m, uint32_t ram_size)
{
	m->ram_fd = memfd_create("doppel-ram", MFD_CLOEXEC);
	if (m->ram_fd < 0 || ftruncate(m->ram_fd, ram_size) < 0) {
		fprintf(stderr, "doppel: cannot create guest RAM: %s\n", strerror(errno));
		return -1;
	}
	void *p = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, m->ram_fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "doppel: cannot map %u bytes of guest RAM: %s\n",
			ram_size, strerror(errno));
		return -1;
	}
	m->ram = p;
	m->ram_size = ram_size;
	return 0;
}

int machine_init(struct machine *m, uint32_t ram_size)
{
	memset(m, 0, sizeof(*m));
	m->ram_fd = -1;
	m->cpu.m = m;
	m->a20_mask = 0xffffffffu;
	m->trace_out = stderr;
	m->serial_out = stdout;
	if (machine_check_ram_size(ram_size) < 0 || machine_map_ram(m, ram_size) < 0 ||
	    machine_irq_init(m) < 0 || devices_create(m) < 0) {
		machine_free(m);
		return -1;
	}
	devices_reset(m);
	return 0;
}

void machine_free(struct machine *m)
{
	devices_free(m);
	block_cache_free(m);
	if (m->ram)
		munmap(m->ram, m->ram_size);
	if (m->ram_fd >= 0)
		close(m->ram_fd);
	m->ram = NULL;
	m->ram_fd = -1;
}

int machine_io_register(struct machine *m, uint16_t base, uint16_t len,
			io_read_fn *rd, io_write_fn *wr, void *dev)
{
	uint32_t end = (uint32_t)base + len;
	if (len == 0 || end > 0x10000 || m->n_io == IO_RANGES_MAX) {
		fprintf(stderr, "doppel: cannot register I/O ports 0x%x+%u\n", base, len);
		return -1;
	}
	for (int i = 0; i < m->n_io; i++) {
		const struct io_range *r = &m->io[i];
		if (base < r->base + r->len && r->base < end) {
			fprintf(stderr, "doppel: I/O ports 0x%x-0x%x overlap 0x%x-0x%x\n",
				base, end - 1, r->base, r->base + r->len - 1);
			return -1;
		}
	}
	m->io[m->n_io++] = (struct io_range){ base, len, rd, wr, dev };
	return 0;
}

static const struct io_range *machine_io_find(const struct machine *m, uint16_t port)
{
	for (int i = 0; i < m->n_io; i++)
		if ((uint16_t)(port - m->io[i].base) < m->io[i].len)
			return &m->io[i];
	return NULL;
}

/* The range that holds all of [port, port+size), or NULL if none does. */
static const struct io_range *machine_io_whole(const struct machine *m, uint16_t port,
					       int size)
{
	const struct io_range *r = machine_io_find(m, port);
	if (r && (uint32_t)port + size <= (uint32_t)r->base + r->len)
		return r;
	return NULL;
}

static uint8_t machine_io_in_byte(struct machine *m, uint16_t port)
{
	const struct io_range *r = machine_io_find(m, port);
	return r ? (uint8_t)r->read(r->dev, port, 1) : 0xff;
}

/* An access no single device holds whole is split into bytes; unclaimed
 * bytes read 0xff. Port numbers wrap at 0xffff like the hardware's. */
static uint32_t machine_io_in_split(struct machine *m, uint16_t port, int size)
{
	uint32_t v = 0;
	for (int k = 0; k < size; k++)
		v |= (uint32_t)machine_io_in_byte(m, (uint16_t)(port + k)) << (8 * k);
	return v;
}

uint32_t machine_io_in(struct machine *m, uint16_t port, int size)
{
	const struct io_range *r = machine_io_whole(m, port, size);
	uint32_t v = r ? r->read(r->dev, port, size) : machine_io_in_split(m, port, size);
	if (size < 4)
		v &= (1u << (8 * size)) - 1;
	if (m->trace & TRACE_IO)
		fprintf(m->trace_out, "io: in  %04x/%d = %0*x\n", port, size, 2 * size, v);
	return v;
}

void machine_io_out(struct machine *m, uint16_t port, int size, uint32_t val)
{
	if (size < 4)
		val &= (1u << (8 * size)) - 1;
	if (m->trace & TRACE_IO)
		fprintf(m->trace_out, "io: out %04x/%d = %0*x\n", port, size, 2 * size, val);
	const struct io_range *r = machine_io_whole(m, port, size);
	if (r) {
		r->write(r->dev, port, size, val);
		return;
	}
	for (int k = 0; k < size; k++) {
		uint16_t p = (uint16_t)(port + k);
		r = machine_io_find(m, p);
		if (r)
			r->write(r->dev, p, 1, (val >> (8 * k)) & 0xff);
	}
}

void machine_request_stop(struct machine *m, enum stop_reason why)
{
	if (m->stop == STOP_NONE)
		m->stop = why;
}

static void machine_stop_with(struct machine *m, enum stop_reason why, const char *fmt,
			      va_list ap)
{
	if (m->stop != STOP_NONE)
		return;
	vsnprintf(m->error, sizeof(m->error), fmt, ap);
	m->stop = why;
}

void machine_fail(struct machine *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	machine_stop_with(m, STOP_ERROR, fmt, ap);
	va_end(ap);
}

void machine_unsupported(struct machine *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	machine_stop_with(m, STOP_UNSUPPORTED, fmt, ap);
	va_end(ap);
}
