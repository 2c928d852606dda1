/*
 * The machine's devices in one explicit, ordered table: creation, reset
 * and snapshot order are this order, never constructor magic.
 */
#include "devices/devices.h"

#include <stdlib.h>
#include <string.h>

const struct device_ops *const device_table[] = {
	&pic_ops,       /* first: it sets up the isa_irq lines the others take */
	&debug_exit_ops,
	&uart_ops,
	&post_ops,
	&pit_ops,
	&rtc_ops,
	&i8042_ops,
	&port92_ops,
	&pci_ops,
};
const unsigned device_count = sizeof(device_table) / sizeof(device_table[0]);

_Static_assert(sizeof(device_table) / sizeof(device_table[0]) <= DEVICES_MAX,
	       "machine.dev_state is too small for the device table");

int devices_create(struct machine *m)
{
	for (unsigned i = 0; i < device_count; i++) {
		m->dev_state[i] = calloc(1, device_table[i]->state_size);
		if (!m->dev_state[i] || device_table[i]->create(m, m->dev_state[i]) < 0)
			return -1;
	}
	return 0;
}

void devices_reset(struct machine *m)
{
	for (unsigned i = 0; i < device_count; i++)
		device_table[i]->reset(m->dev_state[i]);
}

void devices_free(struct machine *m)
{
	for (unsigned i = 0; i < device_count; i++) {
		free(m->dev_state[i]);
		m->dev_state[i] = NULL;
	}
}

size_t devices_blob_size(void)
{
	size_t n = 0;
	for (unsigned i = 0; i < device_count; i++)
		n += device_table[i]->blob_size;
	return n;
}

void devices_save(const struct machine *m, uint8_t *blob)
{
	for (unsigned i = 0; i < device_count; i++) {
		device_table[i]->save(m->dev_state[i], blob);
		blob += device_table[i]->blob_size;
	}
}

void devices_load(struct machine *m, const uint8_t *blob)
{
	for (unsigned i = 0; i < device_count; i++) {
		device_table[i]->load(m->dev_state[i], blob);
		blob += device_table[i]->blob_size;
	}
}

void *devices_state(struct machine *m, const struct device_ops *ops)
{
	for (unsigned i = 0; i < device_count; i++)
		if (device_table[i] == ops)
			return m->dev_state[i];
	return NULL;
}
