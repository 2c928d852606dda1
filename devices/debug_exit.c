/*
 * QEMU's isa-debug-exit (iobase 0xf4, iosize 4): writing v ends the run
 * with exit status (v << 1) | 1, so a guest can report its verdict; reads
 * return 0, as in QEMU's hw/misc/debugexit.c.
 */
#include "devices/devices.h"

static uint32_t debug_exit_read(void *dev, uint16_t port, int size)
{
	(void)dev, (void)port, (void)size;
	return 0;
}

static void debug_exit_write(void *dev, uint16_t port, int size, uint32_t val)
{
	struct debug_exit *d = dev;
	(void)port, (void)size;
	if (d->m->stop == STOP_NONE)
		d->m->exit_status = (int)((val << 1) | 1);
	machine_request_stop(d->m, STOP_DEBUG_EXIT);
}

static int debug_exit_create(struct machine *m, void *st)
{
	struct debug_exit *d = st;
	d->m = m;
	return machine_io_register(m, ISA_DEBUG_EXIT_PORT, ISA_DEBUG_EXIT_SIZE,
				   debug_exit_read, debug_exit_write, d);
}

/* Stateless: nothing to reset, save or load. */
static void debug_exit_reset(void *st) { (void)st; }
static void debug_exit_save(const void *st, uint8_t *blob) { (void)st, (void)blob; }
static void debug_exit_load(void *st, const uint8_t *blob) { (void)st, (void)blob; }

const struct device_ops debug_exit_ops = {
	.name = "isa-debug-exit",
	.state_size = sizeof(struct debug_exit),
	.blob_size = 0,
	.create = debug_exit_create,
	.reset = debug_exit_reset,
	.save = debug_exit_save,
	.load = debug_exit_load,
};
