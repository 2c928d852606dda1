/*
 * Port 0x92, System Control Port A (PS/2 and later chipsets): bit 1 gates
 * A20, bit 0 going from 0 to 1 is a fast CPU reset. Every bit reads back
 * as written, as in QEMU. The machine starts with A20 enabled, so the
 * port starts with bit 1 set.
 */
#include "devices/devices.h"

#include <stddef.h>

#define PORT92 0x92
#define P92_RESET 0x01
#define P92_A20 0x02

static uint32_t port92_read(void *dev, uint16_t port, int size)
{
	(void)port, (void)size;
	return ((struct port92 *)dev)->value;
}

static void port92_write(void *dev, uint16_t port, int size, uint32_t val)
{
	struct port92 *p = dev;
	uint8_t old = p->value;

	(void)port, (void)size;
	p->value = (uint8_t)val;
	mmu_set_a20(p->m, val & P92_A20);
	if ((val & P92_RESET) && !(old & P92_RESET))
		machine_request_stop(p->m, STOP_RESET);
}

static int port92_create(struct machine *m, void *st)
{
	struct port92 *p = st;

	p->m = m;
	return machine_io_register(m, PORT92, 1, port92_read, port92_write, p);
}

static void port92_reset(void *st)
{
	((struct port92 *)st)->value = P92_A20;
}

static void port92_save(const void *st, uint8_t *blob)
{
	blob[0] = ((const struct port92 *)st)->value;
}

static void port92_load(void *st, const uint8_t *blob)
{
	((struct port92 *)st)->value = blob[0];
}

const struct device_ops port92_ops = {
	.name = "port92",
	.state_size = sizeof(struct port92),
	.blob_size = 1,
	.create = port92_create,
	.reset = port92_reset,
	.save = port92_save,
	.load = port92_load,
};
