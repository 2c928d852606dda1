/*
 * The POST diagnostic port 0x80: firmware and kernels write progress codes
 * (and Linux uses it as an I/O delay). The code is kept and, with
 * --trace=io, logged; reads give all-ones like an idle ISA bus, as QEMU's
 * ioport80 does.
 */
#include "devices/devices.h"

static uint32_t post_read(void *dev, uint16_t port, int size)
{
	(void)dev, (void)port;
	return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void post_write(void *dev, uint16_t port, int size, uint32_t val)
{
	struct post *p = dev;
	(void)port, (void)size;
	p->last = (uint8_t)val;
	if (p->m->trace & TRACE_IO)
		fprintf(p->m->trace_out, "post: code 0x%02x\n", p->last);
}

static int post_create(struct machine *m, void *st)
{
	struct post *p = st;
	p->m = m;
	return machine_io_register(m, POST_PORT, 1, post_read, post_write, p);
}

static void post_reset(void *st)
{
	((struct post *)st)->last = 0;
}

static void post_save(const void *st, uint8_t *blob)
{
	blob[0] = ((const struct post *)st)->last;
}

static void post_load(void *st, const uint8_t *blob)
{
	((struct post *)st)->last = blob[0];
}

const struct device_ops post_ops = {
	.name = "post",
	.state_size = sizeof(struct post),
	.blob_size = 1,
	.create = post_create,
	.reset = post_reset,
	.save = post_save,
	.load = post_load,
};
