/*
 * The machine's reset line: the CPU to its power-on state, every device
 * to its reset state in table order, the virtual clock to zero. Apart
 * from machine.c so that code using only the bus and RAM does not pull in
 * the CPU model.
 */
#include "vmm/machine.h"

#include "devices/devices.h"

void machine_reset(struct machine *m)
{
	cpu_reset(&m->cpu);
	m->cpu.m = m;
	devices_reset(m);
	m->a20_mask = 0xffffffffu;
	m->icount = 0;
	m->halted_ticks = 0;
	machine_irq_reset(m);
	m->stop = STOP_NONE;
	m->exit_status = 0;
	m->error[0] = 0;
}
